"""Awaiting from inside an ``except`` or ``finally`` block.

While a coroutine awaits inside ``except`` (or inside ``finally`` with an
exception on its way), CPython keeps that exception "being handled" for
everything the await runs: ``sys.exc_info()`` in the awaited coroutine
returns it, and an exception raised there gets it as ``__context__``.

A compiled coroutine suspends by returning from ``resume``, which leaves the
``except`` block.  So an await inside one returns ``Handling(awaitable)``
instead: it remembers the exception being handled, and every step of the
awaited code runs inside an ``except`` block for it again.
"""

import sys
from types import TracebackType

__all__ = ["Handling", "entered_except", "exc_info"]


def exc_info(error):
    """``sys.exc_info()`` in the ``except`` clause that caught ``error``: what ``__exit__`` is called with."""
    return type(error), error, error.__traceback__


def entered_except(machine, caught):
    """Return ``caught``, which an ``except`` clause that awaits keeps while it is suspended.

    To resume inside the clause, ``resume`` raises it again at the top of its
    ``try`` (``machine.state`` is then the await's, not 0), which puts that
    frame in its traceback a second time: the raise is dropped from it.

    Discussion: the entry it was caught at first, by an earlier call of
    resume, stays, with its line, but now names this call's frame.  Natively
    there is one frame, which the traceback holds, and with it the
    function's locals: if the clause raises the exception again, they go
    when its traceback does.  Compiled, they then move to the caller of this
    call (``Machine._raised_out``), which this frame's ``f_back`` links to;
    the earlier call's frame, cleared when the clause suspended, links to a
    call of the machinery that has finished.
    """
    if machine.state:
        here = caught.__traceback__
        first = here.tb_next
        if first is not None and first.tb_frame.f_code is here.tb_frame.f_code:
            first = TracebackType(first.tb_next, here.tb_frame, first.tb_lasti, first.tb_lineno)
        caught.__traceback__ = first
    return caught


# runtime.machines.statemachine's, which imports this module: it puts it here.
# Not imported where it is used: an import fails while the interpreter exits,
# when a module's suspended coroutine is closed (its ``async with`` exits here).
_await_iterator = None


class Handling:
    """An awaitable awaited while an exception is being handled."""

    __slots__ = ("awaitable", "exception")

    def __init__(self, awaitable, pending=True):
        self.awaitable = awaitable
        # In a ``finally`` clause: handling one only when it runs because of
        # one (``pending``); otherwise sys.exc_info() is whatever the caller
        # handles, which the awaited code sees anyway (and at each step).
        self.exception = sys.exc_info()[1] if pending else None

    def __await__(self):
        iterator = _await_iterator(self.awaitable)
        if self.exception is None:
            return iterator
        return _HandlingIterator(iterator, self.exception)


class _HandlingIterator:
    __slots__ = ("iterator", "exception")

    def __init__(self, iterator, exception):
        self.iterator = iterator
        self.exception = exception

    def __iter__(self):
        return self

    def __next__(self):
        return self._step(self.iterator.__next__)

    def send(self, value):
        if value is None:
            return self._step(self.iterator.__next__)
        return self._step(self.iterator.send, value)

    # Discussion: a throw (and close, which throws GeneratorExit) is not a
    # step of the awaiting function.  CPython forwards it to the awaited code
    # without making the awaiting coroutine's exception state current (only
    # the coroutine that the exception is raised in pushes its own), so the
    # awaited code handles it under its caller's state, not this one.  If it
    # comes back out, ``Machine._throw`` chains it to ``exception``.

    def throw(self, error, *args):
        throw = getattr(self.iterator, "throw", None)
        try:
            if throw is None:
                raise error  # as CPython does: raised at the await itself
            return throw(error, *args)
        finally:
            # The exception that comes out has this frame on its traceback (or
            # as the f_back of the awaited code's frames there): holding it
            # here would be a cycle, keeping it and the awaiting machine, whose
            # resume's frame it holds, alive until the collector ran.
            error = args = throw = None

    def close(self):
        close = getattr(self.iterator, "close", None)
        if close is not None:
            return close()
        return None

    def _step(self, method, *args):
        exception = self.exception
        traceback = exception.__traceback__
        context = exception.__context__
        try:
            raise exception
        except BaseException:
            # Raising it again added a frame, and chained it to whatever the
            # caller is handling: it is the same exception as before.
            exception.__traceback__ = traceback
            exception.__context__ = context
            # What the awaited code raises keeps this frame (and so self) in
            # its traceback: holding the handled exception here or in self
            # would be a cycle when that is the exception raised again.
            del exception, traceback, context
            try:
                return method(*args)
            except BaseException:
                self.exception = None  # the await is over
                raise
