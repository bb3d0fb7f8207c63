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

import sys

import libcst as cst

from statemachine_compiler.analysis.scopes import INLINE_COMPREHENSIONS, target_names
from statemachine_compiler.analysis.walk import Walker
from statemachine_compiler.linemap import LineKeepingTransformer

__all__ = ["mangle_private_names", "explicit_super", "is_private", "is_dunder", "mangled"]


def is_private(name: str) -> bool:
    """Whether Python mangles ``name`` inside a class body: ``__x``, not ``__x__``."""
    return name.startswith("__") and not name.endswith("__") and "." not in name


def is_dunder(name: str) -> bool:
    """``__x__``: the names Python reserves for itself."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def mangled(name: str, class_name: str) -> str:
    """``name`` as CPython spells it in class ``class_name`` (``_Py_Mangle``)."""
    owner = class_name.lstrip("_")
    if not owner or not is_private(name):  # a class named only "_"s mangles nothing
        return name
    return f"_{owner}{name}"


class _Mangler(LineKeepingTransformer):
    """Mangle what CPython mangles: variables, attributes, parameters, import names.

    Not keyword names (``f(__kw=1)``, ``class C(__kw=1)``, ``case C(__a=1)``),
    nor the dotted module name of an import.  A class nested in the method
    mangles its own body with its own name (it stays a class statement, so
    Python does that); its name, bases, keywords and decorators belong to the
    method.  A ``def``/``class`` binds its mangled name but keeps the name it
    was written with as ``__name__``: ``spellings`` records those.
    """

    def __init__(self, class_name: str, note_origin=None):
        super().__init__(note_origin)
        self.class_name = class_name
        self.spellings: dict[str, str] = {}  # mangled name of a def or class -> as written

    def mangle(self, name: cst.Name) -> cst.Name:
        new = mangled(name.value, self.class_name)
        return name.with_changes(value=new) if new != name.value else name

    def visit_ClassDef(self, node) -> bool:
        return False  # its parts are mangled in leave_ClassDef

    def leave_ClassDef(self, original_node, updated_node):
        node = original_node
        self._note_spelling(node.name)
        return updated_node.with_changes(
            name=self.mangle(node.name),
            decorators=[d.visit(self) for d in node.decorators],
            bases=[b.visit(self) for b in node.bases],
            keywords=[k.visit(self) for k in node.keywords],
        )

    def leave_FunctionDef(self, original_node, updated_node):
        self._note_spelling(original_node.name)
        return updated_node

    def _note_spelling(self, name: cst.Name) -> None:
        new = mangled(name.value, self.class_name)
        if new != name.value:
            self.spellings[new] = name.value

    def leave_Name(self, original_node, updated_node):
        return self.mangle(updated_node)

    # Names that are not mangled: put the original back.
    def leave_Arg(self, original_node, updated_node):
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_MatchKeywordElement(self, original_node, updated_node):
        return updated_node.with_changes(key=original_node.key)

    def leave_ImportAlias(self, original_node, updated_node):
        if isinstance(original_node.name, cst.Attribute):  # ``import __a.b``: a dotted name
            return updated_node.with_changes(name=original_node.name)
        return updated_node

    def leave_ImportFrom(self, original_node, updated_node):
        if isinstance(original_node.module, cst.Attribute):  # ``from __a.b import c``
            return updated_node.with_changes(module=original_node.module)
        return updated_node


def mangle_private_names(
    node: cst.FunctionDef, class_name: str, note_origin=None
) -> tuple[cst.FunctionDef, dict[str, str]]:
    """Mangle ``__private`` identifiers in a method's parameters and body.

    Returns the function and the spellings of the defs and classes its body
    defines (mangled name -> as written).  ``note_origin(new, original)`` is
    told of every rebuilt node (see ``linemap``).
    """
    mangler = _Mangler(class_name, note_origin)
    node = node.with_changes(params=node.params.visit(mangler), body=node.body.visit(mangler))
    return node, mangler.spellings


# The first argument of a function that has none, and of a comprehension
# (its iterator, unnamed in the source).
_NONE = object()
_ITERATOR = object()


class _SuperRewriter(LineKeepingTransformer):
    """``super()`` -> ``super(owner, <first argument>)``; ``__class__`` -> ``owner``.

    In functions and lambdas nested in the method too: their ``super()`` reads
    the method's ``__class__`` and their own first argument.  A nested async
    def is left alone: compiled, it gets ``__class__`` passed in as well.

    Where natively ``super()`` fails, the compiled call must fail alike.  In
    the method itself without a positional parameter it becomes
    ``super_without_arguments()`` (the RuntimeError); in a nested function
    without one, ``super()`` is left as written (in the machine's class it
    raises the same).  In a comprehension that is a scope of its own, the
    first argument is its iterator: ``super_in_comprehension(owner)``.
    """

    def __init__(self, owner: str, first: str | None, spelled, deleted: bool, note_origin=None):
        super().__init__(note_origin)
        self.owner = owner
        self.spelled = spelled  # runtime name -> how the module spells it
        self.first = [first]  # of the innermost function
        self.deleted = [deleted]  # whether the innermost function deletes its first argument
        self.attribute_supers: set[int] = set()  # super() calls whose attribute is taken

    def visit_ClassDef(self, node) -> bool:
        return False  # its methods have a __class__ of their own

    def visit_FunctionDef(self, node) -> bool:
        first = _first_positional(node.params)
        self.first.append(first or _NONE)
        self.deleted.append(first is not None and deletes(node.body, first))
        return node.asynchronous is None  # a nested async def is compiled on its own

    def leave_FunctionDef(self, original_node, updated_node):
        self.first.pop()
        self.deleted.pop()
        return updated_node

    def visit_Lambda(self, node) -> bool:
        self.first.append(_first_positional(node.params) or _NONE)
        self.deleted.append(False)  # a lambda has no statements
        return True

    def leave_Lambda(self, original_node, updated_node):
        self.first.pop()
        self.deleted.pop()
        return updated_node

    def _enter_comprehension(self, node) -> bool:
        inlined = INLINE_COMPREHENSIONS and not isinstance(node, cst.GeneratorExp)
        self.first.append(self.first[-1] if inlined else _ITERATOR)
        self.deleted.append(self.deleted[-1] if inlined else False)
        return True

    def _leave_comprehension(self, original_node, updated_node):
        self.first.pop()
        self.deleted.pop()
        return updated_node

    def visit_Attribute(self, node) -> None:
        if isinstance(node.value, cst.Call):
            self.attribute_supers.add(id(node.value))

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    def leave_Call(self, original_node, updated_node):
        func = original_node.func
        if not (isinstance(func, cst.Name) and func.value == "super" and not original_node.args):
            return updated_node
        first = self.first[-1]
        if first is _NONE:
            return updated_node
        if first is None:
            return updated_node.with_changes(func=cst.Name(self.spelled("super_without_arguments")))
        if first is _ITERATOR:
            return updated_node.with_changes(
                func=cst.Name(self.spelled("super_in_comprehension")), args=[cst.Arg(cst.Name(self.owner))]
            )
        if self.deleted[-1] and not (ATTRIBUTE_OF_SUPER_READS_A_LOCAL and id(original_node) in self.attribute_supers):
            # ``del self`` somewhere: read the argument when super() runs.
            reader = cst.Lambda(cst.Parameters(), cst.Name(first))
            return updated_node.with_changes(
                func=cst.Name(self.spelled("super_of_deletable")),
                args=[cst.Arg(cst.Name(self.owner)), cst.Arg(reader)],
            )
        return updated_node.with_changes(args=[cst.Arg(cst.Name(self.owner)), cst.Arg(cst.Name(first))])

    def leave_Name(self, original_node, updated_node):
        if original_node.value == "__class__":
            return updated_node.with_changes(value=self.owner)
        return updated_node

    # ``obj.__class__`` and ``f(__class__=...)`` name no variable: put them back.
    def leave_Attribute(self, original_node, updated_node):
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node, updated_node):
        return updated_node.with_changes(keyword=original_node.keyword)


# 3.12+ compiles ``super().attr`` to LOAD_SUPER_ATTR, which reads the first
# argument as any local: deleted, an UnboundLocalError (what the rewritten
# ``super(owner, self)`` raises too).
ATTRIBUTE_OF_SUPER_READS_A_LOCAL = sys.version_info >= (3, 12)


class _Deletions(Walker):
    """Whether a function's own statements ``del`` a name (not its nested scopes')."""

    def __init__(self, name: str):
        self.name = name
        self.found = False

    def visit_Del(self, node: cst.Del) -> None:
        self.found = self.found or self.name in target_names(node.target)

    def visit_FunctionDef(self, node) -> bool:
        return False

    def visit_ClassDef(self, node) -> bool:
        return False

    def visit_Lambda(self, node) -> bool:
        return False


def deletes(body: cst.CSTNode, name: str) -> bool:
    finder = _Deletions(name)
    finder.walk(body)
    return finder.found


def _first_positional(params: cst.Parameters) -> str | None:
    positional = [*params.posonly_params, *params.params]
    return positional[0].name.value if positional else None


def explicit_super(
    node: cst.FunctionDef, owner: str, spelled=lambda name: name, note_origin=None
) -> cst.FunctionDef:
    """``super()`` -> ``super(owner, <first positional parameter>)``, ``__class__`` -> ``owner``.

    ``spelled`` says how the module spells a runtime name.
    """
    first = _first_positional(node.params)
    deleted = first is not None and deletes(node.body, first)
    rewriter = _SuperRewriter(owner, first, spelled, deleted, note_origin)
    return node.with_changes(body=node.body.visit(rewriter))
