"""What a module and each of its async defs hold, found in one walk of the module.

``survey(module)`` gives the module's ``Census`` (every identifier, every
kind of node, whether it has a star import) and one for each async def in it,
which ``Survey.take(node)`` hands out once.

Discussion: fresh names must avoid every identifier of the module, and of
each function; and several passes over a function only ask whether it holds
a kind of node at all (an f-string, a generator expression, a call of
``locals()``), each with a walk of its own: five walks of every function
besides the one of the module, which already went through them all (issue
12).  A pass that is handed a function rebuilt since (no census for that
node) walks it itself, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from statemachine_compiler.analysis.walk import TOKENS, children

__all__ = ["Census", "Survey", "survey"]


@dataclass
class Census:
    identifiers: set[str] = field(default_factory=set)  # what ``all_identifiers`` gives
    kinds: set[type] = field(default_factory=set)  # the node classes in it, but TOKENS'
    star_import: bool = False  # ``from m import *``


@dataclass
class Survey:
    module: Census
    # id of an async def -> (it, its census, the def itself included)
    functions: dict[int, tuple[cst.FunctionDef, Census]]

    def take(self, node: cst.FunctionDef) -> Census | None:
        """The census of async def ``node`` of the module, once (None: not one of its nodes, or taken)."""
        found = self.functions.pop(id(node), None)
        return found[1] if found is not None and found[0] is node else None


def survey(module: cst.Module) -> Survey:
    functions: dict[int, tuple[cst.FunctionDef, Census]] = {}

    def count(node: cst.CSTNode, census: Census) -> None:
        cls = node.__class__
        census.kinds.add(cls)
        if cls is cst.Name:
            census.identifiers.add(node.value)
            return
        if cls is cst.ImportFrom and node.names.__class__ is cst.ImportStar:
            census.star_import = True
        if cls is cst.FunctionDef and node.asynchronous is not None:
            inner = Census()
            for child in children(node):
                if child.__class__ not in TOKENS:
                    count(child, inner)
            inner.kinds.add(cls)
            functions[id(node)] = (node, inner)
            census.identifiers |= inner.identifiers
            census.kinds |= inner.kinds
            census.star_import = census.star_import or inner.star_import
            return
        for child in children(node):
            if child.__class__ not in TOKENS:
                count(child, census)

    whole = Census()
    count(module, whole)
    return Survey(whole, functions)
