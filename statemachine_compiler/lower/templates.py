"""``libcst.helpers.parse_template_statement``, each template parsed once per process.

Discussion: the lowering builds its expansions (a ``with``, a ``finally``
that awaits) from templates, and libcst parsed the template text again at
every use: a third of the cost of lowering a ``with`` (issue 12).  The
parsed template is a tree of immutable nodes; each use fills in a copy of
it, as libcst's own helper does, and its check that nothing was left
unfilled is the same for every use of one template, so it is made once.

Where every replacement is an expression (all the lowering's are), a use
rebuilds only the nodes on the way from the statement to its placeholders
and shares the rest of the template's nodes, which are never changed
(libcst's transformer rebuilt every node, whitespace included: most of the
cost that was left).  Each placeholder gets its own copy of the
replacement, as with libcst's helper.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers._template import (
    TemplateChecker,
    mangle_template,
    mangled_name,
    unmangle_nodes,
)

from statemachine_compiler.analysis.walk import children, fields_of

__all__ = ["parse_template_statement"]


class _Template:
    """A parsed template, and the ids of its nodes that hold a placeholder (the ones a use rebuilds)."""

    def __init__(self, statement: cst.CSTNode, names: frozenset[str]):
        self.statement = statement
        self.placeholders = {mangled_name(name): name for name in names}
        self.holding: set[int] = set()
        self._find(statement)
        # Whether each node to rebuild has its fields known (else libcst fills it in).
        self.rebuildable = all(fields_of(type(node)) is not None for node in self._rebuilt())

    def _find(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Name) and node.value in self.placeholders:
            found = True
        else:
            found = False
            for child in children(node):
                found |= self._find(child)
        if found:
            self.holding.add(id(node))
        return found

    def _rebuilt(self):
        """The nodes that a use rebuilds."""
        stack = [self.statement]
        while stack:
            node = stack.pop()
            if id(node) in self.holding:
                yield node
                stack.extend(children(node))

    def filled(self, replacements: dict[str, cst.BaseExpression]) -> cst.CSTNode:
        return self._fill(self.statement, replacements)

    def _fill(self, node: cst.CSTNode, replacements) -> cst.CSTNode:
        if id(node) not in self.holding:
            return node
        if isinstance(node, cst.Name) and node.value in self.placeholders:
            return replacements[self.placeholders[node.value]].deep_clone()
        changes = {}
        for name in fields_of(type(node)):
            value = getattr(node, name)
            if isinstance(value, (list, tuple)):
                if any(id(item) in self.holding for item in value):
                    changes[name] = type(value)(self._fill(item, replacements) for item in value)
            elif id(value) in self.holding:
                changes[name] = self._fill(value, replacements)
        return node.with_changes(**changes)


# (template, names filled in) -> the parsed statement, its placeholders in it
_parsed: dict[tuple[str, frozenset[str]], _Template] = {}


def parse_template_statement(template: str, **replacements) -> cst.BaseStatement:
    """The statement ``template`` with each ``{name}`` in it replaced by the node ``replacements[name]``."""
    names = frozenset(replacements)
    key = (template, names)
    parsed = _parsed.get(key)
    first = parsed is None
    if first:
        statement = cst.parse_statement(mangle_template(template, set(names)))
        parsed = _parsed[key] = _Template(statement, names)
    if parsed.rebuildable and all(isinstance(value, cst.BaseExpression) for value in replacements.values()):
        statement = parsed.filled(replacements)
    else:  # a statement, an argument... in its place: libcst's own way
        statement = unmangle_nodes(parsed.statement, replacements)
    if not isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        raise TypeError(f"Expected a statement but got a {statement.__class__.__qualname__}!")
    if first:
        statement.visit(TemplateChecker(set(names)))
    return statement
