"""A webhook receiver for tests: an HTTP server on 127.0.0.1, in a thread, that checks
every delivery's signature and keeps the events, registered as an endpoint of the server."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Iterable, NamedTuple, Optional

if TYPE_CHECKING:
    from ._client import Client

#: The header that carries the hex HMAC-SHA256 of the body, keyed with the endpoint's secret.
SIGNATURE_HEADER = "x-protocol-signature"
#: Seconds `close()` waits for the receiver's thread to stop.
STOP_TIMEOUT = 10.0


class Delivery(NamedTuple):
    """One POST the receiver got: the raw `body`, its `signature` header (`""` when absent),
    and whether that signature `verified` against the receiver's secret."""

    body: bytes
    signature: str
    verified: bool


def signature_of(secret: str, body: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of `body` keyed with `secret`, as convmock signs it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookReceiver:
    """A receiver registered as a webhook endpoint of a client's server.

    `url` is where it listens, `secret` what it checks signatures with, `id` the endpoint's
    ID on the server. A delivery whose `x-protocol-signature` verifies (compared in constant
    time, on the raw body) is answered 204 and its event appended to `events`; any other is
    answered 401, which the server counts as a failure. `deliveries` holds every POST, in
    the order they arrived, verified or not; `refused` those that were not. `close()` (or
    the end of the `with` block) unregisters the endpoint and stops the server.
    """

    def __init__(self, client: "Client", events: Optional[Iterable[str]] = None):
        self.secret = "whsec_" + secrets.token_hex(16)
        self.events: list = []
        self.deliveries: list = []
        self._lock = threading.Lock()
        self._client = client
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="convmock-webhook-receiver", daemon=True
        )
        self._thread.start()
        try:
            endpoint = client._register_webhook(self.url, self.secret, events)
        except BaseException:
            self._stop()
            raise
        self.id: str = endpoint["id"]
        self._closed = False

    def __repr__(self) -> str:
        return f"<convmock.WebhookReceiver {self.url} events={len(self.events)}>"

    @property
    def refused(self) -> list:
        """The deliveries whose signature did not verify (answered 401)."""
        with self._lock:
            return [d for d in self.deliveries if not d.verified]

    def close(self) -> None:
        """Unregisters the endpoint (what it had not delivered fails) and stops the server.
        Calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            self._client._unregister_webhook(self.id)
        finally:
            self._stop()

    def __enter__(self) -> "WebhookReceiver":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=STOP_TIMEOUT)

    def _take(self, body: bytes, signature: str) -> bool:
        expected = signature_of(self.secret, body)
        verified = hmac.compare_digest(expected.encode(), signature.encode())
        event = json.loads(body) if verified else None
        with self._lock:
            self.deliveries.append(Delivery(body, signature, verified))
            if verified:
                self.events.append(event)
        return verified

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                # The exact bytes sent: verified before they are parsed.
                body = self.rfile.read(length)
                verified = receiver._take(body, self.headers.get(SIGNATURE_HEADER, ""))
                self.send_response(204 if verified else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
