"""The base class of compiled async generators (PEP 525).

An async generator is a coroutine that stops twice over: at an ``await``
(its caller's event loop waits) and at a ``yield`` (its consumer gets a
value).  The compiled ``resume`` tells them apart by what it returns: an
awaitable, or a :class:`YieldValue`.

``__anext__``, ``asend``, ``athrow`` and ``aclose`` return small awaitables
(:class:`_Step`, named as CPython's types).  Awaiting one runs the generator until its next ``yield``
(the awaitable's result), its end (``StopAsyncIteration``) or an exception;
the awaits it meets on the way are passed through to whoever drives it.
Everything else (delegation, PEP 380 forwarding) is the ``StateMachine``'s.
"""

import copyreg
import sys
import warnings
from _collections_abc import AsyncGenerator as _AsyncGeneratorABC  # collections.abc re-exports it
from types import AsyncGeneratorType

from runtime.machines.handling import _HandlingIterator
from runtime.machines.statemachine import (
    _DIRECT_AWAITABLES,
    _MACHINERY_FILES,
    _MISSING,
    _RUNNING,
    _THREE_ARGUMENT_THROW_WARNS,
    DONE,
    Machine,
    _AwaitIterator,
    _delegate_of,
    _leave_machinery,
    _named_as_natively,
    _raise_before_start,
    _Raised,
    _release_frames,
    _three_argument_warning,
    _throw_as_given,
    _warn_never_awaited_method,
    _without_machinery,
    reraise,
    thrown_exception,
)

__all__ = ["AsyncGeneratorMachine", "YieldValue"]

_MACHINERY_FILES.add(__file__)  # its frames drive machines: see Machine._frame


class YieldValue:
    """What ``resume`` returns at a ``yield``: the value for the consumer.

    A ``yield`` inside ``except`` or ``finally`` says ``handling=True``: the
    exception being handled there is what an exception thrown in at that
    ``yield`` (``athrow``) gets as its context.
    """

    __slots__ = ("value", "handled")

    def __init__(self, value, handling=False):
        self.value = value
        self.handled = sys.exc_info()[1] if handling else None


class _Absent:
    """An attribute of the base class that this subclass does not have."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        raise AttributeError(f"'async_generator' object has no attribute '{self.name}'")


class AsyncGeneratorMachine(Machine):
    """A suspended async generator: ``async for`` and ``anext()`` drive it."""

    __slots__ = ("_hooked", "_finalizer", "_step", "_handled_at_yield", "_closed")

    _kind = "async generator"
    __class__ = AsyncGeneratorType  # what isinstance and dir() see (see Machine.__class__)

    def __init__(self):
        self.state = 0  # not started
        self._awaiting = None  # the iterator of the await it is suspended in
        self._hooked = False  # firstiter called
        self._finalizer = None
        self._step = None  # the asend/athrow awaitable running now, if any
        self._handled_at_yield = None  # the exception being handled at the current yield
        self._closed = False  # aclose() ran it (CPython's ag_closed): see _Step.send

    # -- the async iterator protocol ---------------------------------------------

    def __aiter__(self):
        return self

    # Each makes a step, as CPython's: the firstiter hook runs then, before
    # the step exists (async_gen_init_hooks), not when it is first awaited.

    def __anext__(self):
        if not self._hooked:
            self._first_iteration()
        return _Send(self, "send", None)

    def asend(self, value):
        if not self._hooked:
            self._first_iteration()
        return _Send(self, "send", value)

    def athrow(self, typ, val=_MISSING, tb=_MISSING):
        if (val is not _MISSING or tb is not _MISSING) and _THREE_ARGUMENT_THROW_WARNS:
            warnings.warn(_three_argument_warning("athrow"), DeprecationWarning, stacklevel=2)
        if not self._hooked:
            self._first_iteration()
        return _Throw(self, "throw", (typ, val, tb))

    def aclose(self):
        if not self._hooked:
            self._first_iteration()
        return _Throw(self, "close", None)

    def _first_iteration(self):
        self._hooked = True
        firstiter, finalizer = sys.get_asyncgen_hooks()
        self._finalizer = finalizer
        if firstiter is not None:
            firstiter(self)

    def __del__(self):
        state = self.state
        if state == DONE:
            return
        if self._reference is not None:
            self._reach_again()  # see there: the cycle collector let go of its weak references
        if self._hooked and self._finalizer is not None and not self._closed:
            # The event loop will aclose() it: one that never ran too, as
            # natively, once a step of it was made.  Not one aclose() ran
            # already (it yielded instead of ending): that is closed here.
            self._finalizer(self)
        elif state > 0:
            Machine.__del__(self)  # closed here, as CPython does without hooks

    # -- running to the next yield -------------------------------------------------

    def _advance(self, value, error):
        """Run to the next ``yield`` (raised as StopIteration), the end, or a suspension.

        At an await, as for coroutines: None, with ``self._awaiting`` set to
        what ``send`` steps next (see ``Machine._advance``); a ``yield``
        finishes the current ``asend()``/``athrow()`` awaitable with the
        value, and the end of the generator with StopAsyncIteration.
        """
        self._awaiting = _RUNNING
        self._handled_at_yield = None  # left behind, it would keep its frames alive
        while True:
            try:
                result = self.resume((value, value := None)[0], error)  # see Machine._advance
            except (StopIteration, StopAsyncIteration) as stop:
                kept_locals = self._raised_out()  # (see Machine._raised_out)
                raise RuntimeError(f"async generator raised {type(stop).__name__}") from stop
            except BaseException:
                kept_locals = self._raised_out()  # noqa: F841 (see Machine._raised_out)
                value = error = None  # see Machine.send
                raise
            if self.state == 0:  # returned: the iteration is over
                self._awaiting = None
                self.state = DONE
                self._release_locals()
                raise StopAsyncIteration
            if type(result) is YieldValue:
                self._awaiting = None
                self._handled_at_yield = result.handled
                if result.handled is not None:
                    # A yield in an except clause: the exception handled there
                    # holds, through its traceback, the frames of resume (which
                    # hold it, and the generator) and so this one, their f_back,
                    # which lets go of the YieldValue holding it: a cycle that
                    # kept a generator closed by aclose() alive (see _release_frames).
                    _release_frames(result.handled, type(self)._resume_code)
                    self = None  # see _release_frames: nor do the frames below hold it (_Step.send)
                raise StopIteration((result.value, result := None)[0])
            try:
                self._awaiting = delegate = _delegate_of(result)
            except BaseException as raised:
                value, error = None, _Raised(_without_machinery(raised))
                continue
            if type(delegate) is _HandlingIterator:
                # As Machine._advance: the exception handled keeps the frames
                # on its traceback, which hold the awaitable (and so it): a
                # cycle, which kept a generator closed by aclose() alive.
                _release_frames(delegate.exception, type(self)._resume_code)
                self = None  # see _release_frames
            result = delegate = None  # see _release_frames
            return None

    def _handled(self):
        if self._awaiting is None:  # suspended at a yield
            return self._handled_at_yield
        return Machine._handled(self)

    # -- introspection ---------------------------------------------------------------

    @property
    def ag_running(self):
        return self._step is not None

    @property
    def ag_await(self):
        awaiting = self._awaiting
        if type(awaiting) is _HandlingIterator:
            awaiting = awaiting.iterator  # (an await in an except clause: what it awaits)
        if type(awaiting) is _AwaitIterator:
            # The compiled coroutine awaited, as a coroutine's cr_await says,
            # not the iterator that drives it.
            return awaiting.machine
        return None if awaiting is _RUNNING else awaiting

    @property
    def ag_suspended(self):
        return self.state > 0 and not self.ag_running

    @property
    def ag_code(self):
        return type(self)._resume_code

    @property
    def ag_frame(self):
        return self._frame()

    # A coroutine's, not an async generator's: hasattr() says False, as natively.
    cr_code = cr_frame = cr_suspended = cr_origin = cr_running = cr_await = _Absent()


# The protocol's methods are named as the native type's: ``async_generator.asend``,
# of no module (anyio names a task started with ``g.asend`` by module and qualname).
for _method in ("__aiter__", "__anext__", "asend", "athrow", "aclose"):
    getattr(AsyncGeneratorMachine, _method).__qualname__ = f"async_generator.{_method}"
    getattr(AsyncGeneratorMachine, _method).__module__ = None
del _method


# The states of an asend()/athrow() awaitable, as CPython's AWAITABLE_STATE_*
# (compared with ==: a restored pickle has its own objects).
_INIT, _ITER, _CLOSED = 0, 1, 2

# 3.13 made these awaitables strict (gh-117881 and its follow-ups): throw()
# into one that has not started checks, as send() does, that no other step of
# the generator runs, and starts it; a step that fails or ends is closed for
# good, whichever way it was driven; close() throws GeneratorExit in (into the
# generator, if the step never ran); and one never awaited warns when it is
# collected.  Before, throw() ran the generator without starting the step, a
# refused asend() stayed unstarted, and close() only marked the step closed.
_STRICT_STEPS = sys.version_info >= (3, 13)


class _Step:
    """The awaitable of one ``asend``/``athrow``/``aclose``: runs to the next yield.

    It follows CPython's ``async_gen_asend_*``/``async_gen_athrow_*`` rules
    (Objects/genobject.c) step for step: ``state`` is the awaitable's, and
    the generator's ``_step`` is its ``ag_running_async`` flag (the step that
    set it, or None).
    """

    __slots__ = ("generator", "action", "argument", "state")

    def __init__(self, generator, action, argument):
        self.generator = generator
        self.action = action
        self.argument = argument
        self.state = _INIT

    def __reduce__(self):
        # At every protocol, made before its state: the generator it runs
        # refers back to it (runtime.machines.durable).
        return copyreg.__newobj__, (type(self),), (None, {name: getattr(self, name) for name in _Step.__slots__})

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __dir__(self):
        return _STEP_NAMES  # as the native type's: see Machine.__dir__

    def __next__(self):
        try:
            return self.send(None)
        finally:
            self = None  # see send

    def send(self, value):
        # Discussion: each frame of a step lets go of the step and the generator
        # as it ends (the ``finally`` clauses here and in _start and _guard): at a
        # yield in an except clause, the exception handled there holds the
        # frames of that step's call of resume, and through their f_back these,
        # while the generator holds the exception: a cycle, which kept a
        # generator dropped there alive until the collector ran.
        try:
            state = self.state
            generator = self.generator
            if state == _INIT and generator._step is None:  # the first send of a step: every item's
                if generator._closed and self.action != "send" and generator.state != DONE:
                    # athrow()/aclose() of a generator aclose() ran already, which
                    # yielded instead of ending: it is not run again.
                    self.state = _CLOSED
                    raise StopAsyncIteration
                self.state = _ITER
                generator._step = self
                if value is not None and self.action == "send":
                    self.argument = value  # as CPython's asend: the value sent replaces asend's
                return self._guard(self._start)
            if state != _ITER:
                self._refuse()
            if generator._awaiting is None:
                # Not in the await this step left it in: another step ran it
                # on meanwhile (before 3.13 a throw() runs one unchecked).
                # As CPython's asend_send: at its end, the step ends too.
                if generator.state == DONE and self.action == "send":
                    self.state = _CLOSED
                    raise StopAsyncIteration
                if value is not None and generator.state == 0:
                    raise TypeError("can't send non-None value to a just-started async generator")
            generator._step = self
            if self.action == "throw":
                return self._sent_into_athrow(value)
            return self._guard(generator.send, value)
        except StopIteration as stop:
            # The step's end: natively the caller's frame is the first of its traceback.
            stop.__traceback__ = None
            raise
        except BaseException as error:
            _leave_machinery(error)
            raise
        finally:
            self = generator = None

    def _sent_into_athrow(self, value):
        """A later send of an athrow() step: its end leaves it open, as CPython's athrow_send.

        Sent again, it resumes the generator; once the generator is over,
        StopIteration closes it.
        """
        generator = self.generator
        if generator.state == DONE:
            self.state = _CLOSED
            raise StopIteration
        try:
            return generator.send(value)
        except StopIteration as stop:
            finished_with = stop.value
        except BaseException:
            generator._step = None
            raise
        generator._step = None
        raise StopIteration(finished_with) if finished_with is not None else StopIteration

    def _refuse(self):
        """send() of a step that is over, or that would run while another step runs."""
        if self.state == _CLOSED:
            raise RuntimeError(_REUSED[self.action])
        if _STRICT_STEPS or self.action != "send":  # before 3.13 a refused asend() could start later
            self.state = _CLOSED
        raise RuntimeError(_ALREADY_RUNNING[self.action])

    def throw(self, typ, val=_MISSING, tb=_MISSING):  # (the generator's throw warns of three)
        try:
            if self.state == _CLOSED:
                raise RuntimeError(_REUSED[self.action])
            generator = self.generator
            # Into a generator that is over, the exception is raised as it is
            # (an async generator's rule, not a coroutine's "cannot reuse").
            throw = generator.throw if generator.state != DONE else _raise_thrown
            if not _STRICT_STEPS:
                return self._unchecked_throw(throw, typ, val, tb)
            if self.state == _INIT:
                if generator._step is not None:
                    self.state = _CLOSED
                    raise RuntimeError(_ALREADY_RUNNING[self.action])
                self.state = _ITER
            generator._step = self
            return self._guard(throw, typ, val, tb)
        except StopIteration as stop:
            # The step's end: natively the caller's frame is the first of its traceback.
            stop.__traceback__ = None
            raise
        except BaseException as error:
            _leave_machinery(error)
            raise

    def _unchecked_throw(self, throw, typ, val, tb):
        """Before 3.13: throw() runs the generator whatever the step's state, and leaves it.

        An asend() step is closed when the generator stops; athrow() and
        aclose() steps only when aclose() meets a yield.  What stops the
        generator lets go of its running flag, but aclose()'s own outcomes
        do not.
        """
        generator = self.generator
        if self.action == "send":
            return self._guard(throw, typ, val, tb)
        error = None
        try:
            return throw(typ, val, tb)
        except StopIteration as stop:
            if self.action == "close" and generator.state != DONE:  # a yield, not the end
                error = RuntimeError("async generator ignored GeneratorExit")
                self.state = _CLOSED
                generator._step = None
            elif self.action == "close":
                finished_with = None
            else:
                finished_with = stop.value
                generator._step = None
        except (GeneratorExit, StopAsyncIteration) as stop:
            if self.action == "close":
                finished_with = None
                generator._release_locals()  # closed: see _guard
            else:
                error = stop
                generator._step = None
        except BaseException:
            if self.action != "close":
                generator._step = None
            raise
        if error is not None:
            raise (error, error := None)[0]  # this frame, on its traceback, lets go of it: see _guard
        raise StopIteration(finished_with) if finished_with is not None else StopIteration

    def close(self):
        if not _STRICT_STEPS:
            self.state = _CLOSED
            return
        if self.state == _CLOSED:
            return
        try:
            self.throw(GeneratorExit)
        except (GeneratorExit, StopIteration, StopAsyncIteration):
            return
        raise RuntimeError("coroutine ignored GeneratorExit")

    if _STRICT_STEPS:

        def __del__(self):
            # 3.13: collected before it was awaited (or closed), as CPython's
            # async_gen_asend_finalize / async_gen_athrow_finalize warn.
            try:
                unawaited = self.state == _INIT
            except AttributeError:  # made by copyreg, never given its state
                return
            if unawaited:
                _warn_never_awaited_method(self.generator, _METHOD[self.action])

    def _start(self):
        try:
            generator = self.generator
            if self.action == "send":
                if generator.state == DONE:
                    raise StopAsyncIteration
                return generator.send(self.argument)
            if self.action == "throw":
                if generator.state == DONE:
                    raise StopIteration  # as natively: nothing is thrown into a generator that is over
                try:
                    error = thrown_exception(*self.argument)
                except TypeError:
                    if generator.state == 0:
                        raise  # refused: the generator has not started, and still can
                    error = None
                if error is None:
                    # Refused arguments are handed on as they are to what the
                    # generator awaits, as natively (outside the except block:
                    # what comes of them is not chained to our TypeError).
                    return _throw_as_given(generator.throw, *self.argument)
                # Handed on with nothing of the step or this frame holding it:
                # the frame is on the exception's traceback and holds the step,
                # and so the generator (a cycle, where natively there is none).
                self.argument = None
                if generator.state == 0:
                    # Thrown into a generator that never started (it is over
                    # now): nothing in it handles the exception, and nothing
                    # chains it; raised from a frame of the function that holds
                    # its arguments as long as the exception lives, as natively.
                    generator.state = DONE
                    _raise_before_start(generator, (error, error := None)[0])
                return generator.throw((error, error := None)[0])  # athrow() warned already
            # aclose(): the generator is closed from now on, whatever it does
            generator._closed = True
            if generator.state <= 0:
                if generator.state == 0:  # never started: its arguments go, as its frame is cleared
                    generator._release_locals()
                generator.state = DONE
                raise StopIteration
            return generator.throw(GeneratorExit)
        finally:
            self = generator = None  # see send

    def _guard(self, call, *args):
        """Run one step; on the last one, close the step and let go of the generator's running flag.

        Discussion: the outcome is raised after the ``except`` blocks, never
        inside one.  Raised inside, it would carry the caught exception as its
        context, whose traceback holds this frame, which holds the
        generator: a cycle that keeps a finished generator alive until the
        next garbage collection instead of releasing it at once.
        """
        generator = self.generator
        error = None
        try:
            try:
                return call(*args)
            except StopIteration as stop:
                finished_with = stop.value  # what the generator yielded (an exception, maybe)
                if self.action == "close" and generator.state != DONE:
                    # aclose() got a yield back instead of the end of the generator
                    error = RuntimeError("async generator ignored GeneratorExit")
            except (GeneratorExit, StopAsyncIteration) as stop:
                finished_with = None
                if self.action != "close":
                    error = stop
                else:
                    # Closed: its locals go now, as a closed native generator's
                    # frame is cleared (its GeneratorExit, which kept them for
                    # a traceback, goes no further).
                    generator._release_locals()
            except BaseException:
                self.state = _CLOSED
                generator._step = None
                raise
            self.state = _CLOSED
            generator._step = None
            if error is not None:
                # Raised with nothing of this frame holding it: the frame is on
                # its traceback, and holds the step and the generator.
                raise (error, error := None)[0]
            # StopIteration() for None, as CPython's: no args.
            raise StopIteration(finished_with) if finished_with is not None else StopIteration
        finally:
            self = generator = call = args = None  # see send


def _raise_thrown(typ, val, tb):
    reraise(thrown_exception(typ, val, tb))


_ALREADY_RUNNING = {
    "send": "anext(): asynchronous generator is already running",
    "throw": "athrow(): asynchronous generator is already running",
    "close": "aclose(): asynchronous generator is already running",
}
_REUSED = {
    "send": "cannot reuse already awaited __anext__()/asend()",
    "throw": "cannot reuse already awaited aclose()/athrow()",
    "close": "cannot reuse already awaited aclose()/athrow()",
}
_METHOD = {"send": "asend", "throw": "athrow", "close": "aclose"}  # as the never-awaited warning names it
_STEP_NAMES = sorted(
    {*dir(object), "__await__", "__iter__", "__next__", "send", "throw", "close", *(("__del__",) * _STRICT_STEPS)}
)


class _Send(_Step):
    """What ``__anext__()`` and ``asend()`` return."""

    __slots__ = ()


class _Throw(_Step):
    """What ``athrow()`` and ``aclose()`` return."""

    __slots__ = ()


# Named as the native types: tools tell them by name (trio's
# Task.iter_await_frames walks into the generator of an awaitable it
# recognises as ``async_generator_asend`` or ``async_generator_athrow``).
# Under these names here too, where pickle looks a class up by its name.
_Send.__name__ = _Send.__qualname__ = "async_generator_asend"
_Throw.__name__ = _Throw.__qualname__ = "async_generator_athrow"
async_generator_asend, async_generator_athrow = _Send, _Throw
# Their methods too, each type its own copies ("async_generator_asend.send() ...").
for _step_type in (_Send, _Throw):
    for _method in ("send", "throw", "close", "__next__", "__iter__", "__await__"):
        setattr(_step_type, _method, _named_as_natively(getattr(_Step, _method), _step_type.__name__))
del _step_type, _method

_AsyncGeneratorABC.register(AsyncGeneratorMachine)
_DIRECT_AWAITABLES.update((_Send, _Throw))
