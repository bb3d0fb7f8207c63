"""What a method's body needs when it moves out of its class.

A compiled method's body runs in ``resume`` of a machine class defined
outside the user's class.  Two things Python does by position must be done by
hand:

- private names: ``self.__secret`` in ``class Account`` means
  ``self._Account__secret``; written in the machine class it would mangle
  with the machine's name.  So the compiler mangles them first.
- zero-argument ``super()`` and ``__class__`` need the class the method was
  defined in.  The stub (still inside the class) passes ``__class__`` to the
  machine, and ``super()`` becomes ``super(<that class>, <first argument>)``,
  in the method's body and in the functions nested in it.
"""

from __future__ import annotations

import libcst as cst

from statemachine_compiler.linemap import LineKeepingTransformer

__all__ = ["mangle_private_names", "explicit_super"]


def _mangled(name: str, class_name: str) -> str:
    owner = class_name.lstrip("_")
    if not owner or not name.startswith("__") or name.endswith("__") or "." in name:
        return name
    return f"_{owner}{name}"


class _Mangler(LineKeepingTransformer):
    def __init__(self, class_name: str, note_origin=None):
        super().__init__(note_origin)
        self.class_name = class_name

    def visit_ClassDef(self, node) -> bool:
        return False  # a nested class mangles with its own name (Python does it)

    def leave_Name(self, original_node, updated_node):
        new = _mangled(original_node.value, self.class_name)
        return updated_node.with_changes(value=new) if new != original_node.value else updated_node


def mangle_private_names(node: cst.FunctionDef, class_name: str, note_origin=None) -> cst.FunctionDef:
    """Mangle ``__private`` identifiers in a method's parameters and body.

    ``note_origin(new, original)`` is told of every rebuilt node (see ``linemap``).
    """
    mangler = _Mangler(class_name, note_origin)
    return node.with_changes(params=node.params.visit(mangler), body=node.body.visit(mangler))


class _SuperRewriter(LineKeepingTransformer):
    """``super()`` -> ``super(owner, <first argument>)``; ``__class__`` -> ``owner``.

    In functions and lambdas nested in the method too: their ``super()`` reads
    the method's ``__class__`` and their own first argument.  A nested async
    def is left alone: compiled, it gets ``__class__`` passed in as well.
    """

    def __init__(self, owner: str, first: str | None, note_origin=None):
        super().__init__(note_origin)
        self.owner = owner
        self.first = [first]  # of the innermost function

    def visit_ClassDef(self, node) -> bool:
        return False  # its methods have a __class__ of their own

    def visit_FunctionDef(self, node) -> bool:
        self.first.append(_first_positional(node.params))
        return node.asynchronous is None  # a nested async def is compiled on its own

    def leave_FunctionDef(self, original_node, updated_node):
        self.first.pop()
        return updated_node

    def visit_Lambda(self, node) -> bool:
        self.first.append(_first_positional(node.params))
        return True

    def leave_Lambda(self, original_node, updated_node):
        self.first.pop()
        return updated_node

    def leave_Call(self, original_node, updated_node):
        func = original_node.func
        first = self.first[-1]
        if isinstance(func, cst.Name) and func.value == "super" and not original_node.args and first:
            return updated_node.with_changes(
                args=[cst.Arg(cst.Name(self.owner)), cst.Arg(cst.Name(first))]
            )
        return updated_node

    def leave_Name(self, original_node, updated_node):
        if original_node.value == "__class__":
            return updated_node.with_changes(value=self.owner)
        return updated_node


def _first_positional(params: cst.Parameters) -> str | None:
    positional = [*params.posonly_params, *params.params]
    return positional[0].name.value if positional else None


def explicit_super(body: cst.BaseSuite, owner: str, first: str | None, note_origin=None) -> cst.BaseSuite:
    """``super()`` -> ``super(owner, first)`` and ``__class__`` -> ``owner``."""
    return body.visit(_SuperRewriter(owner, first, note_origin))
