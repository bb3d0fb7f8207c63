"""A text writer for generated code: lines, indentation, and their source lines.

Generated control flow is written as text (it reads like the code it makes).
The user's own statements are rendered by libcst at the current depth, so
that their comments, strings and layout are kept byte for byte (a multi-line
string is never re-indented).  Every line written remembers the source line
it stands for: that is the line map tracebacks are mapped back with.
"""

from __future__ import annotations

from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState

from statemachine_compiler.linemap import positioned_code

__all__ = ["Writer", "code_of"]


class _NoRecord:
    """A context that does nothing, entered and left as ``with`` does."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exception) -> None:
        return None


_NO_RECORD = _NoRecord()


class _CodeState(CodegenState):
    """libcst's printing state, recording no positions at no cost.

    Discussion: libcst's state records none either, but through a
    ``@contextmanager`` made and entered for most nodes printed; the user's
    code printed into the machines paid that for each (issue 12).
    """

    __slots__ = ()

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _NO_RECORD


def code_of(node: cst.CSTNode, indent: str = "    ", newline: str = "\n", depth: int = 0) -> str:
    """``Module.code_for_node(node)`` for a module indented with ``indent``, ``depth`` indents in."""
    state = _CodeState(default_indent=indent, default_newline=newline)
    if depth:
        state.indent_tokens = [indent] * depth
    node._codegen(state)
    return "".join(state.tokens)


def _printed(node: cst.CSTNode, depth: int) -> str:
    return code_of(node, depth=depth)


class Writer:
    def __init__(self, linemap=None, print_statement=None):
        """``print_statement(node, depth)``: a statement's code at ``depth`` (``code_of``'s, however found)."""
        self.print_statement = print_statement or _printed
        self.lines: list[str] = []
        self.sources: list[int] = []  # source line of each line written
        self.depth = 0
        self.source = 0  # the source line being written for
        self.linemap = linemap

    def line(self, text: str = "") -> None:
        self.lines.append("    " * self.depth + text if text else "")
        # An expression spanning lines is one entry here, several lines of code.
        self.sources.extend([self.source] * (text.count("\n") + 1))

    def indent_width(self) -> int:
        return 4 * self.depth

    @contextmanager
    def indented(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    @contextmanager
    def at(self, source_line: int):
        """Write the lines inside for ``source_line`` of the source."""
        saved = self.source
        if source_line:
            self.source = source_line
        try:
            yield
        finally:
            self.source = saved

    def statement(self, *nodes: cst.BaseStatement) -> None:
        """Write CST statements at the current depth, exactly as libcst renders them."""
        # Printed ``depth`` indents in, as libcst prints a block's body: it
        # indents every line it starts, and leaves the inside of string tokens alone.
        if self.linemap is not None:
            code, positions = positioned_code(nodes, self.depth)
            sources = self.linemap.table_of(nodes, code, positions, default=self.source)
        else:
            code = "".join([self.print_statement(node, self.depth) for node in nodes])
        text_lines = code.split("\n")
        if text_lines and text_lines[-1] == "":
            text_lines.pop()
        if self.linemap is None:
            sources = [self.source] * len(text_lines)
        self.lines.extend(text_lines)
        self.sources.extend(sources[: len(text_lines)])
        self.sources.extend([self.source] * (len(text_lines) - len(sources)))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
