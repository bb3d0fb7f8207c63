"""Generated line -> source line, so that tracebacks show the user's lines.

Three kinds of code end up in the output:

- the user's own statements, rewritten (``x`` -> ``self.x``) but on the same
  lines relative to each other: the rewriter records each new node's
  *origin*, whose position in the source is known;
- code the compiler wrote (dispatch, suspensions): the writer knows which
  source line it was writing for (the await's, the loop's) at every line;
- machine classes and stubs, spliced into the module as nodes: each carries
  the table it was written with (``register``).

``table(module)`` walks the final tree with positions and lays these down,
outer nodes first and inner ones over them, then fills the gaps from the line
above (a blank line or a comment has no code to point at).
"""

from __future__ import annotations

from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata import PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from statemachine_compiler.analysis.walk import TOKENS, children
from statemachine_compiler.transform import Transformer, placed_nodes

__all__ = ["LineMap", "LineKeepingTransformer", "positioned_code"]


# Nodes whose positions nothing asks for: whitespace, punctuation, operators (two thirds
# of a tree), but the ``=`` of a self-documenting f-string field (``lower.fstrings``) and
# the tokens libcst ends an import's position with (``from m import (a)``, ``import *``).
_UNPOSITIONED = TOKENS - {cst.AssignEqual, cst.RightParen, cst.ImportStar}


class _PositionsState(PositionProvidingCodegenState):
    """libcst's printing with positions recorded, not for the nodes in ``_UNPOSITIONED``."""

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node.__class__ not in _UNPOSITIONED:
            super().before_codegen(node)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node.__class__ not in _UNPOSITIONED:
            super().after_codegen(node)


class _CountingState(CodegenState):
    """libcst's printing with positions, for the nodes not in ``_UNPOSITIONED``, counted more cheaply.

    Discussion: libcst's position state splits every token with a regular
    expression to count its lines, and records a node's syntactic position
    through a ``@contextmanager`` made and entered for each: printing the
    module for its positions was a tenth of a compile (issue 12).  Here a
    token's newlines are counted (``\\n`` alone: the caller checks the code
    has no ``\\r``), and the syntactic position is a plain context manager.
    The same rules as libcst's: the syntactic position where the node
    records one (or its ``start_node``'s start and ``end_node``'s end), else
    the whole of what it printed.
    """

    def __init__(self, default_indent: str, default_newline: str):
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.positions: dict[cst.CSTNode, CodeRange] = {}
        self.starts: list[CodePosition] = []
        self.line = 1
        self.column = 0

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rindex("\n") - 1
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        self.column += sum(map(len, self.indent_tokens))  # (an indent has no newline)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node.__class__ not in _UNPOSITIONED:
            self.starts.append(CodePosition(self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node.__class__ not in _UNPOSITIONED:
            start = self.starts.pop()
            if node not in self.positions:  # its syntactic position, recorded already, stays
                self.positions[node] = CodeRange(start, CodePosition(self.line, self.column))

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _SyntacticPosition(self, node, start_node, end_node)


class _SyntacticPosition:
    """``record_syntactic_position`` of ``_CountingState``: a plain context manager, no generator."""

    __slots__ = ("state", "node", "start_node", "end_node", "line", "column")

    def __init__(self, state: _CountingState, node, start_node, end_node):
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node

    def __enter__(self) -> None:
        self.line = self.state.line
        self.column = self.state.column

    def __exit__(self, *exception) -> None:
        state = self.state
        positions = state.positions
        if self.start_node is not None:
            start = positions[self.start_node].start
        else:
            start = CodePosition(self.line, self.column)
        if self.end_node is not None:
            end = positions[self.end_node].end
        else:
            end = CodePosition(state.line, state.column)
        positions[self.node] = CodeRange(start, end)


def positioned_code(nodes, depth: int = 0, indent: str = "    ", newline: str = "\n"):
    """The code of ``nodes`` (statements, or a module) at ``depth``, and each node's position in it.

    Discussion: what ``MetadataWrapper(...).resolve(PositionProvider)`` gives,
    from the one printing that makes the code too: libcst's own way printed
    the tree twice, and the writer asked it for every group of statements it
    wrote (with ``--no-format``, more than a third of a compile).  Whitespace,
    punctuation and operators get none (see ``_UNPOSITIONED``).  Lines are
    counted as libcst counts them: at ``\\n`` alone here (``_CountingState``),
    by libcst's state where the code has a ``\\r``.
    """
    state = _CountingState(indent, newline)
    for _ in range(depth):
        state.increase_indent(indent)
    try:
        for node in nodes:
            node._codegen(state)
        code = "".join(state.tokens)
        if "\r" not in code:
            return code, state.positions
    except KeyError:  # a node libcst ends another's position with had none
        pass
    try:
        return _printed(_PositionsState, nodes, depth, indent, newline)
    except KeyError:  # all of them get one
        return _printed(PositionProvidingCodegenState, nodes, depth, indent, newline)


def _printed(state_class: type, nodes, depth: int, indent: str, newline: str):
    provider = PositionProvider()
    provider._computed = {}
    state = state_class(default_indent=indent, default_newline=newline, provider=provider)
    for _ in range(depth):
        state.increase_indent(indent)
    for node in nodes:
        node._codegen(state)
    return "".join(state.tokens), provider._computed


def first_line(node: cst.CSTNode, positions) -> int:
    """The first line of a statement, its decorators included (positions leave them out)."""
    decorators = getattr(node, "decorators", None)
    if decorators:
        return positions[decorators[0]].start.line
    return positions[node].start.line


class LineMap:
    def __init__(self, source_positions):
        self.source_positions = source_positions  # source node -> CodeRange
        self.origins: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}
        self.tables: dict[int, tuple[cst.CSTNode, list[int]]] = {}
        self._noted: list[int] | None = None  # the origins noted inside ``dropping_origins``

    def note_origin(self, new: cst.CSTNode, original: cst.CSTNode) -> None:
        key = id(new)
        if new is not original and key not in self.origins:
            self.origins[key] = (new, original)
            if self._noted is not None:
                self._noted.append(key)

    @contextmanager
    def dropping_origins(self):
        """Forget, at the end, the origins noted inside: the nodes they link become text.

        Discussion: every node a pass rebuilds is noted with the node it came
        from, so the origins kept the trees of all the module's functions
        alive, each several times over (most of the memory of a big compile).
        A top-level function's machine and stub are registered as a whole
        (``register``) once written: nothing asks for the origins of the
        nodes inside them again.
        """
        outer = self._noted
        noted = self._noted = []
        try:
            yield
        finally:
            # (A list of what was noted, not a ChainMap over the origins: its
            # lookups, at every node rebuilt, were a tenth of the name rewriter's time.)
            for key in noted:
                del self.origins[key]
            self._noted = outer

    def register(self, node: cst.CSTNode, lines: list[int]) -> None:
        """``lines[i]``: the source line of the node's i-th line (from its first token)."""
        self.tables[id(node)] = (node, lines)

    def moved(self, new: cst.CSTNode, old: cst.CSTNode) -> None:
        """``new`` is ``old`` with other blank lines before it: it maps as ``old`` did."""
        registered = self.tables.get(id(old))
        if registered is not None and registered[0] is old:
            self.register(new, registered[1])
        self.note_origin(new, old)

    def origin(self, node: cst.CSTNode) -> cst.CSTNode:
        seen = 0
        while id(node) in self.origins and seen < 100:
            candidate, original = self.origins[id(node)]
            if candidate is not node:
                break
            node = original
            seen += 1
        return node

    def source_span(self, node: cst.CSTNode) -> tuple[int, int] | None:
        found = self.source_positions.get(self.origin(node))
        return (found.start.line, found.end.line) if found is not None else None

    def table(self, module: cst.Module, default: int = 0) -> list[int]:
        """Source line for each line of ``module.code`` (index 0 is line 1)."""
        code, positions = positioned_code([module], indent=module.default_indent, newline=module.default_newline)
        return self.table_of([module], code, positions, default)

    def table_of(self, nodes, code: str, positions, default: int = 0) -> list[int]:
        """Source line for each line of ``code``, printed from ``nodes`` with ``positions``."""
        count = code.count("\n") + 1
        lines = [0] * (count + 1)

        def visit(node: cst.CSTNode) -> None:
            where = positions.get(node)
            registered = self.tables.get(id(node))
            if where is not None and registered is not None and registered[0] is node:
                for offset, source in enumerate(registered[1]):
                    line = first_line(node, positions) + offset
                    if line <= where.end.line and source:
                        lines[line] = source
                return
            if where is not None and isinstance(node, (cst.BaseStatement, cst.BaseSmallStatement)):
                span = self.source_span(node)
                if span is not None:
                    start, end = span
                    for line in range(where.start.line, where.end.line + 1):
                        lines[line] = min(start + line - where.start.line, end)
            for child in children(node):
                visit(child)

        for node in nodes:
            visit(node)
        result = lines[1:]
        current = default
        for index, line in enumerate(result):
            if line:
                current = line
            else:
                result[index] = current
        # Lines before the first known one take the first known line.
        first = next((line for line in result if line), default)
        return [line or first for line in result]


class LineKeepingTransformer(Transformer):
    """A transformer whose rebuilt nodes keep the source lines of the nodes they replace.

    libcst rebuilds every node a transformer passes through, changed or not,
    so a node that is not the parsed one has no position.  ``note_origin``
    (``LineMap.note_origin``) links each rebuilt node to the one it came from.
    """

    def __init__(self, note_origin=None):
        super().__init__()
        self.note_origin = note_origin or (lambda new, original: None)

    def on_leave(self, original_node, updated_node):
        result = super().on_leave(original_node, updated_node)
        for node in placed_nodes(result):
            self.note_origin(node, original_node)
        return result
