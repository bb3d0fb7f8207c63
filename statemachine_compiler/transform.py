"""``Transformer``: ``libcst.CSTTransformer`` without the per-field hooks nobody here defines.

Discussion: libcst calls ``on_visit_attribute`` and ``on_leave_attribute``
before and after every field of every node it visits, each looking up a
``visit_<Node>_<field>`` method by a name made for the call; the name
rewriter, which goes through all the user's code, spent a tenth of its time
there (issue 12).  A transformer that defines no such method (checked when
its class is made) skips them; one that does keeps libcst's hooks.
"""

from __future__ import annotations

import re

import libcst as cst

__all__ = ["Transformer"]

_FIELD_HOOK = re.compile(r"(visit|leave)_[A-Z]\w*?_[a-z]\w*")


def _defines_field_hooks(cls: type) -> bool:
    """Whether ``cls`` has a ``visit_<Node>_<field>`` or ``leave_<Node>_<field>`` of its own (not libcst's no-op)."""
    return any(
        _FIELD_HOOK.fullmatch(name) and getattr(cls, name) is not getattr(cst.CSTTransformer, name, None)
        for name in dir(cls)
    )


class Transformer(cst.CSTTransformer):
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if _defines_field_hooks(cls):
            cls.on_visit_attribute = cst.CSTTransformer.on_visit_attribute
            cls.on_leave_attribute = cst.CSTTransformer.on_leave_attribute

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass
