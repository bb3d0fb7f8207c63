"""Timeout scopes: ``async with timeout(seconds):``.

A scope puts one entry on the kernel's timer heap.  If the deadline passes
while the body runs, the task is cancelled with an exception that belongs to
the scope, and the scope's exit turns exactly that exception into
``TimeoutError``.  Nested scopes therefore each recognise only their own
expiry; an outer one's cancellation passes through inner ones untouched.
"""

__all__ = ["timeout"]

from time import monotonic

from runtime.loop.errors import Cancelled
from runtime.loop.kernel import running_kernel


class timeout:
    """Raise ``TimeoutError`` if the ``async with`` body takes longer than *seconds* (None: never)."""

    __slots__ = ("seconds", "deadline", "expired", "_task", "_exc", "_active")

    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = None
        self.expired = False
        self._task = None
        self._exc = None
        self._active = False

    def __repr__(self):
        state = "expired" if self.expired else "active" if self._active else "idle"
        return f"<timeout {self.seconds}s {state}>"

    def __lt__(self, other):
        # Timer heap entries are (deadline, scope); equal deadlines fall back to this.
        return id(self) < id(other)

    async def __aenter__(self):
        kernel = running_kernel()
        self._task = kernel.current
        self._active = True
        if self.seconds is not None:
            self.deadline = monotonic() + self.seconds
            kernel.add_timer(self.deadline, self)
        return self

    async def __aexit__(self, exc_type, exc, tb):
        # The heap entry stays and is ignored once inactive (lazy deletion).
        self._active = False
        if self.expired:
            if exc is self._exc:
                raise TimeoutError(f"timed out after {self.seconds}s") from None
            if self._task._cancel is self._exc:
                self._task._cancel = None  # body ended before the expiry reached it
        return False

    def expire(self):
        """Called by the kernel at the deadline: cancel the task if the body still runs."""
        if self._active and not self.expired:
            self.expired = True
            self._exc = Cancelled(f"timeout of {self.seconds}s expired")
            self._task._kernel.cancel(self._task, self._exc)
