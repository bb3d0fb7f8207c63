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
names them in, read once per node class from its code.
"""

from __future__ import annotations

import libcst as cst

__all__ = ["TOKENS", "Walker", "children", "fields_of"]

# node class -> its child fields in visiting order (None: libcst's ``children`` is asked)
_child_fields: dict[type, tuple[str, ...] | None] = {}


def fields_of(cls: type) -> tuple[str, ...] | None:
    """The fields of node class ``cls`` that hold its children, in visiting order (None: not known)."""
    try:
        return _child_fields[cls]
    except KeyError:
        fields = _child_fields[cls] = _visited_fields(cls)
        return fields


def _visited_fields(cls: type) -> tuple[str, ...] | None:
    """The fields ``cls._visit_and_replace_children`` visits, in order.

    libcst's method names each field it visits as a string, in the order it
    visits them (``visit_required(self, "value", self.value, visitor)``):
    those are the strings of its code that name attributes it reads, in the
    order they first appear there.  ``tests/compiler/test_walk.py`` checks
    this against the calls in libcst's source, for every node class.

    Discussion: reading that source (``inspect.getsource``, then a parse) was
    half a millisecond per node class, a few hundredths of a second at the
    start of every process that compiled (issue 12).
    """
    code = getattr(cls._visit_and_replace_children, "__code__", None)
    if code is None:  # not the form this reads: libcst's own (slow) way
        return None
    attributes = set(code.co_names)  # what it reads of the node (``self.value``), and more
    visited: list[str] = []
    for constant in code.co_consts:
        if type(constant) is str and constant in attributes and constant not in visited:
            visited.append(constant)
    return tuple(visited)


_NO_NODE = cst.MaybeSentinel.DEFAULT  # what a visited field holds, besides None, when it holds no node


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node.children``: its child nodes in lexical order."""
    cls = node.__class__
    fields = _child_fields[cls] if cls in _child_fields else fields_of(cls)
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

    # node class -> (visit_X, leave_X, its child fields, the token classes not walked), per walker class
    _plans: dict[type, tuple] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._plans = {}

    def walk(self, node: cst.CSTNode) -> None:
        # One lookup per node, the children read in place (this is every analysis's inner loop).
        plan = self._plans.get(node.__class__)
        if plan is None:
            plan = self._plan(node.__class__)
        visit, leave, fields, skipped = plan
        if visit is None or visit(self, node) is not False:
            if fields is None:
                for child in node.children:
                    if child.__class__ not in skipped:
                        self.walk(child)
            else:
                for name in fields:
                    value = getattr(node, name)
                    kind = value.__class__
                    if kind is list or kind is tuple:
                        for child in value:
                            if child.__class__ not in skipped:
                                self.walk(child)
                    elif value is not None and value is not _NO_NODE and kind not in skipped:
                        self.walk(value)
        if leave is not None:
            leave(self, node)

    @classmethod
    def _plan(cls, node: type) -> tuple:
        """What walking a node of class ``node`` takes: its methods, its fields, the tokens skipped."""
        name = node.__name__
        skipped = cls._plans.get(None)
        if skipped is None:
            # The token classes the walker has no method for: not walked.
            skipped = cls._plans[None] = frozenset(
                token for token in TOKENS
                if getattr(cls, "visit_" + token.__name__, None) is None
                and getattr(cls, "leave_" + token.__name__, None) is None
            )
        plan = cls._plans[node] = (
            getattr(cls, "visit_" + name, None),
            getattr(cls, "leave_" + name, None),
            fields_of(node),
            skipped,
        )
        return plan
