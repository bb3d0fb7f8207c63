"""Exceptions that the runtime raises into tasks."""

__all__ = ["Cancelled", "ClosedResourceError", "IncompleteReadError"]


class Cancelled(BaseException):
    """Raised inside a task at its current or next blocking await when the task is cancelled."""


class ClosedResourceError(OSError):
    """Raised in a task waiting on a file descriptor that ``close_socket`` closed under it."""


class IncompleteReadError(EOFError):
    """Raised by ``Stream.readexactly`` when the peer closes before enough bytes arrive."""

    def __init__(self, partial, expected):
        super().__init__(f"{len(partial)} bytes read on a total of {expected} expected bytes")
        self.partial = partial
        self.expected = expected
