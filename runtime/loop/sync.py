"""Synchronisation between tasks: Event, Lock, Semaphore, Queue.

Each primitive keeps a deque (a ``WaitQueue``) of parked tasks and wakes them through the
kernel.  Ownership is handed over on wake-up (a released lock goes straight
to the first waiter, a put item straight to the first getter), which is safe
because a woken task always resumes with what it was given: a cancellation
arriving after the wake-up waits for its next blocking await.
"""

__all__ = ["Event", "Lock", "Semaphore", "Queue", "QueueEmpty", "QueueFull", "WaitQueue"]

from collections import deque

from runtime.loop.traps import PARK, SavedStep, park, waiting_task
from runtime.machines.savers import SUSPENDED_COROUTINES


class QueueEmpty(Exception):
    """Raised by ``Queue.get_nowait`` when the queue is empty."""


class QueueFull(Exception):
    """Raised by ``Queue.put_nowait`` when the queue is full."""


class WaitQueue(deque):
    """The tasks parked on a primitive, first come first served.

    Discussion: a primitive pickled in a checkpoint (runtime.loop.checkpoints)
    or deep-copied comes back with an empty queue: its waiters are tasks of
    this process; the restored tasks park on it again.
    """

    __slots__ = ()

    def __reduce__(self):
        return WaitQueue, ()


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

    async def wait(self):
        """Wait until the event is set."""
        if not self._set:
            await park(self._waiters)
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

    async def acquire(self):
        """Wait until the lock is free and take it."""
        if self._locked:
            await park(self._waiters)  # the releaser hands the lock over to us
        else:
            self._locked = True
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

    async def __aenter__(self):
        await self.acquire()

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

    async def acquire(self):
        """Take a permit, waiting for one if none is left."""
        if self._value > 0:
            self._value -= 1
        else:
            await park(self._waiters)  # the releaser hands its permit over to us
        return True

    def release(self):
        """Return a permit, giving it to the first waiter if there is one."""
        if self._waiters:
            task = self._waiters.popleft()
            task._kernel.wake(task)
        else:
            self._value += 1

    async def __aenter__(self):
        await self.acquire()

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

    async def put(self, item):
        """Put *item*, waiting for room if the queue is full."""
        if self.full():
            await park(self._putters)   # a getter wakes us with room reserved
            self._reserved -= 1
        self._deliver(item)

    def get_nowait(self):
        """Return an item without waiting; raise QueueEmpty if there is none."""
        if not self._items:
            raise QueueEmpty
        return self._take()

    async def get(self):
        """Return the next item, waiting for one if the queue is empty."""
        if self._items:
            return self._take()
        return await park(self._getters)   # a putter wakes us with the item

    def task_done(self):
        """Mark one retrieved item as processed, for ``join()``."""
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if not self._unfinished:
            self._all_done.set()

    async def join(self):
        """Wait until every item put has been marked done with ``task_done()``."""
        await self._all_done.wait()

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


# -- a wait, saved -------------------------------------------------------------------
#
# Discussion: the waiting methods above stay ``async def``s, the fastest
# awaitable there is.  A coroutine pickled or copied while one of them is
# parked (each has a single await: the park) is saved with a
# ``ParkedWait`` in its place, which does what the rest of the method does.


class ParkedWait(SavedStep):
    """A primitive's waiting method, parked: what is sent is what its park returns.

    ``reissue``, set when it is restored from a checkpoint, is the trap its
    first step yields: the park again, on the restored primitive.
    """

    __slots__ = ("primitive", "operation", "argument", "waiters", "reissue", "on_loop")

    def __init__(self, primitive, operation, argument, waiters, reissue=None, on_loop=False):
        self.primitive = primitive
        self.operation = operation
        self.argument = argument
        self.waiters = waiters
        self.reissue = reissue
        # Saved from a task parked on a loop (not from a coroutine driven by
        # hand, whose driver wakes it by sending): loaded, it parks again.
        self.on_loop = on_loop

    def __reduce__(self):
        return _loaded, (self.primitive, self.operation, self.argument, self.waiters, self.reissue, self.on_loop)

    def __repr__(self):
        return f"<parked {type(self.primitive).__name__}.{self.operation}()>"

    def result(self, value):
        return _AFTER_PARK[self.operation](self.primitive, self.argument, value)


def _after_put(queue, item, value):
    queue._reserved -= 1
    queue._deliver(item)


# What each waiting method does after its park, given (primitive, argument, woken with).
_AFTER_PARK = {
    "wait": lambda primitive, argument, value: True,
    "acquire": lambda primitive, argument, value: True,
    "enter": lambda primitive, argument, value: None,
    "get": lambda primitive, argument, value: value,
    "put": _after_put,
    "join": lambda primitive, argument, value: None,
}


def _loaded(primitive, operation, argument, waiters, reissue, on_loop):
    """A ParkedWait, loaded (or copied): one that was parked on a loop parks again, on the restored primitive."""
    if on_loop and reissue is None:
        reissue = (PARK, waiters)
    return ParkedWait(primitive, operation, argument, waiters, reissue)


def _saver(operation, waiters, argument=None):
    """How to save a suspended coroutine of one of the waiting methods (runtime.machines.durable)."""

    def save(coroutine):
        frame_locals = coroutine.cr_frame.f_locals
        primitive = frame_locals["self"]
        return ParkedWait(
            primitive, operation, frame_locals[argument] if argument else None, waiters(primitive),
            on_loop=waiting_task(PARK, coroutine) is not None,
        )

    return save


for _method, _operation, _waiters, _argument in (
    (Event.wait, "wait", lambda event: event._waiters, None),
    (Lock.acquire, "acquire", lambda lock: lock._waiters, None),
    (Lock.__aenter__, "enter", lambda lock: lock._waiters, None),
    (Semaphore.acquire, "acquire", lambda semaphore: semaphore._waiters, None),
    (Semaphore.__aenter__, "enter", lambda semaphore: semaphore._waiters, None),
    (Queue.get, "get", lambda queue: queue._getters, None),
    (Queue.put, "put", lambda queue: queue._putters, "item"),
    (Queue.join, "join", lambda queue: queue._all_done._waiters, None),
):
    SUSPENDED_COROUTINES[_method.__code__] = _saver(_operation, _waiters, _argument)
del _method, _operation, _waiters, _argument
