"""Errors the compiler reports about its input, as ``path:line:col: message``."""

from __future__ import annotations

__all__ = ["CompileError", "unsupported"]


class CompileError(Exception):
    """Raised for input the compiler cannot compile: a syntax error or an unsupported construct."""

    def __init__(self, path: str, line: int, column: int, message: str):
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.message = message


def unsupported(path: str, position: tuple[int, int], what: str) -> CompileError:
    """The error for a construct the compiler does not handle (yet)."""
    line, column = position
    return CompileError(path, line, column, f"unsupported: {what}")
