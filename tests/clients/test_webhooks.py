"""The Python receiver of examples/webhooks (the one docs/webhooks.md shows) against the
server: every event arrives in order, and its signature verifies with the standard library."""

import json
import os
import pathlib
import subprocess
import sys
import threading
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "webhooks"))
from receiver import receiver, verify  # noqa: E402

SECRET = "python-secret"


@pytest.fixture()
def url():
    proc = subprocess.Popen(
        [os.environ["CONVMOCK_BIN"], "--port", "0", "--quiet", "--seed", "1", "--webhook-retries", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ").strip()
    proc.terminate()
    proc.wait(timeout=10)


def call(url, method, path, body=None):
    req = urllib.request.Request(
        url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as res:
        raw = res.read()
        return json.loads(raw) if raw else None


def test_the_docs_show_this_receiver():
    shown = (ROOT / "docs" / "webhooks.md").read_text()
    assert (ROOT / "examples" / "webhooks" / "receiver.py").read_text() in shown


def test_events_arrive_in_order_and_verify_with_hmac(url):
    events = []
    server = receiver(SECRET, events)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        call(url, "POST", "/__admin/webhooks", {"url": hook_url, "secret": SECRET})
        # Signed with another secret: the receiver refuses it (401), so it fails.
        call(url, "POST", "/__admin/webhooks", {"url": hook_url, "secret": "wrong", "events": ["contact.*"]})
        contact = call(url, "POST", "/v1/contacts", {"username": "Kevin", "phone_number": "1"})
        call(url, "POST", "/v1/messages", {"conversation_id": contact["conversation_id"], "message": "Hi"})
        call(url, "DELETE", f"/v1/contacts/{contact['id']}")
        counts = call(url, "POST", "/__admin/webhooks/flush", {"timeout_ms": 20000})
        emitted = call(url, "GET", "/__admin/events")["events"]
        assert [e["type"] for e in emitted] == [
            "contact.created",
            "conversation.created",
            "message.created",
            "conversation.updated",
            "contact.deleted",
            "conversation.deleted",
            "message.deleted",
        ]
        assert events == emitted
        assert counts == {"delivered": 7, "failed": 2, "pending": 0}
        assert not verify(SECRET, b"{}", "0" * 64)
    finally:
        server.shutdown()
