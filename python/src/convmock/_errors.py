"""The package's exceptions: one base class, one subclass per situation."""

from __future__ import annotations


class ConvmockError(Exception):
    """Base class of everything this package raises on purpose."""


class BinaryNotFound(ConvmockError):
    """No `convmock` executable: the message names every place looked at."""


class StartError(ConvmockError):
    """The server did not print its ready line: the message has its stderr."""


class AdminError(ConvmockError):
    """The admin API refused a call (a bad fault rule, a wrong admin token…)."""

    def __init__(self, method: str, path: str, status: int, body: str):
        self.status = status
        self.body = body
        super().__init__(f"{method} {path} answered {status}: {body[:500]}")
