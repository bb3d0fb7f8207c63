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

from statemachine_compiler.analysis.walk import TOKENS, children

__all__ = ["contains_await", "contains_yield"]

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _parts_in_enclosing_scope(node: cst.CSTNode) -> list[cst.CSTNode]:
    """What of a scope-defining node runs in the scope around it."""
    if isinstance(node, cst.FunctionDef):
        return [*node.decorators, node.params, *([node.returns] if node.returns else [])]
    if isinstance(node, cst.ClassDef):
        return [*node.decorators, *node.bases, *node.keywords]
    if isinstance(node, cst.Lambda):
        return [node.params]
    return [node]


# (id(node), kind) -> (node, answer), for the compile under way (``forget``).
# Discussion: lowering asks again at every level of nesting (the try, the
# with in it, the for in that, each statement); one walk answers for every
# node under the one asked about, so that the whole body is walked once.
_cache: dict[tuple[int, str], tuple[cst.CSTNode, bool]] = {}


def forget() -> None:
    """Drop the answers kept (and the nodes they keep alive): a compile is over."""
    _cache.clear()


def _contains(node: cst.CSTNode, kind: str, wanted) -> bool:
    return any(_found_in(part, kind, wanted) for part in _parts_in_enclosing_scope(node))


def _found_in(node: cst.CSTNode, kind: str, wanted) -> bool:
    key = (id(node), kind)
    hit = _cache.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    # Node classes compared, not isinstance: libcst's are ABCs, and their check
    # was a third of this walk; these classes have no subclasses.
    cls = node.__class__
    if wanted(node):
        found = True
    elif cls is cst.GeneratorExp:
        # A generator expression runs later, in its own frame (an async one
        # is allowed in any function); only its first iterable runs here.
        found = _found_in(node.for_in.iter, kind, wanted)
    elif cls in _SCOPES:
        # Its decorators, defaults, annotations and bases run here.
        found = any(_found_in(part, kind, wanted) for part in _parts_in_enclosing_scope(node))
    else:
        # Whitespace, punctuation and operators (two thirds of the nodes) hold no suspension.
        found = False
        for child in children(node):
            if child.__class__ not in TOKENS and _found_in(child, kind, wanted):
                found = True
                break
    _cache[key] = (node, found)
    return found


def _is_suspension(node: cst.CSTNode) -> bool:
    # ``yield`` suspends an async generator just as ``await`` does.
    cls = node.__class__
    return cls is cst.Await or cls is cst.Yield or (
        (cls is cst.CompFor or cls is cst.For or cls is cst.With) and node.asynchronous is not None
    )


def contains_await(node: cst.CSTNode) -> bool:
    """Whether running ``node`` can suspend the enclosing coroutine (await, yield, async for)."""
    return _contains(node, "await", _is_suspension)


def contains_yield(node: cst.CSTNode) -> bool:
    """Whether a function body contains ``yield``, which makes it a generator."""
    return _contains(node, "yield", _is_yield)


def _is_yield(node: cst.CSTNode) -> bool:
    return node.__class__ is cst.Yield
