"""Running the `convmock` executable: spawn it, read its ready line, stop it."""

from __future__ import annotations

import collections
import os
import queue
import subprocess
import threading
import weakref
from typing import Optional, Sequence

from ._binary import find_binary
from ._client import Client
from ._errors import StartError

#: Seconds to wait for the ready line.
START_TIMEOUT = 30.0
#: Seconds `close()` waits after SIGTERM (the server lets requests finish for up to 5) before it kills.
CLOSE_GRACE = 10.0
#: Lines of the server's stderr kept for error messages (the rest is read and dropped).
STDERR_LINES = 200

READY_PREFIX = "listening on "


class Server:
    """A convmock server: its `url`, `client()`s for it, and `close()`.

    `start()` gives one it spawned; `Server(url)` is one already running elsewhere
    (`close()` then leaves it running).
    """

    def __init__(
        self,
        url: str,
        *,
        admin_token: Optional[str] = None,
        process: Optional[subprocess.Popen] = None,
    ):
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.process = process
        self._stderr: collections.deque = collections.deque(maxlen=STDERR_LINES)
        self._readers: list[threading.Thread] = []
        self._finalizer = weakref.finalize(self, _stop, process) if process else None

    def __repr__(self) -> str:
        return f"<convmock.Server {self.url}>"

    def client(self, token: Optional[str] = None) -> Client:
        """A client of this server as `token` (a fresh, unique one when not given)."""
        return Client(self.url, token, admin_token=self.admin_token)

    def stderr(self) -> str:
        """The last lines the server wrote to stderr (its request log, unless `--quiet`)."""
        return "".join(self._stderr)

    def close(self, grace: float = CLOSE_GRACE) -> Optional[int]:
        """Stops a server this package started (SIGTERM, then a kill after `grace` seconds)
        and returns its exit status (0 for a clean stop); `None` for one it did not start."""
        if self.process is None:
            return None
        if self._finalizer is not None:
            self._finalizer.detach()
        status = _stop(self.process, grace)
        for reader in self._readers:
            reader.join(timeout=grace)
        return status

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def start(
    *flags: str,
    binary: Optional[str] = None,
    timeout: float = START_TIMEOUT,
    env: Optional[dict] = None,
) -> Server:
    """Spawns `convmock` with `flags` on a free port and returns it once it accepts.

    `--port 0` is added unless the flags choose a port. The binary is `binary`, else
    `find_binary()`'s. Raises `StartError` with the server's stderr when it exits (a bad
    flag, an unreadable fixtures file) or prints no ready line within `timeout` seconds.
    """
    args = [str(f) for f in flags]
    if not _has_flag(args, "--port"):
        args = ["--port", "0", *args]
    command = [binary or find_binary(), *args]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=env,
    )
    admin_token = _flag_value(args, "--admin-token")
    if admin_token is None:
        admin_token = (env if env is not None else os.environ).get("CONVMOCK_ADMIN_TOKEN") or None
    server = Server("http://unknown", admin_token=admin_token, process=process)
    ready: queue.Queue = queue.Queue()

    def first_line_only(line: str) -> None:
        # Nothing follows the ready line on stdout; whatever might is read and dropped.
        if ready.empty():
            ready.put(line)

    server._readers = [
        _reader(process.stdout, first_line_only),
        _reader(process.stderr, server._stderr.append),
    ]
    try:
        line = ready.get(timeout=timeout)
    except queue.Empty:
        server.close(grace=1.0)
        raise StartError(
            f"{' '.join(command)} printed no ready line within {timeout:g} s; "
            f"its stderr: {server.stderr().strip() or '(nothing)'}"
        ) from None
    if not line.startswith(READY_PREFIX):
        status = server.close(grace=1.0)
        raise StartError(
            f"{' '.join(command)} exited with status {status} before it was ready; "
            f"its stderr: {server.stderr().strip() or '(nothing)'}"
        )
    server.url = line[len(READY_PREFIX) :].strip().rstrip("/")
    return server


def _reader(stream, take) -> threading.Thread:
    """Reads `stream` to its end on a daemon thread, so the server never blocks on a full pipe.

    Each line goes to `take`; the end of the stream is an empty line.
    """

    def run():
        with stream:
            for line in stream:
                take(line)
        take("")

    thread = threading.Thread(target=run, name="convmock-output", daemon=True)
    thread.start()
    return thread


def _stop(process: subprocess.Popen, grace: float = CLOSE_GRACE) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def _has_flag(flags: Sequence[str], name: str) -> bool:
    return any(f == name or f.startswith(name + "=") for f in flags)


def _flag_value(flags: Sequence[str], name: str) -> Optional[str]:
    for i, flag in enumerate(flags):
        if flag == name and i + 1 < len(flags):
            return flags[i + 1]
        if flag.startswith(name + "="):
            return flag[len(name) + 1 :]
    return None
