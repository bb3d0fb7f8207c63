"""What ``runtime.run(..., trace=True)`` prints: the article's loop, one turn at a time.

A turn of the kernel is the article's three steps, in the kernel's order::

    -- turn 6 at 0.032 s ----------------------------------------
      nearest timer in 0.270 s: timeout of task 1 (0.3 s)
      epoll_wait(timeout=0.270)
        -> fd 6 readable: task 4 reads
      timers due: none
      ready queue: task 4
      run task 4 send_to_server
          before  send_to_server line 66 {addr='http://127.0.0.1:38835/', time_before_next_request=0}
                    awaiting http_get line 53 < HTTPClient.get line 140 < ... < sock_recv line 30
          after   send_to_server line 65 {addr='http://127.0.0.1:38835/', time_before_next_request=0.11, ...}
                    blocked on sleep 0.110 s

The records are read through the coroutine protocol alone (``cr_frame``,
``cr_await``, ``__qualname__``), so compiled and native coroutines show
alike.  ``TracingKernel`` (in ``runtime.loop.kernel``) calls the four
methods of ``LoopTrace``; nothing here runs unless tracing is on.
"""

__all__ = ["LoopTrace", "describe"]

import gc
import heapq
import reprlib
import sys
from time import monotonic

from runtime.loop.traps import SLEEP, TRAP_NAMES

_CHAIN_LIMIT = 6  # awaited coroutines shown below a task's own record
_DUE_LIMIT = 8    # expired timers named in one turn

_values = reprlib.Repr()
_values.maxstring = 40
_values.maxother = 50
_values.maxlist = _values.maxtuple = _values.maxdict = _values.maxset = 4


class LoopTrace:
    """Print the turns of a loop to *file* (stderr by default).

    With *every* (seconds), only the first turn and then one turn each
    *every* seconds are printed, so that a long run shows a few turns; the
    turn numbers still count them all.
    """

    def __init__(self, file=None, every=None):
        self.file = file
        self.every = every
        self.turn = 0            # turns started so far
        self.shown = False       # whether the current turn is being printed
        self._last_shown = None  # when the last printed turn started
        self._started = monotonic()
        self._task = None        # the task that is running, whose "after" is due
        self._heap = None        # the timer heap as poll left it, to name what expires
        self._ran_any = False    # a task has run in this turn

    # -- called by TracingKernel ------------------------------------------------

    def start_turn(self, kernel, timeout):
        """A turn begins: it is about to poll with *timeout* (seconds, -1 for none)."""
        self.end_turn(kernel)
        self.turn += 1
        now = monotonic()
        self.shown = (self.every is None or self._last_shown is None
                      or now - self._last_shown >= self.every)
        if not self.shown:
            return
        self._last_shown = now
        self._ran_any = False
        self._write(f"-- turn {self.turn} at {now - self._started:.3f} s " + "-" * 40)
        self._write("  " + _nearest_timer(kernel.timers, now))
        if timeout < 0:
            wait = "epoll_wait(timeout=-1): no timer, nothing ready: wait for an fd"
        elif timeout == 0 and kernel.ready:
            wait = f"epoll_wait(timeout=0): {len(kernel.ready)} task(s) ready, only a look"
        else:
            wait = f"epoll_wait(timeout={timeout:.3f})"
        self._write("  " + wait)

    def polled(self, kernel, events):
        """The poll returned *events*, before the kernel wakes anyone."""
        if not self.shown:
            return
        if not events:
            self._write("    -> no fd ready")
        for fd, mask in events:
            self._write(f"    -> fd {fd} {_readiness(mask)}: {_waiters(kernel.io.get(fd))}")
        # Discussion: the kernel pops the due entries next; which ones were
        # live (not a cancelled sleep) must be read now, before it does.
        timers = kernel.timers
        self._heap = (len(timers), [(entry, _timer_owner(entry))
                                    for entry in heapq.nsmallest(_DUE_LIMIT, timers)])

    def running(self, kernel, task, ready):
        """*task* was just taken off the *ready* queue and is about to run."""
        if not self.shown:
            return
        self._after(kernel)
        self._first_run(kernel, ", ".join(f"task {t.id}" for t in (task, *ready)))
        self._task = task
        self._write(f"  run task {task.id} {_name(task.coro)}")
        self._write_record("before", task.coro)

    def end_turn(self, kernel):
        """The turn is over (the next one starts, or the loop stops)."""
        if not self.shown:
            return
        self._after(kernel)
        self._first_run(kernel, "empty")

    # -- the pieces ---------------------------------------------------------------

    def _first_run(self, kernel, queue):
        """Close the timers phase and show the ready queue, once a turn."""
        if not self._ran_any:
            self._ran_any = True
            self._timers_due(kernel)
            self._write(f"  ready queue: {queue}")

    def _after(self, kernel):
        task, self._task = self._task, None
        if task is None:
            return
        if task._done:
            outcome = ("returned " + _values.repr(task._result) if task._exception is None
                       else "raised " + _values.repr(task._exception))
            self._write(f"      after   done: {outcome}")
            return
        self._write_record("after", task.coro)
        if task._blocked is not None:
            what = TRAP_NAMES[task._blocked]
            if task._blocked <= 1:
                what += f" fd {task._wait}"
            elif task._blocked == SLEEP:
                what += f" {task._wait[0] - monotonic():.3f} s"
            self._write(f"                blocked on {what}")
        elif task in kernel.ready:
            self._write("                ready again (next turn)")

    def _timers_due(self, kernel):
        # Between poll and the first task the kernel only pops the heap, so
        # what expired is the smallest entries of the heap as poll left it.
        heap, self._heap = self._heap, None
        if heap is None:
            return
        count, smallest = heap
        due = count - len(kernel.timers)
        names = [owner for _, owner in smallest[:due]]
        if due > len(smallest):
            names.append(f"and {due - len(smallest)} more")
        self._write("  timers due: " + (", ".join(names) if names else "none"))

    def _write_record(self, label, coro):
        self._write(f"      {label:<7} {describe(coro)}")
        chain = _await_chain(coro)
        if chain:
            self._write("                awaiting " + " < ".join(chain))

    def _write(self, line):
        print(line, file=self.file or sys.stderr, flush=True)


def describe(coro):
    """Return the article's record of *coro*: ``function line N {variables}``."""
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    if frame is None:
        return f"{_name(coro)} done"
    try:
        variables = frame.f_locals
    except Exception:  # noqa: BLE001 - a record is best effort, never a crash
        variables = {}
    shown = ", ".join(f"{name}={_values.repr(value)}" for name, value in variables.items())
    return f"{_name(coro)} line {frame.f_lineno} {{{shown}}}"


def _await_chain(coro):
    """Name the coroutines *coro* is awaiting, outermost first: ``name line N``."""
    links = []
    awaited = _awaited(coro)
    while awaited is not None and len(links) < _CHAIN_LIMIT:
        if getattr(awaited, "__qualname__", None) == "trap":
            break  # the runtime's one suspension point: "blocked on" says what for
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        line = f" line {frame.f_lineno}" if frame is not None else ""
        links.append(_name(awaited) + line)
        awaited = _awaited(awaited)
    return links


def _awaited(coro):
    awaited = getattr(coro, "cr_await", None)
    if awaited is None:
        awaited = getattr(coro, "gi_yieldfrom", None)
    return _coroutine_behind(awaited)


def _coroutine_behind(iterator):
    """The coroutine an ``__await__()`` iterator drives, where one can be found."""
    machine = getattr(iterator, "machine", None)  # a compiled machine's _AwaitIterator
    if machine is not None:
        return machine
    if type(iterator).__name__ == "coroutine_wrapper":
        # Discussion: what a native coroutine's __await__() returns names its
        # coroutine nowhere but in its references; tracing is the only reader.
        referents = gc.get_referents(iterator)
        return referents[0] if len(referents) == 1 else iterator
    return iterator


def _name(coro):
    return getattr(coro, "__qualname__", None) or type(coro).__name__


def _nearest_timer(timers, now):
    if not timers:
        return "nearest timer: none"
    deadline, what = timers[0]
    return f"nearest timer in {max(deadline - now, 0):.3f} s: {_timer_owner(timers[0])}"


def _timer_owner(entry):
    what = entry[1]
    task = getattr(what, "_task", None)
    if task is not None:  # a timeout scope
        return f"timeout of task {task.id} ({what.seconds} s)"
    if getattr(what, "_wait", None) is not entry:
        return f"task {what.id} (cancelled sleep, skipped)"
    return f"task {what.id} {_name(what.coro)} asleep"


def _readiness(mask):
    from runtime.loop.selector_poller import EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT

    words = [word for bit, word in ((EPOLLIN, "readable"), (EPOLLOUT, "writable"),
                                    (EPOLLHUP, "hung up"), (EPOLLERR, "error")) if mask & bit]
    return "+".join(words) or f"mask {mask:#x}"


def _waiters(entry):
    if entry is None:
        return "nobody waits on it (stale)"
    reader, writer = entry
    names = []
    if reader is not None:
        names.append(f"task {reader.id} reads")
    if writer is not None:
        names.append(f"task {writer.id} writes")
    return ", ".join(names) or "nobody waits on it"
