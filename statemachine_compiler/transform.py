"""``Transformer``: ``libcst.CSTTransformer`` without the per-field hooks nobody here defines.

Discussion: libcst calls ``on_visit_attribute`` and ``on_leave_attribute``
before and after every field of every node it visits, each looking up a
``visit_<Node>_<field>`` method by a name made for the call; the name
rewriter, which goes through all the user's code, spent a tenth of its time
there (issue 12).  A transformer that defines no such method (checked when
its class is made) skips them; one that does keeps libcst's hooks.  Its
``visit_<Node>``/``leave_<Node>`` are found once per node class, not by a
name made at every node (methods of the class only, as they all are here).
"""

from __future__ import annotations

import itertools
import re

import libcst as cst

__all__ = ["Transformer", "placed_nodes"]

_FIELD_HOOK = re.compile(r"(visit|leave)_[A-Z]\w*?_[a-z]\w*")


def _defines_field_hooks(cls: type) -> bool:
    """Whether ``cls`` has a ``visit_<Node>_<field>`` or ``leave_<Node>_<field>`` of its own (not libcst's no-op)."""
    # The classes' own names, not ``dir``: libcst's thousand no-ops, matched for
    # each transformer class, were a hundredth of a second of every start.
    ours = itertools.takewhile(lambda klass: klass is not cst.CSTTransformer, cls.__mro__)
    return any(
        _FIELD_HOOK.fullmatch(name) and getattr(cls, name) is not getattr(cst.CSTTransformer, name, None)
        for klass in ours
        for name in vars(klass)
    )


class Transformer(cst.CSTTransformer):
    # node class -> (visit_X, leave_X) of the transformer class, looked up once per node class
    _methods: dict[type, tuple] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._methods = {}
        if _defines_field_hooks(cls):
            cls.on_visit_attribute = cst.CSTTransformer.on_visit_attribute
            cls.on_leave_attribute = cst.CSTTransformer.on_leave_attribute

    # libcst's own ``on_visit``/``on_leave``, with the method found by node
    # class instead of by a name made and looked up at every node.
    def on_visit(self, node: cst.CSTNode) -> bool:
        visit = (self._methods.get(node.__class__) or self._methods_for(node.__class__))[0]
        return visit is None or visit(self, node) is not False

    def on_leave(self, original_node, updated_node):
        cls = original_node.__class__
        leave = (self._methods.get(cls) or self._methods_for(cls))[1]
        return updated_node if leave is None else leave(self, original_node, updated_node)

    @classmethod
    def _methods_for(cls, node: type) -> tuple:
        methods = cls._methods.get(node)
        if methods is None:
            name = node.__name__
            methods = cls._methods[node] = (
                getattr(cls, "visit_" + name, None),
                getattr(cls, "leave_" + name, None),
            )
        return methods

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


# result class -> "node", "flatten" or None (a sentinel): libcst's classes are
# ABCs, and an isinstance of one at every node left was a cost of its own.
_result_kinds: dict[type, str | None] = {}


def placed_nodes(result) -> tuple | list:
    """The nodes an ``on_leave`` result puts in the tree: it, a ``FlattenSentinel``'s, none for a sentinel."""
    cls = result.__class__
    try:
        kind = _result_kinds[cls]
    except KeyError:
        kind = _result_kinds[cls] = (
            "flatten" if issubclass(cls, cst.FlattenSentinel) else "node" if issubclass(cls, cst.CSTNode) else None
        )
    if kind == "node":
        return (result,)
    if kind == "flatten":
        return [node for node in result.nodes if isinstance(node, cst.CSTNode)]
    return ()
