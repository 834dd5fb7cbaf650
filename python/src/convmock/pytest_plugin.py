"""The pytest plugin (registered through the `pytest11` entry point): three fixtures.

- `convmock_server`: one server for the session, so one per pytest-xdist worker, started
  with `--isolate`, `--port 0` and the flags of `--convmock-flags` (or the `convmock_flags`
  ini key), and stopped at the end; with `--convmock-url URL`, the server already running
  there instead (start it with `--isolate`).
- `convmock`: a `Client` with a token of the test's own, so a workspace of its own: tests
  never see each other's conversations, without a reset between them. At the end of the
  test its fault rules are removed, a clock it changed is put back and its workspace freed.
- `convmock_receiver`: `convmock.webhook_receiver()`, a webhook receiver on 127.0.0.1 for the
  test's workspace, which checks every signature; unregistered and stopped after the test.
"""

from __future__ import annotations

import os
import shlex

import pytest

from ._server import Server, _has_flag, start


def pytest_addoption(parser):
    group = parser.getgroup("convmock", "convmock (the Conversations API emulator)")
    group.addoption(
        "--convmock-flags",
        metavar="FLAGS",
        default=None,
        help="flags for the convmock server, in one shell-quoted string "
        "(replaces the convmock_flags ini value), e.g. '--profile oblic --latency 5'",
    )
    group.addoption(
        "--convmock-url",
        metavar="URL",
        default=None,
        help="use the convmock server already running at URL (started with --isolate) "
        "instead of starting one",
    )
    parser.addini(
        "convmock_flags",
        type="args",
        default=[],
        help="flags for the convmock server the convmock_server fixture starts",
    )


def _flags(config) -> list:
    given = config.getoption("convmock_flags")
    flags = shlex.split(given) if given is not None else list(config.getini("convmock_flags"))
    # The binary refuses a repeated flag: --isolate is added only when not given.
    return flags if _has_flag(flags, "--isolate") else ["--isolate", *flags]


@pytest.fixture(scope="session")
def convmock_server(pytestconfig):
    """The session's convmock server (with pytest-xdist, each worker's own)."""
    url = pytestconfig.getoption("convmock_url")
    if url:
        # The variable the executable reads for --admin-token, if the server needs one.
        yield Server(url, admin_token=os.environ.get("CONVMOCK_ADMIN_TOKEN") or None)
        return
    server = start(*_flags(pytestconfig))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def convmock(convmock_server):
    """A client of the session's server with a fresh token: a workspace of the test's own."""
    client = convmock_server.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def convmock_receiver(convmock):
    """A webhook receiver registered for the `convmock` client's workspace: `receiver.events`."""
    with convmock.webhook_receiver() as receiver:
        yield receiver
