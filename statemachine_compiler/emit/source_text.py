"""The user's code as written, for the nodes printed into a machine: the source's text, names patched.

``SourceText.statement(node, depth)`` and ``SourceText.expression(node)``
give what ``emit.writer.code_of`` prints for a statement or an expression of
the user's that the name rewriter has been through (``x`` -> ``self.x``),
without printing it: the source line it was parsed from, with the text of
each name the rewriter replaced put in at that name's position.  None where
that is not plainly so, for the caller to print the node.

Discussion: printing the user's statements and expressions into the
machines, node by node, was a fifth of a compile (issue 12); a source line
is already their text.  It is used only where the result is what printing
would give, which ``_patches`` proves node by node: the printed node and
the parsed one it came from (through the line map's origins) are equal,
field by field, but for ``Name`` leaves that were replaced; printing is
compositional (a node's text is its own tokens and its children's, in
order), so the text of the first is that of the second with those leaves'
texts put in.  Only code on one line of the source is taken (the lines of a
statement spanning several are indented by where it is printed), only in a
module whose lines end with ``\\n`` (``printed``, as positions count them),
and never where the node has brackets of its own (its position leaves them
out).  The comment lines above a statement are printed, as they were.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from statemachine_compiler.emit.writer import code_of

__all__ = ["SourceText"]

_fields: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _fields.get(cls)
    if names is None:
        names = _fields[cls] = tuple(field.name for field in dataclasses.fields(cls))
    return names


def _same_but_names(original, printed, patches: list) -> bool:
    """Whether ``printed`` is ``original`` but for ``Name`` leaves, which go to ``patches`` as (original, printed)."""
    if printed is original:
        return True
    cls = original.__class__
    if cls is cst.Name:
        if original.lpar or original.rpar:
            return False  # its position is the name alone, without its brackets
        patches.append((original, printed))
        return True
    if printed.__class__ is not cls:
        return False
    for name in _field_names(cls):
        old, new = getattr(original, name), getattr(printed, name)
        if old is new:
            continue
        old_kind, new_kind = old.__class__, new.__class__
        if (old_kind is list or old_kind is tuple) and (new_kind is list or new_kind is tuple):
            if len(old) != len(new):
                return False
            for old_item, new_item in zip(old, new, strict=True):
                if old_item is not new_item and not _same_but_names(old_item, new_item, patches):
                    return False
        elif isinstance(old, cst.CSTNode):
            if not _same_but_names(old, new, patches):
                return False
        elif isinstance(new, cst.CSTNode) or old != new:
            return False
    return True


class SourceText:
    """Nodes' text from the module's printed text (``printed``, lines ended by ``\\n`` alone) and positions."""

    def __init__(self, lines: list[str], positions, origin):
        self.lines = lines  # the module's printed text, split at "\n"
        self.positions = positions  # parsed node -> CodeRange in it
        self.origin = origin  # a rebuilt node -> the parsed node it came from (``LineMap.origin``)

    def _one_line(self, node: cst.CSTNode):
        """The parsed node ``node`` came from and its position, where it stands on one line."""
        original = self.origin(node)
        where = self.positions.get(original)
        if where is None or where.start.line != where.end.line:
            return None
        return original, where

    def _patched(self, line_number: int, start: int, end: int, patches) -> str | None:
        """Columns ``start`` to ``end`` of a line, each patched name's text put in (None: a patch that does not fit)."""
        placed = []
        for original, printed in patches:
            where = self.positions.get(original)
            if where is None or where.start.line != line_number or where.end.line != line_number:
                return None
            placed.append((where.start.column, where.end.column, printed))
        placed.sort(key=lambda patch: patch[0])
        line = self.lines[line_number - 1]
        pieces = []
        for name_start, name_end, printed in placed:
            text = code_of(printed)
            if "\n" in text or name_start < start:
                return None
            pieces += [line[start:name_start], text]
            start = name_end
        if start > end:
            return None
        pieces.append(line[start:end])
        return "".join(pieces)

    def code(self, node: cst.CSTNode, depth: int = 0) -> str | None:
        """``code_of(node, depth=depth)`` for an expression or a one-line statement, from the source, or None."""
        if isinstance(node, cst.BaseExpression):
            return self.expression(node) if not depth else None
        return self.statement(node, depth)

    def expression(self, node: cst.BaseExpression) -> str | None:
        """``code_of(node)``, from the source, or None."""
        found = self._one_line(node)
        if found is None:
            return None
        original, where = found
        if getattr(original, "lpar", None) or getattr(original, "rpar", None):
            return None  # its position leaves them out
        patches: list = []
        if original.__class__ is cst.Name or not _same_but_names(original, node, patches):
            return None  # (a name alone: printed as cheaply)
        return self._patched(where.start.line, where.start.column, where.end.column, patches)

    def statement(self, node: cst.BaseStatement, depth: int) -> str | None:
        """``code_of(node, depth=depth)`` for a one-line statement, from the source, or None."""
        if node.__class__ is not cst.SimpleStatementLine:
            return None
        found = self._one_line(node)
        if found is None:
            return None
        original, where = found
        rest = self.lines[where.start.line - 1][where.end.column :]
        if "\\" in rest:
            return None  # a backslash after it may join the next line
        patches: list = []
        if not _same_but_names(original, node, patches):
            return None
        text = self._patched(where.start.line, where.start.column, where.end.column, patches)
        if text is None:
            return None
        above = "".join([code_of(empty, depth=depth) for empty in node.leading_lines])
        return f"{above}{'    ' * depth}{text}{rest}\n"

    def first_line(self, node: cst.BaseStatement) -> str | None:
        """``lower.statements.first_line_of(node)`` for a parsed statement, from the source, or None.

        Not for an ``if`` written ``elif`` (printed alone it says ``if``),
        nor for a definition (its decorators come first).
        """
        where = self.positions.get(node)
        if where is None or node.__class__ not in _HEADED:
            return None
        line = self.lines[where.start.line - 1][where.start.column :]
        if node.__class__ is cst.If and line.startswith("elif"):
            return None
        if where.start.line == where.end.line:
            line = line.strip()
        return line.splitlines()[0] if line else None


# The statements whose printing starts where their position does, and so their first line.
_HEADED = frozenset(
    {cst.SimpleStatementLine, cst.If, cst.For, cst.While, cst.With, cst.Try, cst.TryStar, cst.Match}
)
