"""Durable coroutines: pickling and copying a suspended machine.

A compiled coroutine is plain data: its class, its ``state`` number and its
saved locals.  So, unlike a native coroutine, it can be

- pickled, and loaded in another process where its module is importable
  (compiled): it continues from the await it was suspended at;
- deep-copied (``copy.deepcopy``): an independent coroutine that continues
  from the same point;
- shallow-copied (``copy.copy``): a new chain of machines suspended at the same
  point that *shares* the values of the locals with the original (loop
  iterators included, so driving one moves the other's loops too), and a
  closure's enclosing variables.

Rules:

1. What a machine is suspended on goes with it: a compiled coroutine (the
   whole chain of awaits), a compiled async generator and its
   ``asend``/``athrow`` step, awaiting inside ``except``/``finally``, the
   runtime's traps and waits on its primitives, any picklable awaitable.
   ``runtime.sleep``: saved from a task asleep on the runtime's loop, it
   records the wall time the sleep ends at, and the loaded (or copied)
   coroutine's next step asks its loop for the rest (as ``runtime.restore``
   of a checkpoint does); a wait on an Event, Lock, Semaphore or Queue
   saved from a task parked on the loop parks again, on the restored
   primitive.  Saved from a coroutine driven by hand, the next value sent
   ends the sleep or the wait, as it would have.  A native coroutine, a
   generator, a socket, an asyncio Future cannot go: pickling fails with
   :class:`CannotSave`, naming the object, its type, where the coroutine is
   suspended, and which local (or the object it awaits) holds it and by
   what path (``box.items[0]``) when it is deeper inside: the values that
   may fail deep inside are pickled once by the machine's reduction, where
   the failure can be caught (``_try_saving``).  ``copy.deepcopy`` says the
   same.
2. A pickle records the code it belongs to: module, qualified name and a
   digest of the function's source (``_source_digest``, emitted by the
   compiler).  Loading it against a function whose source changed raises
   :class:`CodeChanged`, naming the function; changes elsewhere in the
   module do not matter.
3. Exceptions saved in a machine (the one an ``except`` handles across an
   await, one pending in a ``finally``) keep their ``__context__``,
   ``__cause__`` and ``__suppress_context__``, and lose their traceback (a
   traceback held in a local is saved as None).  Exceptions deeper inside
   the locals' values are pickled as pickle does (without their chain).
4. What the locals hold is pickled as pickle pickles anything: by value.  A
   list that is also a module's global comes back as a copy of it (a
   spilled ``results.append`` of ``results.append(await x)`` appends to the
   copy); classes, functions and modules (``import json`` in the body) are
   saved by name.
5. An async def nested in a function (a closure) pickles with the
   variables of the enclosing call it uses, which come back as new cells
   (shared by the machines pickled together); nested in an async def, with
   the cells of the enclosing call it uses (rule 6), which an enclosing
   machine pickled with it shares (its class is an attribute of the
   enclosing one's).  A deep copy gets copies of
   them: driving the copy never changes the original's variables.  The
   function the ``async def`` statement bound, held by a local, goes too.
   Nested in a function that cannot be found again (a lambda's, one
   decorated away), it raises :class:`CannotSave`.
6. The locals a coroutine shares with its nested functions are cells (its
   resume is made over them: emit.machine.write_make_resume, and a nested
   async def's over the enclosing call's: write_resume_maker).  They are
   saved as cells, each once: the machines pickled (or deep-copied)
   together share them after loading, as they did.  A loaded or copied
   machine (``copy.copy`` too, for its own locals) gets new cells holding
   them: a copy is a second coroutine, and what
   it assigns to them is its own.  A closure made before the copy, held by
   a local, is the same function in both and sees the original's cells.

Security: loading a pickle runs code, as ``pickle`` always does.  Load only
pickles you wrote yourself.
"""

import copy
import copyreg
import importlib
import pickle
import sys
import weakref
from types import (
    AsyncGeneratorType,
    BuiltinFunctionType,
    BuiltinMethodType,
    CellType,
    CodeType,
    CoroutineType,
    FrameType,
    FunctionType,
    GeneratorType,
    ModuleType,
    TracebackType,
)

from runtime.machines import statemachine
from runtime.machines.asyncgen import _Step
from runtime.machines.handling import _HandlingIterator
from runtime.machines.marks import CO_ASYNC_GENERATOR, CO_COROUTINE
from runtime.machines.savers import SUSPENDED_COROUTINES, SUSPENDED_GENERATORS
from runtime.machines.statemachine import _RUNNING, DONE, Machine, _AwaitIterator

_COROUTINE_WRAPPER = None  # the type of a native coroutine's __await__(): found when first needed

__all__ = [
    "CannotSave", "CodeChanged", "SUSPENDED_COROUTINES", "SUSPENDED_GENERATORS", "chain_ends_at",
    "innermost_awaited", "where_suspended",
]


class CannotSave(TypeError):
    """Raised by ``pickle.dumps`` / ``copy.deepcopy`` of a machine holding what cannot be saved."""


class CodeChanged(Exception):
    """Raised by ``pickle.loads`` of a machine whose function is not the one that was pickled."""


# What can never be pickled, whatever it holds: said at once, with where.
_NEVER_SAVED = (GeneratorType, CoroutineType, AsyncGeneratorType, FrameType)
# Values pickle saves without asking anything of them: no check needed.
# Containers too: their own reduction never fails (what they hold is pickled as pickle does).
_PLAIN = frozenset({
    int, float, str, bytes, bool, type(None), complex, range,
    tuple, list, dict, set, frozenset, bytearray,
})
_BY_NAME = frozenset({FunctionType, BuiltinFunctionType})


# -- what a machine's state is ---------------------------------------------------

def _slots(cls):
    """``{slot: member descriptor}`` of every slot of ``cls`` and its bases that holds state.

    Kept on the class itself (``_durable_slots``): a cache keyed by the class
    would keep it alive through the descriptors, which name their class.
    """
    slots = cls.__dict__.get("_durable_slots")
    if slots is None:
        slots = {}
        for klass in reversed(cls.__mro__):
            for name in klass.__dict__.get("__slots__", ()):
                if name not in ("__weakref__", "__dict__"):
                    slots[name] = klass.__dict__[name]
        cls._durable_slots = slots
    return slots


def _where(machine):
    """``coroutine 'f' suspended at line 12 of app.py``: for error messages."""
    code = type(machine)._resume_code
    if machine.state > 0:
        at = f"suspended at line {machine.line} of {code.co_filename}"
    elif machine.state == 0:
        at = f"not started ({code.co_filename}, line {machine._lines[0]})"
    else:
        at = f"finished ({code.co_filename})"
    return f"{machine._kind} '{machine._qualname}' {at}"


def _holder(machine, slot):
    """What holds a value, in the function's terms: ``its local 'x'``."""
    if slot in machine._temporaries:
        return f"the value {slot!r} it keeps for the statement it is suspended in"
    return f"its local {machine._renamed.get(slot, slot)!r}"


def _describe(value):
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text}, a '{type(value).__module__}.{type(value).__qualname__}' object"


def _check(value, machine, what, protocol):
    """Fail now, with where, if pickle is sure to fail on ``value`` itself.

    ``what`` is the slot that holds it, or a description ("the object it awaits").
    What fails deeper, or in its own reduction, is found by ``_try_saving``.
    """
    kind = type(value)
    if kind in _PLAIN:
        return
    if not what.startswith("the "):
        what = _holder(machine, what)
    if kind in _BY_NAME or issubclass(kind, type):
        # Pickle saves these by their qualified name, asking nothing of them.
        if "<lambda>" in getattr(value, "__qualname__", "") or "<locals>" in getattr(value, "__qualname__", ""):
            raise CannotSave(
                f"cannot save {_where(machine)}: {what} is {_describe(value)}, defined inside a "
                "function: pickle saves functions and classes by name, and it has none"
            )
        return
    if type(value) in _NEVER_SAVED:  # final types; a machine's __class__ says CoroutineType
        raise CannotSave(f"cannot save {_where(machine)}: {what} is {_describe(value)}, which cannot be pickled")


def _awaited_form(awaiting, machine, protocol):
    """What the object ``machine`` awaits is saved as (see rule 1)."""
    if awaiting is None or isinstance(awaiting, Machine):
        return awaiting
    if awaiting is _RUNNING:
        raise CannotSave(f"cannot save {_where(machine)}: it is running (save it between two steps)")
    if type(awaiting) is GeneratorType:
        replace = SUSPENDED_GENERATORS.get(awaiting.gi_code)
        if replace is not None and awaiting.gi_suspended:
            return replace(awaiting)
    if type(awaiting) is _HandlingIterator:
        return _SavedHandling(_awaited_form(awaiting.iterator, machine, protocol), awaiting.exception)
    if type(awaiting) is _coroutine_wrapper():
        coroutine = _coroutine_of(awaiting)
        save = SUSPENDED_COROUTINES.get(getattr(coroutine, "cr_code", None))
        if save is not None and coroutine.cr_suspended:
            return save(coroutine)
        raise CannotSave(
            f"cannot save {_where(machine)}: the object it awaits is a native coroutine "
            f"({_describe(awaiting)}), which cannot be pickled; compile the module that defines it"
        )
    _check(awaiting, machine, "the object it awaits", protocol)
    return awaiting


def _saved_state(machine, protocol):
    """The machine's state, ``{slot: value}`` for the bound slots, each value in its saved form."""
    cls = type(machine)
    skip = _LOOP_HOOKS if cls._kind == "async generator" else ()
    state = {}
    trying = []  # what may fail deep inside: see _try_saving
    for name, slot in _slots(cls).items():
        if name in skip:
            continue
        try:
            value = slot.__get__(machine)
        except AttributeError:
            continue  # unbound
        if name == "resume" and cls._reference is not None:
            if type(value) is FunctionType:  # made over cells: they are saved, not it
                state[name] = _saved_cells(value, machine, protocol, trying)
            continue
        state[name] = _saved_value(name, value, machine, protocol, trying)
    if trying:
        _try_saving(machine, state, trying, protocol)
    return state


def _saved_value(name, value, machine, protocol, trying):
    """The saved form of ``value``, held by the slot (or cell) ``name``; what may fail goes to ``trying``."""
    kind = type(value)
    if kind in _SCALARS:
        pass
    elif kind in _PLAIN:
        trying.append(value)
    elif name == "_awaiting":
        value = _awaited_form(value, machine, protocol)
        if type(value) not in _CHAIN_OF_AWAITS and not isinstance(value, Machine):
            trying.append(value)
    elif isinstance(value, BaseException):
        value = _SavedException(value)
        trying.append(value)
    elif kind is TracebackType:
        value = None  # tracebacks are not saved (rule 3)
    elif kind is ModuleType:
        value = _Rebuilt(importlib.import_module, (value.__name__,))  # ``import json`` in the body
    elif kind is FunctionType and value.__code__ in _runtime_closures():
        value = _runtime_closures()[value.__code__](value)
        trying.append(value)
    elif kind is FunctionType and (stub := _nested_stub(value, machine)) is not None:
        value = stub
    elif name != "_step" and not isinstance(value, Machine):
        _check(value, machine, name, protocol)
        trying.append(value)
    return value


class _SavedCells(dict):
    """The cells a machine's resume was made over (``make_resume``, or a ``_resume_maker``), by name.

    Its own locals' and, for a nested async def's, the enclosing call's.
    They are pickled (and deep-copied) as cells, once each: a cell that an
    enclosing machine and a nested one (or two nested ones) share comes
    back one cell, shared by those pickled together.  Loaded or copied,
    the machine gets a resume of its own over them: a copy is a second
    coroutine, whose assignments to its own variables are its own.  A
    closure made before the copy keeps the original's cells, as it is the
    same function in both.  ``globals``: those of the resume (not pickled).
    """

    globals = None

    def __reduce__(self):
        return _SavedCells, (dict(self),)


def _saved_cells(resume, machine, protocol, trying):
    """The cells of ``resume``, a machine's made over cells, as ``_SavedCells``.

    What a cell holds is checked as any local's value (``_saved_value``),
    and saved in the forms ``_reduce_cell`` gives (a nested async def's
    stub as its code, a module by name).
    """
    cls = type(machine)
    saved = _SavedCells()
    saved.globals = resume.__globals__
    for index, (name, cell) in enumerate(zip(resume.__code__.co_freevars, resume.__closure__, strict=True)):
        if index == cls._reference:
            continue
        try:
            contents = cell.cell_contents
        except ValueError:  # unbound
            saved[name] = cell
            continue
        _saved_value(name, contents, machine, protocol, trying)
        saved[name] = cell
    return saved


def _held_by(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _resume_over(machine, saved):
    """A new resume for ``machine``, over the cells ``saved`` holds (and a new weak reference to it)."""
    cls = type(machine)
    code = cls._resume_code
    namespace = saved.globals
    if namespace is None:
        namespace = sys.modules[cls.__module__].__dict__
    closure = []
    for index, name in enumerate(code.co_freevars):
        if index == cls._reference:
            closure.append(CellType(statemachine.weak_reference(machine)))
        else:
            closure.append(saved.get(name) or CellType())
    return FunctionType(code, namespace, code.co_name, None, tuple(closure))


def _shallow_cells(resume, cls):
    """``copy.copy``: new cells for the machine's own locals, holding the same values; the enclosing call's shared."""
    saved = _SavedCells()
    saved.globals = resume.__globals__
    for index, (name, cell) in enumerate(zip(resume.__code__.co_freevars, resume.__closure__, strict=True)):
        if index == cls._reference:
            continue
        if name in cls._cells:
            try:
                cell = CellType(cell.cell_contents)
            except ValueError:
                cell = CellType()
        saved[name] = cell
    return saved


_SCALARS = frozenset({int, float, str, bytes, bool, type(None), complex, range})
# The forms of the chain of awaits: each machine in it tries its own state.
_CHAIN_OF_AWAITS = frozenset({type(None), _AwaitIterator, _Step})


def _try_saving(machine, state, values, protocol):
    """Pickle what ``machine`` saves that may fail deep inside (``values``, of ``state``), here.

    ``protocol`` None means a deep copy.

    Discussion: pickle saves a machine's state after its ``__reduce_ex__`` has
    returned: a failure deep inside a local's value (a socket in a list) would
    reach the caller with pickle's message, which says neither the coroutine
    nor the local.  So the values are pickled once here (the bytes dropped),
    where the failure can be caught, and only then is the object that fails
    looked for: a success costs one more pickling of these values, at C
    speed (scalars, the machines awaited and their own values are not in
    them).  A machine met inside a value tries its own and says where it is.
    """
    if protocol is None or id(machine) in _TRYING:
        return  # a deep copy copies here, and catches there (deepcopy_machine); tried already
    _TRYING.add(id(machine))  # a value holding this machine (itself, its awaiter) meets it again
    try:
        pickle.dumps(values, protocol)
    except CannotSave:
        raise
    except Exception as error:
        cells = state.get("resume", {}).items()
        held = [*state.items(), *((name, _held_by(cell)) for name, cell in cells)]  # slots, then cells (_SavedCells)
        slots = [(name, value) for name, value in held if any(value is tried for tried in values)]
        raise _cannot_save(machine, slots, error, lambda value: pickle.dumps(value, protocol), protocol) from error
    finally:
        _TRYING.discard(id(machine))


_TRYING = set()  # ids of the machines whose values _try_saving is pickling now


def _cannot_save(machine, values, error, attempt, protocol):
    """The CannotSave that names the object in ``values`` that ``attempt`` fails on, and where."""
    for name, value in values:
        found = _failing_part(value, attempt, protocol, "", {id(value)})
        if found is None:
            continue
        path, culprit, failure = found
        if name == "_awaiting":
            what, root = "the object it awaits", "<awaited>"
        else:
            root = machine._renamed.get(name, name)
            what = _holder(machine, name)
        verb = "be pickled" if protocol is not None else "be copied"
        if not path:
            return CannotSave(f"cannot save {_where(machine)}: {what} is {_describe(culprit)}, which cannot {verb} ({failure})")
        return CannotSave(
            f"cannot save {_where(machine)}: {what} holds {_describe(culprit)}, at {root}{path}, "
            f"which cannot {verb} ({failure})"
        )
    return CannotSave(f"cannot save {_where(machine)}: {error}")


def _failing_part(value, attempt, protocol, path, seen):
    """``(path, part, error)`` of the innermost part of ``value`` that ``attempt`` fails on, or None."""
    try:
        attempt(value)
    except CannotSave:
        raise
    except Exception as error:
        for step, part in _parts(value, protocol):
            if id(part) in seen:
                continue
            seen.add(id(part))
            found = _failing_part(part, attempt, protocol, path + step, seen)
            if found is not None:
                return found
        return path, value, error
    return None


def _parts(value, protocol):
    """``(path step, part)`` of what pickle saves of ``value``: items, attributes, arguments."""
    kind = type(value)
    if kind in (list, tuple):
        return [(f"[{index}]", item) for index, item in enumerate(value)]
    if kind is dict:
        return [(f"[{key!r}]", item) for key, item in value.items()] + [("<a key>", key) for key in value]
    if kind in (set, frozenset):
        return [("<an element>", item) for item in value]
    if isinstance(value, (type, FunctionType, BuiltinFunctionType)):
        return []  # saved by name
    try:
        reduction = copyreg.dispatch_table.get(kind, None)
        reduction = reduction(value) if reduction else value.__reduce_ex__(protocol or 4)
    except Exception:
        return []  # it fails itself
    if not isinstance(reduction, tuple):
        return []
    parts = [(f"<argument {index} of its reduction>", item) for index, item in enumerate(reduction[1])]
    state = reduction[2] if len(reduction) > 2 else None
    for attributes in state if type(state) is tuple else (state,):
        if type(attributes) is dict:
            parts += [(f".{name}", item) for name, item in attributes.items()]
        elif attributes is not None:
            parts.append(("<its state>", attributes))
    for index, item in enumerate(reduction[3] or () if len(reduction) > 3 else ()):
        parts.append((f"[{index}]", item))
    for key, item in reduction[4] or () if len(reduction) > 4 else ():
        parts.append((f"[{key!r}]", item))
    return parts


# An async generator's hooks belong to the event loop it ran on: a restored or
# copied one calls the hooks of the loop it runs on next.
_LOOP_HOOKS = ("_finalizer", "_hooked")


def _set_state(machine, state):
    """Give a machine made by ``_restored`` its saved state (pickle's state_setter)."""
    cls = type(machine)
    slots = _slots(cls)
    if cls._kind == "async generator":
        machine._hooked = False
        machine._finalizer = None
    # Its state last: set before the rest, a failure there would leave a
    # suspended machine with no resume for its __del__ to close.
    for name, value in sorted(state.items(), key=lambda item: item[0] == "state"):
        if type(value) is _SavedCells:
            value = _resume_over(machine, value)
        slots[name].__set__(machine, value)


# -- the runtime's own closures in a machine's temporaries -----------------------------
#
# Discussion: a ``with``/``async with`` keeps the enter and exit methods
# that ``statemachine.special_method`` found (``runtime.machines.contexts``);
# for anything but a plain function those are small closures of the
# runtime, which pickle cannot save.  They
# are saved as equivalent objects that can.

_CLOSURES = {}  # code of a runtime closure -> function(closure) -> picklable equivalent


def _runtime_closures():
    if not _CLOSURES:
        for maker, replacement in ((statemachine.special_method, _special_call),):
            for const in maker.__code__.co_consts:
                if type(const) is CodeType:
                    _CLOSURES[const] = replacement
    return _CLOSURES


def _cells(function):
    return dict(zip(function.__code__.co_freevars, (c.cell_contents for c in function.__closure__), strict=True))


class _Rebuilt:
    """Pickles (and deep-copies) as ``factory(*arguments)``."""

    __slots__ = ("factory", "arguments")

    def __init__(self, factory, arguments):
        self.factory = factory
        self.arguments = arguments

    def __reduce__(self):
        return self.factory, self.arguments


def _special_call(function):
    cells = _cells(function)
    if "bind" in cells:
        return _CallBound(cells["attribute"], cells["kind"])
    return _CallIgnoringObject(cells["attribute"])


class _CallBound:
    """What ``special_method`` gives for a descriptor: bind it to the object, then call."""

    __slots__ = ("attribute", "kind")

    def __init__(self, attribute, kind):
        self.attribute = attribute
        self.kind = kind

    def __call__(self, obj, *args):
        return type(self.attribute).__get__(self.attribute, obj, self.kind)(*args)


class _CallIgnoringObject:
    """What ``special_method`` gives for a callable that is no descriptor: call it as it is."""

    __slots__ = ("attribute",)

    def __init__(self, attribute):
        self.attribute = attribute

    def __call__(self, obj, *args):
        return self.attribute(*args)


# -- pickle ------------------------------------------------------------------------


def reduce_machine(machine, protocol):
    """``machine.__reduce_ex__(protocol)``: its code's identity, then its state."""
    cls = type(machine)
    state = _saved_state(machine, protocol)
    if "_resume_maker" in vars(cls) and cls._enclosing is None and "." not in cls.__qualname__:
        _check_maker_findable(cls, machine)
    identity = (cls.__module__, cls.__qualname__, machine._qualname, cls._source_digest)
    return _restored, identity, state, None, None, _set_state


def _check_maker_findable(cls, machine):
    """Refuse now a machine of an async def in a plain function that another process cannot find (``_plain_maker_found``)."""
    if cls.__dict__.get("_maker_findable"):
        return
    if _plain_maker_code(cls, sys.modules.get(cls.__module__)) is not cls._maker_source:
        raise CannotSave(
            f"cannot save {_where(machine)}: it is an async def nested in a function that another "
            "process cannot find (nest it in a function defined at module level or in a class)"
        )
    cls._maker_findable = True


# -- async defs nested in a function or in an async def --------------------------------
#
# Discussion: every machine class is made once: the class of an async def
# in a plain function (or in a class in one) at module level, that of an
# async def directly in an async def as an attribute of the enclosing
# machine's class, both found by name as any machine class.  What such a
# machine shares with the enclosing call is in cells: those of a plain
# function's call, which its resume (made by the maker the async def
# statement runs, emit.machine.write_resume_maker) closes over, or the
# enclosing machine's (rule 6).  The resume's maker is saved as the class
# it makes the resume of and its cells (``_ResumeMaker``); the stub that
# the ``async def`` statement bound (a local of the enclosing function) as
# its code, found by name in the module, over its cells (``_NestedStub``).
# Found again in a new process: the function that makes the resume, among
# the module's code by its name (``_plain_maker_found``).


_CODES = weakref.WeakKeyDictionary()  # module -> {qualified name: [code, ...]}, in a fixed order


def _codes_named(module, qualname):
    """The code objects of ``module`` with this ``co_qualname``, in an order each import gives again."""
    index = _CODES.get(module)
    if index is None:
        index = _CODES[module] = {}
        _index_codes(module, index)
    return index.get(qualname, ())


def _index_codes(module, index):
    seen = set()

    def add(code):
        if id(code) not in seen:
            seen.add(id(code))
            index.setdefault(code.co_qualname, []).append(code)
            for const in code.co_consts:
                if type(const) is CodeType:
                    add(const)

    def add_namespace(namespace, classes):
        for value in list(namespace.values()):
            if isinstance(value, type):
                if value.__module__ == module.__name__ and value not in classes:
                    classes.add(value)
                    add_namespace(vars(value), classes)
                continue
            function = getattr(value, "__func__", value)  # a classmethod's or staticmethod's
            while type(function) is FunctionType and function.__module__ == module.__name__:
                add(function.__code__)
                function = getattr(function, "__wrapped__", None)  # what a decorator wraps

    add_namespace(vars(module), set())


class _NestedStub:
    """The function an ``async def`` nested in a function bound: saved as its code, found by name."""

    __slots__ = ("function",)

    def __init__(self, function):
        self.function = function

    def __reduce__(self):
        return _rebuilt_stub, _stub_parts(self.function, lambda part: part)


def _nested_stub(function, machine):
    """``function`` as ``_NestedStub`` if it is the stub of a nested machine class, else None."""
    closure = function.__closure__
    if not function.__code__.co_flags & (CO_COROUTINE | CO_ASYNC_GENERATOR):
        return None
    if not closure:
        # An async def in a function that uses none of its variables: its
        # class is made once, at module level, and the stub closes over nothing.
        if _makes_nested_machine(function, function.__globals__):
            _stub_code_index(function)
            return _NestedStub(function)
        return None
    for cell in closure:
        contents = cell.cell_contents if cell != _EMPTY_CELL else None
        if isinstance(contents, type) and issubclass(contents, Machine) and "_resume_maker" in vars(contents):
            # Its class, from a local of the enclosing resume; its resume's maker beside it.
            _stub_code_index(function)
            return _NestedStub(function)
        if isinstance(contents, Machine) and _makes_nested_machine(function, vars(type(contents))):
            _stub_code_index(function)
            return _NestedStub(function)
    if _plain_makers(function):
        # In a plain function: its class made once, at module level, its
        # resume's maker (over the function's cells) in its closure.
        _stub_code_index(function)
        return _NestedStub(function)
    return None


def _plain_makers(function):
    """``{maker name: class}`` of the module-level machine classes ``function`` (a stub) makes, whose resume a plain function's maker makes."""
    namespace = function.__globals__
    return {
        cls.__dict__["_resume_maker"]: cls
        for name in function.__code__.co_names
        if isinstance(cls := namespace.get(name), type) and issubclass(cls, Machine) and "_resume_maker" in cls.__dict__
    }


def _makes_nested_machine(function, namespace):
    """Whether ``function`` is a stub making a machine of a class it finds by name in ``namespace``.

    An async def directly in an async def has its class made once, as an
    attribute of the enclosing machine's class: its stub closes over the
    enclosing machine.
    """
    return any(
        isinstance(cls := namespace.get(name), type) and issubclass(cls, Machine)
        for name in function.__code__.co_names
    )


_EMPTY_CELL = CellType()  # cells compare by contents: equal to this one, a cell is empty


def _stub_code_index(function):
    code = function.__code__
    module = sys.modules.get(function.__module__)
    for index, candidate in enumerate(_codes_named(module, code.co_qualname) if module else ()):
        if candidate.replace(co_flags=code.co_flags) == code:
            return index
    raise CannotSave(f"cannot save {function!r}: its code is not found in module {function.__module__!r}")


def _stub_parts(function, convert):
    code = function.__code__
    contents = [cell.cell_contents for cell in function.__closure__ or ()]
    makers = {
        c.__dict__["_resume_maker"]: c
        for c in contents
        if isinstance(c, type) and issubclass(c, Machine) and "_resume_maker" in c.__dict__
    }
    makers.update(_plain_makers(function))
    return (
        function.__module__, code.co_qualname, _stub_code_index(function), code.co_flags,
        tuple(convert(_maker_form(c, makers)) for c in contents),
        function.__defaults__, function.__kwdefaults__, function.__qualname__,
    )


def _maker_form(value, makers):
    """``value``, or as ``_ResumeMaker`` the function a stub makes its coroutines' resume with."""
    if type(value) is FunctionType and value.__code__.co_name in makers:
        return _ResumeMaker(value, makers[value.__code__.co_name])
    return value


class _ResumeMaker:
    """What a nested async def's stub makes its coroutines' resume with (emit.machine.write_resume_maker).

    Saved as the class it makes the resume of (whose enclosing class's
    resume has its code) and its cells: those of the enclosing call,
    pickled once each, so shared with the enclosing machine (and the nested
    ones) pickled with it.
    """

    __slots__ = ("function", "cls")

    def __init__(self, function, cls):
        self.function = function
        self.cls = cls

    def parts(self, cls, cells=tuple):
        return cls, cells(tuple(self.function.__closure__ or ())), self.function.__qualname__

    def __reduce__(self):
        return _rebuilt_maker, self.parts(self.cls)


def _rebuilt_maker(cls, closure, function_qualname):
    """The function that makes the resume of ``cls``'s coroutines, over ``closure``: its code in the enclosing resume."""
    if cls._enclosing is None:  # in a plain function: the code the class learnt (see resume_maker)
        _plain_maker_found(cls)
        code, namespace = cls._maker_code, cls._globals
    else:
        enclosing = cls._enclosing()
        code = next(
            c for c in enclosing._resume_code.co_consts if type(c) is CodeType and c.co_name == cls._resume_maker
        )
        namespace = statemachine._resume_globals(enclosing)
    function = FunctionType(code, namespace, code.co_name, None, closure)
    function.__qualname__ = function_qualname
    return function


def _rebuilt_stub(module_name, qualname, index, flags, contents, defaults, kwdefaults, function_qualname):
    module = importlib.import_module(module_name)
    candidates = _codes_named(module, qualname)
    if index >= len(candidates):
        raise CodeChanged(f"cannot restore {qualname!r}: module {module_name!r} no longer defines it as it did")
    code = candidates[index].replace(co_flags=flags)
    closure = tuple(CellType(value) for value in contents)
    stub = FunctionType(code, module.__dict__, code.co_name, defaults, closure)
    stub.__kwdefaults__ = kwdefaults
    stub.__qualname__ = function_qualname
    return stub


def _plain_maker_found(cls):
    """Make ``cls`` know its resume's code, if it is made in a plain function that has not run yet.

    Discussion: the class of an async def in a plain function is made at
    module level, and learns its resume's code when that function first
    runs (``Machine.resume_maker``).  Loaded in a new process, a machine of
    it needs the code before: the function that makes it is found among the
    module's code by its name, the compiler's (its class's ``_resume_maker``).
    An async def nested in such an async def is finished with it.
    """
    if cls._resume_code is not None or "_resume_maker" not in vars(cls):
        return
    module = sys.modules.get(cls.__module__)
    outer_name = cls.__qualname__.rpartition(".")[0]
    if outer_name:  # an attribute of the class of the async def it is nested in
        outer = module
        for part in outer_name.split("."):
            outer = getattr(outer, part, None)
        if isinstance(outer, type) and issubclass(outer, Machine):
            _plain_maker_found(outer)
        return
    maker = _plain_maker_code(cls, module)
    if maker is None:
        raise CodeChanged(
            f"cannot restore coroutine {cls._qualname!r}: module {cls.__module__!r} no longer defines "
            "the function it is nested in as it did"
        )
    statemachine._finish_plain_maker(cls, maker, module.__dict__)


def _plain_maker_code(cls, module):
    """The code of the function that makes the resume of ``cls``'s coroutines, among ``module``'s, or None."""
    if module is None:
        return None
    _codes_named(module, "")  # the module's codes, indexed
    for codes in _CODES[module].values():
        for code in codes:
            if code.co_name == cls._resume_maker:
                return code
    return None


def _reduce_cell(cell):
    try:
        contents = cell.cell_contents
    except ValueError:  # empty: the variable is not bound (yet)
        return _new_cell, ()
    if type(contents) is FunctionType and (stub := _nested_stub(contents, None)) is not None:
        contents = stub  # a coroutine's variable bound by a nested async def (one it calls recursively)
    elif type(contents) is ModuleType:
        contents = _Rebuilt(importlib.import_module, (contents.__name__,))
    # Filled after it is made (and memoized), as a slot's state: a cell that
    # holds, deep inside, a function closing over it (a nested async def
    # calling itself) is met again as itself, not without end.
    return _new_cell, (), (None, {"cell_contents": contents})


def _new_cell(*contents):
    return CellType(*contents)


copyreg.pickle(CellType, _reduce_cell)


def _restored(module_name, class_qualname, qualname, digest):
    """A new, empty machine of the pickled function, after checking it is the same code."""
    cls = _machine_class_of(module_name, class_qualname, qualname)
    _plain_maker_found(cls)
    if cls._qualname != qualname or cls._source_digest != digest:
        raise CodeChanged(
            f"cannot restore coroutine {qualname!r} of module {module_name!r}: the function's source "
            f"changed since it was pickled (digest {digest}, now {cls._source_digest})"
        )
    machine = object.__new__(cls)  # not cls(): no __init__, no origin tracking
    # Finished until its state is set: a load that fails later leaves nothing to close.
    machine.state = DONE
    machine._awaiting = None
    return machine


_FOUND = {}  # (module name, class qualname) -> (module, class): the last one looked up


def _machine_class_of(module_name, class_qualname, qualname):
    module = sys.modules.get(module_name)
    found = _FOUND.get((module_name, class_qualname))
    if found is not None and found[0] is module:
        return found[1]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise CodeChanged(
            f"cannot restore coroutine {qualname!r}: its module {module_name!r} cannot be imported ({error})"
        ) from error
    cls = module
    for part in class_qualname.split("."):
        cls = getattr(cls, part, None)
    if not (isinstance(cls, type) and issubclass(cls, Machine)):
        raise CodeChanged(
            f"cannot restore coroutine {qualname!r}: module {module_name!r} has no compiled "
            f"{class_qualname} (is the module compiled in this process, by the import hook or "
            "statemachine-compiler run? was the function renamed or removed?)"
        )
    _FOUND[(module_name, class_qualname)] = (module, cls)
    return cls


class _SavedException:
    """An exception in a machine's state, pickled with its chain but not its traceback."""

    __slots__ = ("exception",)

    def __init__(self, exception):
        self.exception = exception

    def __reduce__(self):
        error = self.exception
        return _restored_exception, (
            error,
            _saved_link(error.__context__, error),
            _saved_link(error.__cause__, error),
            error.__suppress_context__,
        )


def _saved_link(linked, error):
    # A chain that comes back to ``error`` is cut there: pickle could not rebuild it.
    if linked is None or linked is error:
        return None
    return _SavedException(linked)


def _restored_exception(error, context, cause, suppress_context):
    error.__context__ = context
    error.__cause__ = cause
    error.__suppress_context__ = suppress_context
    return error


class _SavedHandling:
    """A ``_HandlingIterator`` (an await inside ``except``/``finally``), pickled."""

    __slots__ = ("iterator", "exception")

    def __init__(self, iterator, exception):
        self.iterator = iterator
        self.exception = exception

    def __reduce__(self):
        return _HandlingIterator, (self.iterator, _SavedException(self.exception))


# -- copy ----------------------------------------------------------------------------


def deepcopy_machine(machine, memo):
    """``copy.deepcopy(machine)``: an independent machine at the same point."""
    twin = object.__new__(type(machine))
    twin.state = DONE  # finished until its state is set: a copy that fails leaves nothing to close
    twin._awaiting = None
    memo[id(machine)] = twin
    saved = _saved_state(machine, None)
    state = {}
    for name, value in saved.items():
        try:
            state[name] = _deepcopy_value(value, memo)
        except CannotSave:
            raise
        except Exception as error:
            raise _cannot_save(machine, [(name, value)], error, copy.deepcopy, None) from error
    _set_state(twin, state)
    return twin


def _deepcopy_value(value, memo):
    if type(value) is _SavedException:
        return _copied_exception(value.exception, memo)
    if type(value) is _SavedHandling:
        return _HandlingIterator(
            _deepcopy_value(value.iterator, memo), _copied_exception(value.exception, memo)
        )
    if type(value) is _NestedStub:
        return _rebuilt_stub(*_stub_parts(value.function, lambda part: _copied_part(part, memo)))
    if type(value) is _SavedCells:  # the cells, copied once each (copyreg's _reduce_cell)
        twin = _SavedCells(copy.deepcopy(dict(value), memo))
        twin.globals = value.globals
        return twin
    if type(value) is BuiltinMethodType and not isinstance(value.__self__, ModuleType):
        # ``log.append`` spilled before ``log.append(await x)``: copy treats
        # built-in methods as atomic, which would leave the copy appending to
        # the original's list.  Pickle already saves them as getattr(self, name).
        return getattr(copy.deepcopy(value.__self__, memo), value.__name__)
    return copy.deepcopy(value, memo)


def _copied_part(value, memo):
    """What a nested stub's cell holds, copied: its resume's maker made again over copies of the enclosing cells."""
    if type(value) is _ResumeMaker:  # made again over copies of the enclosing cells
        return _rebuilt_maker(*value.parts(value.cls, lambda cells: copy.deepcopy(cells, memo)))
    return copy.deepcopy(value, memo)


def _copied_exception(error, memo):
    """A copy of ``error`` with its chain copied; the traceback is the same (shared) object."""
    if error is None:
        return None
    twin = memo.get(id(error))
    if twin is not None:
        return twin
    twin = copy.deepcopy(error, memo)  # type, args and __dict__, as copy does
    memo[id(error)] = twin
    twin.__context__ = _copied_exception(error.__context__, memo)
    twin.__cause__ = _copied_exception(error.__cause__, memo)
    twin.__suppress_context__ = error.__suppress_context__
    twin.__traceback__ = error.__traceback__
    return twin


def copy_machine(machine, memo=None):
    """``copy.copy(machine)``: the chain of awaits copied, every local's value shared.

    Discussion: two machines cannot drive one awaited coroutine, so what the
    machine awaits is copied the same way (machines, async generator steps,
    awaits inside ``except``); the objects the locals name are the same
    objects, loop iterators included.
    """
    if memo is None:
        memo = {}
    twin = memo.get(id(machine))
    if twin is not None:
        return twin
    cls = type(machine)
    twin = memo[id(machine)] = object.__new__(cls)
    twin.state = DONE  # finished until its state is set: a copy that fails leaves nothing to close
    twin._awaiting = None
    state = {}
    for name, slot in _slots(cls).items():
        try:
            value = slot.__get__(machine)
        except AttributeError:
            continue
        if name in ("_awaiting", "_step"):
            value = _copied_awaiting(_awaited_form(value, machine, None), memo)
        elif name == "resume" and cls._reference is not None and type(value) is FunctionType:
            value = _shallow_cells(value, cls)  # the twin's own cells, the same values
        state[name] = value
    if cls._kind == "async generator":
        for hook in _LOOP_HOOKS:
            state.pop(hook, None)
    _set_state(twin, state)
    return twin


def _copied_awaiting(awaiting, memo):
    if isinstance(awaiting, Machine):
        return copy_machine(awaiting, memo)
    kind = type(awaiting)
    if kind is _AwaitIterator:
        return _AwaitIterator(copy_machine(awaiting.machine, memo))
    if kind is _SavedHandling:
        return _HandlingIterator(_copied_awaiting(awaiting.iterator, memo), awaiting.exception)
    if issubclass(kind, _Step):
        twin = memo.get(id(awaiting))
        if twin is None:
            twin = memo[id(awaiting)] = copy.copy(awaiting)
            twin.generator = copy_machine(awaiting.generator, memo)
        return twin
    return awaiting if awaiting is None else copy.copy(awaiting)


def where_suspended(coroutine):
    """``coroutine 'f' suspended at line 3 of app.py``: the innermost machine of the chain of awaits."""
    if not isinstance(coroutine, Machine):
        return repr(coroutine)
    innermost = coroutine
    awaited = coroutine
    while awaited is not None:
        if isinstance(awaited, Machine):
            innermost = awaited
            awaited = awaited._awaiting
        elif type(awaited) is _AwaitIterator:
            awaited = awaited.machine
        elif type(awaited) is _HandlingIterator:
            awaited = awaited.iterator
        elif type(awaited) is _Step:
            awaited = awaited.generator
        else:
            break
    return _where(innermost)


def chain_ends_at(coroutine, awaited):
    """Whether the chain of awaits from ``coroutine`` ends at ``awaited`` (a generator, a native coroutine)."""
    innermost = innermost_awaited(coroutine)
    if innermost is awaited:
        return True
    return type(innermost) is _coroutine_wrapper() and _coroutine_of(innermost) is awaited


def innermost_awaited(machine):
    """What the chain of awaits from ``machine`` ends on: the object that yielded last."""
    awaited = machine
    while True:
        if isinstance(awaited, Machine):
            following = awaited._awaiting
            if following is None:
                return awaited
        elif type(awaited) is _AwaitIterator:
            following = awaited.machine
        elif type(awaited) is _HandlingIterator:
            following = awaited.iterator
        elif isinstance(awaited, _Step):
            following = awaited.generator
        else:
            return awaited
        awaited = following




def _coroutine_of(wrapper):
    """The native coroutine whose ``__await__()`` this is: Python names it nowhere, the collector does."""
    import gc

    for referent in gc.get_referents(wrapper):
        if type(referent) is CoroutineType:
            return referent
    return None


def _coroutine_wrapper():
    global _COROUTINE_WRAPPER
    if _COROUTINE_WRAPPER is None:

        async def native():
            pass

        coroutine = native()
        _COROUTINE_WRAPPER = type(coroutine.__await__())
        coroutine.close()
    return _COROUTINE_WRAPPER
