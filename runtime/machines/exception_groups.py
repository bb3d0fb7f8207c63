"""``try``/``except*`` with an await in a clause, run as the interpreter runs it.

An ``except*`` clause may not contain ``return``, and a compiled coroutine
suspends by returning from ``resume``.  So when a clause awaits, the compiler
spells the statement out with plain ``try``/``except`` (``lower.exceptions``
writes it; PEP 654 describes the steps)::

    try:
        body
    except* KeyError as group:
        handler

becomes::

    _star1 = None
    try:
        body
    except BaseException as caught:
        _star1 = ExceptStar(caught)
    if _star1 is not None:
        try:
            raise _star1.enter()              # the type is tested while the
        except BaseException:                 # last part matched is handled
            _star1.entered()
            if _star1.match(KeyError):
                try:
                    raise _star1.enter()      # the clause runs while the part
                except BaseException as group:  # it matched is handled
                    _star1.entered()
                    try:
                        handler
                    except BaseException as raised:
                        _star1.raised(raised)
        try:
            _star1.reraise()
        except BaseException as caught:
            _star1.reraising(caught)
            raise

``ExceptStar`` holds what the interpreter keeps on its stack meanwhile, and
does what its ``CHECK_EG_MATCH`` and ``PREP_RERAISE_STAR`` steps do:

1. ``match(types)`` splits off the part of what is left that the clause
   handles.  A naked exception is wrapped in ``BaseExceptionGroup("", (exc,))``
   first; a group's own ``split`` is called, so subclasses split as natively.
2. Raising an exception is the only way to make it the one being handled,
   and raising changes it: ``enter`` notes its ``__traceback__`` and
   ``__context__`` (set when something else is being handled) and
   ``entered`` puts them back.  Resuming inside a clause enters it again the
   same way.
3. ``reraise()`` raises nothing, or what is left: the parts of the original
   group that no clause handled or that a clause re-raised (bare ``raise``:
   its traceback, cause and context are still the original's), kept in the
   original's nesting, next to whatever the clauses raised, in a new
   ``ExceptionGroup("", [...])`` when there is more than one.  Natively that
   is a re-raise, which sets no ``__context__``: neither does ``reraise``;
   nor does it add a line of the function to the traceback, which
   ``reraising`` takes off again before the bare ``raise`` (a re-raise too).
"""

import sys

__all__ = ["ExceptStar"]

_NOT_AN_EXCEPTION = "catching classes that do not inherit from BaseException is not allowed"
_A_GROUP = "catching ExceptionGroup with except* is not allowed. Use except instead."


class ExceptStar:
    """One ``try``/``except*`` statement while its clauses run."""

    __slots__ = ("caught", "rest", "handled", "excs", "_traceback", "_context")

    def __init__(self, caught):
        self.caught = caught  # what the body raised
        self.rest = caught  # the part no clause has matched yet
        self.handled = caught  # what natively is being handled: all, then the last part matched
        self.excs = []  # what the clauses raised or re-raised, in order
        self._traceback = self._context = None

    def match(self, types):
        """Split off the part a clause of ``types`` handles; true if there is one."""
        _check_clause_types(types)
        rest = self.rest
        if rest is None:
            match = None
        elif _matches(rest, types):
            if isinstance(rest, BaseExceptionGroup):
                match = rest
            else:
                match = BaseExceptionGroup("", (rest,))
            self.rest = None
        elif isinstance(rest, BaseExceptionGroup):
            match, self.rest = rest.split(types)
        else:
            match = None
        if match is not None:
            self.handled = match
        return match is not None

    def enter(self):
        """Return what is to be handled now, to raise, noting what raising it will change."""
        handled = self.handled
        self._traceback, self._context = handled.__traceback__, handled.__context__
        return handled

    def entered(self):
        """Undo what raising it changed on what is handled now."""
        handled = self.handled
        handled.__traceback__ = self._traceback
        handled.__context__ = self._context

    def raised(self, exception):
        """A clause raised ``exception`` (or re-raised what it handles)."""
        self.excs.append(exception)

    def reraise(self):
        """Raise what the statement leaves unhandled, if anything."""
        excs = [*self.excs, self.rest]
        result = _prepare_reraise(self.caught, excs)
        # Let go of everything, as the interpreter pops its stack.
        self.caught = self.rest = self.handled = None
        self._traceback = self._context = None
        self.excs = []
        if result is None:
            return
        context, traceback = result.__context__, result.__traceback__
        try:
            raise result
        finally:
            # A re-raise, natively: no new context, and no frame of ours
            # (``runtime.machines.statemachine.reraise`` would leave this one in).
            result.__context__ = context
            result.__traceback__ = traceback

    @staticmethod
    def reraising(exception):
        """Take off the line the function's frame got as ``reraise`` raised ``exception`` into it.

        Natively the statement ends with a re-raise (``RERAISE``), which
        adds no line to the traceback; the bare ``raise`` that follows this
        call in the generated code does not either.
        """
        traceback = exception.__traceback__
        if traceback is not None and traceback.tb_frame is sys._getframe(1):
            exception.__traceback__ = traceback.tb_next


def _check_clause_types(types):
    """Reject what ``except*`` may not name, as the interpreter does."""
    items = types if isinstance(types, tuple) else (types,)
    message = None
    if not all(isinstance(t, type) and issubclass(t, BaseException) for t in items):
        message = _NOT_AN_EXCEPTION
    elif any(issubclass(t, BaseExceptionGroup) for t in items):
        message = _A_GROUP
    if message is not None:
        raise TypeError(message)


def _matches(exception, types):
    """``PyErr_GivenExceptionMatches``: a real subclass check (no ``__subclasscheck__``)."""
    mro = type(exception).__mro__
    if isinstance(types, tuple):
        return any(t in mro for t in types)
    return types in mro


def _same_metadata(exception, original):
    """A re-raise of (part of) the original: nothing the raising sets has changed."""
    return (
        exception.__traceback__ is original.__traceback__
        and exception.__cause__ is original.__cause__
        and exception.__context__ is original.__context__
    )


def _prepare_reraise(original, excs):
    """``_PyExc_PrepReraiseStar``: what the end of the statement raises, or None."""
    if not isinstance(original, BaseExceptionGroup):
        # A naked exception was wrapped: at most one clause ran.
        return excs[0]
    raised, reraised = [], []
    for exception in excs:
        if exception is not None:
            (reraised if _same_metadata(exception, original) else raised).append(exception)
    kept = _projection(original, reraised)
    if not raised:
        return kept
    if kept is not None:
        raised.append(kept)
    if len(raised) > 1:
        return BaseExceptionGroup("", raised)
    return raised[0]


def _projection(group, keep):
    """The part of ``group`` whose leaf exceptions are in ``keep``, nested as in ``group``."""
    leaves = set()
    for exception in keep:
        _collect_leaf_ids(exception, leaves)

    def is_kept_leaf(exception):
        return not isinstance(exception, BaseExceptionGroup) and id(exception) in leaves

    # The base class's subgroup, as the interpreter calls it (derive() is the group's own).
    return BaseExceptionGroup.subgroup(group, is_kept_leaf)


def _collect_leaf_ids(exception, leaves):
    if isinstance(exception, BaseExceptionGroup):
        for inner in exception.exceptions:
            _collect_leaf_ids(inner, leaves)
    else:
        leaves.add(id(exception))
