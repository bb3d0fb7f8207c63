"""The one way a coroutine talks to the kernel: yielding a trap.

A trap is a ``(code, argument)`` tuple.  The kernel reads the code, files the
task in the matching wait structure, and later resumes it with a value (or
throws an exception into it).  Every blocking primitive in the runtime is a
tiny function over :func:`trap`; nothing else yields to the loop, so the
kernel has exactly one place where tasks suspend.
"""

__all__ = [
    "READ", "WRITE", "SLEEP", "PARK", "JOIN", "CHECKPOINT", "TRAP_NAMES",
    "trap", "sleep", "wait_readable", "wait_writable", "park", "join", "PendingTrap", "waiting_task",
]

import time
import types

from runtime.machines.savers import SUSPENDED_GENERATORS

# Trap codes index the kernel's dispatch table, so they are small integers.
READ = 0    # wait until a file descriptor is readable
WRITE = 1   # wait until a file descriptor is writable
SLEEP = 2   # wait until a deadline passes (or yield the processor if <= 0)
PARK = 3    # wait in a wait queue until someone wakes the task
JOIN = 4    # wait until one of some tasks finishes
CHECKPOINT = 5  # save the task to a file (runtime.loop.checkpoints), then go on

TRAP_NAMES = ("read", "write", "sleep", "park", "join", "checkpoint")


@types.coroutine
def trap(code, argument):
    """Suspend the calling task with one trap and return what the kernel sends back."""
    return (yield (code, argument))


def sleep(seconds):
    """Suspend the calling task for *seconds*; ``sleep(0)`` lets other ready tasks run first."""
    return trap(SLEEP, seconds)


def wait_readable(fileobj):
    """Suspend until *fileobj* (a socket, file or raw fd) is readable, or hung up."""
    return trap(READ, fileobj if fileobj.__class__ is int else fileobj.fileno())


def wait_writable(fileobj):
    """Suspend until *fileobj* (a socket, file or raw fd) is writable, or hung up."""
    return trap(WRITE, fileobj if fileobj.__class__ is int else fileobj.fileno())


def park(waiters):
    """Append the calling task to the deque *waiters* and suspend until woken.

    Whoever wakes the task removes it from *waiters* and chooses the value it
    resumes with (see ``Kernel.wake``); cancellation removes it too.
    """
    return trap(PARK, waiters)


def join(tasks):
    """Suspend until any task of the tuple *tasks* is done."""
    return trap(JOIN, tasks)


class SavedStep:
    """Where a saved coroutine waits, in place of a generator that cannot be pickled.

    It is awaited as the generator was: its first step yields ``reissue``
    when that is set (the wait asked again of a restored kernel), and what is
    sent next ends it with ``result(value)``, which each kind defines.
    """

    __slots__ = ()

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        return self.send(None)

    def send(self, value):
        if self.reissue is not None:
            trap, self.reissue = self.reissue, None
            return trap
        raise StopIteration(self.result(value))

    def throw(self, error, *args):
        raise error

    def close(self):
        pass


class PendingTrap(SavedStep):
    """A trap that a pickled or copied coroutine was suspended at (see runtime.machines.durable).

    The trap generator itself cannot be pickled; this stands in for it: what
    is sent next is the trap's result, as it would have been.  A task
    restored from a checkpoint (runtime.loop.checkpoints) that must ask its
    new kernel again (the rest of a sleep) has ``reissue`` set: the trap its
    first step yields.  ``answer``, when set, is the result instead of what
    is sent (a restored ``checkpoint()`` returns True).
    """

    __slots__ = ("code", "argument", "reissue", "answer", "wakes_at")

    def __init__(self, code, argument, reissue=None, answer=None, wakes_at=None):
        self.code = code
        self.argument = argument
        self.reissue = reissue
        self.answer = answer
        # The wall time a sleep on a loop ends at: where it was saved from a
        # task asleep (not from a coroutine driven by hand, whose driver
        # ends the sleep by sending).  Loaded, the rest is asked again.
        self.wakes_at = wakes_at

    def __repr__(self):
        return f"<PendingTrap {TRAP_NAMES[self.code]} {self.argument!r}>"

    def __reduce__(self):
        return _loaded, (self.code, self.argument, self.reissue, self.answer, self.wakes_at)

    def result(self, value):
        return value if self.answer is None else self.answer


def _loaded(code, argument, reissue, answer, wakes_at):
    """A PendingTrap, loaded (or copied): a sleep that was on a loop asks it for the rest."""
    if wakes_at is not None and reissue is None:
        reissue = (SLEEP, max(0.0, wakes_at - time.time()))
    return PendingTrap(code, argument, reissue, answer)


def _pending(generator):
    frame_locals = generator.gi_frame.f_locals
    code = frame_locals["code"]
    wakes_at = _sleep_end(generator) if code == SLEEP else None
    return PendingTrap(code, frame_locals["argument"], wakes_at=wakes_at)


def _sleep_end(generator):
    """The wall time the task asleep in ``generator`` wakes at; None if no task of the loop is."""
    task = waiting_task(SLEEP, generator)
    return None if task is None else time.time() + max(0.0, task._wait[0] - time.monotonic())


def waiting_task(code, awaited):
    """The task of the running loop blocked on trap ``code`` in ``awaited``, or None.

    ``awaited`` is where its chain of awaits ends: a trap's generator, or a
    native coroutine of the runtime (``Event.wait``).  For saving a
    coroutine (runtime.machines.durable): whether a loop is waiting for it.
    """
    from runtime.loop import kernel
    from runtime.machines.durable import chain_ends_at

    loop = kernel._running
    if loop is None:
        return None
    for task in loop.tasks:
        if task._blocked == code and chain_ends_at(task.coro, awaited):
            return task
    return None


SUSPENDED_GENERATORS[trap.__code__] = _pending
