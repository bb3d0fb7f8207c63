"""A text writer for generated code: lines, indentation, and placeholders.

Generated control flow is written as text (it reads like the code it makes);
the user's own statements are put in as placeholders and swapped for their
CST nodes afterwards, so that their comments, strings and layout are kept
byte for byte, whatever the depth they end up at.
"""

from __future__ import annotations

from contextlib import contextmanager

import libcst as cst

__all__ = ["Writer", "fill_placeholders"]

_PLACEHOLDER = "__statement_{}__"


class Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.depth = 0
        self.statements: dict[str, list[cst.BaseStatement]] = {}

    def line(self, text: str = "") -> None:
        self.lines.append("    " * self.depth + text if text else "")

    def comment(self, text: str) -> None:
        self.line("# " + text)

    @contextmanager
    def indented(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def statement(self, *nodes: cst.BaseStatement) -> None:
        """Put CST statements here (they are swapped in by ``fill_placeholders``)."""
        key = _PLACEHOLDER.format(len(self.statements))
        self.statements[key] = list(nodes)
        self.line(key)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Filler(cst.CSTTransformer):
    def __init__(self, statements):
        self.statements = statements

    def leave_SimpleStatementLine(self, original_node, updated_node):
        small = updated_node.body
        if len(small) == 1 and isinstance(small[0], cst.Expr) and isinstance(small[0].value, cst.Name):
            nodes = self.statements.get(small[0].value.value)
            if nodes is not None:
                return cst.FlattenSentinel(nodes)
        return updated_node


def fill_placeholders(module: cst.Module, statements) -> cst.Module:
    return module.visit(_Filler(statements))
