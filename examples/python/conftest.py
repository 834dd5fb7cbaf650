"""A pytest fixture that runs convmock for a test session.

The server is spawned once, on a free port (read from its ready line), with --isolate so
that every test can work in a workspace of its own by using its own bearer token. Each test
also starts from a reset server: fixtures, clock, journal and fault rules as at start-up.

Copy this file into your project; point CONVMOCK_BIN at the binary (or build it with
`cargo build --release` in the convmock checkout).
"""

import json
import os
import pathlib
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

CHECKOUT = pathlib.Path(__file__).resolve().parents[2]


def convmock_binary():
    if os.environ.get("CONVMOCK_BIN"):
        return os.environ["CONVMOCK_BIN"]
    # The most recently built of the checkout's binaries.
    built = [CHECKOUT / "target" / p / "convmock" for p in ("release", "debug")]
    built = [b for b in built if b.exists()]
    if built:
        return str(max(built, key=lambda b: b.stat().st_mtime))
    pytest.fail("build convmock first (cargo build --release) or set CONVMOCK_BIN")


class Convmock:
    """A running convmock: its URL, plain HTTP calls, and the admin API."""

    def __init__(self, url):
        self.url = url

    def request(self, method, path, token=None, form=None, body=None):
        """Returns (status, headers, parsed JSON body or None)."""
        headers = {}
        data = None
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, answer_headers, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            status, answer_headers, raw = err.code, err.headers, err.read()
        return status, answer_headers, (json.loads(raw) if raw else None)

    def reset(self):
        assert self.request("POST", "/__admin/reset")[0] == 200

    def journal(self, **filters):
        query = "?" + urllib.parse.urlencode(filters) if filters else ""
        return self.request("GET", "/__admin/requests" + query)[2]["requests"]

    def add_fault(self, **rule):
        status, _, created = self.request("POST", "/__admin/faults", body=rule)
        assert status == 201, created
        return created


@pytest.fixture(scope="session")
def convmock_server():
    proc = subprocess.Popen(
        [convmock_binary(), "--port", "0", "--isolate", "--quiet", "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    ready = proc.stdout.readline()
    assert ready.startswith("listening on "), ready
    yield Convmock(ready.split()[-1])
    proc.terminate()
    assert proc.wait(timeout=10) == 0


@pytest.fixture
def convmock(convmock_server):
    """The session's server, reset before the test."""
    convmock_server.reset()
    return convmock_server


@pytest.fixture
def token():
    """A bearer token of the test's own: under --isolate, a workspace of its own."""
    return f"test-{uuid.uuid4().hex}"
