"""Tasks: a coroutine plus the bookkeeping the kernel needs to run it.

A task is created by ``runtime.spawn`` and driven by the kernel with
``coro.send(value)`` and ``coro.throw(exc)`` only, so native coroutines and
hand-written objects implementing the coroutine protocol (such as compiled
state machines) run alike.
"""

__all__ = ["Task", "gather"]

import itertools

from runtime.loop.errors import Cancelled
from runtime.loop.traps import TRAP_NAMES, join

_ids = itertools.count(1)


class Task:
    """A coroutine scheduled on the kernel; await it for its result."""

    # Discussion: a server may hold tens of thousands of tasks, so a task is a
    # handful of slots, and the rarely used ones (joiners) stay None until needed.
    __slots__ = (
        "coro",          # the coroutine being driven
        "id",            # small integer, for repr and logs
        "_kernel",       # the kernel that runs this task
        "_done",         # True once the coroutine has returned or raised
        "_result",       # return value once done
        "_exception",    # exception once done (None on success)
        "_blocked",      # trap code the task is suspended on, None when not blocked
        "_wait",         # what it waits on: fd, timer heap entry, deque or tasks
        "_next_value",   # value to send on the next resume
        "_next_exc",     # exception to throw on the next resume, or None
        "_cancel",       # cancellation pending until the task next blocks
        "_joiners",      # tasks waiting for this one to finish (None if nobody yet)
        "_unobserved",   # True while a failure has not been retrieved by anyone
        "__weakref__",
    )

    def __init__(self, coro, kernel):
        self.coro = coro
        self.id = next(_ids)
        self._kernel = kernel
        self._done = False
        self._result = None
        self._exception = None
        self._blocked = None
        self._wait = None
        self._next_value = None
        self._next_exc = None
        self._cancel = None
        self._joiners = None
        self._unobserved = False

    def __repr__(self):
        name = getattr(self.coro, "__qualname__", type(self.coro).__name__)
        if self._done:
            if self._exception is None:
                state = f"done result={self._result!r}"
            else:
                state = f"done exception={self._exception!r}"
        elif self._blocked is not None:
            state = f"blocked on {TRAP_NAMES[self._blocked]}"
            if self._blocked <= 1:
                state += f" fd {self._wait}"
        elif self._kernel.current is self:
            state = "running"
        else:
            state = "ready"
        if self._cancel is not None:
            state += " cancel pending"
        return f"<Task {self.id} {name}() {state}>"

    def __lt__(self, other):
        # Timer heap entries are (deadline, task); equal deadlines fall back to this.
        return id(self) < id(other)

    def __await__(self):
        while not self._done:
            yield from join((self,))
        return self.result()

    def done(self):
        """Return True if the coroutine has finished, by returning, raising or being cancelled."""
        return self._done

    def cancelled(self):
        """Return True if the task ended with ``Cancelled``."""
        return self._done and isinstance(self._exception, Cancelled)

    def result(self):
        """Return the task's result, or raise its exception; the task must be done."""
        if not self._done:
            raise RuntimeError(f"{self!r} is not done")
        self._unobserved = False
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self):
        """Return the task's exception (None on success); the task must be done."""
        if not self._done:
            raise RuntimeError(f"{self!r} is not done")
        self._unobserved = False
        return self._exception

    def cancel(self):
        """Ask the task to stop: ``Cancelled`` is raised at its current or next blocking await.

        Return False if the task is already done.
        """
        return self._kernel.cancel(self)

    def __reduce__(self):
        # Reached when a saved coroutine holds a task (a timeout scope, a
        # gather): say so, rather than fail on the kernel's epoll object.
        raise TypeError(
            f"cannot pickle {self!r}: a task belongs to the loop that runs it "
            "(a coroutine holding a task, or inside runtime.timeout(), cannot be saved)"
        )

    def checkpoint(self, path):
        """Save this task, which sleeps or waits on a primitive, to *path* (runtime.loop.checkpoints).

        ``runtime.restore(path)`` gives back its coroutine, in this or another process.
        """
        from runtime.loop.checkpoints import save_task

        save_task(self, path)

    def report(self):
        """Log the task's unretrieved exception with its traceback, once."""
        if self._unobserved:
            self._unobserved = False
            exc = self._exception
            # Imported here: logging (with traceback, threading, string) would
            # be a tenth of the start-up of a program that never needs it.
            import logging

            logging.getLogger("runtime").error(
                "Task exception was never retrieved: %r", self,
                exc_info=(type(exc), exc, exc.__traceback__),
            )

    def __del__(self):
        # Discussion: the kernel drops a task when it ends, so a spawned task
        # that nobody holds is reported here the moment it ends; one still
        # held is reported when dropped, or by the kernel at shutdown.
        if self._unobserved:
            self.report()


async def gather(*awaitables, return_exceptions=False):
    """Run *awaitables* concurrently and return their results in order.

    Coroutines are spawned as tasks; tasks are awaited as they are.  With
    ``return_exceptions=False`` the first failure (in time) cancels the
    remaining children that gather spawned and is raised; with True, each
    exception (``Cancelled`` included) is returned in its child's place.  If
    gather itself is cancelled, the children it spawned are cancelled too.
    """
    from runtime.loop.kernel import spawn

    tasks = []
    spawned = []
    for aw in awaitables:
        if isinstance(aw, Task):
            tasks.append(aw)
        else:
            task = spawn(aw if hasattr(aw, "send") else _await(aw))
            tasks.append(task)
            spawned.append(task)
    try:
        pending = [t for t in tasks if not t._done]
        while pending:
            await join(tuple(pending))
            still = []
            for t in pending:
                if not t._done:
                    still.append(t)
                elif t._exception is not None and not return_exceptions:
                    t._unobserved = False
                    raise t._exception
            pending = still
    except BaseException:
        for t in spawned:
            t.cancel()
        raise
    results = []
    for t in tasks:
        t._unobserved = False
        results.append(t._result if t._exception is None else t._exception)
    return results


async def _await(awaitable):
    return await awaitable
