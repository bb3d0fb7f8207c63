"""Where a function can suspend: predicates over CST nodes.

An ``await`` belongs to the innermost function around it.  Lambdas, nested
``def``s and class bodies are their own functions, so an await is never
looked for inside them, only in what they evaluate where they stand
(decorators, defaults, bases); list, set and dict comprehensions are not
their own functions here (an ``await`` or ``async for`` in one inside an
``async def`` suspends the enclosing coroutine).  A generator expression is: it runs when iterated,
and an asynchronous one is an async generator, valid in any function.
"""

from __future__ import annotations

import libcst as cst

__all__ = ["contains_await", "contains_yield"]

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


class _Finder(cst.CSTVisitor):
    def __init__(self, wanted):
        self.wanted = wanted
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found:
            return False
        if self.wanted(node):
            self.found = True
            return False
        if isinstance(node, cst.GeneratorExp):
            # A generator expression runs later, in its own frame (an async one
            # is allowed in any function); only its first iterable runs here.
            node.for_in.iter.visit(self)
            return False
        if isinstance(node, _SCOPES):
            # Its decorators, defaults, annotations and bases run here.
            for part in _parts_in_enclosing_scope(node):
                part.visit(self)
            return False
        return True


def _parts_in_enclosing_scope(node: cst.CSTNode) -> list[cst.CSTNode]:
    """What of a scope-defining node runs in the scope around it."""
    if isinstance(node, cst.FunctionDef):
        return [*node.decorators, node.params, *([node.returns] if node.returns else [])]
    if isinstance(node, cst.ClassDef):
        return [*node.decorators, *node.bases, *node.keywords]
    if isinstance(node, cst.Lambda):
        return [node.params]
    return [node]


_cache: dict[tuple[int, str], tuple[cst.CSTNode, bool]] = {}


def _contains(node: cst.CSTNode, kind: str, wanted) -> bool:
    key = (id(node), kind)
    hit = _cache.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    finder = _Finder(wanted)
    for part in _parts_in_enclosing_scope(node):
        part.visit(finder)
    _cache[key] = (node, finder.found)
    return finder.found


def _is_suspension(node: cst.CSTNode) -> bool:
    # ``yield`` suspends an async generator just as ``await`` does.
    return isinstance(node, (cst.Await, cst.Yield)) or (
        isinstance(node, (cst.CompFor, cst.For, cst.With)) and node.asynchronous is not None
    )


def contains_await(node: cst.CSTNode) -> bool:
    """Whether running ``node`` can suspend the enclosing coroutine (await, yield, async for)."""
    return _contains(node, "await", _is_suspension)


def contains_yield(node: cst.CSTNode) -> bool:
    """Whether a function body contains ``yield``, which makes it a generator."""
    return _contains(node, "yield", lambda n: isinstance(n, cst.Yield))
