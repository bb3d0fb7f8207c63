"""Synchronisation between tasks: Event, Lock, Semaphore, Queue.

Each primitive keeps a deque (a ``WaitQueue``) of parked tasks and wakes them through the
kernel.  Ownership is handed over on wake-up (a released lock goes straight
to the first waiter, a put item straight to the first getter), which is safe
because a woken task always resumes with what it was given: a cancellation
arriving after the wake-up waits for its next blocking await.
"""

__all__ = ["Event", "Lock", "Semaphore", "Queue", "QueueEmpty", "QueueFull", "WaitQueue"]

import copyreg
from collections import deque

from runtime.loop.traps import PARK


class QueueEmpty(Exception):
    """Raised by ``Queue.get_nowait`` when the queue is empty."""


class QueueFull(Exception):
    """Raised by ``Queue.put_nowait`` when the queue is full."""


class WaitQueue(deque):
    """The tasks parked on a primitive, first come first served.

    Discussion: a primitive pickled in a checkpoint (runtime.loop.checkpoints)
    comes back with an empty queue: its waiters are tasks of this process;
    the restored tasks park on it again.
    """

    __slots__ = ()

    def __reduce__(self):
        return WaitQueue, ()

    def __copy__(self):
        return WaitQueue()

    def __deepcopy__(self, memo):
        return WaitQueue()


class _Waiting:
    """What ``await event.wait()``, ``lock.acquire()``, ``queue.get()``... wait on.

    The first step calls the primitive's ``_start_<operation>(argument)``:
    ``(True, result)`` when there is no need to wait, else ``(False,
    waiters)``, and the task parks there.  The value it is woken with goes to
    ``_finish_<operation>(argument, value)``, whose result is the await's.
    Discussion: a small object rather than an ``async def``, so that a task
    suspended in it can be pickled and copied (runtime.machines.durable);
    ``reissue``, set when it is restored from a checkpoint, parks it again.
    """

    __slots__ = ("primitive", "operation", "argument", "waiters", "reissue")

    def __init__(self, primitive, operation, argument=None):
        self.primitive = primitive
        self.operation = operation
        self.argument = argument
        self.waiters = None  # where it parked, once it has
        self.reissue = None

    def __repr__(self):
        return f"<{type(self.primitive).__name__}.{self.operation}() waiting={self.waiters is not None}>"

    def __reduce__(self):
        return copyreg.__newobj__, (_Waiting,), (None, {name: getattr(self, name) for name in _Waiting.__slots__})

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
        if self.waiters is None:
            done, outcome = getattr(self.primitive, "_start_" + self.operation)(self.argument)
            if done:
                raise StopIteration(outcome)
            self.waiters = outcome
            return (PARK, outcome)
        raise StopIteration(getattr(self.primitive, "_finish_" + self.operation)(self.argument, value))

    def throw(self, error, *args):
        raise error

    def close(self):
        pass


def _wake_all(waiters, value=None):
    while waiters:
        task = waiters.popleft()
        task._kernel.wake(task, value)


class Event:
    """A flag tasks can wait for: ``wait()`` returns once ``set()`` has been called."""

    def __init__(self):
        self._set = False
        self._waiters = WaitQueue()

    def __repr__(self):
        return f"<Event {'set' if self._set else 'unset'} waiters={len(self._waiters)}>"

    def is_set(self):
        """Return True if the event is set."""
        return self._set

    def set(self):
        """Set the event and wake every waiting task."""
        self._set = True
        _wake_all(self._waiters)

    def clear(self):
        """Reset the event so that ``wait()`` blocks again."""
        self._set = False

    def wait(self):
        """Wait until the event is set (awaitable; its result is True)."""
        return _Waiting(self, "wait")

    def _start_wait(self, _):
        return (True, True) if self._set else (False, self._waiters)

    def _finish_wait(self, _, value):
        return True


class Lock:
    """A mutual-exclusion lock, handed to waiters in first-come order."""

    def __init__(self):
        self._locked = False
        self._waiters = WaitQueue()

    def __repr__(self):
        state = "locked" if self._locked else "unlocked"
        return f"<Lock {state} waiters={len(self._waiters)}>"

    def locked(self):
        """Return True if the lock is held."""
        return self._locked

    def acquire(self):
        """Wait until the lock is free and take it (awaitable; its result is True)."""
        return _Waiting(self, "acquire")

    def _start_acquire(self, _):
        if self._locked:
            return False, self._waiters  # the releaser hands the lock over to us
        self._locked = True
        return True, True

    def _finish_acquire(self, _, value):
        return True

    def release(self):
        """Release the lock, giving it to the first waiter if there is one."""
        if not self._locked:
            raise RuntimeError("Lock.release() of an unlocked lock")
        if self._waiters:
            task = self._waiters.popleft()
            task._kernel.wake(task)
        else:
            self._locked = False

    def __aenter__(self):
        return _Waiting(self, "enter")

    def _start_enter(self, _):
        done, outcome = self._start_acquire(None)
        return (True, None) if done else (False, outcome)

    def _finish_enter(self, _, value):
        return None

    async def __aexit__(self, *exc_info):
        self.release()


class Semaphore:
    """A counter of *value* permits; ``acquire()`` waits while none is left."""

    def __init__(self, value=1):
        if value < 0:
            raise ValueError("Semaphore value must be >= 0")
        self._value = value
        self._waiters = WaitQueue()

    def __repr__(self):
        return f"<Semaphore value={self._value} waiters={len(self._waiters)}>"

    def locked(self):
        """Return True if no permit is available."""
        return self._value == 0

    def acquire(self):
        """Take a permit, waiting for one if none is left (awaitable; its result is True)."""
        return _Waiting(self, "acquire")

    def _start_acquire(self, _):
        if self._value > 0:
            self._value -= 1
            return True, True
        return False, self._waiters  # the releaser hands its permit over to us

    def _finish_acquire(self, _, value):
        return True

    def release(self):
        """Return a permit, giving it to the first waiter if there is one."""
        if self._waiters:
            task = self._waiters.popleft()
            task._kernel.wake(task)
        else:
            self._value += 1

    def __aenter__(self):
        return _Waiting(self, "enter")

    def _start_enter(self, _):
        done, outcome = self._start_acquire(None)
        return (True, None) if done else (False, outcome)

    def _finish_enter(self, _, value):
        return None

    async def __aexit__(self, *exc_info):
        self.release()


class Queue:
    """A first-in first-out queue; *maxsize* <= 0 means unbounded."""

    def __init__(self, maxsize=0):
        self.maxsize = maxsize
        self._items = deque()
        self._getters = WaitQueue()   # tasks waiting for an item
        self._putters = WaitQueue()   # tasks waiting for room
        self._reserved = 0        # room promised to woken putters that have not run yet
        self._unfinished = 0      # items put and not yet marked task_done()
        self._all_done = Event()
        self._all_done.set()

    def __repr__(self):
        return (f"<Queue size={len(self._items)} maxsize={self.maxsize} "
                f"getters={len(self._getters)} putters={len(self._putters)}>")

    def qsize(self):
        """Return the number of items in the queue."""
        return len(self._items)

    def empty(self):
        """Return True if the queue holds no item."""
        return not self._items

    def full(self):
        """Return True if the queue holds (or has promised room for) maxsize items."""
        return 0 < self.maxsize <= len(self._items) + self._reserved

    def put_nowait(self, item):
        """Put *item* without waiting; raise QueueFull if there is no room."""
        if self.full():
            raise QueueFull
        self._deliver(item)

    def put(self, item):
        """Put *item*, waiting for room if the queue is full (awaitable)."""
        return _Waiting(self, "put", item)

    def _start_put(self, item):
        if self.full():
            return False, self._putters   # a getter wakes us with room reserved
        self._deliver(item)
        return True, None

    def _finish_put(self, item, value):
        self._reserved -= 1
        self._deliver(item)

    def get_nowait(self):
        """Return an item without waiting; raise QueueEmpty if there is none."""
        if not self._items:
            raise QueueEmpty
        return self._take()

    def get(self):
        """Return the next item, waiting for one if the queue is empty (awaitable)."""
        return _Waiting(self, "get")

    def _start_get(self, _):
        if self._items:
            return True, self._take()
        return False, self._getters   # a putter wakes us with the item

    def _finish_get(self, _, item):
        return item

    def task_done(self):
        """Mark one retrieved item as processed, for ``join()``."""
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if not self._unfinished:
            self._all_done.set()

    def join(self):
        """Wait until every item put has been marked done with ``task_done()`` (awaitable)."""
        return _Waiting(self, "join")

    def _start_join(self, _):
        return (True, None) if self._all_done._set else (False, self._all_done._waiters)

    def _finish_join(self, _, value):
        return None

    def _deliver(self, item):
        self._unfinished += 1
        self._all_done.clear()
        if self._getters:
            task = self._getters.popleft()
            task._kernel.wake(task, item)   # straight to the first getter
        else:
            self._items.append(item)

    def _take(self):
        item = self._items.popleft()
        if self._putters:
            self._reserved += 1
            task = self._putters.popleft()
            task._kernel.wake(task)
        return item
