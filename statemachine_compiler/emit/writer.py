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
    text = _plain_expression(node) if node.__class__ is not cst.SimpleStatementLine else (
        _plain_assignment(node, indent * depth, newline)
    )
    if text is not None:
        return text
    state = _CodeState(default_indent=indent, default_newline=newline)
    if depth:
        state.indent_tokens = [indent] * depth
    node._codegen(state)
    return "".join(state.tokens)


# What most of the compiler's own code is made of, printed without libcst.
#
# Discussion: half the nodes printed into the machines are a name or a
# dotted name (``self._jump1``, ``KeyError``), and most of the statements the
# compiler makes (``self.tx = value``, ``self._it1 = None``) an assignment of
# one to another; libcst prints each through a dozen calls and a generator
# context (brackets) per expression (issue 12).  Their text is their tokens
# in order, as libcst's ``_codegen_impl`` of each class adds them: here only
# for nodes with no brackets, no semicolon, no comment and no space but
# ``SimpleWhitespace``; anything else (None) is printed by libcst.
_LEAVES = frozenset({cst.Name, cst.SimpleString, cst.Integer})


def _plain_expression(node: cst.CSTNode) -> str | None:
    """The code of a name, a plain literal or a dotted name of them, as libcst prints it; None for others."""
    cls = node.__class__
    if cls in _LEAVES:
        return None if node.lpar else node.value
    if cls is not cst.Attribute or node.lpar:
        return None
    dot = node.dot
    if dot.__class__ is not cst.Dot:
        return None
    before, after = dot.whitespace_before, dot.whitespace_after
    if before.__class__ is not cst.SimpleWhitespace or after.__class__ is not cst.SimpleWhitespace:
        return None
    value = _plain_expression(node.value)
    attribute = node.attr
    if value is None or attribute.lpar:
        return None
    return f"{value}{before.value}.{after.value}{attribute.value}"


def _plain_assignment(line: cst.SimpleStatementLine, indentation: str, newline: str) -> str | None:
    """The code of a line ``a = b = c`` of plain expressions (``_plain_expression``), as libcst prints it; else None."""
    if line.leading_lines or len(line.body) != 1:
        return None
    assign, trailing = line.body[0], line.trailing_whitespace
    if assign.__class__ is not cst.Assign or assign.semicolon is not cst.MaybeSentinel.DEFAULT:
        return None
    if trailing.comment is not None or trailing.whitespace.__class__ is not cst.SimpleWhitespace:
        return None
    pieces = [indentation]
    for target in assign.targets:
        text = _plain_expression(target.target)
        before, after = target.whitespace_before_equal, target.whitespace_after_equal
        if text is None or before.__class__ is not cst.SimpleWhitespace or after.__class__ is not cst.SimpleWhitespace:
            return None
        pieces += [text, before.value, "=", after.value]
    value = _plain_expression(assign.value)
    if value is None:
        return None
    end = trailing.newline.value
    pieces += [value, trailing.whitespace.value, newline if end is None else end]
    return "".join(pieces)


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
