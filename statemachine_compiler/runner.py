"""``statemachine-compiler run``: run a program as ``python`` would, compiled.

``run_script("app.py", args)`` is ``python app.py args...`` and
``run_module("app", args)`` is ``python -m app args...``, except that the
script (or the module run as ``__main__``) is compiled, and the import hook is
installed for the ``include`` patterns first.  What the program sees is what
``python`` gives it: ``sys.argv``, ``sys.path[0]``, a module named
``__main__``.  What the shell sees too: the exit status is 0, the code of a
``SystemExit``, or 1 after the traceback of an uncaught exception.  Like
``python``, nothing is written beside the script, but its compiled code is
kept in the user's cache directory (``scriptcache``), so that an unchanged
script starts without the compiler (a module run with ``-m`` is cached as
an imported one is, as ``python -m`` caches its ``.pyc``).  A script
that cannot be read or compiled is one line on stderr, exit status 2.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import traceback  # noqa: F401 - so that stacks.install() gives the program's stack walks
import types

from runtime.machines import stacks
from statemachine_compiler.diagnostics import CompileError
from statemachine_compiler.importhook import StateMachineLoader, install_import_hook
from statemachine_compiler.scriptcache import compiled_script

__all__ = ["run_module", "run_script"]


def run_script(path: str, args: list[str], include=(), debug=None) -> int:
    """Run the file at ``path`` compiled, as ``python path args...`` would; return the status.

    ``debug``: a list of pdb commands (maybe empty) to run it under the
    debugger instead, as ``python -m pdb [-c command]... path args...`` does.
    """
    shown = path
    path = os.path.abspath(path)  # __file__ and tracebacks, as python gives them
    code = _compiled(shown, lambda: compiled_script(path))
    if code is None:
        return 2
    sys.argv[:] = [shown, *args]
    sys.path[0:1] = [os.path.dirname(path)]
    hook = install_import_hook(include)
    try:
        loader = StateMachineLoader("__main__", path)  # for inspect.getsource and linecache
        spec = importlib.machinery.ModuleSpec("__main__", loader, origin=path)
        module = _main_module(spec, package=None)
        module.__spec__ = None  # as for `python path`
        if debug is not None:
            from statemachine_compiler import debugger

            return debugger.run_script(path, code, loader, debug)
        return _execute(code, module)
    finally:
        hook.uninstall()


def _compiled(shown: str, compile_main):
    """The code ``compile_main()`` gives, or None once its failure is reported in one line."""
    try:
        return compile_main()
    except CompileError as error:
        print(error, file=sys.stderr)
    except OSError as error:
        print(f"{shown}: {error.strerror}", file=sys.stderr)
    except KeyboardInterrupt:  # while compiling: the program has not started
        print(f"{shown}: interrupted", file=sys.stderr)
    return None


def run_module(name: str, args: list[str], include=(), debug=None) -> int:
    """Run the module ``name`` compiled, as ``python -m name args...`` would; return the status.

    ``debug``: a list of pdb commands (maybe empty) to run it under the
    debugger instead, as ``python -m pdb [-c command]... -m name args...`` does.
    """
    sys.argv[:] = ["-m", *args]  # as python does while it looks the module up
    sys.path[0:1] = [os.getcwd()]
    hook = install_import_hook(include)
    try:
        try:
            spec = _find_main_spec(name)
        except ImportError as error:
            print(f"{sys.executable}: {error}", file=sys.stderr)
            return 1
        if not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            print(f"{spec.name}: not a Python source file, cannot compile it", file=sys.stderr)
            return 2
        sys.argv[0] = spec.origin
        loader = StateMachineLoader(spec.name, spec.origin)
        code = _compiled(spec.origin, lambda: loader.get_code(spec.name))
        if code is None:
            return 2
        spec.loader = loader
        module = _main_module(spec, package=spec.name.rpartition(".")[0])
        if debug is not None:
            from statemachine_compiler import debugger

            sys.argv[0] = name  # as pdb gives it
            return debugger.run_module(name, spec, code, debug)
        return _execute(code, module)
    finally:
        hook.uninstall()


def _breakpointhook(*args, **kwargs):
    """``sys.breakpointhook`` under ``run``: the debugger's, imported at the first ``breakpoint()``.

    Discussion: the debugger imports pdb (and inspect, dis, ast, typing with
    it), some ten milliseconds at the start of every run of a program that
    may never reach a breakpoint.
    """
    from statemachine_compiler import debugger

    return debugger.stop_at(sys._getframe().f_back, args, kwargs)


def _find_main_spec(name: str):
    """Return the spec ``python -m name`` runs: the module, or a package's ``__main__``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as error:
        raise ImportError(f"Error while finding module specification for {name!r} ({error})") from error
    if spec is None:
        raise ImportError(f"No module named {name}")
    if spec.submodule_search_locations is not None:
        main = f"{name}.__main__"
        spec = importlib.util.find_spec(main)
        if spec is None:
            raise ImportError(f"No module named {main}; '{name}' is a package and cannot be directly executed")
    return spec


def _main_module(spec, package) -> types.ModuleType:
    module = types.ModuleType("__main__")
    module.__file__ = spec.origin
    module.__cached__ = None
    module.__loader__ = spec.loader
    module.__package__ = package
    module.__spec__ = spec
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    return module


def _execute(code, module) -> int:
    """Run the program; turn how it ended into an exit status, as the interpreter does.

    The program's stack starts at its own first line, as under ``python``:
    stack walks (``traceback.print_stack``) stop there, and its tracebacks
    start there, this module's and the CLI's frames left out.
    """
    stacks.install()
    stacks.set_program(code)
    breakpointhook = sys.breakpointhook
    if breakpointhook is sys.__breakpointhook__:
        sys.breakpointhook = _breakpointhook  # breakpoint() stops in the compiled program
    try:
        exec(code, module.__dict__)
    except SystemExit as exit:
        return _exit_status(exit)
    except BaseException as error:
        _from_program(error, code)
        if isinstance(error, KeyboardInterrupt):
            # Let the interpreter exit as it does on SIGINT; the frames it
            # passes through on its way out are left out of what it prints.
            _report_from_program(error, code)
            raise
        sys.excepthook(type(error), error, error.__traceback__)
        return 1
    finally:
        stacks.set_program(None)
        sys.breakpointhook = breakpointhook
    return 0


def _from_program(error: BaseException, code) -> BaseException:
    """Start ``error``'s traceback at the program's frame: what ``sys.excepthook`` prints."""
    entry = error.__traceback__
    while entry is not None and entry.tb_frame.f_code is not code:
        entry = entry.tb_next
    if entry is not None:
        error.__traceback__ = entry
    return error


def _report_from_program(error: BaseException, code) -> None:
    """Have the interpreter's report of ``error``, uncaught, start at the program's frame."""
    original = sys.excepthook

    def excepthook(kind, value, entry):
        if sys.excepthook is excepthook:
            sys.excepthook = original
        if value is error:
            entry = _from_program(error, code).__traceback__
        original(kind, value, entry)

    sys.excepthook = excepthook


def _exit_status(exit: SystemExit) -> int:
    code = exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
