"""The base class of every compiled coroutine.

The compiler turns ``async def f(...)`` into a subclass of :class:`StateMachine`
whose ``resume(value, error)`` method runs the function's body from the await
it last stopped at (``self.state``) to the next one.  Everything that is the
same for every function lives here, once:

1. ``resume`` returns the awaitable it wants to wait on, after setting
   ``self.state`` to the number of the await.  It returns with
   ``self.state == 0`` only when the function itself returned.
2. This class drives the awaitable exactly as PEP 380 ``yield from`` would:
   whatever it yields goes out to the event loop, ``send``/``throw``/``close``
   from the loop are forwarded to it, and when it finishes its result (or its
   exception) goes back into ``resume``.
3. When the awaitable finishes at once, ``resume`` is called again in the same
   loop iteration, so a thousand awaits in a row never grow the Python stack.
   Before returning a compiled coroutine it has just made (``await f()``),
   ``resume`` tries ``run_now``: a coroutine that returns without suspending
   runs to its end there, and ``resume`` goes on with its result.
4. All of a coroutine's state is in the object's slots: there is no frame.
   That is what lets a suspended machine be copied and pickled.

Error messages are CPython's, word for word, so that code written against
native coroutines cannot tell the difference.
"""

# Discussion: what this module imports is what every compiled program pays
# for at start-up, so it names the modules Python has loaded before the
# first line of any program and nothing else.  ``collections.abc`` is read
# from ``_collections_abc``, the module it re-exports; ``weakref.ref`` from
# ``_weakref`` (the ``weakref`` module, for its WeakKeyDictionary, is
# imported by the debugging path that needs one); the opcodes looked for
# are numbered below, ``opcode`` being imported only where Python is newer
# than this table.
import builtins
import gc
import sys
import warnings
from _collections_abc import Coroutine
from _thread import get_ident as _get_ident
from _weakref import ref as _weak_ref
from types import (
    CellType,
    CodeType,
    CoroutineType,
    FunctionType,
    GeneratorType,
    MethodDescriptorType,
    TracebackType,
    WrapperDescriptorType,
)

from runtime.machines import handling, stacks
from runtime.machines.handling import Handling, _HandlingIterator

__all__ = [
    "Machine",
    "StateMachine",
    "EXHAUSTED",
    "async_iterator",
    "next_awaitable",
    "weak_reference",
]

# How a resume made over cells (a compiled make_resume) reaches its machine
# without keeping it alive: a weak reference.
weak_reference = _weak_ref

# The files whose functions drive machines: left out of tracebacks, and
# looked for on the stack (Machine._frame).  runtime.machines.asyncgen adds its own.
_MACHINERY_FILES = stacks._hidden_files  # the set stack walks leave out too
_MACHINERY_FILES.update({__file__, handling.__file__, stacks.__file__})

DONE = -1  # state of a machine that returned or raised
CO_ITERABLE_COROUTINE = 0x100  # inspect's name for it; inspect is too dear to import here


class _Unbound:
    """The value of a local that is not bound: for locals(), and in a finished machine's slots."""

    __slots__ = ()

    def __repr__(self):
        return "<unbound>"

    def __reduce__(self):
        return "_UNBOUND"  # a finished machine pickles and copies with it


_UNBOUND = _Unbound()

# Before 3.13 (PEP 667) locals() in a function returns the frame's one dict,
# brought up to date at each call; since, a new snapshot each time.
_LOCALS_ARE_SNAPSHOTS = sys.version_info >= (3, 13)

# What close() does changed in 3.13 (gh-104770): it returns the value of a
# coroutine that returns when closed.  (The same release's rules for an async
# generator's asend()/athrow() awaitables: runtime.machines.asyncgen, _STRICT_STEPS.)
_CLOSE_RETURNS_VALUE = sys.version_info >= (3, 13)
# 3.11 closes a coroutine that never started by throwing into it, which
# clears its frame (its arguments go); 3.12 only marks it finished.
_CLOSE_AT_START_CLEARS_FRAME = sys.version_info < (3, 12)


class _Exhausted:
    """The value ``next(iterator, EXHAUSTED)`` returns at the end of a for loop."""

    __slots__ = ()

    def __repr__(self):
        return "EXHAUSTED"

    def __reduce__(self):
        return "EXHAUSTED"


EXHAUSTED = _Exhausted()

_STACKS_INSTALLED = False


def _install_stacks():
    global _STACKS_INSTALLED
    _STACKS_INSTALLED = stacks.install()  # False until inspect is imported too


class _Running:
    __slots__ = ()


# ``_awaiting`` holds the iterator being delegated to; while ``resume`` runs it
# holds this marker instead, so that re-entering the machine is detected.
_RUNNING = _Running()


def _without_machinery(error):
    """Drop this module's frames from a traceback: users see their own code only."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in _MACHINERY_FILES:
        tb = tb.tb_next
    first = tb
    while tb is not None:
        following = tb.tb_next
        while following is not None and following.tb_frame.f_code.co_filename in _MACHINERY_FILES:
            following = following.tb_next
        tb.tb_next = following
        tb = following
    error.__traceback__ = first
    return error


def _leave_machinery(error):
    """Make an exception leaving the machinery for the caller's code show none of its frames.

    Discussion: called in the ``except`` clause of each method that the event
    loop (or native code) calls, followed by a bare ``raise``: that raises
    the exception with the traceback it now has, without adding the frame of
    the method again, so the caller's traceback entry is followed directly
    by the user's frames.  Only an exception on its way out pays for it.
    """
    _without_machinery(error)


def reraise(error):
    """Raise ``error`` where this is called, with its ``__context__`` as it is.

    What a resume point raises: the exception its await ended with.  A plain
    ``raise error`` there would chain it to the exception being handled at
    that point (or by whoever called ``send``); CPython's await does not.
    An exception raised by the awaited code comes out as it was raised
    there, and one thrown in has already been chained by ``Machine._throw``
    to what the function was handling, as ``_PyErr_ChainStackItem`` does.
    Used as well to re-enter an ``except`` clause: its exception is the same
    exception as before, context included.
    """
    if type(error) is _Raised:
        # An await's exception, on its way in: taken out of its box, so that
        # resume's ``error`` parameter does not keep it alive (see _advance).
        box = error
        error, box.error = box.error, None
        box = None
    context = error.__context__
    traceback = error.__traceback__
    link = _link_to(sys.exception(), error)
    try:
        raise error
    except BaseException:
        # Raised again from here, nothing chained, the traceback as it was:
        # the caller's frame is the one that raises it.
        error.__context__ = context
        error.__traceback__ = traceback
        if link is not None:
            link.__context__ = error
        raise
    finally:
        # This frame stays in the traceback: holding the exception, it would
        # make a cycle that keeps the exception, and every frame and machine
        # its traceback holds, alive until the next garbage collection.
        error = context = traceback = None


def _link_to(handled, error):
    """The exception in ``handled``'s context chain whose ``__context__`` is ``error``.

    Discussion: raising ``error`` while the caller handles ``handled`` makes
    CPython cut that link, to avoid a cycle (``_PyErr_SetObject``).  When
    the raise only re-enters an ``except`` clause, natively nothing is raised
    and the link stays: asyncio's pure-Python Task throws a task's exception
    (chained to the clause's exception) in from its own ``except`` block.
    The caller restores the link afterwards.
    """
    if handled is None or handled is error:
        return None
    link, seen = handled, set()
    while (context := link.__context__) is not None and id(link) not in seen:
        if context is error:
            return link
        seen.add(id(link))
        link = context
    return None


def _chained(error, handled):
    """``error``, thrown into a function that suspended while handling ``handled``.

    CPython chains an exception thrown into a suspended coroutine to the
    exception that coroutine itself was handling there, not to its
    caller's (``gen_send_ex2`` -> ``_PyErr_ChainStackItem``); with nothing
    being handled, the exception keeps its context.
    """
    if handled is None or handled is error:
        return error
    # As _PyErr_SetObject: break a cycle through ``error``, leave others alone.
    link, seen = handled, set()
    while (context := link.__context__) is not None and id(link) not in seen:
        if context is error:
            link.__context__ = None
            break
        seen.add(id(link))
        link = context
    error.__context__ = handled
    return error


def _named_after_function(code, cls, generated):
    """``resume``'s code (qualified name ``generated``), named as the compiled function, and so is what is defined in it."""
    code = code.replace(co_name=cls._name, co_qualname=cls._qualname)
    for const in code.co_consts:
        if type(const) is CodeType:
            # What is defined inside takes its qualified name from the function
            # too: ``f.<locals>.g``, not ``_f.resume.<locals>.g``.
            return _requalified(code, f"{generated}.<locals>.", f"{cls._qualname}.<locals>.")
    return code


def _resume_function(cls):
    """The function of ``cls`` whose code is, or makes, its resume: ``resume`` or ``make_resume``."""
    make_resume = cls.__dict__.get("make_resume")
    if make_resume is None and "_resume_maker" in cls.__dict__ and cls._enclosing is not None:  # in the enclosing class's
        return _resume_function(cls._enclosing())
    return cls.resume if make_resume is None else make_resume.__func__


def _resume_globals(cls):
    """The globals ``cls``'s resume runs in."""
    return cls._globals if cls._globals is not None else _resume_function(cls).__globals__


def _resume_made_by(make_resume):
    """The code of the resume a compiled ``make_resume`` makes (see emit.machine.write_make_resume)."""
    return next(c for c in make_resume.__code__.co_consts if type(c) is CodeType)


def _note_cells(cls, maker, code):
    """``cls``'s resume (``code``) is made by ``maker`` over cells: which, and where its weak reference is."""
    reference = maker.co_varnames[0]
    cells = set(maker.co_cellvars) - {reference}
    cls._cells = tuple(n for n in code.co_freevars if n in cells)
    cls._reference = code.co_freevars.index(reference)


def _with_nested_machines_finished(cls, code):
    """``code`` (``cls``'s resume), with the resumes of its nested machines made over its cells named and noted.

    Discussion: such a nested class (an attribute of ``cls``) has no resume
    of its own: its stub makes one per coroutine with ``_resume_maker``, a
    function defined in ``cls``'s resume, so a constant of ``code``.  The
    class is made first, before ``cls``, which finds that code for it here:
    renamed after the async def (its frames show ``add``, not ``resume``),
    the constants of ``code`` that hold it replaced.
    """
    for nested in list(cls.__dict__.values()):
        if not (isinstance(nested, type) and issubclass(nested, Machine)):
            continue
        maker_name = nested.__dict__.get("_resume_maker")
        if maker_name is None or nested._resume_code is not None:
            continue
        maker = next(c for c in code.co_consts if type(c) is CodeType and c.co_name == maker_name)
        made = next(c for c in maker.co_consts if type(c) is CodeType)
        finished = made
        if made.co_name == nested._resume_function:  # not compiled by the import hook
            finished = _named_after_function(made, nested, made.co_qualname)
        finished = _with_nested_machines_finished(nested, finished)
        if finished is not made:
            code = _with_constant(code, maker, _with_constant(maker, made, finished))
        nested._resume_code = finished
        # Not the class itself: what walks the classes nested in a class would go round.
        nested._enclosing = _weak_ref(cls)
        _note_cells(nested, maker, finished)
        if _deletes_attributes(finished):
            nested.__delattr__ = Machine._delete_local
    return code


def _finish_plain_maker(cls, maker, namespace):
    """Give ``cls`` the code of its resume, made by ``maker`` (the code of a plain function's resume_maker)."""
    made = _resume_made_by_code(maker)
    finished = made
    if made.co_name == cls._resume_function:  # not compiled by the import hook
        finished = _named_after_function(made, cls, made.co_qualname)
    finished = _with_nested_machines_finished(cls, finished)
    cls._maker_source = maker
    cls._maker_code = maker if finished is made else _with_constant(maker, made, finished)
    cls._resume_code = finished
    cls._globals = namespace
    _note_cells(cls, cls._maker_code, finished)
    if _deletes_attributes(finished):
        cls.__delattr__ = Machine._delete_local


def _resume_made_by_code(maker):
    return next(c for c in maker.co_consts if type(c) is CodeType)


def _with_constant(code, old, new):
    return code.replace(co_consts=tuple(new if c is old else c for c in code.co_consts))


def _requalified(code, old, new):
    """``code`` with the qualified names under ``old`` moved under ``new``."""
    consts = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            const = _requalified(const, old, new)
        elif isinstance(const, str) and const.startswith(old):
            const = new + const[len(old) :]  # a class body's __qualname__
        consts.append(const)
    qualname = code.co_qualname
    if qualname.startswith(old):
        qualname = new + qualname[len(old) :]
    return code.replace(co_consts=tuple(consts), co_qualname=qualname)


# The base class's methods every send, resumption and collection runs.
_HOT_PATHS = ("send", "_advance", "__del__")
# What ``send`` tests at a first step: true in the base class's code, false in a class's copy.
_SHARED_BY_EVERY_CLASS = True
_OWN_COPY = False


def _give_own_hot_paths(cls):
    """Give ``cls`` its own copy of each of the base class's hot methods: the same code, a copy of it.

    Discussion: CPython specialises an attribute access (``self._awaiting``,
    ``self.state``, ``self.resume``) for the one type it sees there, in the
    code object.  One ``send`` shared by every machine class sees them all
    in a program, and takes the generic (several times dearer) path at
    each; a chain of three coroutines of three classes is such a program.
    A copy of the code per class keeps every site of it seeing one type.
    A copy costs about as much as making the class, so it is made at the
    first step a coroutine of the class takes in ``send`` (the base class's
    code, which tests ``_SHARED_BY_EVERY_CLASS`` there: the copies test
    ``_OWN_COPY``), not at import: a class whose coroutines are only ever
    run by ``run_now`` never needs one.
    """
    for name in _HOT_PATHS:
        if name in cls.__dict__:
            continue  # the class's own (an async generator's, or one of the compiler's)
        method = getattr(cls, name, None)
        if type(method) is not FunctionType:
            continue
        code = method.__code__
        names = tuple("_OWN_COPY" if n == "_SHARED_BY_EVERY_CLASS" else n for n in code.co_names)
        copy = FunctionType(code.replace(co_names=names), method.__globals__, method.__name__,
                            method.__defaults__, method.__closure__)
        copy.__kwdefaults__ = method.__kwdefaults__
        copy.__doc__ = method.__doc__
        copy.__qualname__ = method.__qualname__
        copy.__module__ = method.__module__
        setattr(cls, name, copy)


def _opcode(name, numbers):
    """The number of the opcode ``name`` in this Python: ``numbers`` (3.11 on), else ``opcode``'s."""
    number = numbers.get(sys.version_info[:2])
    if number is None:
        from opcode import opmap

        number = opmap[name]
    return number


# tests/runtime/test_startup.py checks them against opcode.opmap.
_DELETE_ATTR = _opcode("DELETE_ATTR", {(3, 11): 96, (3, 12): 96, (3, 13): 63})


_DELETE_ATTR_BYTE = bytes((_DELETE_ATTR,))


def _deletes_attributes(code):
    """Whether ``code``, or code defined in it, has a ``del x.attribute`` (possibly: a byte scan)."""
    # Discussion: asked of every machine class as it is made.  Most code has
    # no byte of that value at all, which ``in`` (a memchr) tells before a
    # slice of the opcodes is made.
    instructions = code.co_code
    if _DELETE_ATTR_BYTE in instructions and _DELETE_ATTR in instructions[::2]:
        return True
    for const in code.co_consts:
        if type(const) is CodeType and _deletes_attributes(const):
            return True
    return False


def _captured_slots(code, machine, slots, cells=frozenset()):
    """The slots that code defined in ``code`` reads through ``machine``, its closures' variable.

    ``machine`` None: a resume made over ``cells`` (make_resume), whose
    machine has a name of the compiler's; a closure over anything but those
    cells (the machine among it) counts.

    Read by attribute name, so an attribute of the same name of something
    else counts too: that keeps a local a little longer, never too short.
    """
    captured = set()
    for const in code.co_consts:
        if type(const) is CodeType:
            if machine in const.co_freevars or (machine is None and not cells.issuperset(const.co_freevars)):
                captured.update(slots.intersection(const.co_names))
            captured |= _captured_slots(const, machine, slots, cells)
    return captured


def _released_slots(cls):
    """The slots ``_release_locals`` clears: the generated class's, less the captured ones."""
    slots = cls.__dict__.get("__slots__", ())
    code = cls._resume_code
    if code.co_argcount != 3:
        # Made over cells (make_resume): what nested functions share is in
        # them, and the machine lets go of its resume, which holds them; a
        # slot a closure reads through the machine (its local of another name) stays.
        cells = set(code.co_freevars) - {code.co_freevars[cls._reference]}  # its own, the enclosing ones'
        # And the locals of resume that a nested async def's stub closes
        # over: its class and its resume's maker (emit.machine.write_resume_maker).
        for nested in vars(cls).values():
            if isinstance(nested, type) and "_resume_maker" in vars(nested):
                cells.update((nested.__qualname__.rpartition(".")[2], nested._resume_maker))
        captured = _captured_slots(code, None, set(slots), frozenset(cells))
    elif not code.co_varnames:
        return tuple(slots)
    else:
        captured = _captured_slots(code, code.co_varnames[0], set(slots))
    captured |= _names_read_by_nested_machines(cls).intersection(slots)
    return tuple(s for s in slots if s not in captured)


def _names_read_by_nested_machines(cls):
    """The attribute names the classes of the async defs nested in ``cls``'s function read.

    Discussion: such a class is an attribute of ``cls`` (made once, not at
    each call), and reads the enclosing machine's locals through a slot
    that holds it (``frame.outer.k``), not through a closure: for it they
    are cells all the same, which live on after the function returned.
    """
    names = set()
    for nested in vars(cls).values():
        if isinstance(nested, type) and issubclass(nested, Machine):
            for method in vars(nested).values():
                method = getattr(method, "__func__", method)  # make_resume is a staticmethod
                # (Not the copies of this module's methods it has: see _give_own_hot_paths.)
                if type(method) is FunctionType and method.__code__.co_filename != __file__:
                    names |= _names_in(method.__code__)
            if nested._resume_code is not None:  # made by its _resume_maker, in cls's resume
                names |= _names_in(nested._resume_code)
            names |= _names_read_by_nested_machines(nested)
    return names


def _names_in(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if type(const) is CodeType:
            names |= _names_in(const)
    return names


def _unbinding(slots):
    """A function setting each of ``slots`` of its machine to ``_UNBOUND``, in order.

    Discussion: each slot is set to the "unbound" marker that repr() and
    locals() skip, not deleted: deleting an unbound slot raises, and costs
    more than the rest of the return (compiled try/with leave some unbound).
    One chained assignment (``machine.a = machine.b = _UNBOUND``) is a
    store per slot, where a loop of ``setattr`` was a call per slot.  It
    has this module's file name, so that it is machinery to tracebacks and
    stack walks, as the rest of the base class is.

    Each class gets a code object of its own (CPython specialises each
    store for the one type it sees there), made from the code compiled
    once for that number of slots with placeholder names, the class's
    put in its place: compiling it for every class was a good part of the
    first run of a program of many async functions.
    """
    code = _unbinding_code(len(slots))
    if slots:
        code = code.replace(co_names=("_UNBOUND", *slots))
    return FunctionType(code, _RELEASING_GLOBALS)


# Globals of a module, not bare dicts: what the stores free runs in the
# releasing frame, and C code there that imports (the "never awaited" warning
# of a native coroutine, PyImport_ImportModule) reads ``__builtins__`` from the
# running frame's globals, and a warning its module and registry.
_RELEASING_GLOBALS = {"__name__": __name__, "__builtins__": builtins, "_UNBOUND": _UNBOUND}
_UNBINDING_CODE = {}  # number of slots -> the code of _release_locals for as many placeholders


def _unbinding_code(count):
    """The code of ``_release_locals`` storing ``_UNBOUND`` to ``count`` placeholder attributes.

    Discussion: the source is run by ``exec``, not compiled by
    ``compile()`` first: the first ``compile()`` of a process sets up the
    ``ast`` module's types, three milliseconds at the first return of a
    compiled program that imports nothing that has done it already
    (asyncio does, through inspect); ``exec`` of a string compiles without
    them.
    """
    code = _UNBINDING_CODE.get(count)
    if code is None:
        placeholders = [f"_{index}" for index in range(count)]
        stores = "".join(f"machine.{name} = " for name in placeholders)
        source = f"def _release_locals(machine):\n    {stores}_UNBOUND\n" if count else (
            "def _release_locals(machine):\n    pass\n"
        )
        namespace = {}
        exec(source, {}, namespace)
        code = _as_if_at(namespace["_release_locals"].__code__, StateMachine._release_locals)
        # The value's name first, then the attributes', in order: what
        # _unbinding replaces.
        assert code.co_names == (("_UNBOUND",) if count else ()) + tuple(placeholders)
        _UNBINDING_CODE[count] = code
    return code


def _as_if_at(code, function):
    """``code``, made from a string, with each instruction at the first line of ``function`` of this file.

    Where a warning or a traceback from what it frees points: the
    runtime's function that stands for it, not line 2 of this file.
    """
    return code.replace(
        co_filename=__file__,
        co_firstlineno=function.__code__.co_firstlineno,
        co_linetable=_one_line_without_columns(len(code.co_code) // 2),
    )


def _give_release_locals(cls):
    """Give ``cls`` its ``_released`` slots and its own ``_release_locals``; return the latter."""
    cls._released = _released_slots(cls)
    cls._release_locals = release = _unbinding(cls._released)
    return release


def _keep_locals(machine):
    """Move the locals of ``machine``, which an exception left, into a machine of its class that only they are in.

    The answer, done, is what ``kept_locals`` finds for debuggers (pdb's
    post-mortem reads the function's locals there); None when the function
    has none.  What ``_release_locals`` would leave (the captured locals,
    cells natively too) stays.
    """
    cls = type(machine)
    move = cls.__dict__.get("_move_locals")
    if move is None:
        released = cls._released if cls._released is not None else _released_slots(cls)
        move = _moving(released) if released else False
        type.__setattr__(cls, "_move_locals", move)
    if move is False:
        return None
    kept = object.__new__(cls)
    kept.state = DONE
    kept._awaiting = None
    move(machine, kept)
    return kept


def _moving(slots):
    """A function moving each of ``slots`` of a machine to another (an unset one stays unset), as ``_unbinding``."""
    code = _MOVING_CODE.get(len(slots))
    if code is None:
        placeholders = [f"_{index}" for index in range(len(slots))]
        moves = "".join(
            f"    try:\n        kept.{name} = machine.{name}\n    except (AttributeError, NameError):\n        pass\n"
            for name in placeholders
        )
        stores = "".join(f"machine.{name} = " for name in placeholders)
        source = f"def _move_locals(machine, kept):\n{moves}    {stores}_UNBOUND\n"
        namespace = {}
        exec(source, {}, namespace)
        code = _MOVING_CODE[len(slots)] = _as_if_at(namespace["_move_locals"].__code__, _keep_locals)
    names = dict(zip((f"_{index}" for index in range(len(slots))), slots, strict=True))
    code = code.replace(co_names=tuple(names.get(name, name) for name in code.co_names))
    return FunctionType(code, _RELEASING_GLOBALS)


_MOVING_CODE = {}  # number of slots -> the code of _move_locals for as many placeholders


def kept_locals(frame, machine):
    """The machine holding the locals of ``machine`` as the finished ``frame`` of its resume sees them.

    ``machine`` itself, but for one an exception left: then the one its
    locals moved to (``_keep_locals``), which the frame that called resume
    (the frame's ``f_back``) holds, if it is still there.
    """
    caller = frame.f_back if machine.state == DONE else None
    if caller is not None and "kept_locals" in caller.f_code.co_varnames:
        kept = caller.f_locals.get("kept_locals")
        if type(kept) is type(machine):
            return kept
    return machine


def _delegate_of(awaitable):
    """What ``await awaitable`` steps: the iterator ``yield from`` would drive.

    A compiled coroutine that has not started (or that ``run_now`` started,
    and left waiting for its first step) is its own delegate: the awaiting
    machine's ``send`` steps it through its ``send``, which runs it, with no
    iterator in between.  Anything else gets CPython's checks, those of
    ``_await_iterator``; the usual ``__await__`` (a generator, a future's
    iterator) is spelled out here, first: every suspension comes this way.
    """
    cls = type(awaitable)
    method = getattr(cls, "__await__", None)
    if method is _machine_await:
        waiting = awaitable._awaiting
        if (waiting is None and awaitable.state == 0) or type(waiting) is _FirstStep:
            return awaitable
    elif method is not None and cls is not CoroutineType:
        iterator = method(awaitable)
        if type(iterator) is GeneratorType:  # the usual ``def __await__(self): yield``
            return iterator
        return _checked_iterator(iterator)
    return _await_iterator(awaitable)


def _release_frames(error, code):
    """Clear the finished frames of ``code`` in the traceback of the exception being handled.

    Discussion: a function that suspends inside ``except`` keeps the
    exception it handles, whose traceback holds the frame of ``resume``
    that raised it, finished now; that frame still holds its locals (the
    awaitable it returned) and, through ``f_back``, the machinery's finished
    frames and theirs: all of it would keep what the function awaits alive
    as long as the exception, where CPython lets go of it when the await
    ends.  Nobody reads those locals: the function's own are in the machine.
    (``send`` drops its own reference to such a delegate as it returns, for
    the same reason; only there, where a traceback is known to hold its
    frame: dropping it always changed when abandoned async generators are
    finalized, as natively they are not.)  A cleared frame keeps its
    ``f_back``: the frames of ``code`` it links to are cleared too, and the
    machinery's (``_advance``, ``send``, ``throw``, ``run_now`` when the
    coroutine it ran raised) let go of the machine before they return:
    otherwise the kept exception would hold the machine that keeps it, a
    cycle, and a coroutine dropped while suspended in such a clause would be
    closed by the collector, not when its last reference goes.  Still linked so: the
    frame of whoever called ``send`` or ``throw`` (a caller whose finished
    frame holds the coroutine still makes a cycle), where natively a
    suspended coroutine's frame links to no caller; but a later await or
    yield in the clause finds the machinery's frames of that call finished,
    and clears them too (an async generator's step, and the ``send`` of the
    coroutine that awaited it, held the generator).
    """
    # The caller and the frames below it still run: f_locals is not to be
    # looked at there (before 3.13 it would keep what it saw, after they finish).
    running = set()
    frame = sys._getframe(1)
    while frame is not None:
        running.add(frame)
        frame = frame.f_back
    tb = error.__traceback__
    while tb is not None:
        # The frame, and those it links to (an earlier call of resume that
        # awaited a coroutine run at once, which raised, is the f_back of
        # run_now's frame, which is its frame's).
        frame = tb.tb_frame
        while frame is not None and frame not in running:
            frame_code = frame.f_code
            if frame_code is code or (
                frame_code.co_filename in _MACHINERY_FILES and not frame_code.co_flags & _SUSPENDABLE
            ):
                if "kept_locals" in frame_code.co_varnames:
                    # Left as it is if it holds the locals of a coroutine the
                    # exception left (natively its frame, which the traceback
                    # holds: see _raised_out).  Else cleared, and so is the
                    # dict f_locals made before 3.13, which frame.clear()
                    # leaves: a new look at f_locals empties it.
                    if frame.f_locals.get("kept_locals") is None:
                        try:
                            frame.clear()
                        except RuntimeError:
                            pass  # running in another thread: leave it
                        else:
                            frame.f_locals  # noqa: B018
                else:
                    try:
                        frame.clear()
                    except RuntimeError:
                        pass  # still executing: leave it
            frame = frame.f_back
        tb = tb.tb_next


# The code of a generator or coroutine: clearing its frame would close it.
_SUSPENDABLE = 0x20 | 0x80 | 0x200  # CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR


def _await_iterator(awaitable):
    """Return the iterator that ``await awaitable`` delegates to (CPython's checks)."""
    cls = type(awaitable)
    if cls is CoroutineType:
        if awaitable.cr_await is not None:
            raise RuntimeError("coroutine is being awaited already")
        return awaitable.__await__()
    if cls is GeneratorType and awaitable.gi_code.co_flags & CO_ITERABLE_COROUTINE:
        return awaitable  # a @types.coroutine generator: awaitable as it is
    method = getattr(cls, "__await__", None)
    if method is _machine_await:
        waiting = awaitable._awaiting
        if waiting is not None and waiting is not _RUNNING:
            raise RuntimeError(f"{awaitable._kind} is being awaited already")
        return _AwaitIterator(awaitable)
    if method is None:
        raise TypeError(f"object {cls.__name__} can't be used in 'await' expression")
    iterator = method(awaitable)
    if type(iterator) is GeneratorType:  # the usual ``def __await__(self): yield``
        return iterator
    return _checked_iterator(iterator)


handling._await_iterator = _await_iterator  # for Handling.__await__ (see there)


def _checked_iterator(iterator):
    """What ``__await__()`` returned, if await can drive it (CPython's errors otherwise)."""
    if isinstance(iterator, (CoroutineType, StateMachine)):
        raise TypeError("__await__() returned a coroutine")
    if not hasattr(type(iterator), "__next__"):
        raise TypeError(f"__await__() returned non-iterator of type '{type(iterator).__name__}'")
    return iterator


_MISSING = object()

# 3.12 deprecated throw(type, exc, tb) and athrow(type, exc, tb) (gh-96348).
_THREE_ARGUMENT_THROW_WARNS = sys.version_info >= (3, 12)

# 3.11 starts a coroutine that never ran with the thrown exception in flight,
# so PEP 479 turns a StopIteration (and an async generator's
# StopAsyncIteration) into a RuntimeError; 3.12 raises it as it is.
_THROW_AT_START_IS_PEP_479 = sys.version_info < (3, 12)


def _unstarted_throw(machine, error):
    """What ``throw(error)`` raises from a machine that never started: ``error``, or 3.11's RuntimeError."""
    if not _THROW_AT_START_IS_PEP_479:
        return error
    if isinstance(error, StopIteration):
        stopped = "StopIteration"
    elif isinstance(error, StopAsyncIteration) and machine._kind == "async generator":
        stopped = "StopAsyncIteration"
    else:
        return error
    raised = RuntimeError(f"{machine._kind} raised {stopped}")
    raised.__cause__ = raised.__context__ = error  # as _PyErr_FormatFromCause
    return raised


def _raise_unstarted(machine, error):
    """Raise what ``throw(error)`` raises from ``machine``, which never started (see _raise_before_start)."""
    raised = _unstarted_throw(machine, error)
    if raised is error:
        # Handed on, not kept: this frame is on the exception's traceback.
        raised = None
        _raise_before_start((machine, machine := None)[0], (error, error := None)[0])
    try:
        _raise_before_start(machine, error)  # on 3.11 the cause is what the function's frame raised
    except BaseException:
        _without_machinery(error)
    machine = error = None
    reraise((raised, raised := None)[0])


def _raise_before_start(machine, error):
    """Raise ``error``, thrown into ``machine`` before it started, from a frame of the function holding its arguments.

    Natively the exception is raised in the coroutine's frame, at its
    ``def`` line, before the first line runs: the traceback has an entry
    of the function, and holds that frame, and the frame the arguments,
    which live as long as the exception (or its traceback) does, however
    long the coroutine object lives.  Here the arguments move into such a
    frame (a function named as the async def, of its file and line, whose
    parameters they are), and the machine lets go of them: nothing of the
    function ran, so nothing else reads them.
    """
    cls = type(machine)
    arguments = [(name, value) for name, value in machine._local_values() if value is not _UNBOUND]
    for slot in cls.__dict__.get("__slots__", ()):
        object.__setattr__(machine, slot, _UNBOUND)
    machine = None
    start = _start_function(cls, tuple(name for name, _ in arguments))
    values = [value for _, value in arguments]
    arguments = None
    context = error.__context__
    link = _link_to(sys.exception(), error)
    start.__closure__[0].cell_contents = error
    try:
        start(*(values, values := None)[0])
    except BaseException:
        # Raised with nothing chained, as natively (see reraise).
        error.__context__ = context
        if link is not None:
            link.__context__ = error
        raise
    finally:
        # The frame's only local are the arguments: its cell lets go of the
        # exception, which holds the frame.
        del start.__closure__[0].cell_contents
        error = context = link = start = None


def _start_function(cls, names):
    """A function of ``cls``'s async def's name, file and first line, taking ``names`` and raising its cell's contents."""
    cached = cls.__dict__.get("_start_code")
    if cached is None or cached[0] != names:
        cached = (names, _start_code(cls, names))
        type.__setattr__(cls, "_start_code", cached)
    return FunctionType(cached[1], _resume_globals(cls), cls._name, None, (CellType(),))


def _start_code(cls, names):
    # The cell's name is none of the parameters'; positional-only parameters,
    # so that any names do; placeholders in the source, the names given to
    # the code (a generator expression's first is ``.0``, no identifier);
    # the line without columns, as a frame's first instruction (no carets in
    # a traceback).
    thrown = "thrown"
    while thrown in names:
        thrown += "_"
    placeholders = [f"{thrown}{i}" for i in range(len(names))]
    parameters = ", ".join(placeholders) + ", /" if names else ""
    source = f"def outer():\n    {thrown} = None\n    def start({parameters}): raise {thrown}\n    return start\n"
    outer = compile(source, __file__, "exec").co_consts[0]
    code = next(c for c in outer.co_consts if type(c) is CodeType)
    line = cls._lines[0]
    return code.replace(
        co_varnames=names,
        co_name=cls._name,
        co_qualname=cls._qualname,
        co_filename=cls._resume_code.co_filename,
        co_firstlineno=line,
        co_linetable=_one_line_without_columns(len(code.co_code) // 2),
    )


def _one_line_without_columns(units):
    """A ``co_linetable`` (3.11+'s format) giving each of ``units`` code units the first line, no columns."""
    # Each entry: 0x80 | code << 3 | (length - 1); code 13 says "no columns",
    # followed by the line's delta from the previous entry (a signed varint: 0).
    table = bytearray()
    while units > 0:
        length = min(units, 8)
        table += bytes((0x80 | 13 << 3 | (length - 1), 0))
        units -= length
    return bytes(table)


def thrown_exception(typ, val=_MISSING, tb=_MISSING):
    """The exception ``throw(typ, val, tb)`` raises, with CPython's errors for bad arguments.

    In CPython's order (_gen_throw): the traceback is checked first; a class
    is made with the value as its argument, or a tuple as its arguments.
    """
    val = None if val is _MISSING else val
    tb = None if tb is _MISSING else tb
    if tb is not None and type(tb) is not TracebackType:
        raise TypeError("throw() third argument must be a traceback object")
    if isinstance(typ, BaseException):
        if val is not None:
            raise TypeError("instance exception may not have a separate value")
        error = typ
    elif isinstance(typ, type) and issubclass(typ, BaseException):
        if val is None:
            error = typ()
        elif isinstance(val, typ):
            error = val
        else:
            error = typ(*val) if type(val) is tuple else typ(val)
    else:
        raise TypeError(
            "exceptions must be classes or instances deriving from BaseException, "
            f"not {type(typ).__name__}"
        )
    return error.with_traceback(tb) if tb is not None else error


def _throw_as_given(throw, typ, val, tb):
    """Call a delegate's ``throw`` with the arguments as they were given, as CPython's _gen_throw does.

    What CPython hands on when throw() refuses its arguments: the delegate
    refuses them in its turn (or its own delegate does), and the awaiting
    function gets the TypeError at its await.  Called from C, a native
    generator's throw() does not warn of the (type, exc, tb) signature;
    called from here it would, so that one warning is silenced.
    """
    given = (typ,) if val is _MISSING and tb is _MISSING else (typ, val) if tb is _MISSING else (typ, val, tb)
    if len(given) == 1 or not _THREE_ARGUMENT_THROW_WARNS:
        return throw(*given)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"the \(type, exc, tb\) signature of throw\(\)", DeprecationWarning)
        return throw(*given)


def _three_argument_warning(method):
    return f"the (type, exc, tb) signature of {method}() is deprecated, use the single-arg signature instead."

_refcount = sys.getrefcount
_HELD_BY_RUN_NOW = 2  # run_now's local (the awaiting resume's argument), getrefcount's argument


# What a special method found on a type may be, to be called as ``method(obj, ...)``.
_UNBOUND_CALLABLE = (FunctionType, WrapperDescriptorType, MethodDescriptorType)


def special_method(kind, name):
    """``kind``'s special method ``name``, to be called as ``method(obj, *args)``.

    Discussion: CPython looks a special method up on the type and binds it to
    the object through its ``__get__``.  A plain function (the usual case) or
    a method of a built-in type is returned as it is.  Anything else is bound
    when called: a classmethod, a staticmethod, a callable object, a slot
    filled per instance (``__slots__ = ("__anext__",)``, as asyncstdlib's
    borrowed iterators do), or ``None`` (which then fails as natively, when
    called).  ``_MISSING`` when no class of ``kind`` defines it.
    """
    attribute = getattr(kind, name, _MISSING)
    # (Defined in the class itself, the usual case, it is no staticmethod:
    # found as it is in the class's dict, one lookup and no walk of the MRO.)
    if type(attribute) in _UNBOUND_CALLABLE and (
        kind.__dict__.get(name) is attribute or not _is_static(kind, name)
    ):
        return attribute
    if attribute is _MISSING:
        return _MISSING
    for klass in kind.__mro__:
        if name in klass.__dict__:
            attribute = klass.__dict__[name]
            break
    bind = getattr(type(attribute), "__get__", None)
    if bind is None:
        return lambda obj, *args: attribute(*args)
    return lambda obj, *args: bind(attribute, obj, kind)(*args)


def _is_static(kind, name):
    # getattr() of a staticmethod gives its function, which takes no object.
    for klass in kind.__mro__:
        if name in klass.__dict__:
            return type(klass.__dict__[name]) is staticmethod
    return False


def async_iterator(iterable):
    """What ``async for`` calls first: ``__aiter__``, with CPython's error."""
    method = special_method(type(iterable), "__aiter__")
    if method is _MISSING:
        raise TypeError(
            f"'async for' requires an object with __aiter__ method, got {type(iterable).__name__}"
        )
    iterator = method(iterable)
    if not hasattr(type(iterator), "__anext__"):
        raise TypeError(
            "'async for' received an object from __aiter__ that does not implement "
            f"__anext__: {type(iterator).__name__}"
        )
    return iterator


def next_awaitable(iterator):
    """What ``async for`` awaits for each item: ``__anext__()``.

    As CPython does, the awaitable's ``__await__()`` is called here, and any
    error in doing so is the cause of "received an invalid object".  Compiled
    coroutines and async generator steps are returned as they are, so that
    the base class can still run them directly.
    """
    awaitable = special_method(type(iterator), "__anext__")(iterator)
    cls = type(awaitable)
    if cls in _DIRECT_AWAITABLES or getattr(cls, "__await__", None) is _machine_await:
        return awaitable
    try:
        return _Awaiting(_await_iterator(awaitable))
    except BaseException as error:
        raise TypeError(
            f"'async for' received an invalid object from __anext__: {cls.__name__}"
        ) from error


class _Awaiting:
    """An awaitable whose ``__await__()`` was already called: gives its iterator."""

    __slots__ = ("iterator",)

    def __init__(self, iterator):
        self.iterator = iterator

    def __await__(self):
        return self.iterator


# Awaitables whose __await__ cannot fail: next_awaitable() need not call it early.
# runtime.machines.asyncgen adds its asend/athrow awaitable.
_DIRECT_AWAITABLES = {CoroutineType}


# What a frame's last instruction is when ``yield from x`` asks for ``iter(x)``.
_GET_YIELD_FROM_ITER = _opcode("GET_YIELD_FROM_ITER", {(3, 11): 69, (3, 12): 69, (3, 13): 21})


class Machine:
    """A suspended call of a compiled function: its state number and its saved locals.

    Generated classes define ``__slots__`` for the function's locals and
    ``resume`` (or, when nested functions share some locals, ``make_resume``,
    which makes each machine's resume over cells of its own, kept in its
    ``resume`` slot: ``_resume_code`` is the code either way); the
    function's stub makes the machine and sets ``state``
    (0: not started), ``_awaiting`` (None: the iterator of the await it is
    suspended in) and its arguments (an async generator's class, and a few
    others, have an ``__init__`` that does: see emit.machine.stub_builds_machine).
    There is no ``__init__`` here: on 3.11 a class call that runs a Python
    ``__init__`` costs a call from C, a good part of creating a coroutine.  The class attributes
    ``_name``, ``_qualname`` and ``_lines`` (the source line of each state)
    describe the function for ``repr`` and tracebacks.  Coroutines derive
    from :class:`StateMachine`, async generators from
    ``runtime.machines.asyncgen.AsyncGeneratorMachine``.
    """

    # __name__ and __qualname__ are writable, as a native coroutine's are:
    # properties (below the class) over these two slots, which stay unset in
    # the usual case, where they read the class's _name and _qualname.
    __slots__ = ("state", "_awaiting", "__weakref__", "_own_name", "_own_qualname")

    _kind = "coroutine"
    # What ``isinstance`` and ``inspect.iscoroutine`` see: ``isinstance(x, C)``
    # asks ``x.__class__`` when ``type(x)`` is not C, as for proxies (wrapt,
    # unittest.mock).  A class attribute, not a property: reading it calls
    # nothing.  ``type(x)`` stays the machine's class, and ``Machine.__class__``
    # ``type``: only the instances answer so.
    __class__ = CoroutineType
    _name = "<coroutine>"
    _qualname = "<coroutine>"
    _lines = (0,)
    _temporaries = ()  # slots the compiler made for itself, not the function's locals
    _renamed = {}  # slot -> the local's name in the source, where they differ
    _released = None  # the slots _release_locals clears, found at its first call
    _source_digest = None  # of the function's source, emitted by the compiler: see durable
    _durable_slots = None  # {slot: descriptor}, filled per class when first pickled or copied
    _deletes_locals = False  # the import hook's word that resume may ``del`` an attribute
    _resume_code = None  # the code of the class's resume (see __init_subclass__): what frames run
    _resume_function = "resume"  # the name resume is defined by (emit.machine.MachineSpec.resume_function)
    _cells = ()  # the locals kept in cells, when resume is made per coroutine over them (make_resume)
    _reference = None  # then: where in resume's closure its weak reference to the machine is
    _parameters = ()  # the function's parameters, given when one of them is kept in a cell
    _enclosing = None  # a nested async def's class whose resume its _resume_maker makes: the enclosing one's (weakly)

    def __init_subclass__(cls, **kwargs):
        # Discussion: this runs for every async def of a module as it is
        # imported, so it does as little as it can.  The import hook already
        # did what it could as it compiled the module (resume named, whether
        # it deletes a local told by _deletes_locals): then it only looks.
        # (object.__init_subclass__ does nothing but refuse keywords.)
        if kwargs:
            super().__init_subclass__(**kwargs)
        if not _STACKS_INSTALLED and "traceback" in sys.modules:
            _install_stacks()  # see runtime.machines.stacks
        namespace = cls.__dict__
        resume = namespace.get("resume")
        if namespace.get("_may_read_unbound"):
            # Discussion: a class with a __getattr__ gets none of 3.11's
            # specialised attribute reads (a third of a machine's time goes to
            # ``self.x``), so only the functions that may read a local before
            # binding it (the compiler tells) get one, for the error of that.
            cls.__getattr__ = Machine._read_unbound
        make_resume = namespace.get("make_resume")
        if make_resume is not None:  # resume is made per coroutine, over cells
            make_resume = make_resume.__func__
            code = _resume_made_by(make_resume)
            generated = f"{cls.__qualname__}.make_resume.<locals>.{cls._resume_function}"
        elif type(resume) is not FunctionType:
            if "_resume_maker" in namespace:  # its resume is made where its async def stands
                cls.__name__ = cls._kind.replace(" ", "_")
            return  # no machine, or one whose resume its _resume_maker makes (see there)
        else:
            code = resume.__code__
            generated = f"{cls.__qualname__}.resume"
        # Discussion: CPython's own messages name an object's type by the
        # type's __name__: "'coroutine' object has no attribute 'x'", "... is
        # not callable", "unsupported operand type(s) for +: 'coroutine' and
        # 'int'".  Named as the native type, the class gets them all, with no
        # __getattr__ (which would cost every ``self.x`` its specialised read
        # on 3.11).  Its __qualname__ stays the generated class's: its repr,
        # pickle and the import hook find it by that.
        cls.__name__ = cls._kind.replace(" ", "_")
        if code.co_name != cls._resume_function:
            deletes = namespace.get("_deletes_locals", False)  # compiled by the import hook
        else:
            if "_name" in namespace:
                # Frames of resume carry the function's name, as a native
                # coroutine's frames do: tracebacks, profilers and asyncio's
                # reprs show it.
                renamed = _named_after_function(code, cls, generated)
                if make_resume is None:
                    resume.__code__ = renamed
                else:
                    make_resume.__code__ = _with_constant(make_resume.__code__, code, renamed)
                code = renamed
            deletes = _deletes_attributes(code)
        finished = _with_nested_machines_finished(cls, code)
        if finished is not code:
            if make_resume is None:
                resume.__code__ = finished
            else:
                make_resume.__code__ = _with_constant(make_resume.__code__, code, finished)
            code = finished
        cls._resume_code = code
        if make_resume is not None:
            _note_cells(cls, make_resume.__code__, code)
        if deletes:
            # Discussion: a __delattr__ of our own makes every store to a
            # slot (every ``self.x = ...`` of every machine of the class) a
            # call through it, ten times dearer; so only the functions that
            # ``del`` a local get it, for the error of deleting it unbound.
            cls.__delattr__ = Machine._delete_local

    @classmethod
    def resume_maker(cls, maker):
        """Decorate the function that makes the resume of ``cls``'s coroutines, in the plain function its async def is in.

        Discussion: the class of an async def in a plain function that uses
        the function's variables is made once, at module level; its resume
        closes over them, so it is made in that function, by ``maker``
        (emit.machine.write_resume_maker), defined at each call of it.  The
        class learns its resume's code from the first: named after the
        async def (as the import hook names it already), what frames run.
        Later calls hand back ``maker`` as it is, or with that code.
        """
        code = maker.__code__
        if code is not cls._maker_code:
            if code is not cls._maker_source:
                _finish_plain_maker(cls, code, maker.__globals__)
            maker.__code__ = cls._maker_code
        return maker

    _maker_source = None  # the code of the resume_maker above as compiled, and as named
    _maker_code = None
    _globals = None  # the globals its resume runs in

    def resume(self, value, error):
        """Run from the current state to the next await; generated for each function."""
        raise NotImplementedError

    # What resume raises at an await that ended with an exception.  A method,
    # not a global: closing a machine must work while its module is torn down.
    reraise = staticmethod(reraise)
    entered_except = handling.entered_except  # what an except clause that awaits keeps

    # -- the coroutine protocol -------------------------------------------------

    def send(self, value):
        """Resume the coroutine with ``value`` as the result of its current await.

        Discussion: while the coroutine waits on a plain iterator (a future's,
        a generator's), a send is one Python call: this one, which steps the
        iterator.  Every step of what it waits on is taken here, the first
        as each later one, so each path into the awaited code (first send,
        later sends, throw) has one frame of ours per compiled level, as a
        native chain has one frame per coroutine; code that counts its stack
        (cpython#93592) sees the same depth each time.  A compiled coroutine
        being awaited is stepped through its own ``send``: one frame per
        level again.
        """
        try:
            awaiting = self._awaiting
            if awaiting is None or type(awaiting) is _FirstStep:
                if _SHARED_BY_EVERY_CLASS:  # the class's first coroutine's first step: see _give_own_hot_paths
                    _give_own_hot_paths(type(self))
                if awaiting is not None:  # started by run_now: its first step is to come
                    result = self._advance(None, None, awaiting.awaitable)
                else:  # not started (or an async generator at a yield)
                    if self.state <= 0 and (self.state or value is not None):
                        self._check_resumable(value)
                    result = self._advance(value, None)
                awaiting, value = self._awaiting, None  # None: it returned
                handling = awaiting is not None and type(awaiting) is _HandlingIterator
            elif awaiting is _RUNNING:
                raise ValueError(f"{self._kind} already executing")
            else:
                handling = False  # (a later step: no frame of this call is in a traceback)
            while awaiting is not None:
                self._awaiting = _RUNNING
                # The outcome goes into resume() outside of any except block, so
                # that user code never sees this frame's exception as its context.
                try:
                    if value is None and not isinstance(awaiting, Machine):
                        yielded = next(awaiting)
                    else:
                        yielded = awaiting.send(value)
                except StopIteration as stop:
                    value, error = stop.value, None
                except BaseException as raised:
                    value, error = None, _Raised(_without_machinery(raised))
                else:
                    self._awaiting = awaiting
                    if handling:
                        awaiting = self = None  # see _release_frames
                    return yielded
                awaiting = None  # finished: let it go now, as CPython's frame does
                if value is None:
                    result = self._advance(None, error)
                else:  # handed on, not kept in this frame: see _advance
                    result = self._advance((value, value := None)[0], error)
                awaiting, error = self._awaiting, None  # what it waits on now: its first step
                handling = type(awaiting) is _HandlingIterator
            raise StopIteration(result) if result is not None else StopIteration  # no args for None, as natively
        except StopIteration as stop:
            # Finished: natively the caller's frame is the first of its traceback.
            # (Or an async generator's yield: see runtime.machines.asyncgen._Step.send.)
            stop.__traceback__ = None
            self = None
            raise
        except BaseException as error:
            _leave_machinery(error)
            raise

    def _raised_out(self):
        """The function ended by raising: it is done, the compiler's own slots let go; its locals, kept.

        Discussion: natively an exception leaving a coroutine is referred to
        by nothing of the finished frame.  The machine's temporaries may hold
        it (the exception an ``async with`` or an awaiting ``except`` clause
        handles, a ``finally``'s pending one), and its traceback holds
        resume's frame, which holds the machine: a cycle, freed by the
        collector only.  The function's own locals live on as natively the
        traceback's frame keeps them: as long as the exception's traceback,
        however long the coroutine object lives (a list given to gather, a
        task's coroutine).  They move into the answer (see ``_keep_locals``),
        which the caller, the frame that called resume, keeps in its local
        ``kept_locals``: resume's finished frame links to that frame
        (``f_back``), so the traceback holds them, and the machine does not.
        (An exception raised again by an ``except`` or ``finally`` clause
        that awaited has the entry it was first caught at, which
        ``entered_except`` gave the frame of each later call.)  Where the
        traceback has no entry of that call of resume, they stay in the
        machine.
        """
        self._awaiting = None
        self.state = DONE
        # Innermost (last made) first, as the stack is unwound.
        for name in reversed(self._temporaries):
            object.__setattr__(self, name, None)
        caller = sys._getframe(1)
        tb = sys.exception().__traceback__
        while tb is not None and tb.tb_frame is not caller:
            tb = tb.tb_next
        if tb is None or tb.tb_next is None or tb.tb_next.tb_frame.f_back is not caller:
            return None
        return _keep_locals(self)

    def _check_resumable(self, value):
        """Raise CPython's error for sending ``value`` to a machine that awaits nothing."""
        if self.state <= 0:
            if self.state == DONE:
                raise RuntimeError(f"cannot reuse already awaited {self._kind}")
            if value is not None:
                raise TypeError(f"can't send non-None value to a just-started {self._kind}")

    def throw(self, typ, val=_MISSING, tb=_MISSING):
        """Raise an exception at the await the coroutine is suspended in.

        As ``send``, one frame of ours per compiled level: a compiled
        coroutine being awaited gets the exception through its own ``throw``.
        ``val`` and ``tb`` default to a marker, not None: from 3.12 passing
        them at all (even as None) is the deprecated signature, which warns.
        """
        if (val is not _MISSING or tb is not _MISSING) and _THREE_ARGUMENT_THROW_WARNS:
            warnings.warn(_three_argument_warning("throw"), DeprecationWarning, stacklevel=2)
        awaiting = self._awaiting
        refused = None  # the arguments, when throw() refuses them and something is awaited
        try:
            error = thrown_exception(typ, val, tb)
        except TypeError as refusal:
            # Refused here when nothing that can be thrown into is awaited
            # (and nothing runs); otherwise, as natively, handed on to what
            # is (see _throw_as_given).
            if type(awaiting) is _FirstStep:
                error = refusal.with_traceback(None)  # (its first step is to come: raised at the await)
            elif awaiting is None or awaiting is _RUNNING or getattr(awaiting, "throw", None) is None:
                raise
            else:
                error, refused = None, (typ, val, tb)
        typ = val = tb = None  # see send
        if self.state == 0 and awaiting is None:
            # Not started: the exception is raised before the first line,
            # where no handler of the function can see it (a StopIteration
            # too, with the function's frame on its traceback, as natively).
            self.state = DONE
            try:
                _raise_unstarted(self, error)
            except BaseException as raised:
                _leave_machinery(raised)
                raise
            finally:
                error = self = None  # see send, and _release_frames
        try:
            if awaiting is _RUNNING:
                raise ValueError("coroutine already executing")
            if awaiting is None or type(awaiting) is _FirstStep:
                if self.state == DONE:
                    raise RuntimeError("cannot reuse already awaited coroutine")
                result = self._advance(None, _Raised(_chained(error, self._handled())))
            else:
                handled = self._handled()
                self._awaiting = _RUNNING
                value = None
                try:
                    if isinstance(error, GeneratorExit):
                        # PEP 380: close the delegate, then raise GeneratorExit here.
                        close = getattr(awaiting, "close", None)
                        if close is not None:
                            close()
                    else:
                        throw = getattr(awaiting, "throw", None)
                        if throw is not None:
                            yielded = throw(error) if refused is None else _throw_as_given(throw, *refused)
                            self._awaiting = awaiting
                            return yielded
                except StopIteration as stop:
                    value, error = stop.value, None
                except BaseException as raised:
                    error = _without_machinery(raised)
                # Let go of the delegate before the function runs on, as the unwinding
                # of CPython's await does: one that ignored GeneratorExit is then
                # closed (its finally blocks run) before the awaiting code's own.
                awaiting = close = throw = None
                if error is not None:
                    error = _Raised(_chained(error, handled))
                handled = None
                result = self._advance((value, value := None)[0], error)  # see _advance
                value = None
            error = None
            if self.state == DONE:
                raise StopIteration(result) if result is not None else StopIteration  # no args for None, as natively
            return self.send(None)  # the first step of what it waits on now
        except StopIteration as stop:
            # Finished: natively the caller's frame is the first of its traceback.
            stop.__traceback__ = None
            raise
        except BaseException as raised:
            _leave_machinery(raised)
            raise
        finally:
            error = self = None  # see send, and _release_frames

    def _handled(self):
        """The exception the function was handling where it is suspended, or None.

        An await inside ``except`` or ``finally`` waits on a
        ``runtime.machines.handling.Handling``, which remembers it.
        """
        awaiting = self._awaiting
        return awaiting.exception if type(awaiting) is _HandlingIterator else None

    def close(self):
        """Raise GeneratorExit at the current await, so that cleanup code runs."""
        if self.state <= 0 and self._awaiting is None:
            if self.state == 0 and _CLOSE_AT_START_CLEARS_FRAME:  # its arguments go, as 3.11 clears its frame
                self._release_locals()
            self.state = DONE  # not started, or already finished
            return None
        exit_ = GeneratorExit()
        try:
            self.throw(exit_)
        except GeneratorExit:
            self._release_locals()  # as a closed native coroutine's frame is cleared
            return None
        except StopIteration as stop:
            # The function returned while closing: 3.13 hands back its value.
            return stop.value if _CLOSE_RETURNS_VALUE else None
        else:
            # Ignored: the function is suspended again, and stays so until closed
            # again (when collected, as natively).  Discussion: the traceback of
            # the GeneratorExit it caught holds frames of ours, which hold it: a
            # cycle that would keep this machine alive until the cycle collector
            # ran, past the moment CPython closes it.
            exit_.__traceback__ = None
            raise RuntimeError(f"{self._kind} ignored GeneratorExit")
        finally:
            # However it ended, the GeneratorExit's traceback holds this frame,
            # which holds it, and the frames of resume, which hold the machine:
            # a cycle only the collector would free.  Nor does this frame hold
            # the machine: the traceback may be held by what the function
            # awaits now (an ``async with``'s ``__aexit__`` has it among its
            # arguments), which the machine holds (see _release_frames).
            exit_ = self = None

    def __del__(self):
        # As CPython does when a coroutine object is collected: close it if it
        # is suspended (its finally blocks run), warn if it never ran.
        # An error escaping here is reported by Python as "Exception ignored".
        # Nearly every machine is collected finished (DONE): one test then.
        if self.state >= 0:
            if self.state:
                if self._reference is not None:
                    self._reach_again()
                self.close()
            elif self._awaiting is None and self._kind == "coroutine":
                _warn_never_awaited(self)

    def _reach_again(self):
        """Give the resume of this machine, made over cells, a live weak reference to it again.

        Discussion: the cycle collector clears the weak references to what it
        collects before it calls their ``__del__``, which closes a suspended
        coroutine by running its resume: which then would not find its
        machine.  A method, using no global: this runs while modules are torn down too.
        """
        machine = self
        # And the compiled coroutines it awaits, which closing it closes: collected with it.
        while isinstance(machine, Machine) and type(machine)._reference is not None:
            resume = object.__getattribute__(machine, "resume")
            closure = getattr(resume, "__closure__", None)
            if closure:
                cell = closure[type(machine)._reference]
                reference = cell.cell_contents
                if reference() is None:
                    cell.cell_contents = type(reference)(machine)
            machine = machine._awaiting

    def _advance(self, value, error, awaitable=_MISSING):
        """Call ``resume`` until the function returns, or waits on something.

        Returns the function's result when it returned (``self.state`` is
        then DONE).  Otherwise None, with ``self._awaiting`` set to what the
        function waits on: an iterator, or a compiled coroutine that has not
        started; the caller (``send``) takes its first step.  With an
        ``awaitable``, the function is already waiting on it (see
        ``run_now``).  An exception goes into ``resume`` in a ``_Raised``,
        which ``reraise`` empties: resume's ``error`` parameter does not hold
        it while it propagates, as natively nothing does.
        """
        self._awaiting = _RUNNING
        while True:
            if awaitable is _MISSING:  # (none in hand: see run_now)
                try:
                    if value is None:
                        awaitable = self.resume(None, error)
                    else:
                        # The await's result is handed to resume with nothing
                        # here holding it: natively it is on the value stack only
                        # until the code that takes it ran, and resume lets go
                        # of it there.
                        awaitable = self.resume((value, value := None)[0], error)
                except StopIteration as stop:
                    kept_locals = self._raised_out()  # (see _raised_out)
                    raise RuntimeError(f"{self._kind} raised StopIteration") from stop
                except BaseException:
                    # Discussion: the frames in the traceback are not cleared here:
                    # whoever looks at the exception (pdb.post_mortem, pytest)
                    # wants to see them as they were.
                    kept_locals = self._raised_out()  # noqa: F841 (see _raised_out)
                    value = error = None  # see send
                    raise
                if self.state == 0:  # resume returned from the function itself
                    self._awaiting = None
                    self.state = DONE
                    self._release_locals()
                    return awaitable
            if type(awaitable) is _Raised:  # the coroutine run_now ran raised
                value, error, awaitable = None, awaitable, _MISSING
                continue
            try:
                # The usual ``__await__`` (a generator: a ``def __await__(self):
                # yield``) is spelled out here: every suspension comes this way.
                method = getattr(type(awaitable), "__await__", None)
                if method is not None and method is not _machine_await and type(awaitable) is not CoroutineType:
                    delegate = method(awaitable)
                    if type(delegate) is not GeneratorType:
                        delegate = _checked_iterator(delegate)
                else:
                    delegate = _delegate_of(awaitable)
            except BaseException as raised:
                value, error, awaitable = None, _Raised(_without_machinery(raised)), _MISSING
                continue
            self._awaiting = delegate
            if type(delegate) is _HandlingIterator:
                _release_frames(delegate.exception, type(self)._resume_code)
                self = None  # see _release_frames
            awaitable = delegate = None  # see _release_frames
            return None

    def _release_locals(self):
        """Let go of the function's locals, as CPython clears a finished coroutine's frame.

        Discussion: an object the function held (an unfinished async
        generator, a file) is finalized when the function returns or is
        closed, not when the machine object is collected.  What a nested
        function, lambda, generator expression or class captured stays: for
        them it is a cell, and natively it lives on as long as they do.
        After an exception the locals stay as well, as long as the
        exception's traceback holds the frame of ``resume`` (and so the
        machine), just as a native traceback holds the coroutine's frame.

        This first call for a class gives the class its own
        ``_release_locals`` (``_unbinding``), which the following calls run.
        """
        _give_release_locals(type(self))(self)

    def run_now(self, awaitable, state):
        """The fast path of ``await``: run a compiled coroutine that has not started, right here.

        What the generated ``resume`` calls at an ``await`` of a call, as
        ``value = self.run_now(awaitable, k)``, ``k`` the await's state.
        When the coroutine returns without suspending, the answer is its
        result and the state stays 0: ``resume`` carries on after the
        await, running.  Otherwise the state is ``k`` and the answer is
        what to wait for, which ``resume`` returns to this class, which
        drives it (an awaitable that is no compiled coroutine, not
        started, is returned untouched).  So ``if self.state:`` after the
        call tells the two apart, with nothing built for the answer.

        Discussion: only the coroutine's first ``resume`` runs here.  If it
        awaits something, it is left waiting with its first step to take
        (``_FirstStep``), which its ``send`` takes: so the awaited code's
        first step runs with one frame of ours per level, as every later
        ``send`` and ``throw`` does (cpython#93592).  If it raises, the
        exception goes back through ``_advance`` too (``_Raised``), which
        resumes with it as with any other: the exception is then no local
        of a running ``resume``, which its traceback would keep alive.
        """
        held = _HELD_BY_RUN_NOW
        if not isinstance(awaitable, StateMachine) or awaitable._awaiting is not None or awaitable.state:
            if type(awaitable) is CoroutineType:  # a native coroutine: send's loop steps it
                self.state = state
                return awaitable
            if type(awaitable) is Handling and awaitable.exception is None:
                # Awaited in a ``finally`` that runs with no exception on its way
                # (an ``async with`` left normally): nothing is handled, so it is
                # awaited as it is, and can take the fast path too.
                awaitable, held = awaitable.awaitable, held + 1  # (the Handling holds it too)
            if not isinstance(awaitable, StateMachine) or awaitable._awaiting is not None or awaitable.state:
                self.state = state
                return _not_run_now(awaitable)
        awaitable._awaiting = _RUNNING
        try:
            result = awaitable.resume(None, None)
        except BaseException as raised:
            kept_locals = awaitable._raised_out()  # noqa: F841 (see _raised_out)
            if isinstance(raised, StopIteration):
                raised = _stop_iteration_error(awaitable, raised)
            error = _Raised(_without_machinery(raised))
            self.state = state
            # Its traceback holds the frame of the coroutine's resume, and so
            # this one (its f_back): an except clause that keeps it must not
            # keep the awaiting machine through it (see _release_frames).
            del self, awaitable
            return error
        if awaitable.state:
            # This frame lets go of what it waits on: a traceback that holds the
            # frame of its resume holds this one too, through f_back.
            awaitable._awaiting, result = _FirstStep(result), None
            self.state = state
            return awaitable
        awaitable._awaiting = None
        awaitable.state = DONE
        # Discussion: held by nothing but this frame's local (getrefcount
        # counts its own argument too: the awaiting resume handed it over
        # as the call's argument), the machine goes as soon as this returns,
        # its locals with it, the moment CPython clears a finished frame:
        # unbinding each first would be work for nothing.  Held elsewhere
        # too, it lets go of them now.
        if _refcount(awaitable) > held:
            awaitable._release_locals()
        return result

    def raise_(self, error):
        """Carry on after an await that ended with ``error``: the state is 0 again, and it is raised.

        The resume point of an await in the generated ``resume`` is
        ``self.state = self.raise_(error) if error else 0``: with no
        exception a store, no call (every resumption after a real
        suspension comes this way).  ``error`` is None or a ``_Raised``
        (never a bare exception, whose class might define ``__len__``):
        the machinery boxes what it resumes with.  Raised as ``reraise``
        raises it: its ``__context__`` as it is, and no frame of this
        method in its traceback (the code is ``reraise``'s, inline, since
        calling it would add this frame).
        """
        self.state = 0
        if type(error) is _Raised:
            box = error
            error, box.error = box.error, None
            box = None
        context = error.__context__
        traceback = error.__traceback__
        link = _link_to(sys.exception(), error)
        try:
            raise error
        except BaseException:
            error.__context__ = context
            error.__traceback__ = traceback
            if link is not None:
                link.__context__ = error
            raise
        finally:
            error = context = traceback = None

    def assign(self, attribute, value):
        """Store a local from inside an expression: what ``(x := value)`` becomes."""
        setattr(self, attribute, value)
        return value

    def bind(self, **locals_):
        """Store the names a ``case`` pattern captured, before its guard runs."""
        for attribute, value in locals_.items():
            setattr(self, attribute, value)
        return True

    # -- durable: pickle and copy (runtime.machines.durable) ----------------------

    def __reduce_ex__(self, protocol):
        from runtime.machines import durable

        return durable.reduce_machine(self, protocol)

    def __deepcopy__(self, memo):
        from runtime.machines import durable

        return durable.deepcopy_machine(self, memo)

    def __copy__(self):
        from runtime.machines import durable

        return durable.copy_machine(self)

    # -- introspection ----------------------------------------------------------

    @property
    def cr_running(self):
        return self._awaiting is _RUNNING

    @property
    def cr_await(self):
        awaiting = self._awaiting
        if type(awaiting) is _HandlingIterator:
            # An await in an except clause: what it awaits (a compiled
            # coroutine, not the iterator made to drive it there).
            awaiting = awaiting.iterator
            if type(awaiting) is _AwaitIterator:
                awaiting = awaiting.machine
        return None if awaiting is _RUNNING else awaiting

    @property
    def cr_suspended(self):
        return self.state > 0 and self._awaiting is not _RUNNING

    cr_origin = None  # where it was created: coroutines only (StateMachine)

    @property
    def cr_code(self):
        # The import hook gives resume's code object the function's name,
        # file and lines: what a native cr_code says.
        return type(self)._resume_code

    @property
    def cr_frame(self):
        return self._frame()

    def _frame(self):
        """What ``cr_frame`` / ``ag_frame`` give: None once finished, as natively.

        Running, a real frame on the stack: ``resume``'s, so that
        ``sys._getframe() is coro.cr_frame`` in the function's body; when an
        awaited compiled coroutine runs with no ``resume`` of this one under
        it (see ``_send``), the outermost frame of the machinery running this
        one.  Code that walks the stack looking for a coroutine's frame
        (trio's KI protection stops at its task's ``cr_frame``) finds it;
        asyncio's stack walks get a view of it (``stacks.read_by``).
        Suspended there is no frame, so a stand-in, the same one each time.
        """
        if self.state == DONE:
            return None
        if self._awaiting is _RUNNING:
            reader = sys._getframe(2)
            frame = _running_frame(self, reader)
            if frame is not None:
                return stacks.read_by(reader, frame)  # asyncio's stack walks: no machinery
        return _stand_in(self)

    @property
    def line(self):
        """The source line of the current state: the await it is suspended at."""
        state = self.state
        return self._lines[state] if 0 <= state < len(self._lines) else None

    def saved_locals(self, free=None, inlined=None, order=()):
        """Return the function's locals as the source names them: what ``locals()`` there gives.

        In CPython's order: parameters, other locals, cells, then free
        variables by name; unbound ones left out.  ``free`` maps the names of
        free variables that are no slots of the machine (the enclosing
        function's) to functions reading them.  Before 3.13 (PEP 667) it is
        the same dict at each call, brought up to date, as the frame's
        ``f_locals``: kept in the ``_f_locals`` slot that the compiler gives
        the machines of functions calling ``locals()``.

        Inside a comprehension that 3.12+ runs in the function's frame (PEP
        709), ``inlined`` maps its loop variables to functions reading them,
        and ``order`` is where the frame lists them among the locals.
        """
        saved = self._shared_locals()
        if saved is None:
            saved = {}
        values = self._local_values(free)
        if inlined is not None:
            values = dict(values)
            for name, read in inlined.items():
                try:
                    values[name] = read()
                except NameError:
                    values[name] = _UNBOUND
            # A comprehension variable out of its comprehension is unbound.
            values = [(n, values.get(n, _UNBOUND)) for n in order] + [
                (n, v) for n, v in values.items() if n not in order
            ]
        for name, value in values:
            if value is _UNBOUND:
                saved.pop(name, None)
            else:
                saved[name] = value
        return saved

    def _shared_locals(self):
        if _LOCALS_ARE_SNAPSHOTS:
            return None
        try:
            return object.__getattribute__(self, "_f_locals")
        except AttributeError:
            pass
        shared = {}
        try:
            object.__setattr__(self, "_f_locals", shared)
        except AttributeError:
            return None  # no such slot: the function does not call locals()
        return shared

    def _local_values(self, free=None):
        """Each local's (name, value), in locals() order; the value ``_UNBOUND`` when unbound."""
        values = self._slot_and_cell_values(free)
        parameters = self._parameters
        if parameters:  # a parameter kept in a cell is listed among the parameters, as natively
            values = dict(values)
            yield from [(n, values.pop(n)) for n in parameters if n in values]
            yield from values.items()
        else:
            yield from values

    def _slot_and_cell_values(self, free=None):
        renamed = self._renamed
        temporaries = self._temporaries
        for attribute in type(self).__dict__.get("__slots__", ()):
            if attribute in temporaries:
                continue
            name = renamed.get(attribute, attribute)
            if free is not None and name in free:
                continue  # read in its place among the free variables
            try:
                yield name, object.__getattribute__(self, attribute)
            except AttributeError:
                yield name, _UNBOUND
        yield from self._cell_values()
        for name, read in (free or {}).items():
            try:
                yield name, read()
            except NameError:
                yield name, _UNBOUND

    def _cell_values(self):
        """Each local kept in a cell (see emit.machine.write_make_resume) and its value, or ``_UNBOUND``."""
        cells = self._cells
        if not cells:
            return
        resume = object.__getattribute__(self, "resume")
        closure = dict(zip(resume.__code__.co_freevars, resume.__closure__, strict=True)) if resume is not _UNBOUND else {}
        for name in cells:
            try:
                yield name, closure[name].cell_contents
            except (KeyError, ValueError):  # let go of (a finished coroutine), or unbound
                yield name, _UNBOUND

    def _read_unbound(self, attribute):
        """``__getattr__`` of the machines whose function may read a local unbound (see __init_subclass__)."""
        # Reached only for what normal lookup did not find.
        self._unbound(attribute, sys._getframe(1).f_code)
        # As CPython's lookup raises it: ``name`` and ``obj`` are what a
        # traceback's "Did you mean" suggestion is made from.
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{attribute}'", name=attribute, obj=self
        )

    def _unbound(self, attribute, code):
        """Raise the error of ``code`` reading the local ``attribute`` unbound, if it is a local."""
        # An unset slot of a local means it was read before assignment, which
        # CPython reports as UnboundLocalError.
        if attribute in type(self).__dict__.get("__slots__", ()):
            name = self._renamed.get(attribute, attribute)
            if code is not type(self)._resume_code:
                # Read from a nested function: for it, the local is a free
                # variable of the enclosing scope, and CPython says so.
                raise NameError(
                    f"cannot access free variable '{name}' where it is not associated "
                    "with a value in enclosing scope"
                )
            raise UnboundLocalError(
                f"cannot access local variable '{name}' where it is not associated with a value"
            )

    def _delete_local(self, attribute):
        """``__delattr__`` of the machines whose code deletes a local (see __init_subclass__)."""
        try:
            object.__delattr__(self, attribute)
            return
        except AttributeError:
            pass
        # Raised outside the except block, so it carries no AttributeError
        # as its context: an unbound local gives the same error as reading it;
        # anything else, CPython's own error again.
        self._unbound(attribute, sys._getframe(1).f_code)
        object.__delattr__(self, attribute)

    def __dir__(self):
        # What dir() of the native object lists: a traceback's "Did you mean"
        # suggestions are made from it.  The machine's own attributes are
        # dir(type(machine))'s.
        return dir(self.__class__)

    def __repr__(self):
        if self.state == DONE:
            where = "done"
        elif self.state == 0 and self._awaiting is None:
            where = "not started"
        elif self._awaiting is _RUNNING:
            where = "running"
        else:
            where = f"state {self.state} (line {self.line})"
        kind = self._kind.replace(" ", "_")
        key = (id(self), _get_ident())
        if key in _IN_REPR:  # a local that holds the machine itself, as reprlib.recursive_repr does
            return f"<{kind} object {self.__qualname__} at {id(self):#x}: ...>"
        _IN_REPR.add(key)
        try:
            variables = ", ".join(f"{k}={v!r}" for k, v in self._local_values() if v is not _UNBOUND)
        finally:
            _IN_REPR.discard(key)
        return f"<{kind} object {self.__qualname__} at {id(self):#x}: {where} {{{variables}}}>"


# The machines whose repr is being made, per thread: (id, thread ident).
_IN_REPR = set()


def _name_property(slot, default):
    read = Machine.__dict__[slot].__get__
    write = Machine.__dict__[slot].__set__

    def get(machine):
        try:
            return read(machine, Machine)
        except AttributeError:
            return getattr(machine, default)

    return property(get, write)


# Discussion: a class body cannot define a ``__qualname__`` property (type()
# takes that name for the class's own), so both go into the class's dict from
# here, and Python is told that the class changed (its lookup caches).
gc.get_referents(Machine.__dict__)[0].update(
    __name__=_name_property("_own_name", "_name"),
    __qualname__=_name_property("_own_qualname", "_qualname"),
)
Machine._names_installed = True
del Machine._names_installed


class _Raised:
    """An exception on its way into ``resume``: what its ``error`` parameter gets.

    ``reraise`` takes the exception out before raising it, so that the
    parameter holds nothing while the exception propagates or is handled in
    the same ``resume``: natively nothing but the exception's own handling
    holds it (issue 11 item 2).  Also what ``run_now`` gives ``resume`` to
    return when the coroutine it ran raised.
    """

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


def _await_error(awaitable):
    """The exception ``await awaitable`` raises at once (what _await_iterator raises)."""
    try:
        _await_iterator(awaitable)
    except TypeError as error:
        return error
    raise AssertionError(f"{awaitable!r} is awaitable")


def _not_run_now(awaitable):
    """``run_now``'s answer for an awaitable that is no compiled coroutine waiting to start."""
    if awaitable is None:  # raised at once, at the await (as _advance would)
        return _Raised(_await_error(awaitable))
    return awaitable


class _FirstStep:
    """What a machine started by ``run_now`` waits on before ``_advance`` takes its first step."""

    __slots__ = ("awaitable",)

    def __init__(self, awaitable):
        self.awaitable = awaitable


# What ``_awaiting`` holds when there is no iterator to step: StateMachine.send's one test.
_NOT_STEPPED = frozenset((type(None), _FirstStep, _Running))


def _stop_iteration_error(machine, stop):
    """The RuntimeError that a StopIteration raised by a coroutine's body becomes (PEP 479)."""
    try:
        raise RuntimeError(f"{machine._kind} raised StopIteration") from stop
    except RuntimeError as error:
        return error


class _AwaitIterator:
    """What ``machine.__await__()`` returns: the iterator a ``yield from`` drives."""

    __slots__ = ("machine",)

    def __init__(self, machine):
        self.machine = machine

    def __repr__(self):
        return f"<coroutine_wrapper object at {id(self):#x}>"

    # Pickled and copied with its machine (runtime.machines.durable): a copy
    # iterates a copy, never the same machine as the original.
    def __reduce__(self):
        return _AwaitIterator, (self.machine,)

    def __copy__(self):
        return _AwaitIterator(self.machine.__copy__())

    def __iter__(self):
        return self

    def __dir__(self):
        return _AWAIT_ITERATOR_NAMES  # as the native coroutine_wrapper's: see Machine.__dir__

    # Each method leaves the machinery as send does: see _leave_machinery.

    def __next__(self):
        try:
            return self.machine.send(None)
        except StopIteration as stop:
            stop.__traceback__ = None  # finished: natively the caller's frame is the first of its traceback
            raise
        except BaseException as error:
            _leave_machinery(error)
            raise

    def send(self, value):
        try:
            return self.machine.send(value)
        except StopIteration as stop:
            stop.__traceback__ = None  # finished: natively the caller's frame is the first of its traceback
            raise
        except BaseException as error:
            _leave_machinery(error)
            raise

    def throw(self, typ, val=_MISSING, tb=_MISSING):
        try:
            return self.machine.throw(typ, val, tb)
        except StopIteration as stop:
            stop.__traceback__ = None  # finished: natively the caller's frame is the first of its traceback
            raise
        except BaseException as error:
            _leave_machinery(error)
            raise
        finally:
            # A traceback of the thrown exception holds resume's frame, and so
            # this one (f_back): holding the exception here would be a cycle.
            typ = val = tb = None

    def close(self):
        try:
            return self.machine.close()
        except BaseException as error:
            _leave_machinery(error)
            raise


# Named as the native type in CPython's messages ("'coroutine_wrapper' object
# is not callable"); pickle finds it by its __qualname__, which stays.
_AwaitIterator.__name__ = "coroutine_wrapper"
_AWAIT_ITERATOR_NAMES = sorted({*dir(object), "__iter__", "__next__", "send", "throw", "close"})


class StateMachine(Machine):
    """The base class of every compiled coroutine: a ``collections.abc.Coroutine``."""

    __slots__ = ("_origin",)  # set only while origin tracking is on

    def __await__(self):
        # Only a coroutine has it: an async generator has no ``__await__`` at
        # all, as natively (graphql-core's is_awaitable asks ``hasattr``).
        return _AwaitIterator(self)

    def __iter__(self):
        # ``yield from machine`` in a @types.coroutine generator delegates to
        # it, as to a native coroutine; everything else cannot iterate it.
        # Discussion: only a coroutine has it.  An async generator has none, as
        # natively, so that it is no ``collections.abc.Iterable``: websockets'
        # send() and httpx's content= ask that before AsyncIterable.
        caller = sys._getframe(1)
        if caller.f_code.co_code[caller.f_lasti] == _GET_YIELD_FROM_ITER:
            if caller.f_code.co_flags & CO_ITERABLE_COROUTINE:
                return _AwaitIterator(self)
            raise TypeError(
                f"cannot 'yield from' a {self._kind} object in a non-coroutine generator"
            )
        # CPython's message names the type, 'coroutine'.
        raise TypeError(f"'{self._kind}' object is not iterable")

    def send(self, value):
        """``Machine.send``, with a coroutine's usual suspension spelled out.

        Discussion: nearly every send of a running program comes here with
        the coroutine suspended on a generator (``yield`` in an
        ``__await__``, ``asyncio.sleep(0)``) or a future's iterator: one step
        of it, and when that finishes, the function resumed until its next
        await, whose iterator is stepped in the same loop.  That resumption
        (and a coroutine's first) is ``_advance``'s work, inlined here: a
        Python call and a loop less per suspension, a sixth of its
        instructions on 3.11 (bench/instruction_counts.py).  ``resume`` is
        called from this frame, as ``_advance`` calls it, and every step of
        the awaited code is still taken from this frame, at the depth ``Machine.send`` takes it
        (cpython#93592).  Anything else (an exception to resume with, a
        compiled coroutine awaited, an ``__await__`` that fails or returns
        no iterator) goes through ``_advance`` as in ``Machine.send``.  Async
        generators keep ``Machine.send``: their ``_advance`` is their own.
        """
        try:
            awaiting = self._awaiting
            if type(awaiting) in _NOT_STEPPED:
                if _SHARED_BY_EVERY_CLASS:  # the class's first coroutine's first step: see _give_own_hot_paths
                    _give_own_hot_paths(type(self))
                if awaiting is _RUNNING:
                    raise ValueError(f"{self._kind} already executing")
                if awaiting is None:  # not started (resumed below), or finished
                    if self.state <= 0 and (self.state or value is not None):
                        self._check_resumable(value)
                    self._awaiting = _RUNNING
                else:  # started by run_now: its first step is to come
                    result = self._advance(None, None, awaiting.awaitable)
                    awaiting, value = self._awaiting, None
                    if awaiting is None:
                        raise StopIteration(result) if result is not None else StopIteration  # no args for None, as natively
                    handling = type(awaiting) is _HandlingIterator
            else:
                handling = False  # (a later step: no frame of this call is in a traceback)
            while True:
                if awaiting is not None:
                    self._awaiting = _RUNNING
                    # The outcome goes into resume() outside of any except block, so
                    # that user code never sees this frame's exception as its context.
                    try:
                        if type(awaiting) is GeneratorType or value is not None or isinstance(awaiting, Machine):
                            yielded = awaiting.send(value)
                        else:
                            yielded = next(awaiting)  # an iterator may have no send()
                    except StopIteration as stop:
                        value, error = stop.value, None
                    except BaseException as raised:
                        value, error = None, _Raised(_without_machinery(raised))
                    else:
                        self._awaiting = awaiting
                        if handling:
                            awaiting = self = None  # see _release_frames
                        return yielded
                    awaiting = None  # finished: let it go now, as CPython's frame does
                    if error is not None:
                        result = self._advance(None, error)
                        awaiting, error = self._awaiting, None  # what it waits on now: its first step
                        if awaiting is None:
                            break
                        handling = type(awaiting) is _HandlingIterator
                        continue
                # _advance's first turn, spelled out (see above): resume with value.
                try:
                    if value is None:  # (a first step, or a plain ``yield``'s: no tuple to make)
                        awaitable = self.resume(None, None)
                    else:  # the result handed on, not kept in this frame: see _advance
                        awaitable = self.resume((value, value := None)[0], None)
                except StopIteration as stop:
                    kept_locals = self._raised_out()  # (see _raised_out)
                    raise RuntimeError(f"{self._kind} raised StopIteration") from stop
                except BaseException:
                    kept_locals = self._raised_out()  # noqa: F841 (see _raised_out)
                    raise
                if self.state == 0:  # resume returned from the function itself
                    self._awaiting = None
                    self.state = DONE
                    self._release_locals()
                    result = awaitable
                    break
                method = getattr(type(awaitable), "__await__", None)
                if method is None or method is _machine_await or method is _coroutine_await:
                    if method is _coroutine_await and awaitable.cr_await is None:
                        # A native coroutine (asyncio.sleep, the runtime's sock_recv):
                        # _await_iterator's answer spelled out, and its first step
                        # taken in this loop, as every later one.
                        awaiting = awaitable.__await__()
                        handling = False
                        method = awaitable = None
                        continue
                    # Not awaitable, a compiled coroutine, a native one awaited
                    # already: _advance's checks.
                    result = self._advance(None, None, (awaitable, awaitable := None)[0])
                else:
                    try:
                        awaiting = method(awaitable)
                        if type(awaiting) is not GeneratorType:
                            awaiting = _checked_iterator(awaiting)
                            handling = type(awaiting) is _HandlingIterator
                            if handling:
                                _release_frames(awaiting.exception, type(self)._resume_code)
                        else:
                            handling = False
                    except BaseException as raised:
                        awaiting, error = None, _Raised(_without_machinery(raised))
                    else:
                        method = awaitable = None  # see _release_frames
                        continue  # its first step
                    method = awaitable = None
                    result = self._advance(None, error)
                    error = None
                awaiting = self._awaiting  # what it waits on now: its first step
                if awaiting is None:
                    break
                handling = type(awaiting) is _HandlingIterator
            raise StopIteration(result) if result is not None else StopIteration  # no args for None, as natively
        except StopIteration as stop:
            # Finished: natively the caller's frame is the first of its traceback.
            stop.__traceback__ = None
            raise
        except BaseException as error:
            _leave_machinery(error)
            raise

    @property
    def cr_origin(self):
        """Where the coroutine was created: ``(filename, line, function)`` frames, innermost first.

        None unless ``sys.set_coroutine_origin_tracking_depth()`` was above 0
        when it was created, as natively.
        """
        try:
            return _get_origin(self, StateMachine)
        except AttributeError:
            return None


_get_origin = StateMachine.__dict__["_origin"].__get__


def _named_as_natively(method, type_name: str):
    """``method`` (the same code) named as the native type's: ``coroutine.send``, of no module.

    Tools name what a task runs by the callable's module and qualified name
    (anyio: a task started with ``coro.send``); the copy leaves
    ``Machine``'s own, which async generators share, as it is.
    """
    named = FunctionType(method.__code__, method.__globals__, method.__name__, method.__defaults__, method.__closure__)
    named.__kwdefaults__ = method.__kwdefaults__
    named.__doc__ = method.__doc__
    named.__qualname__ = f"{type_name}.{method.__name__}"
    named.__module__ = None
    return named


for _method in ("send", "throw", "close"):
    setattr(StateMachine, _method, _named_as_natively(getattr(StateMachine, _method), "coroutine"))
for _method in ("send", "throw", "close", "__next__", "__iter__"):
    # (CPython names them in its errors too: "coroutine_wrapper.send() ...")
    setattr(_AwaitIterator, _method, _named_as_natively(getattr(_AwaitIterator, _method), "coroutine_wrapper"))
del _method


# -- origin tracking ---------------------------------------------------------------
#
# Discussion: CPython records ``cr_origin`` at every coroutine's creation when
# the thread's tracking depth is above 0 (asyncio's debug mode sets it).
# A machine is created by the generated stub (or its class's ``__init__``), with no code of ours
# before it; asking for the depth there would cost every creation a call.
# Instead ``StateMachine`` gets a ``__new__`` that records the origin, and
# only from the moment tracking is first switched on: this module wraps
# ``sys.set_coroutine_origin_tracking_depth`` to notice.  The depth is
# per thread, so the ``__new__`` stays once installed, and asks each time.


def _new_with_origin(cls, *args, **kwargs):
    machine = object.__new__(cls)
    depth = sys.get_coroutine_origin_tracking_depth()
    if depth:
        # Frame 1 is the stub (type.__call__ has none): the origin starts
        # at whoever called the function, as natively.
        frame = sys._getframe(1).f_back
        origin = []
        while frame is not None and len(origin) < depth:
            origin.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
            frame = frame.f_back
        machine._origin = tuple(origin)
    return machine


def _track_origins():
    if "__new__" not in StateMachine.__dict__:
        StateMachine.__new__ = staticmethod(_new_with_origin)


def _tracking_setter(set_depth):
    def set_coroutine_origin_tracking_depth(depth):
        set_depth(depth)  # ValueError for a negative depth, and nothing changed
        if depth:
            _track_origins()

    set_coroutine_origin_tracking_depth.__doc__ = set_depth.__doc__
    set_coroutine_origin_tracking_depth.__wrapped__ = set_depth
    return set_coroutine_origin_tracking_depth


sys.set_coroutine_origin_tracking_depth = _tracking_setter(sys.set_coroutine_origin_tracking_depth)
if sys.get_coroutine_origin_tracking_depth():
    _track_origins()


# How the machinery recognises a compiled coroutine it can run directly.
_machine_await = StateMachine.__await__
_coroutine_await = CoroutineType.__await__  # a native coroutine's: _await_iterator checks it


class SuspendedFrame:
    """What ``cr_frame`` gives: the fields of a frame that callers read, no more.

    There is no frame between two resumes of a machine.  asyncio (task reprs,
    ``Task.get_stack()``), trio and ``inspect.getcoroutinestate`` /
    ``getcoroutinelocals`` read these fields.  Deliberately not a
    ``types.FrameType``: code that needs a real frame gets an AttributeError
    naming this stand-in, not wrong data.  As a native frame does, it does not
    keep its coroutine alive; once the coroutine is gone it looks like a
    cleared frame.
    """

    __slots__ = ("_machine", "f_code", "f_globals", "__weakref__")

    f_back = None
    f_trace = None

    def __init__(self, machine):
        self._machine = _weak_ref(machine)
        kind = type(machine)
        self.f_code = kind._resume_code
        self.f_globals = _resume_globals(kind)

    @property
    def f_builtins(self):
        return self.f_globals.get("__builtins__", {})

    @property
    def f_lineno(self):
        machine = self._machine()
        if machine is None or machine.state <= 0:
            return self.f_code.co_firstlineno
        return machine.line

    @property
    def f_lasti(self):
        # -1 before the first step (what inspect read before 3.11 to say
        # CREATED; traceback and inspect then give no column positions);
        # otherwise the offset in f_code of the first instruction of the
        # current line, so that positions derived from it name that line.
        machine = self._machine()
        if machine is None or (machine.state == 0 and machine._awaiting is None):
            return -1
        line = machine.line
        for start, _end, code_line in self.f_code.co_lines():
            if code_line == line:
                return start
        return 0

    @property
    def f_locals(self):
        machine = self._machine()
        return {} if machine is None else machine.saved_locals()

    def clear(self):
        """As ``frame.clear()`` on a coroutine's frame: finalize the coroutine."""
        machine = self._machine()
        if machine is None:
            return
        if machine._awaiting is _RUNNING:
            raise RuntimeError("cannot clear an executing frame")
        if machine.state == 0 and machine._awaiting is None:
            machine.state = DONE
            if machine._kind == "coroutine":
                _warn_never_awaited(machine)
        elif machine.state > 0:
            machine.close()

    def __repr__(self):
        return (
            f"<frame stand-in of {self.f_code.co_name} at {id(self):#x}, "
            f"file {self.f_code.co_filename!r}, line {self.f_lineno}>"
        )


# Each suspended machine's frame stand-in, made when first asked for.
# Discussion: not a slot, so that copying or pickling a machine never
# carries a stand-in that reads the original.  The mapping (a
# WeakKeyDictionary) is made with the first stand-in: the weakref module
# is for debuggers and stack walks, not for every program's start-up.
_STAND_INS = []


def _stand_in(machine):
    """The ``SuspendedFrame`` of ``machine``: the same one each time it is asked for."""
    if not _STAND_INS:
        import weakref

        _STAND_INS.append(weakref.WeakKeyDictionary())
    stand_ins = _STAND_INS[0]
    stand_in = stand_ins.get(machine)
    if stand_in is None:
        stand_in = stand_ins[machine] = SuspendedFrame(machine)
    return stand_in



def _running_frame(machine, frame):
    """The frame of ``resume`` running ``machine``, or else the outermost frame driving it."""
    resume = type(machine)._resume_code
    outermost = None
    while frame is not None:
        code = frame.f_code
        if code is resume:
            if stacks.driven_machine(frame) is machine:
                return frame
        elif code.co_filename in _MACHINERY_FILES and code.co_argcount:
            if frame.f_locals.get(code.co_varnames[0]) is machine:
                outermost = frame
        frame = frame.f_back
    return outermost


def _warn_never_awaited(machine):
    """CPython's RuntimeWarning for a coroutine collected before it ran.

    As ``_PyErr_WarnUnawaitedCoroutine`` does: ``warnings._warn_unawaited_coroutine``
    words and issues it; an error (a warning turned into one, or a broken
    warnings module) is reported as unraisable with the coroutine as its
    object (raising from ``__del__`` would name ``__del__`` instead), and the C
    warning is the fallback: what is left at interpreter exit, when the
    warnings module is gone, and prints ``sys:1: RuntimeWarning: ...``.

    Discussion: natively C calls it, with the line running when the
    coroutine was freed as its caller, which its ``stacklevel=2`` names;
    here ``__del__`` and this function run on top of that line, so it is
    called from a frame standing for it (see _called_as_if_from): the
    warning's location, module and registry are the line's, and a warning
    turned into an error has the traceback it has natively.
    """
    frame = _first_frame_past_machinery()
    modules = getattr(sys, "modules", None) or {}
    module = modules.get("warnings")
    wording = getattr(module, "_warn_unawaited_coroutine", None)
    warned = False
    if wording is not None:
        try:
            _called_as_if_from(frame, wording, machine)
            warned = True
        except BaseException as error:  # noqa: BLE001 - reported, as CPython does
            warned = isinstance(error, RuntimeWarning)
            _write_unraisable(error, machine)
    if not warned:
        try:
            _warn_in_c(
                f"coroutine '{machine.__qualname__}' was never awaited",
                RuntimeWarning,
                stacklevel=_stacklevel_past_machinery(),
                source=machine,
            )
        except BaseException as error:  # noqa: BLE001
            _write_unraisable(error, machine)


def _first_frame_past_machinery():
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in _MACHINERY_FILES:
        frame = frame.f_back
    return frame


# Where warnings.warn says a warning is when the stack is shorter than its stacklevel.
_BEYOND_THE_STACK = ("<sys>", 0) if sys.version_info >= (3, 13) else ("sys", 1)


def _calls(function, argument):
    function(argument)


def _called_as_if_from(frame, function, argument):
    """Call ``function(argument)`` from a frame of ``frame``'s file, line, function and globals.

    What ``warnings.warn(..., stacklevel=2)`` in ``function`` takes for its
    caller.  A warning raised as an error leaves with the traceback it has
    when C makes that call: from ``function``'s frame on.  With no
    ``frame`` (at exit, nothing but the machinery runs), as ``warn`` names
    a caller beyond the stack: ``sys``, line 1, in sys's globals.
    """
    if frame is None:
        filename, line = _BEYOND_THE_STACK
        name, namespace = "<module>", sys.__dict__
    else:
        filename, name, line, namespace = frame.f_code.co_filename, frame.f_code.co_name, frame.f_lineno, frame.f_globals
    caller = _calls.__code__.replace(
        co_filename=filename,
        co_name=name,
        co_qualname=name,
        co_firstlineno=line,
        co_linetable=_one_line_without_columns(len(_calls.__code__.co_code) // 2),
    )
    try:
        FunctionType(caller, namespace)(function, argument)
    except BaseException as error:
        traceback = error.__traceback__
        while traceback is not None and traceback.tb_frame.f_code in (caller, _called_as_if_from.__code__):
            traceback = traceback.tb_next
        error.__traceback__ = traceback
        raise
    finally:
        frame = caller = namespace = None


_warn_in_c = warnings.warn  # _warnings.warn: what C's _PyErr_WarnFormat reaches


def _warn_never_awaited_method(generator, method):
    """3.13's RuntimeWarning for an ``asend()``/``athrow()``/``aclose()`` awaitable collected unawaited.

    As ``_PyErr_WarnUnawaitedAgenMethod`` does: the C warning, with the
    async generator as its source, naming the line running when the
    awaitable was freed; an error is reported as unraisable with the
    generator as its object.
    """
    try:
        _warn_in_c(
            f"coroutine method {method!r} of {generator.__qualname__!r} was never awaited",
            RuntimeWarning,
            stacklevel=_stacklevel_past_machinery(),
            source=generator,
        )
    except BaseException as error:  # noqa: BLE001 - reported, as CPython does
        _write_unraisable(error, generator)


def _stacklevel_past_machinery():
    """The ``stacklevel`` for a warning issued by our caller that names the first frame not ours.

    The caller and the frames below it (``__del__``, the runtime's) are in
    ``_MACHINERY_FILES``; natively no frame of the finalizer shows.
    """
    stacklevel, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in _MACHINERY_FILES:
        stacklevel, frame = stacklevel + 1, frame.f_back
    return stacklevel


def _write_unraisable(error, obj):
    """What C's ``PyErr_WriteUnraisable(obj)`` does: hand the error to sys.unraisablehook.

    Without our frames: natively the warning is issued by C, with no frame
    of a finalizer, so that a warning turned into an error at exit (the C
    fallback) is reported with no traceback at all.
    """
    _without_machinery(error)
    arguments = _unraisable_type()((type(error), error, error.__traceback__, None, obj))
    sys.unraisablehook(arguments)


_UNRAISABLE_TYPE = []


def _unraisable_type():
    """``sys.UnraisableHookArgs``, which Python does not name: caught once from a probe."""
    if not _UNRAISABLE_TYPE:
        caught = []
        hook = sys.unraisablehook
        sys.unraisablehook = caught.append
        try:

            class _Probe:
                def __del__(self):
                    raise RuntimeError

            _Probe()
        finally:
            sys.unraisablehook = hook
        _UNRAISABLE_TYPE.append(type(caught[0]))
        # The probe's error holds this frame (its traceback's frames link to
        # it), which holds the error: a cycle, which through the frames below
        # (the machine reported, the user's frame and its globals) kept the
        # first coroutine reported, and what its line's globals hold, until
        # the collector ran (a global's coroutine then went unreported at exit).
        caught.clear()
    return _UNRAISABLE_TYPE[0]


Coroutine.register(StateMachine)
if "traceback" in sys.modules:
    _install_stacks()
