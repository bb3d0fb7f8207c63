"""``statemachine-compiler run``: run a program as ``python`` would, compiled.

``run_script("app.py", args)`` is ``python app.py args...`` and
``run_module("app", args)`` is ``python -m app args...``, except that the
script (or the module run as ``__main__``) is compiled, and the import hook is
installed for the ``include`` patterns first.  What the program sees is what
``python`` gives it: ``sys.argv``, ``sys.path[0]``, a module named
``__main__``.  What the shell sees too: the exit status is 0, the code of a
``SystemExit``, or 1 after the traceback of an uncaught exception.  A script
that cannot be read or compiled is one line on stderr, exit status 2.

Discussion: unlike ``python``, which compiles a script afresh on every run,
the compiled script is cached as an imported module is (``__pycache__``,
under the import hook's tag, keyed by the source and the compiler): compiling
needs libcst, whose import alone costs more start-up time than the rest of a
small program, and an unchanged script should start as fast as ``python``
starts it.  A module run with ``-m`` is cached likewise.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import types

from statemachine_compiler.diagnostics import CompileError
from statemachine_compiler.importhook import (
    StateMachineLoader,
    compile_to_code,
    install_import_hook,
)

__all__ = ["run_module", "run_script"]


def run_script(path: str, args: list[str], include=()) -> int:
    """Run the file at ``path`` compiled, as ``python path args...`` would; return the status."""
    shown = path
    path = os.path.abspath(path)  # __file__ and tracebacks, as python gives them
    # The loader also gives inspect.getsource and linecache the source.
    loader = StateMachineLoader("__main__", path, quiet=True)
    code = _compiled(shown, lambda: _script_code(loader, path))
    if code is None:
        return 2
    sys.argv[:] = [shown, *args]
    sys.path[0:1] = [os.path.dirname(path)]
    hook = install_import_hook(include)
    try:
        spec = importlib.machinery.ModuleSpec("__main__", loader, origin=path)
        module = _main_module(spec, package=None)
        module.__spec__ = None  # as for `python path`
        return _execute(code, module)
    finally:
        hook.uninstall()


def _script_code(loader, path: str):
    """The script compiled, from the cache when it is unchanged (a ``.py`` file only)."""
    if path.endswith(".py"):
        return loader.get_code("__main__")
    return compile_to_code(_read(path), path)  # ``prog``: no cache name Python would give it


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


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


def run_module(name: str, args: list[str], include=()) -> int:
    """Run the module ``name`` compiled, as ``python -m name args...`` would; return the status."""
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
        return _execute(code, module)
    finally:
        hook.uninstall()


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
    """Run the program; turn how it ended into an exit status, as the interpreter does."""
    try:
        exec(code, module.__dict__)
    except SystemExit as exit:
        return _exit_status(exit)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise  # let the interpreter exit as it does on SIGINT
        # Show the traceback from the program's first line, not from here.
        traceback = error.__traceback__
        if traceback is not None and traceback.tb_frame.f_code is _execute.__code__:
            traceback = traceback.tb_next
            error.__traceback__ = traceback  # what sys.excepthook prints
        sys.excepthook(type(error), error, traceback)
        return 1
    return 0


def _exit_status(exit: SystemExit) -> int:
    code = exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
