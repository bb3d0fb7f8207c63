"""The steps of ``with`` and ``async with``, for a statement that awaits inside.

PEP 343 and PEP 492 spell the statement out: look the manager's enter and
exit methods up on its type, call (and for ``async with`` await) the enter
method, run the body, and call the exit method once, with the exception that
left the body or with three ``None``.  The generated code keeps the manager
in one slot of the machine, as this object::

    self._with1 = AsyncWith(db.transaction())
    value = self.run_now(self._with1.enter(), 2)    # awaited
    try:
        ...                                         # the body
    except BaseException as caught1:
        value = self.run_now(self._with1.exit(caught1), 4)
        ...                                         # awaited; raise again unless it says True
    else:
        value = self.run_now(self._with1.exit(), 5)  # awaited

``AsyncWith.exit(caught1)``, called in the except clause, returns what
``__aexit__`` returned in a ``Handling``, as an await in an except clause
awaits it (so that the awaited code sees the exception being handled, and
an exception thrown in there is chained to it): the compiler does not wrap
that await again.

Discussion: natively the interpreter keeps the bound exit method (and through
it the manager) on its stack and pops it when the statement ends, so the
manager is finalized as soon as nothing else holds it.  The slot outlives
the statement (it is let go of when the function returns), so the object in
it lets go of the manager itself, as soon as the exit method is called: on
every way out of the body, that is where the statement ends.
"""

from types import GeneratorType

from runtime.machines.handling import Handling
from runtime.machines.statemachine import (
    _MACHINERY_FILES,
    _MISSING,
    CO_ITERABLE_COROUTINE,
    special_method,
)

__all__ = ["AsyncWith", "With"]

# Natively the interpreter calls the enter and exit methods itself: no frame
# of ours is between the function's and theirs, in a traceback or a stack walk.
_MACHINERY_FILES.add(__file__)


class With:
    """One ``with`` statement's manager and its exit method, until the exit is called."""

    __slots__ = ("manager", "enter_method", "exit_method")

    names = ("__enter__", "__exit__", "context manager")

    def __init__(self, manager):
        enter_name, exit_name, protocol = self.names
        kind = type(manager)
        # A method set to None is there (CPython's _PyObject_LookupSpecial finds
        # it): the error comes when it is called, after the enter method has run.
        enter = special_method(kind, enter_name)
        if enter is _MISSING:
            raise TypeError(f"'{kind.__name__}' object does not support the {protocol} protocol")
        exit_ = special_method(kind, exit_name)
        if exit_ is _MISSING:
            raise TypeError(
                f"'{kind.__name__}' object does not support the {protocol} protocol "
                f"(missed {exit_name} method)"
            )
        self.manager = manager
        self.enter_method = enter
        self.exit_method = exit_

    def enter(self):
        """Call the manager's enter method: what ``as`` binds (for ``async with``, what to await for it)."""
        enter, self.enter_method = self.enter_method, None
        return enter(self.manager)

    @property
    def exited(self):
        """Whether the exit method has been called (a ``finally`` calls it only if not)."""
        return self.exit_method is None

    def exit(self, error=None):
        """Call the exit method, after letting go of it and of the manager: the statement ends.

        ``error`` is the exception that left the body (``None``: it ended
        without one); for ``async with`` the result is what to await.
        """
        manager, exit_ = self.manager, self.exit_method
        self.manager = self.exit_method = None
        if error is None:
            return exit_(manager, None, None, None)
        return exit_(manager, type(error), error, error.__traceback__)  # sys.exc_info() in its except clause

    def __reduce__(self):
        # The methods are looked up again when it is loaded: what special_method
        # returns for a descriptor is a closure, which pickle cannot save.
        return _unloaded, (type(self),), {"manager": self.manager, "entered": self.enter_method is None}

    def __setstate__(self, state):
        self.manager = self.enter_method = self.exit_method = None
        if state["manager"] is not None:
            self.__init__(state["manager"])
            if state["entered"]:
                self.enter_method = None


class AsyncWith(With):
    """One ``async with`` statement's manager: what its methods return must be awaitable."""

    __slots__ = ()

    names = ("__aenter__", "__aexit__", "asynchronous context manager")

    # enter and exit are With's, spelled out again rather than called through
    # super(): a call less at each end of every ``async with``.
    def enter(self):
        enter, self.enter_method = self.enter_method, None
        result = enter(self.manager)
        if not hasattr(type(result), "__await__"):
            _check_awaitable(result, "__aenter__")
        return result

    def exit(self, error=None):
        manager, exit_ = self.manager, self.exit_method
        self.manager = self.exit_method = None
        if error is None:
            result = exit_(manager, None, None, None)
        else:
            result = exit_(manager, type(error), error, error.__traceback__)
        if not hasattr(type(result), "__await__"):
            _check_awaitable(result, "__aexit__")
        return result if error is None else Handling(result)  # (awaited in the except clause)


def _check_awaitable(result, name):
    """CPython's error for what ``async with`` cannot await (a generator-based coroutine it can)."""
    if type(result) is GeneratorType and result.gi_code.co_flags & CO_ITERABLE_COROUTINE:
        return
    raise TypeError(
        f"'async with' received an object from {name} that does not implement "
        f"__await__: {type(result).__name__}"
    )


def _unloaded(kind):
    return object.__new__(kind)
