"""Compile Python ``async def`` functions into readable state-machine classes."""

from statemachine_compiler.diagnostics import CompileError
from statemachine_compiler.pipeline import Options, Result, compile_source

__version__ = "0.1.0"

# After __version__: the import hook keys its cache on it.
from statemachine_compiler.importhook import install_import_hook  # noqa: E402

__all__ = ["CompileError", "Options", "Result", "compile_source", "install_import_hook"]
