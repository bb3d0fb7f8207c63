"""The stack as the user's code sees it: coroutines awaiting coroutines, no machinery.

Natively, the frame of a running coroutine is called by the frame of the
coroutine awaiting it.  A compiled coroutine's ``resume`` is called by the
machinery instead (``send``, ``_send``, ``_advance``), and the ``resume`` of
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
"""

import sys

__all__ = ["install", "set_program", "stack_frames", "is_hidden"]

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
    candidate = frame.f_locals.get(code.co_varnames[0])
    return candidate if isinstance(candidate, Machine) else None


def _may_be_resume(code):
    """Whether ``code`` may be a ``resume`` (machine, value, error): a cheap test before reading locals."""
    return code.co_argcount == 3


def stack_frames(frame):
    """The frames from ``frame`` outwards, as a native stack would have them."""
    from runtime.machines.statemachine import SuspendedFrame

    shown = set()  # ids of the machines whose frame was given already
    program = _program[0] if _program else None
    while frame is not None:
        if not is_hidden(frame):
            machine = driven_machine(frame) if _may_be_resume(frame.f_code) else None
            if machine is not None and frame.f_code is type(machine).resume.__code__:
                shown.add(id(machine))
            yield frame
        elif (machine := driven_machine(frame)) is not None and id(machine) not in shown and machine.state > 0:
            # Driving the coroutine this machine awaits: it waits at an await.
            shown.add(id(machine))
            yield SuspendedFrame(machine)
        if frame.f_code is program:
            return
        frame = frame.f_back


def _walk_stack(f):
    """``traceback.walk_stack``, through ``stack_frames``."""
    if f is None:
        # As the original: skip this generator, extract, extract_stack and
        # its caller's wrapper (print_stack / format_stack call extract_stack).
        f = sys._getframe().f_back.f_back.f_back.f_back
    for frame in stack_frames(f):
        yield frame, frame.f_lineno


def install():
    """Make ``traceback`` walk stacks through ``stack_frames`` (once; needs ``traceback`` imported)."""
    traceback = sys.modules.get("traceback")
    if traceback is None or getattr(traceback.walk_stack, "__wrapped__", None) is not None:
        return
    _walk_stack.__wrapped__ = traceback.walk_stack
    _walk_stack.__doc__ = traceback.walk_stack.__doc__
    traceback.walk_stack = _walk_stack
