"""``libcst.helpers.parse_template_statement``, each template parsed once per process.

Discussion: the lowering builds its expansions (a ``with``, a ``finally``
that awaits) from templates, and libcst parsed the template text again at
every use: a third of the cost of lowering a ``with`` (issue 12).  The
parsed template is a tree of immutable nodes; each use fills in a fresh copy
of it, as libcst's own helper does, and its check that nothing was left
unfilled is the same for every use of one template, so it is made once.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers._template import TemplateChecker, mangle_template, unmangle_nodes

__all__ = ["parse_template_statement"]

# (template, names filled in) -> the parsed statement, its placeholders in it
_parsed: dict[tuple[str, frozenset[str]], cst.CSTNode] = {}


def parse_template_statement(template: str, **replacements) -> cst.BaseStatement:
    """The statement ``template`` with each ``{name}`` in it replaced by the node ``replacements[name]``."""
    names = frozenset(replacements)
    key = (template, names)
    parsed = _parsed.get(key)
    first = parsed is None
    if first:
        parsed = _parsed[key] = cst.parse_statement(mangle_template(template, set(names)))
    statement = unmangle_nodes(parsed, replacements)
    if not isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        raise TypeError(f"Expected a statement but got a {statement.__class__.__qualname__}!")
    if first:
        statement.visit(TemplateChecker(set(names)))
    return statement
