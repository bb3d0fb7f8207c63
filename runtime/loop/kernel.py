"""The kernel: the article's event loop, made real.

Design rules:

1. One loop, three phases: poll for I/O readiness, expire timers, run the
   tasks that are ready.  A task runs until it yields a trap that blocks.
2. A coroutine reaches the kernel only by yielding a trap (``runtime.loop.traps``).
   The kernel drives coroutines with ``send()`` and ``throw()`` alone, so any
   object implementing the coroutine protocol runs as a task.
3. A blocked task sits in exactly one wait structure (an fd's reader or writer
   slot, the timer heap, a wait queue, other tasks' joiners) and records
   which one on itself, so that cancellation can always take it out again.
4. Cancellation is an exception thrown in at the task's current blocking trap,
   or at its next one if the task is running or ready.  A timeout is a
   cancellation that its scope turns into ``TimeoutError``.
5. The kernel holds every unfinished task.  A task that fails with nobody
   awaiting it is logged; no exception is lost.
6. File descriptors are armed with ``EPOLLONESHOT``: readiness wakes a waiter
   once and the kernel re-arms for whoever still waits.  I/O calls are tried
   first; a task waits only when the call would block.
7. On exit, remaining tasks are cancelled and run to completion, unfinished
   async generators are closed, and every fd the kernel opened is closed.
8. Tracing (``run(..., trace=True)``) is a ``TracingKernel``, chosen once by
   ``run()``: it watches the loop from the two places every turn passes
   through, the poller and the ready queue, so the loop's code is the same
   with tracing on or off, and a plain ``Kernel`` pays nothing for it.
"""

__all__ = ["Kernel", "TracingKernel", "run", "spawn", "current_task", "running_kernel"]

import heapq
import os
import select
import selectors
import sys
import weakref
from collections import deque
from time import monotonic

from runtime.loop.errors import Cancelled, ClosedResourceError
from runtime.loop.selector_poller import (
    EPOLLERR,
    EPOLLHUP,
    EPOLLIN,
    EPOLLONESHOT,
    EPOLLOUT,
    SelectorPoller,
)
from runtime.loop.tasks import Task
from runtime.loop.traps import JOIN, PARK, READ, SLEEP, WRITE

BLOCKED = object()  # returned by a trap handler when the task must wait

_ARM_READ = EPOLLIN | EPOLLONESHOT
_ARM_WRITE = EPOLLOUT | EPOLLONESHOT
_ARM_BOTH = EPOLLIN | EPOLLOUT | EPOLLONESHOT
_WAKES_READER = EPOLLIN | EPOLLHUP | EPOLLERR
_WAKES_WRITER = EPOLLOUT | EPOLLHUP | EPOLLERR

_running = None  # the Kernel inside run(), if any


def running_kernel():
    """Return the kernel of the running ``run()`` call; raise RuntimeError outside one."""
    if _running is None:
        raise RuntimeError("no runtime loop is running (call this inside runtime.run())")
    return _running


def spawn(coro):
    """Schedule *coro* as a new task of the running loop and return its Task."""
    if _running is None:
        raise RuntimeError("spawn() needs a running loop (call it inside runtime.run())")
    return _running.spawn(coro)


def current_task():
    """Return the Task that is running now."""
    return running_kernel().current


def _make_poller(selector):
    if selector is None and os.environ.get("RUNTIME_POLLER") == "selectors":
        selector = selectors.DefaultSelector
    if selector is None and hasattr(select, "epoll"):
        return select.epoll()
    return SelectorPoller((selector or selectors.DefaultSelector)())


class Kernel:
    """The loop: a ready queue, a timer heap and a poller, and the tasks among them."""

    __slots__ = ("poller", "ready", "timers", "io", "tasks", "current", "main", "sockets",
                 "asyncgens", "unobserved", "closed")

    def __init__(self, selector=None):
        self.poller = _make_poller(selector)   # select.epoll, or the selectors fallback
        self.ready = deque()                   # tasks that can run now
        self.timers = []                       # heap of (deadline, task asleep or timeout scope)
        self.io = {}                           # fd -> [reader task, writer task]
        self.tasks = set()                     # every unfinished task: strong references
        self.current = None                    # the task being run
        self.main = None                       # the task run() returns the result of
        self.sockets = set()                   # sockets the runtime opened, closed on exit
        self.asyncgens = weakref.WeakSet()     # async generators started under this kernel
        self.unobserved = weakref.WeakSet()    # failed tasks nobody has asked about yet
        self.closed = False

    def __repr__(self):
        return (f"<Kernel tasks={len(self.tasks)} ready={len(self.ready)} "
                f"timers={len(self.timers)} fds={len(self.io)}>")

    # ------------------------------------------------------------------ tasks

    def spawn(self, coro):
        """Create a Task for *coro* and make it ready."""
        if not hasattr(coro, "send"):
            if not hasattr(coro, "__await__"):
                raise TypeError(f"spawn() needs a coroutine, got {coro!r}")
            coro = _await(coro)
        task = Task(coro, self)
        self.tasks.add(task)
        self.ready.append(task)
        return task

    def wake(self, task, value=None):
        """Make a parked *task* ready, resuming with *value*; the waker has unqueued it."""
        task._blocked = None
        task._wait = None
        task._next_value = value
        self.ready.append(task)

    def cancel(self, task, exc=None):
        """Deliver *exc* (a new Cancelled by default) to *task*; return False if it is done."""
        if task._done:
            return False
        if exc is None:
            queued = task._next_exc
            if queued.__class__ is Cancelled and not queued.args:
                return True  # a plain cancel is already on its way
            exc = Cancelled()
        if task._blocked is not None:
            self._unblock(task)
            task._next_exc = exc
            self.ready.append(task)
        elif task._cancel is None:
            # Discussion: a running or ready task gets it at its next blocking
            # trap, so a value (or error) it was already woken with is never lost.
            task._cancel = exc
        return True

    def _unblock(self, task):
        code = task._blocked
        wait = task._wait
        if code == READ or code == WRITE:
            entry = self.io.get(wait)
            if entry is not None and entry[code] is task:
                entry[code] = None
        elif code == PARK:
            wait.remove(task)
        elif code == JOIN:
            for other in wait:
                if other._joiners is not None and task in other._joiners:
                    other._joiners.remove(task)
        # SLEEP: the heap entry stays and is skipped when it comes up (lazy deletion).
        task._blocked = None
        task._wait = None

    def _finish(self, task, result, exc):
        task._done = True
        task._result = result
        task._exception = exc
        task._cancel = None
        self.tasks.discard(task)
        joiners = task._joiners
        if joiners:
            task._joiners = None
            for joiner in joiners:
                self._unblock(joiner)
                joiner._next_value = None
                self.ready.append(joiner)
        elif (exc is not None and task is not self.main
              and not isinstance(exc, (Cancelled, KeyboardInterrupt, SystemExit))):
            task._unobserved = True
            self.unobserved.add(task)

    # -------------------------------------------------------------- file descriptors

    def add_timer(self, deadline, what):
        """Push *what* (a Task asleep, or a timeout scope) on the timer heap; return the entry."""
        entry = (deadline, what)
        heapq.heappush(self.timers, entry)
        return entry

    def forget_fd(self, fd):
        """Stop watching *fd* and wake its waiters with ClosedResourceError; call before closing it."""
        self.fail_fd(fd, ClosedResourceError(9, "file descriptor closed while waiting on it"))

    def fail_fd(self, fd, error):
        """Stop watching *fd* and throw *error* into every task waiting on it."""
        entry = self.io.pop(fd, None)
        if entry is None:
            return
        for task in entry:
            if task is not None and task._blocked is not None:
                task._blocked = None
                task._wait = None
                task._next_exc = error
                self.ready.append(task)
        try:
            self.poller.unregister(fd)
        except (OSError, KeyError, ValueError):
            pass  # never registered, or already gone with the file

    # ---------------------------------------------------------------- the loop

    def run_until(self, main=None):
        """Run the loop until *main* is done, or, with None, until no task is left."""
        ready = self.ready
        popleft = ready.popleft
        ready_append = ready.append
        timers = self.timers
        tasks = self.tasks
        io = self.io
        poller = self.poller
        poll = poller.poll
        modify = poller.modify
        register = poller.register
        heappop = heapq.heappop
        heappush = heapq.heappush
        finish = self._finish

        def arm(fd, mask):
            try:
                modify(fd, mask)
            except FileNotFoundError:
                register(fd, mask)

        def trap_read(task, fd):
            entry = io.get(fd)
            if entry is None:
                entry = io[fd] = [None, None]
            elif entry[0] is not None:
                raise RuntimeError(f"{entry[0]!r} is already waiting to read fd {fd}")
            mask = _ARM_READ if entry[1] is None else _ARM_BOTH
            try:
                modify(fd, mask)
            except FileNotFoundError:
                register(fd, mask)
            entry[0] = task
            task._blocked = READ
            task._wait = fd
            return BLOCKED

        def trap_write(task, fd):
            entry = io.get(fd)
            if entry is None:
                entry = io[fd] = [None, None]
            elif entry[1] is not None:
                raise RuntimeError(f"{entry[1]!r} is already waiting to write fd {fd}")
            mask = _ARM_WRITE if entry[0] is None else _ARM_BOTH
            try:
                modify(fd, mask)
            except FileNotFoundError:
                register(fd, mask)
            entry[1] = task
            task._blocked = WRITE
            task._wait = fd
            return BLOCKED

        def trap_sleep(task, seconds):
            if seconds <= 0:
                task._next_value = None
                ready_append(task)
                return BLOCKED
            # Discussion: the entry itself marks the sleep; a cancelled sleep
            # leaves its entry in the heap, and it no longer matches _wait.
            entry = (monotonic() + seconds, task)
            heappush(timers, entry)
            task._blocked = SLEEP
            task._wait = entry
            return BLOCKED

        def trap_park(task, waiters):
            waiters.append(task)
            task._blocked = PARK
            task._wait = waiters
            return BLOCKED

        def trap_join(task, others):
            for other in others:
                if other._done:
                    return None
            for other in others:
                if other._joiners is None:
                    other._joiners = [task]
                else:
                    other._joiners.append(task)
            task._blocked = JOIN
            task._wait = others
            return BLOCKED

        def trap_checkpoint(task, path):
            from runtime.loop.checkpoints import save_task

            save_task(task, path, answer=True)
            return False  # go on: the process that restores it gets True

        traps = (trap_read, trap_write, trap_sleep, trap_park, trap_join, trap_checkpoint)

        while not (main._done if main is not None else not tasks):

            # ------------------------------------------------------ I/O polling
            if ready:
                timeout = 0
            elif timers:
                timeout = timers[0][0] - monotonic()
                if timeout < 0:
                    timeout = 0
            else:
                timeout = -1
            for fd, mask in poll(timeout):
                entry = io.get(fd)
                if entry is None:
                    continue
                reader, writer = entry
                if reader is not None and mask & _WAKES_READER:
                    entry[0] = reader._blocked = reader._wait = reader._next_value = None
                    ready_append(reader)
                    reader = None
                if writer is not None and mask & _WAKES_WRITER:
                    entry[1] = writer._blocked = writer._wait = writer._next_value = None
                    ready_append(writer)
                    writer = None
                if reader is not None or writer is not None:
                    # One-shot disarmed the fd in both directions; re-arm for who still waits.
                    try:
                        arm(fd, _ARM_BOTH if reader is not None and writer is not None
                            else _ARM_READ if reader is not None else _ARM_WRITE)
                    except OSError as error:  # closed behind our back: tell the waiters
                        self.fail_fd(fd, error)

            # ----------------------------------------------------------- timers
            if timers:
                now = monotonic()
                while timers and timers[0][0] <= now:
                    entry = heappop(timers)
                    what = entry[1]
                    if what.__class__ is Task:
                        if what._wait is entry:
                            what._blocked = what._wait = what._next_value = None
                            ready_append(what)
                    else:
                        what.expire()

            # ------------------------------------------------ running ready tasks
            # Only the tasks ready now: ones they wake wait for the next turn,
            # so that a busy set of tasks cannot starve I/O and timers.
            for _ in range(len(ready)):
                current = self.current = popleft()
                value = current._next_value
                exc = current._next_exc
                if exc is not None:
                    current._next_exc = None
                coro = current.coro
                while True:
                    try:
                        if exc is None:
                            request = coro.send(value)
                        else:
                            request = coro.throw(exc)
                    except StopIteration as stop:
                        finish(current, stop.value, None)
                        break
                    except BaseException as error:
                        finish(current, None, error)
                        if isinstance(error, (KeyboardInterrupt, SystemExit)):
                            self.current = None
                            raise
                        break
                    exc = current._cancel
                    if exc is not None:
                        current._cancel = None
                        continue
                    try:
                        code, argument = request
                        value = traps[code](current, argument)
                    except Exception as error:
                        exc = error
                        continue
                    if value is BLOCKED:
                        break
            self.current = None

    # ------------------------------------------------------------- shutdown

    def cancel_all(self):
        """Cancel every unfinished task and make it ready to receive the cancellation."""
        self.ready.clear()
        for task in list(self.tasks):
            if task._blocked is not None:
                self._unblock(task)
            task._cancel = None
            task._next_exc = Cancelled()
            self.ready.append(task)

    def shutdown(self):
        """Finish remaining tasks and async generators, report lost failures, close every fd."""
        try:
            self.cancel_all()
            self.run_until(None)
            while self.asyncgens:
                for agen in list(self.asyncgens):
                    self.asyncgens.discard(agen)
                    self.spawn(agen.aclose())
                self.run_until(None)
            for task in list(self.unobserved):
                task.report()
        finally:
            self.closed = True
            for sock in list(self.sockets):
                sock.close()
            self.sockets.clear()
            self.io.clear()
            self.poller.close()

    def asyncgen_firstiter(self, agen):
        """Hook for ``sys.set_asyncgen_hooks``: remember *agen* so shutdown can close it."""
        self.asyncgens.add(agen)

    def asyncgen_finalizer(self, agen):
        """Hook for ``sys.set_asyncgen_hooks``: close a collected, unfinished *agen* in a task."""
        self.asyncgens.discard(agen)
        if not self.closed:
            self.spawn(agen.aclose())


class TracingKernel(Kernel):
    """The same loop, narrated turn by turn by a ``runtime.loop.trace.LoopTrace``.

    Discussion: nothing in the loop asks whether it is traced.  Each turn
    starts with one ``poll`` (the timeout and the ready fds are there), and
    each task run starts with one ``popleft`` of the ready queue (the task's
    record before; the next ``popleft`` or ``poll`` is when it stopped).  So
    the narrator wraps those two objects, and the untraced ``Kernel`` runs
    exactly the code it runs without this class.
    """

    __slots__ = ("trace",)

    def __init__(self, selector=None, trace=None):
        super().__init__(selector)
        if trace is None:
            from runtime.loop.trace import LoopTrace
            trace = LoopTrace()
        self.trace = trace                          # what prints each turn
        self.poller = _TracedPoller(self.poller, self)
        self.ready = _TracedReady(self)

    def run_until(self, main=None):
        try:
            super().run_until(main)
        finally:
            self.trace.end_turn(self)


class _TracedPoller:
    """The kernel's poller, telling the trace when each turn polls and what came back."""

    __slots__ = ("_poller", "_kernel", "modify", "register", "unregister", "close")

    def __init__(self, poller, kernel):
        self._poller = poller
        self._kernel = kernel
        self.modify = poller.modify
        self.register = poller.register
        self.unregister = poller.unregister
        self.close = poller.close

    def poll(self, timeout=-1):
        kernel = self._kernel
        kernel.trace.start_turn(kernel, timeout)
        events = self._poller.poll(timeout)
        kernel.trace.polled(kernel, events)
        return events


class _TracedReady(deque):
    """The ready queue, telling the trace which task is about to run."""

    __slots__ = ("_kernel",)

    def __init__(self, kernel):
        super().__init__()
        self._kernel = kernel

    def popleft(self):
        task = super().popleft()
        self._kernel.trace.running(self._kernel, task, self)
        return task


def _make_kernel(selector, trace):
    if trace is None:
        trace = os.environ.get("RUNTIME_TRACE", "") not in ("", "0")
    if not trace:
        return Kernel(selector)
    return TracingKernel(selector, None if trace is True else trace)


async def _await(awaitable):
    return await awaitable


def run(coro, *, selector=None, trace=None):
    """Run *coro* to completion on a new loop and return its result, or raise its exception.

    Then every task still running is cancelled and finished, unfinished async
    generators are closed, and every file descriptor the loop opened is
    closed.  KeyboardInterrupt cancels all tasks the same way and is re-raised.

    The loop uses ``select.epoll`` when it exists.  Passing a ``selectors``
    selector class as *selector* (or setting ``RUNTIME_POLLER=selectors``)
    uses that instead, through the same interface.

    With *trace* true (or ``RUNTIME_TRACE=1`` in the environment, when *trace*
    is not given), each turn of the loop is printed to stderr: the nearest
    timer and the timeout passed to ``epoll_wait``, the file descriptors that
    came back ready, the timers that expired, and each task run with its
    ``{function, line, variables}`` record before and after.  A
    ``runtime.LoopTrace`` as *trace* chooses the file and how
    often a turn is printed.
    """
    global _running
    if _running is not None:
        raise RuntimeError("runtime.run() cannot be called while a loop is running")
    kernel = _make_kernel(selector, trace)
    hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=kernel.asyncgen_firstiter,
                           finalizer=kernel.asyncgen_finalizer)
    _running = kernel
    try:
        try:
            main = kernel.main = kernel.spawn(coro)
            kernel.run_until(main)
        finally:
            kernel.shutdown()
        return main.result()
    finally:
        _running = None
        sys.set_asyncgen_hooks(*hooks)
