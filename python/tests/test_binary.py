"""Finding the executable, and `python -m convmock`."""

import os
import re
import subprocess
import sys
import sysconfig

import pytest

import convmock
from convmock import _binary

READY = re.compile(r"^listening on http://127\.0\.0\.1:\d+$")


def test_the_wheels_executable_is_found_in_the_environments_scripts_folder(monkeypatch):
    monkeypatch.delenv("CONVMOCK_BIN", raising=False)
    monkeypatch.setenv("PATH", "")
    expected = os.path.join(sysconfig.get_path("scripts"), _binary.EXE)
    assert convmock.find_binary() == expected


def test_convmock_bin_comes_first(monkeypatch, tmp_path):
    other = tmp_path / "my-convmock"
    other.write_text("")
    monkeypatch.setenv("CONVMOCK_BIN", str(other))
    assert convmock.find_binary() == str(other)


def test_a_convmock_bin_that_does_not_exist_is_an_error(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "convmock"
    monkeypatch.setenv("CONVMOCK_BIN", str(missing))
    with pytest.raises(convmock.BinaryNotFound) as failed:
        convmock.find_binary()
    assert str(missing) in str(failed.value)
    assert "CONVMOCK_BIN" in str(failed.value)


def test_the_not_found_error_names_every_place_looked_at(monkeypatch, tmp_path):
    env_scripts, user_scripts, on_path = (tmp_path / d for d in ("env", "user", "path"))
    for folder in (env_scripts, user_scripts, on_path):
        folder.mkdir()
    monkeypatch.delenv("CONVMOCK_BIN", raising=False)
    monkeypatch.setenv("PATH", str(on_path))

    def get_path(name, scheme=None):
        assert name == "scripts"
        return str(user_scripts if scheme else env_scripts)

    monkeypatch.setattr(_binary.sysconfig, "get_path", get_path)
    with pytest.raises(convmock.BinaryNotFound) as failed:
        convmock.find_binary()
    message = str(failed.value)
    assert str(env_scripts / _binary.EXE) in message
    assert str(user_scripts / _binary.EXE) in message
    assert f"every folder on PATH ({on_path})" in message
    assert "CONVMOCK_BIN" in message
    assert message.index(str(env_scripts)) < message.index(str(user_scripts))


def test_start_without_a_binary_raises_the_not_found_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVMOCK_BIN", str(tmp_path / "absent"))
    with pytest.raises(convmock.BinaryNotFound):
        convmock.start()


def test_python_m_convmock_prints_the_ready_line():
    proc = subprocess.Popen(
        [sys.executable, "-m", "convmock", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = proc.stdout.readline().rstrip("\n")
        assert READY.match(ready), ready
        url = ready.split()[-1]
        assert convmock.Client(url).request("GET", "/__admin/health").status == 200
    finally:
        proc.terminate()
        # The executable itself got the signal (exec, no Python in between): a clean exit.
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()


def test_python_m_convmock_without_a_binary_says_so_and_exits_2(tmp_path):
    env = dict(os.environ, CONVMOCK_BIN=str(tmp_path / "absent"))
    done = subprocess.run(
        [sys.executable, "-m", "convmock", "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("convmock: CONVMOCK_BIN is set to")
