"""The one way a coroutine talks to the kernel: yielding a trap.

A trap is a ``(code, argument)`` tuple.  The kernel reads the code, files the
task in the matching wait structure, and later resumes it with a value (or
throws an exception into it).  Every blocking primitive in the runtime is a
tiny function over :func:`trap`; nothing else yields to the loop, so the
kernel has exactly one place where tasks suspend.
"""

__all__ = [
    "READ", "WRITE", "SLEEP", "PARK", "JOIN", "TRAP_NAMES",
    "trap", "sleep", "wait_readable", "wait_writable", "park", "join",
]

import types

# Trap codes index the kernel's dispatch table, so they are small integers.
READ = 0    # wait until a file descriptor is readable
WRITE = 1   # wait until a file descriptor is writable
SLEEP = 2   # wait until a deadline passes (or yield the processor if <= 0)
PARK = 3    # wait in a wait queue until someone wakes the task
JOIN = 4    # wait until one of some tasks finishes

TRAP_NAMES = ("read", "write", "sleep", "park", "join")


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
