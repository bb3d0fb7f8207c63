"""The stack as the user's code sees it: coroutines awaiting coroutines, no machinery.

Natively, the frame of a running coroutine is called by the frame of the
coroutine awaiting it.  A compiled coroutine's ``resume`` is called by the
machinery instead (``send``, ``_send``, ``_advance``, ``run_now``), and the ``resume`` of
the coroutine awaiting it is not on the stack at all: that one is suspended,
its state in its machine.  ``stack_frames(frame)`` walks from ``frame`` out
as ``frame.f_back`` does, with each stretch of machinery replaced by the
machines it drives, shown as ``SuspendedFrame`` stand-ins at the line of the
await they wait in: the frames a native stack would have there.

``traceback.extract_stack``, ``print_stack`` and ``format_stack`` walk the
stack through ``traceback.walk_stack``; ``install()`` puts this walk in its
place.  It is installed as soon as ``traceback`` is imported along with a
compiled module (this module does not import ``traceback`` itself: it is
too dear for every program), and by ``statemachine-compiler run``.

A program runner can also say where the program's stack starts (``set_program``):
the frames that called it (the runner's own) are left out, as ``python
script.py`` has none.

Readers that walk ``f_back`` themselves get the same walk where this module
can reach them: ``inspect.stack()`` (``inspect.getouterframes``, replaced by
``install()`` too), and asyncio's ``Task.get_stack()`` / ``print_stack()``
and task reprs, which read a running coroutine's ``cr_frame`` (``read_by``:
they get ``FrameView`` stand-ins whose ``f_back`` is this walk's).  A
frame's own ``f_back`` is the interpreter's, read only: code that follows
it by hand still meets the machinery.
"""

import sys
from _weakref import ref as _weak_ref

__all__ = ["install", "set_program", "stack_frames", "is_hidden", "read_by", "FrameView"]

_hidden_files = set()  # the machinery's files: statemachine adds them (its _MACHINERY_FILES)
_program = []  # the code object of the program's outermost frame, if a runner said so


def set_program(code):
    """Make the frame running ``code`` the outermost one users see (None: no such frame)."""
    _program[:] = [] if code is None else [code]


def is_hidden(frame):
    """Whether ``frame`` is the machinery's, not the user's."""
    return frame.f_code.co_filename in _hidden_files


def driven_machine(frame):
    """The machine that ``frame`` (a method of the machinery, or a ``resume``) runs, or None."""
    from runtime.machines.statemachine import Machine

    code = frame.f_code
    if not code.co_argcount:
        return None
    f_locals = frame.f_locals
    candidate = f_locals.get(code.co_varnames[0])
    if isinstance(candidate, Machine):
        return candidate
    if code.co_argcount == 2 and code.co_freevars:
        # A resume made over cells (value, error): it reaches its machine
        # through a weak reference, one of its free variables.
        for name in code.co_freevars:
            reference = f_locals.get(name)
            if type(reference) is _weak_ref:
                candidate = reference()
                if isinstance(candidate, Machine) and type(candidate)._resume_code is code:
                    return candidate
    return None


def _may_be_resume(code):
    """Whether ``code`` may be a ``resume`` (machine, value, error; or over cells, value, error): a cheap test."""
    return code.co_argcount == 3 or (code.co_argcount == 2 and bool(code.co_freevars))


def stack_frames(frame):
    """The frames from ``frame`` outwards, as a native stack would have them."""
    from runtime.machines.statemachine import SuspendedFrame

    shown = set()  # ids of the machines whose frame was given already
    waiting = []  # the machines a stretch of machinery drives, waiting at an await
    program = _program[0] if _program else None
    while frame is not None:
        if not is_hidden(frame):
            machine = driven_machine(frame) if _may_be_resume(frame.f_code) else None
            if machine is not None and frame.f_code is not type(machine)._resume_code:
                machine = None
            for suspended in waiting:
                # Discussion: the machinery called from a resume (run_now,
                # the fast path of an await) drives that resume's machine,
                # whose real frame comes next: no stand-in for it.
                if suspended is not machine:
                    yield SuspendedFrame(suspended)
            waiting.clear()
            if machine is not None:
                shown.add(id(machine))
            yield frame
        elif (machine := driven_machine(frame)) is not None and id(machine) not in shown and machine.state > 0:
            # Driving the coroutine this machine awaits: it waits at an await.
            shown.add(id(machine))
            waiting.append(machine)
        if frame.f_code is program:
            break
        frame = frame.f_back
    for suspended in waiting:
        yield SuspendedFrame(suspended)


class FrameView:
    """A frame as a native ``f_back`` walk meets it: the frame's fields, the next frame shown as ``f_back``.

    Made only for frames whose own ``f_back`` leads into the machinery (or
    past the program's first frame); the frames under the last such one
    are themselves.
    """

    __slots__ = ("_frame", "f_back")

    def __init__(self, frame, back):
        self._frame = frame
        self.f_back = back

    def __getattr__(self, name):
        return getattr(self._frame, name)

    def __repr__(self):
        return f"<view of {self._frame!r}>"


def viewed_stack(frame):
    """``frame`` as the top of the stack ``stack_frames`` walks, its ``f_back`` chain that walk."""
    back = None
    for shown in reversed(list(stack_frames(frame))):
        back = shown if shown.f_back is back else FrameView(shown, back)
    return back


# asyncio's readers of a running coroutine's frame, by (module, function):
# the frame's f_back walked for Task.get_stack(), its f_lineno for task reprs.
_ASYNCIO_READERS = {"_task_get_stack": "asyncio.base_tasks", "_format_coroutine": "asyncio.coroutines"}


def read_by(reader, frame):
    """What ``cr_frame`` gives ``reader`` (the frame reading it) for the running ``frame``.

    ``frame`` itself (``sys._getframe() is coro.cr_frame`` holds in the
    body; trio looks for it on the stack), except for asyncio's readers
    above, which get ``viewed_stack(frame)``.
    """
    code = reader.f_code
    if _ASYNCIO_READERS.get(code.co_name) == reader.f_globals.get("__name__"):
        return viewed_stack(frame)
    return frame


def _walk_stack(f):
    """``traceback.walk_stack``, through ``stack_frames``."""
    if f is None:
        # As the original: skip this generator, extract, extract_stack and
        # its caller's wrapper (print_stack / format_stack call extract_stack).
        f = sys._getframe().f_back.f_back.f_back.f_back
    for frame in stack_frames(f):
        yield frame, frame.f_lineno


def _getouterframes(frame, context=1):
    """``inspect.getouterframes``, through ``stack_frames``."""
    import inspect

    return [_frame_info(inspect, shown, context) for shown in stack_frames(frame)]


def _frame_info(inspect, frame, context):
    """``inspect.FrameInfo`` of ``frame``, also of a stand-in (``inspect.getframeinfo`` takes real frames)."""
    if inspect.isframe(frame):
        info = inspect.getframeinfo(frame, context)
        return inspect.FrameInfo(frame, *info, positions=info.positions)
    code, line = frame.f_code, frame.f_lineno
    lines, index = None, None
    if context > 0:
        start = line - 1 - context // 2
        try:
            source, _ = inspect.findsource(code)
        except OSError:
            pass
        else:
            start = max(0, min(start, len(source) - context))
            lines, index = source[start : start + context], line - 1 - start
    positions = _await_positions(code, line, frame.f_globals)
    return inspect.FrameInfo(frame, code.co_filename, line, code.co_name, lines, index, positions=positions)


def _await_positions(code, line, module_globals):
    """The ``dis.Positions`` of the await a suspended function waits in on ``line``, as natively.

    The compiler gives the code that takes an await's outcome the span of
    the source's ``await`` expression; with more than one await on the line
    (or none found), only the line is known.
    """
    import dis
    import linecache

    text = linecache.getline(code.co_filename, line, module_globals).encode()
    widest = {}  # start column of an await on the line -> its widest span (the whole expression)
    for positions in code.co_positions():
        if positions[0] == line and positions[2] is not None and text[positions[2] :].startswith(b"await"):
            known = widest.get(positions[2])
            if known is None or (known[1], known[3]) < (positions[1], positions[3]):
                widest[positions[2]] = positions
    if len(widest) == 1:
        return dis.Positions(*widest.popitem()[1])
    return dis.Positions(line, line, None, None)


# (module, name, replacement) of each stack walk install() takes over.
_REPLACED = (("traceback", "walk_stack", _walk_stack), ("inspect", "getouterframes", _getouterframes))


def install():
    """Make ``traceback`` and ``inspect`` walk stacks through ``stack_frames``; True once both are.

    Only modules already imported are changed (each once): this module
    imports neither, they are too dear for every program.
    """
    installed = True
    for module_name, name, replacement in _REPLACED:
        module = sys.modules.get(module_name)
        if module is None:
            installed = False
            continue
        if getattr(getattr(module, name), "__wrapped__", None) is not None:
            continue
        original = getattr(module, name)
        replacement.__wrapped__ = original
        replacement.__doc__ = original.__doc__
        setattr(module, name, replacement)
    return installed
