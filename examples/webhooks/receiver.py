"""A webhook receiver that checks convmock's signature with Python's standard library."""

import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether `signature` (the x-protocol-signature header) signs `body` with `secret`."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def receiver(secret: str, events: list) -> HTTPServer:
    """An HTTP server on a free port of 127.0.0.1 that appends each event it can verify to
    `events` and answers 204, or 401 to a bad signature. Run it with serve_forever()."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            # The exact bytes sent: verify them before parsing.
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if not verify(secret, body, self.headers.get("x-protocol-signature", "")):
                self.send_response(401)
            else:
                events.append(json.loads(body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    return HTTPServer(("127.0.0.1", 0), Handler)
