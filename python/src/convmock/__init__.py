"""convmock for Python: the emulator's executable, a client, and a pytest plugin.

    import convmock

    with convmock.start("--isolate") as server:
        client = server.client()
        created = client.request("POST", "/v1/conversations", form={"contact_id": "c1"})
        assert created.status == 201

In pytest, installing the package is the whole set-up: the `convmock` fixture is a `Client`
with a token of the test's own, on a server started once per session (per xdist worker), and
`convmock_receiver` a webhook receiver for that token's events.
"""

from ._binary import find_binary
from ._client import Client, Response, new_token
from ._errors import AdminError, BinaryNotFound, ConvmockError, StartError
from ._server import Server, start
from ._webhooks import Delivery, WebhookReceiver

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("convmock")
except PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    "AdminError",
    "BinaryNotFound",
    "Client",
    "ConvmockError",
    "Delivery",
    "Response",
    "Server",
    "StartError",
    "WebhookReceiver",
    "find_binary",
    "new_token",
    "start",
]
