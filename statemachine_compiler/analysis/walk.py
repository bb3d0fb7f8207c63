"""Read-only walks over libcst trees, without rebuilding them.

``Walker`` is ``libcst.CSTVisitor`` for analyses: the same ``visit_X``
(False: not inside) and ``leave_X`` methods, called in the same order, but
started with ``walker.walk(node)``; ``children(node)`` is ``node.children``.

Discussion: libcst's visitors rebuild every node they pass, read-only ones
too (``CSTNode.visit`` always goes through ``_visit_and_replace_children``,
and so does ``node.children``), and the analyses walk each function several
times: those rebuilds and libcst's per-field hooks were most of their cost
(issue 12).  Here the children are read from the node's fields directly, in
the order libcst visits them: the order its ``_visit_and_replace_children``
names them in, read once per node class from libcst's own source.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import libcst as cst

__all__ = ["TOKENS", "Walker", "children"]

# node class -> its child fields in visiting order (None: libcst's ``children`` is asked)
_child_fields: dict[type, tuple[str, ...] | None] = {}


def _fields_of(cls: type) -> tuple[str, ...] | None:
    try:
        return _child_fields[cls]
    except KeyError:
        fields = _child_fields[cls] = _visited_fields(cls)
        return fields


def _visited_fields(cls: type) -> tuple[str, ...] | None:
    """The fields ``cls._visit_and_replace_children`` visits (``visit_*(self, "field", ...)``), in order."""
    try:
        source = textwrap.dedent(inspect.getsource(cls._visit_and_replace_children))
    except (OSError, TypeError):  # no source: libcst's own (slow) way
        return None
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("visit_")
    ]
    calls.sort(key=lambda call: (call.lineno, call.col_offset))
    fields: list[str] = []
    for call in calls:
        if len(call.args) < 2 or not isinstance(call.args[1], ast.Constant):
            return None  # not the form this reads
        if call.args[1].value not in fields:
            fields.append(call.args[1].value)
    return tuple(fields)


_NO_NODE = cst.MaybeSentinel.DEFAULT  # what a visited field holds, besides None, when it holds no node


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node.children``: its child nodes in lexical order."""
    fields = _fields_of(type(node))
    if fields is None:
        return list(node.children)
    found: list[cst.CSTNode] = []
    # A visited field holds a node, a sequence of nodes, None or MaybeSentinel
    # (no isinstance: CSTNode is an ABC, and its check was half of a walk).
    for name in fields:
        value = getattr(node, name)
        kind = value.__class__
        if kind is list or kind is tuple:
            found.extend(value)
        elif value is not None and value is not _NO_NODE:
            found.append(value)
    return found


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


# The node classes that hold no name, expression or statement: whitespace,
# comments, punctuation, operators.  About two thirds of a tree's nodes; a
# walk or transform that has nothing to do with them need not go through them.
TOKENS: frozenset[type] = frozenset(
    sub
    for base in (
        cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.Newline, cst.EmptyLine, cst.Comment,
        cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.AssignEqual, cst.ImportStar, cst.Asynchronous,
        cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
        cst.LeftCurlyBrace, cst.RightCurlyBrace,
        cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp,
    )
    for sub in {base} | _subclasses(base)
)


class Walker:
    """A read-only visitor: ``visit_X(node)`` (False: skip its children), then ``leave_X(node)``."""

    def walk(self, node: cst.CSTNode) -> None:
        visit, leave = _methods(type(self), type(node))
        if visit is None or visit(self, node) is not False:
            skipped = _skipped(type(self))
            for child in children(node):
                if child.__class__ not in skipped:
                    self.walk(child)
        if leave is not None:
            leave(self, node)


# (walker class, node class) -> (visit_X, leave_X), the plain functions
_methods_cache: dict[tuple[type, type], tuple] = {}
# walker class -> the token classes it has no method for: not walked
_skipped_cache: dict[type, frozenset[type]] = {}


def _methods(walker: type, node: type) -> tuple:
    key = (walker, node)
    found = _methods_cache.get(key)
    if found is None:
        name = node.__name__
        found = _methods_cache[key] = (
            getattr(walker, "visit_" + name, None),
            getattr(walker, "leave_" + name, None),
        )
    return found


def _skipped(walker: type) -> frozenset[type]:
    found = _skipped_cache.get(walker)
    if found is None:
        found = _skipped_cache[walker] = frozenset(
            token for token in TOKENS if _methods(walker, token) == (None, None)
        )
    return found
