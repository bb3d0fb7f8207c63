"""pdb for compiled programs: the user's functions, locals and awaits, not the machines.

A compiled ``async def`` runs as the ``resume`` method of a machine: its
locals are the machine's attributes (``self.x``), each resumption after an
await is a new call of ``resume`` (a new frame), the machinery's methods
(``send``, ``_advance``) sit between the frames of two coroutines, and the
coroutine awaiting the running one is not on the stack at all.  ``Pdb``
below is the standard debugger with six changes, so that at a line of a
compiled function it behaves as at a line of the native one:

1. Locals by their source names: the namespace commands run in
   (``p x``, ``pp locals()``, ``display x``, ``!x = 5``) is a mapping over
   the machine's attributes; an assignment goes to the machine, where the
   function sees it (to an enclosing function's variable: to its cell).  ``display`` is kept per coroutine, not per frame.
2. The stack (``where``, ``up``, ``down``) has the awaiting coroutines
   where the machinery was (``runtime.machines.stacks``), at the line of
   the await they wait in; the machinery's frames are never shown, never
   stopped in, never stepped into (nor the stub that builds a machine, nor
   its ``__init__``).
3. ``next``, ``until`` and ``return`` over an await that suspends follow
   the coroutine: they stop in the frame of its next resumption, as they
   stop in the same frame natively.
4. ``jump`` in a compiled function goes where it would natively, or is
   refused with a message saying why (``statemachine_compiler.jumps``).
5. The compiler's dispatch code (``if self.state == 1:``), which the line
   map puts on source lines, makes no line events: a resumption starts at
   the line after the await, a first call at the function's first line.
   Breakpoints (``file:line``, function names) see only the user's lines.
6. ``statemachine-compiler run --pdb SCRIPT`` (and ``run -m pdb SCRIPT``,
   ``run -m pdb -m MODULE``) run the compiled program under it as
   ``python -m pdb`` does; under
   ``run``, ``breakpoint()`` uses it too (unless ``PYTHONBREAKPOINT`` names
   another debugger).
"""

from __future__ import annotations

import dis
import os
import pdb
import sys
import warnings
import weakref
from inspect import CO_ASYNC_GENERATOR, CO_COROUTINE

from runtime.machines import stacks
from runtime.machines.asyncgen import YieldValue
from runtime.machines.statemachine import SuspendedFrame, kept_locals
from statemachine_compiler import jumps

__all__ = ["Pdb", "set_trace", "breakpointhook", "run_script", "run_module"]

_RETURN_GENERATOR = dis.opmap.get("RETURN_GENERATOR")
_STOP_ITERATION_ALWAYS_TRACED = sys.version_info >= (3, 12)  # PEP 669's STOP_ITERATION event
_RUNTIME_MACHINES = os.path.dirname(stacks.__file__)
_MACHINE_CLASS_NAMES = {"_name", "_qualname", "_lines"}  # what a generated class body sets

# What a dispatch line of a resume consists of: reading the state and jumping.
_DISPATCH_OPCODES = {
    "LOAD_FAST", "LOAD_ATTR", "LOAD_CONST", "COMPARE_OP", "CONTAINS_OP", "TO_BOOL", "NOP",
    "CACHE", "EXTENDED_ARG", "POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE",
    "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_FORWARD_IF_TRUE",
    "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_TRUE", "COPY", "POP_TOP",
    "JUMP_IF_FALSE_OR_POP", "JUMP_IF_TRUE_OR_POP", "JUMP_FORWARD",
}


# What the first line of a resume made over cells consists of: ``self = machine()``.
_REACHING_OPCODES = {"PUSH_NULL", "LOAD_DEREF", "PRECALL", "CALL", "STORE_FAST", "CACHE", "EXTENDED_ARG", "NOP"}


class MachineLocals(dict):
    """A compiled function's locals by their source names; a store sets the machine's attribute.

    Filled when the debugger stops (as pdb reads ``f_locals`` then); what
    the frame itself holds for pdb (``__return__``, ``__exception__``) is
    added.  A new name is kept here only, as natively a name the function
    does not have is not one of its locals.
    """

    def __init__(self, machine, frame=None):
        self._enclosing = dict(_enclosing_variables(machine))  # name -> (store, read)
        readers = {name: read for name, (_store, read) in sorted(self._enclosing.items())}
        super().__init__(machine.saved_locals(readers))
        self._machine = machine
        self._slots = {name: slot for slot, name in _slot_names(machine)}
        self._frame = frame if not isinstance(frame, SuspendedFrame) else None
        if frame is not None and not isinstance(frame, SuspendedFrame):
            for special in ("__return__", "__exception__"):
                if special in frame.f_locals:
                    dict.__setitem__(self, special, frame.f_locals[special])

    def __setitem__(self, name, value):
        dict.__setitem__(self, name, value)
        slot = self._slots.get(name)
        if slot is not None:
            setattr(self._machine, slot, value)
        elif name in self._enclosing:
            # As natively: the enclosing function (and every function
            # sharing the variable) sees it.
            self._enclosing[name][0](value)
            if self._frame is not None:
                # Before 3.13 the frame's f_locals dict is written back into
                # its cells when the trace function returns: brought up to date here.
                self._frame.f_locals  # noqa: B018

    def __delitem__(self, name):
        dict.__delitem__(self, name)
        slot = self._slots.get(name)
        if slot is not None:
            try:
                object.__delattr__(self._machine, slot)
            except AttributeError:
                pass


def _enclosing_variables(machine):
    """``(source name, (store, read))`` of each enclosing function's variable the function uses.

    ``read()`` raises NameError while it is unbound.  An enclosing plain
    function's variable is a cell of ``resume``; an enclosing compiled
    function's is a slot of its machine, which ``resume`` reads through
    the cell holding that machine (``self.k``), or, for an async def
    directly in it, through the slot holding it (``frame.outer.k``).
    """
    from runtime.machines.statemachine import Machine

    code = type(machine)._resume_code
    closure, reference = _closure_of_resume(machine)
    roots = {_machine_variable(code): machine}
    for name, cell in zip(code.co_freevars, closure, strict=False):
        if name == reference:
            continue  # how a resume made over cells reaches its machine: no variable of the user's
        try:
            contents = cell.cell_contents
        except ValueError:
            contents = None
        if isinstance(contents, Machine) and _is_machine_parameter(contents, name):
            roots[name] = contents
        else:
            yield name, _cell_access(cell, name)
    found = {}
    for path in sorted(_attribute_paths(code, set(roots))):
        owner = roots[path[0]]
        for attribute in path[1:]:
            slots = dict(_slot_names(owner))
            if owner is not machine and attribute in slots:
                found.setdefault(slots[attribute], _slot_access(owner, attribute, slots[attribute]))
                break
            enclosing = _enclosing_machine(owner, attribute)
            if enclosing is None:
                break
            owner = enclosing
    yield from sorted(found.items())


def _closure_of_resume(machine):
    """The cells ``machine``'s resume closes over, and the name of its weak reference to it (or None).

    A resume made per coroutine over cells (``make_resume``, see
    emit.machine.write_make_resume) is the machine's own, in its slot; its
    first parameter is the weak reference.
    """
    kind = type(machine)
    if kind._reference is None:
        return kind.resume.__closure__ or (), None
    # Made by make_resume, or for a nested async def's coroutines in the enclosing resume.
    resume = object.__getattribute__(machine, "resume")
    closure = getattr(resume, "__closure__", None) or ()  # () once let go of
    return closure, kind._resume_code.co_freevars[kind._reference]


def _machine_variable(code):
    """The name ``resume``'s code calls its machine: its first parameter, or over cells the first local it binds."""
    if code.co_argcount == 3:
        return code.co_varnames[0]
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("STORE_FAST", "STORE_DEREF"):
            return instruction.argval
    return None


def _enclosing_machine(machine, slot):
    """The enclosing machine that ``slot`` of ``machine`` holds (``outer``), or None."""
    from runtime.machines.statemachine import Machine

    if slot not in machine._temporaries:
        return None
    try:
        enclosing = object.__getattribute__(machine, slot)
    except AttributeError:
        return None
    return enclosing if isinstance(enclosing, Machine) else None


def _is_machine_parameter(machine, name):
    """Whether ``name`` is what the enclosing ``resume`` calls its machine (not a user's variable)."""
    return _machine_variable(type(machine)._resume_code) == name


_VARIABLE_LOADS = ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST")
_ATTRIBUTE_OPS = ("LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR", "DELETE_ATTR")


def _attribute_paths(code, names):
    """The chains of attributes ``code`` (and the code nested in it) takes from the variables ``names``.

    ``frame.outer.k`` is ``("frame", "outer", "k")``.
    """
    found = set()
    path = None
    for instruction in dis.get_instructions(code):
        if path is not None and instruction.opname in _ATTRIBUTE_OPS:
            path.append(instruction.argval)
            if instruction.opname.startswith("LOAD"):
                continue
        if path is not None and len(path) > 1:
            found.add(tuple(path))
        path = None
        if instruction.opname in _VARIABLE_LOADS:
            variable = instruction.argval
            if isinstance(variable, tuple):  # 3.13's LOAD_FAST_LOAD_FAST: the second is on top
                variable = variable[1]
            if variable in names:
                path = [variable]
    for constant in code.co_consts:
        if hasattr(constant, "co_code") and names.intersection(constant.co_freevars):
            found |= _attribute_paths(constant, names.intersection(constant.co_freevars))
    return found


def _cell_access(cell, name):
    def store(value):
        cell.cell_contents = value

    def read():
        try:
            return cell.cell_contents
        except ValueError:
            raise NameError(name) from None

    return store, read


def _slot_access(machine, slot, name):
    def store(value):
        setattr(machine, slot, value)

    def read():
        try:
            return object.__getattribute__(machine, slot)
        except AttributeError:
            raise NameError(name) from None

    return store, read


def _slot_names(machine):
    """``(slot, source name)`` of each of the function's locals."""
    renamed = machine._renamed
    temporaries = machine._temporaries
    for slot in type(machine).__dict__.get("__slots__", ()):
        if slot not in temporaries:
            yield slot, renamed.get(slot, slot)


class _ByCoroutine(dict):
    """pdb's ``displaying`` (frame -> displays), keyed by coroutine for compiled frames."""

    def __init__(self, key):
        super().__init__()
        self._key = key

    def get(self, frame, default=None):
        return super().get(self._key(frame), default)

    def setdefault(self, frame, default=None):
        return super().setdefault(self._key(frame), default)

    def pop(self, frame, *default):
        return super().pop(self._key(frame), *default)

    def __getitem__(self, frame):
        return super().__getitem__(self._key(frame))

    def __contains__(self, frame):
        return super().__contains__(self._key(frame))


class Pdb(pdb.Pdb):
    """``pdb.Pdb`` that shows and steps through compiled functions as the source has them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kinds = {}  # code -> "resume", "hidden" or "user"
        self._followed = None  # the machine a next/until/return waits to resume, and how
        self._dispatch_lines = {}  # (code, offset) -> whether the line is dispatch only
        self.displaying = _ByCoroutine(self._display_key)
        self._driven_while_tracing = weakref.WeakSet()  # machines resumed under the tracer
        self._previous_line = None  # (frame, line, whether a dispatch line came after it)

    # -- which frames are whose -------------------------------------------------------

    def _kind(self, frame):
        code = frame.f_code
        kind = self._kinds.get(code)
        if kind is None:
            kind = self._kinds[code] = _kind_of(frame)
        return kind

    def _machine(self, frame):
        """The machine whose ``resume`` ``frame`` runs (or stands in for), or None."""
        if isinstance(frame, SuspendedFrame):
            return frame._machine()
        if frame is not None and self._kind(frame) == "resume":
            return stacks.driven_machine(frame)
        return None

    def _display_key(self, frame):
        machine = self._machine(frame)
        return frame if machine is None else machine

    # -- locals by source names -------------------------------------------------------

    @property
    def curframe_locals(self):
        machine = self._machine(getattr(self, "curframe", None))
        if machine is None:
            return self._curframe_locals
        cached = self._machine_locals
        if cached is None or cached[0] is not self.curframe:
            # An exception left the function: its locals are where its traceback keeps them.
            machine = kept_locals(self.curframe, machine)
            cached = self._machine_locals = (self.curframe, MachineLocals(machine, self.curframe))
        return cached[1]

    @curframe_locals.setter
    def curframe_locals(self, value):
        # pdb sets it to the frame's f_locals at each stop and frame change.
        self._curframe_locals = value
        self._machine_locals = None

    _curframe_locals = None
    _machine_locals = None

    # -- the stack: awaiting coroutines, no machinery ------------------------------------

    def get_stack(self, f, t):
        stack = []
        if t and t.tb_frame is f:
            t = t.tb_next
        for frame in stacks.stack_frames(f) if f is not None else ():
            stack.append((frame, self._line_of(frame)))
            if frame is self.botframe:
                break
        stack.reverse()
        index = max(0, len(stack) - 1)
        while t is not None:
            if not stacks.is_hidden(t.tb_frame) and self._kind(t.tb_frame) != "hidden":
                stack.append((t.tb_frame, t.tb_lineno))
            t = t.tb_next
        if f is None:
            index = max(0, len(stack) - 1)
        return stack, index

    def _line_of(self, frame):
        """The frame's line; for a resumption still dispatching, the line of its await."""
        machine = self._machine(frame)
        if machine is not None and not isinstance(frame, SuspendedFrame) and machine.state > 0:
            return machine.line
        return frame.f_lineno

    def _getsourcelines(self, obj):
        # ``longlist`` in an awaiting coroutine: its stand-in is no frame for inspect.
        if isinstance(obj, SuspendedFrame):
            obj = obj.f_code
        return super()._getsourcelines(obj)

    # -- breakpoints by function name -----------------------------------------------------

    def do_break(self, arg, temporary=False):
        # 3.13 puts a function's breakpoint on its first executable line,
        # found from its code: for a compiled function, the stub's code.
        # Discussion: pdb reads it through a module-level function, which
        # is replaced only while this command runs.
        first_line = getattr(pdb, "find_first_executable_line", None)
        if first_line is None:
            return super().do_break(arg, temporary)
        pdb.find_first_executable_line = lambda code: _first_source_line(code, first_line)
        try:
            return super().do_break(arg, temporary)
        finally:
            pdb.find_first_executable_line = first_line

    do_b = do_break

    # -- jump: only where the generated code does what the source would -------------------

    def do_jump(self, arg):
        frame = getattr(self, "curframe", None)
        if self._machine(frame) is not None and self.curindex + 1 == len(self.stack):
            try:
                target = int(arg)
            except ValueError:
                pass  # pdb says what it needs
            else:
                why = jumps.refusal(frame.f_code, frame.f_globals, self.stack[self.curindex][1], target)
                if why is not None:
                    self.error(f"Jump failed: {why}")
                    return None
                # 3.12+ warns of the frame's locals a jump leaves unbound: here
                # the generated code's (the function's own are the machine's).
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", "assigning None to", RuntimeWarning)
                    return super().do_jump(arg)
        return super().do_jump(arg)

    do_j = do_jump

    # -- running a program: a script as pdb runs one -------------------------------------

    def run(self, cmd, globals=None, locals=None):
        if isinstance(cmd, _ScriptStatement):
            import __main__

            globals, locals = __main__.__dict__, {_SCRIPT_CODE: cmd.code}
        return super().run(cmd, globals, locals)

    # -- stopping: only at the user's lines ------------------------------------------------

    def stop_here(self, frame):
        if self._kind(frame) == "hidden":
            return False
        return super().stop_here(frame)

    def break_anywhere(self, frame):
        if self._kind(frame) == "hidden":
            return False
        return super().break_anywhere(frame)

    def dispatch_call(self, frame, arg):
        kind = self._kind(frame)
        if kind == "hidden":
            machine = stacks.driven_machine(frame)
            if machine is not None:
                self._driven_while_tracing.add(machine)
            return None  # neither stopped in nor traced: its calls still are
        if kind == "resume":
            machine = stacks.driven_machine(frame)
            if machine is not None and machine.state != 0:
                # A resumption, not a call: natively the same frame goes on.
                self._follow_into(frame, machine)
                if self.stop_here(frame) or self.break_anywhere(frame) or self.stopframe is None:
                    return self.trace_dispatch
                return None
        return super().dispatch_call(frame, arg)

    def dispatch_line(self, frame):
        if self._kind(frame) == "resume":
            machine = stacks.driven_machine(frame)
            if machine is not None and machine.state != 0:
                return self.trace_dispatch  # dispatching to the resume point
            previous = self._previous_line
            kind = self._line_kind(frame)
            if kind == "dispatch":
                if previous is not None and previous[0] is frame:
                    self._previous_line = (frame, previous[1], "dispatch")
                return self.trace_dispatch
            self._previous_line = (frame, frame.f_lineno, kind)
            if (
                previous is not None
                and previous[0] is frame
                and previous[2] in ("dispatch", "jump")
                and previous[1] == frame.f_lineno
            ):
                # Back on the line it was on before a dispatch line, or
                # jumping back to the loop's line from the loop's own jump:
                # natively the line goes on, with no second event.
                return self.trace_dispatch
        return super().dispatch_line(frame)

    def dispatch_return(self, frame, arg):
        if self._kind(frame) == "resume":
            machine = stacks.driven_machine(frame)
            if machine is not None and machine.state > 0 and type(arg) is not YieldValue:
                # Suspended at an await: natively the frame is not left.
                if frame is self.stopframe:
                    self._followed = (machine, "stop", self.stoplineno)
                elif frame is self.returnframe:
                    self._followed = (machine, "return", None)
                return self.trace_dispatch
            if machine is not None and self.stopframe and (
                self.stop_here(frame) or frame is self.returnframe
            ):
                # The coroutine returns (or an async generator yields,
                # which to its consumer is the same): bdb ignores that event for native
                # ones when next/until/return is on; the awaiting coroutine
                # then stops with "Internal StopIteration", if it is compiled
                # too (and, before 3.12, was resumed while tracing was on:
                # only then does its await raise StopIteration for the tracer).
                awaiting = _awaiting_machine(frame, machine)
                if awaiting is not None and (
                    _STOP_ITERATION_ALWAYS_TRACED or awaiting in self._driven_while_tracing
                ):
                    value = arg.value if type(arg) is YieldValue else arg
                    self._followed = (awaiting, "internal", value)
                return self.trace_dispatch
        return super().dispatch_return(frame, arg)

    def _set_stopinfo(self, *args, **kwargs):
        # A new command (or the one being carried over): what was followed is done.
        self._followed = None
        super()._set_stopinfo(*args, **kwargs)

    def _follow_into(self, frame, machine):
        """Carry a next/until/return over an await into the frame that resumes after it."""
        followed = self._followed
        if followed is None or followed[0] is not machine:
            return
        self._followed = None
        _, how, argument = followed
        if how == "stop":
            self._set_stopinfo(frame, None, argument)
        elif how == "return":
            self._set_stopinfo(frame.f_back, frame)
        else:
            self._set_stopinfo(frame, None, 0)  # then as next, from the await
            self.user_exception(frame, (StopIteration, StopIteration(argument), None))

    def _line_kind(self, frame):
        """"dispatch" (only the compiler's test of the state), "jump" (only a jump), or "user"."""
        key = (frame.f_code, frame.f_lasti)
        found = self._dispatch_lines.get(key)
        if found is None:
            found = self._dispatch_lines[key] = _line_kind(frame.f_code, frame.f_lasti)
        return found


def _awaiting_machine(frame, machine):
    """The compiled coroutine that awaits ``machine`` (whose ``resume`` runs in ``frame``), or None."""
    for outer in stacks.stack_frames(frame.f_back):
        if isinstance(outer, SuspendedFrame):
            awaiting = outer._machine()
            if awaiting is machine:
                continue  # the machinery running ``machine`` itself
            return awaiting
        return None  # awaited by code that is not compiled
    return None


def _kind_of(frame):
    """"resume" for a compiled function's body, "hidden" for the machinery, else "user"."""
    code = frame.f_code
    if stacks.is_hidden(frame) or os.path.dirname(code.co_filename) == _RUNTIME_MACHINES:
        return "hidden"
    if _MACHINE_CLASS_NAMES.issubset(code.co_names) and not code.co_argcount:
        return "hidden"  # the body of a generated class
    if code.co_flags & (CO_COROUTINE | CO_ASYNC_GENERATOR) and _RETURN_GENERATOR not in code.co_code[:16:2]:
        return "hidden"  # the stub that builds the machine: natively there is no such call
    if _makes_a_resume(frame):
        return "hidden"  # what the stub calls for its machine's resume (a _resume_maker): part of the call
    machine = stacks.driven_machine(frame)
    if machine is not None:
        kind = type(machine)
        if code is kind._resume_code:
            return "resume"
        if code is getattr(kind.__init__, "__code__", None):
            return "hidden"  # storing the arguments: natively part of the call
    return "user"


def _makes_a_resume(frame):
    """Whether ``frame`` runs a ``make_resume`` or a ``_resume_maker`` (emit.machine): its first argument weakly refers to the machine."""
    code = frame.f_code
    if not code.co_argcount or not code.co_name.endswith("_resume"):
        return False
    reference = frame.f_locals.get(code.co_varnames[0])
    if type(reference) is not weakref.ref:
        return False
    from runtime.machines.statemachine import Machine

    machine = reference()
    if not isinstance(machine, Machine):
        return False
    namespace = type(machine).__dict__
    return namespace.get("_resume_maker") == code.co_name or (code.co_name == "make_resume" and "make_resume" in namespace)


def _first_source_line(code, first_line):
    """The line a breakpoint on the function of ``code`` stops at first; for a stub, its function's."""
    resume = _resume_code_of_stub(code)
    if resume is None:
        return first_line(code)
    after_resume = False
    for instruction in dis.get_instructions(resume):
        if instruction.opname == "RESUME":
            after_resume = True
        elif after_resume and instruction.starts_line and not _only_reads_state(resume, instruction.offset):
            line = instruction.positions.lineno
            if line is not None:
                return line
    return resume.co_firstlineno


def _resume_code_of_stub(code):
    """The ``resume`` code of the machine a compiled function's stub builds, or None."""
    if not code.co_flags & (CO_COROUTINE | CO_ASYNC_GENERATOR) or _RETURN_GENERATOR in code.co_code[:16:2]:
        return None
    from runtime.machines.statemachine import Machine

    for frame_globals in _globals_of(code):
        for name in code.co_names:
            candidate = frame_globals.get(name)
            if isinstance(candidate, type) and issubclass(candidate, Machine):
                return candidate._resume_code
    return None


def _globals_of(code):
    """The globals of the module whose file ``code`` comes from (the stub's module)."""
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == code.co_filename:
            yield vars(module)


_JUMPS = {"JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "JUMP_FORWARD", "JUMP", "CACHE", "EXTENDED_ARG"}


def _only_reads_state(code, offset):
    return _line_kind(code, offset) == "dispatch"


def _line_kind(code, offset):
    """What the line starting at ``offset`` does: see ``Pdb._line_kind``."""
    line = None
    end = None
    for start, stop, number in code.co_lines():
        if start <= offset < stop:
            line, end = number, stop
        elif line is not None and start == end and number == line:
            end = stop
        elif line is not None and start >= end:
            break
    if line is None:
        return "user"
    machine = _machine_variable(code) if code.co_argcount else None
    names = []
    stored = set()
    for instruction in dis.get_instructions(code):
        if offset <= instruction.offset < end:
            names.append(instruction.opname)
            if instruction.opname == "LOAD_FAST" and instruction.argval != machine:
                return "user"
            if instruction.opname == "LOAD_ATTR" and instruction.argval != "state":
                return "user"
            if instruction.opname == "STORE_FAST":
                stored.add(instruction.argval)
    if names and set(names) <= _JUMPS:
        return "jump"
    if stored == {machine} and set(names) <= _REACHING_OPCODES:
        return "dispatch"  # ``self = machine()``: a resume made over cells reaching its machine
    if "LOAD_ATTR" in names and set(names) <= _DISPATCH_OPCODES:
        return "dispatch"
    return "user"


# -- entry points ---------------------------------------------------------------------


def set_trace(*, header=None):
    """``pdb.set_trace()`` with this module's ``Pdb``: what ``breakpoint()`` calls under ``run``."""
    debugger = Pdb()
    if header is not None:
        debugger.message(header)
    debugger.set_trace(sys._getframe().f_back)


def breakpointhook(*args, **kwargs):
    """``sys.breakpointhook`` under ``run``: this ``Pdb``, unless ``PYTHONBREAKPOINT`` says otherwise."""
    return stop_at(sys._getframe().f_back, args, kwargs)


def stop_at(frame, args, kwargs):
    """What ``breakpoint(*args, **kwargs)`` in ``frame`` does under ``run``."""
    chosen = os.environ.get("PYTHONBREAKPOINT", "")
    if chosen not in ("", "pdb.set_trace", "statemachine_compiler.debugger.set_trace"):
        return sys.__breakpointhook__(*args, **kwargs)
    debugger = Pdb()
    header = kwargs.get("header")
    if header is not None:
        debugger.message(header)
    debugger.set_trace(frame)
    return None


class _ScriptStatement(str):
    """The statement pdb runs a script with, as its own ``exec(compile(...))``: ``where`` shows it as ``<string>``.

    ``Pdb.run`` gives it the compiled code as a local of that statement,
    not as a name of the program's namespace.
    """

    def __new__(cls, code):
        statement = super().__new__(cls, f"exec({_SCRIPT_CODE}, globals())")
        statement.code = code
        return statement


_SCRIPT_CODE = "__compiled_script__"


class _CompiledProgram:
    """What ``pdb._run`` runs: the program's compiled code, in a ``__main__`` namespace.

    ``shown`` is what pdb names it by when it restarts: the script's path,
    or the module's name.  A script is run through a ``<string>`` statement,
    as pdb runs one; a module's code directly, as pdb does.
    """

    def __init__(self, shown, code, namespace, script):
        self.filename = code.co_filename
        self.code = _ScriptStatement(code) if script else code
        self._shown = shown
        self._namespace = namespace

    def __str__(self):
        return self._shown

    @property
    def namespace(self):
        return {"__name__": "__main__", **self._namespace, "__builtins__": __builtins__}


def run_script(path, code, loader, commands=()):
    """Debug the compiled script as ``python -m pdb path`` does (pdb's ``main`` loop); return 0."""
    namespace = {"__file__": path, "__loader__": loader}
    return _run_program(_CompiledProgram(path, code, namespace, script=True), commands)


def run_module(name, spec, code, commands=()):
    """Debug the compiled module as ``python -m pdb -m name`` does; return 0."""
    namespace = {
        "__file__": os.path.normcase(os.path.abspath(code.co_filename)),
        "__package__": spec.parent,
        "__loader__": spec.loader,
        "__spec__": spec,
    }
    return _run_program(_CompiledProgram(name, code, namespace, script=False), commands)


def _run_program(target, commands):
    """pdb's ``main`` loop over ``target``: restarts, post mortem; 0 once the user quits."""
    debugger = Pdb()
    debugger.rcLines.extend(commands)
    while True:
        try:
            debugger._run(target)
        except pdb.Restart:
            print("Restarting", target, "with arguments:")
            print("\t" + " ".join(sys.argv[1:]))
            continue
        except SystemExit as exit:
            print("The program exited via sys.exit(). Exit status:", end=" ")
            print(exit)
        except BaseException as error:  # noqa: BLE001 - post mortem, as pdb does
            import traceback

            _without_frames_of(Pdb.run, error)
            traceback.print_exception(error)
            print("Uncaught exception. Entering post mortem debugging")
            print("Running 'cont' or 'step' will restart the program")
            if _POST_MORTEM_THEN_QUIT:
                try:
                    debugger.interaction(None, error.__traceback__)
                except pdb.Restart:
                    print("Restarting", target, "with arguments:")
                    print("\t" + " ".join(sys.argv[1:]))
                    continue
            else:
                debugger.interaction(None, error.__traceback__)
                print(f"Post mortem debugger finished. The {target} will be restarted")
                continue
        if debugger._user_requested_quit:
            return 0
        print("The program finished and will be restarted")


def _without_frames_of(function, error):
    """Take the frames of ``function`` (ours, which pdb has not) out of ``error``'s traceback."""
    entry = error.__traceback__
    while entry is not None and entry.tb_next is not None:
        if entry.tb_next.tb_frame.f_code is function.__code__:
            entry.tb_next = entry.tb_next.tb_next
        else:
            entry = entry.tb_next


# 3.13's pdb ends after a post-mortem session that quits; before, it ran the program again.
_POST_MORTEM_THEN_QUIT = sys.version_info >= (3, 13)
