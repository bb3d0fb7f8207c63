"""Compile Python ``async def`` functions into readable state-machine classes."""

from statemachine_compiler.diagnostics import CompileError
from statemachine_compiler.pipeline import Options, Result, compile_source

__all__ = ["CompileError", "Options", "Result", "compile_source"]
__version__ = "0.1.0"
