"""Compile Python ``async def`` functions into readable state-machine classes."""

from statemachine_compiler.diagnostics import CompileError

__version__ = "0.1.0"

# After __version__: the import hook keys its cache on it.
from statemachine_compiler.importhook import install_import_hook  # noqa: E402

__all__ = ["CompileError", "Options", "Result", "compile_source", "install_import_hook"]

# Discussion: the compiler proper (libcst, black) takes a fifth of a second to
# import.  A program run through the import hook with a warm cache never
# compiles anything, so the pipeline is imported the first time it is named.
_PIPELINE = frozenset({"Options", "Result", "compile_source"})


def __getattr__(name):
    if name in _PIPELINE:
        from statemachine_compiler import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_PIPELINE})
