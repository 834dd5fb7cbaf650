"""`convmock.start()`: the ready line, flags, start-up failures, and stopping."""

import signal
import socket

import pytest

import convmock


def test_start_serves_on_a_free_port_and_close_stops_it_cleanly():
    server = convmock.start("--quiet")
    assert server.url.startswith("http://127.0.0.1:")
    assert server.client().request("GET", "/__admin/health").json() == {"status": "ok"}
    assert server.close() == 0
    assert server.process.poll() == 0


def test_the_context_manager_stops_the_server():
    with convmock.start("--quiet") as server:
        assert server.client().request("GET", "/v1/conversations").status == 200
    assert server.process.poll() == 0


def test_a_port_the_user_chooses_is_not_doubled():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with convmock.start("--port", str(port), "--quiet") as server:
        assert server.url == f"http://127.0.0.1:{port}"


def test_a_start_up_failure_says_why(tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(convmock.StartError) as failed:
        convmock.start("--fixtures", str(missing))
    message = str(failed.value)
    assert "exited with status 2" in message
    assert "convmock:" in message and str(missing) in message


def test_a_repeated_flag_is_refused_with_the_servers_message():
    with pytest.raises(convmock.StartError) as failed:
        convmock.start("--isolate", "--isolate")
    assert "--isolate" in str(failed.value)


def test_clients_use_the_admin_token_given_to_the_server():
    with convmock.start("--quiet", "--admin-token", "s3cret") as server:
        server.client().reset()
        with pytest.raises(convmock.AdminError) as refused:
            convmock.Client(server.url).reset()
        assert refused.value.status == 401


def test_the_request_log_never_blocks_the_server():
    # Without --quiet every request writes a line to stderr: 1500 of them overflow a pipe
    # that nobody reads (64 KiB), which would stop the server until the client times out.
    with convmock.start() as server:
        client = convmock.Client(server.url, timeout=10)
        for _ in range(1500):
            assert client.request("GET", "/v1/conversations/nope").status == 404
        assert "/v1/conversations/nope" in server.stderr()


def test_a_server_already_running_is_left_running():
    with convmock.start("--quiet") as spawned:
        attached = convmock.Server(spawned.url)
        assert attached.close() is None
        assert attached.client().request("GET", "/__admin/health").status == 200


def test_a_binary_that_prints_no_ready_line_is_an_error(tmp_path):
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nsleep 30\n")
    silent.chmod(0o755)
    with pytest.raises(convmock.StartError) as failed:
        convmock.start(binary=str(silent), timeout=0.5)
    assert "no ready line within 0.5 s" in str(failed.value)


def test_a_server_that_ignores_sigterm_is_killed(tmp_path):
    stubborn = tmp_path / "stubborn"
    stubborn.write_text(
        "#!/bin/sh\ntrap '' TERM\necho 'listening on http://127.0.0.1:1'\n"
        "while true; do sleep 1; done\n"
    )
    stubborn.chmod(0o755)
    server = convmock.start(binary=str(stubborn))
    assert server.url == "http://127.0.0.1:1"
    assert server.close(grace=0.2) == -signal.SIGKILL
