"""Errors the compiler reports about its input, as ``path:line:col: message``."""

from __future__ import annotations

__all__ = ["CompileError", "unsupported"]

SYNTAX_ERROR_PREFIX = "SyntaxError: "


class CompileError(SyntaxError):
    """Raised for input the compiler cannot compile: a syntax error or an unsupported construct.

    ``str()`` is the command line's one-line report, ``path:line:col: message``.
    Discussion: it is a ``SyntaxError`` so that a broken module imported
    through the hook fails as one natively does: ``except SyntaxError``
    catches it, and Python's traceback printer shows the file, the line, its
    text (``text``, filled in by whoever has the source) and a caret under
    the column, from ``filename``, ``lineno``, ``offset`` and ``msg``.
    """

    def __init__(self, path: str, line: int, column: int, message: str, text: str | None = None):
        # msg is what the traceback prints after the type's name: no
        # "SyntaxError: " twice.
        reason = message.removeprefix(SYNTAX_ERROR_PREFIX)
        # One column: without an end, 3.13 underlines to the end of the line.
        super().__init__(reason, (path, line, column, text, line, column + 1))
        self.path = path
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def __reduce__(self):
        # The default would call CompileError(*self.args), SyntaxError's
        # arguments: compile errors cross process boundaries (compile -j).
        return (type(self), (self.path, self.line, self.column, self.message, self.text))


# Shown as ``statemachine_compiler.CompileError`` in tracebacks, where users import it from.
CompileError.__module__ = "statemachine_compiler"


def unsupported(path: str, position: tuple[int, int], what: str) -> CompileError:
    """The error for a construct the compiler does not handle (yet)."""
    line, column = position
    return CompileError(path, line, column, f"unsupported: {what}")
