"""Which names a function binds, and where each name in its body resolves.

Python decides at compile time whether a name is local, global, nonlocal or
free; the compiler has to make the same decision to know which names become
attributes of the machine (``self.x``) and which stay as they are.  The rules
are the language reference's "Naming and binding":

- a name bound anywhere in a function body (assignment, ``for``, ``with ...
  as``, ``except ... as``, ``import``, ``def``, ``class``, ``del``, a walrus,
  a ``match`` capture, an annotation) is local to it, unless declared
  ``global`` or ``nonlocal``;
- a walrus inside a comprehension binds in the enclosing function;
- class bodies are not enclosing scopes for the functions defined in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

__all__ = ["Scope", "FunctionBindings", "function_bindings", "target_names", "all_identifiers"]


@dataclass
class FunctionBindings:
    """The names one function scope binds, and how it declares the others."""

    params: list[str] = field(default_factory=list)
    locals: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)  # locals in order of first binding
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


@dataclass
class Scope:
    """One link of the scope chain the name rewriter walks outwards.

    ``kind`` is ``"function"`` (an ordinary function or lambda, whose locals
    stay Python locals), ``"machine"`` (a compiled async function, whose
    locals are attributes of ``machine``), ``"class"`` or ``"comprehension"``.
    """

    kind: str
    bound: set[str]
    name: str = ""
    machine: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    temporaries: list[str] = field(default_factory=list)  # compiler-made locals, in order
    # Name nodes the compiler wrote for builtins, never rewritten (by id, kept alive)
    protected: dict[int, cst.Name] = field(default_factory=dict)


def target_names(target: cst.BaseExpression) -> list[str]:
    """Return the plain names an assignment target binds (not attributes or subscripts)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names = []
        for element in target.elements:
            names.extend(target_names(element.value))
        return names
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return []


def parameter_names(params: cst.Parameters) -> list[str]:
    """Return the parameter names in the order Python binds them."""
    names = [p.name.value for p in params.posonly_params]
    names += [p.name.value for p in params.params]
    if isinstance(params.star_arg, cst.Param):
        names.append(params.star_arg.name.value)
    names += [p.name.value for p in params.kwonly_params]
    if params.star_kwarg is not None:
        names.append(params.star_kwarg.name.value)
    return names


class _BindingCollector(cst.CSTVisitor):
    """Collect what one function body binds, without entering nested scopes."""

    def __init__(self, bindings: FunctionBindings):
        self.bindings = bindings
        self.comprehension_depth = 0

    def bind(self, name: str) -> None:
        if name not in self.bindings.locals:
            self.bindings.order.append(name)
        self.bindings.locals.add(name)

    def bind_target(self, target: cst.BaseExpression) -> None:
        for name in target_names(target):
            self.bind(name)

    # -- nested scopes: only their name (and, for comprehensions, walruses) bind here

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bind(node.name.value)
        for decorator in node.decorators:
            decorator.visit(self)
        node.params.visit(self)  # defaults are evaluated here
        if node.returns is not None:
            node.returns.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        if node.default is not None:
            node.default.visit(self)
        if node.annotation is not None:
            node.annotation.visit(self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bind(node.name.value)
        for decorator in node.decorators:
            decorator.visit(self)
        for arg in (*node.bases, *node.keywords):
            arg.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        node.params.visit(self)
        return False

    def _visit_comprehension(self, node) -> bool:
        # Only walrus targets inside bind in this scope; the loop targets do not.
        self.comprehension_depth += 1
        return True

    def _leave_comprehension(self, node) -> None:
        self.comprehension_depth -= 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    # -- binding forms ----------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.bind_target(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.bind_target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.bind_target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self.bind_target(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.bind_target(node.asname.name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.bind_target(node.name.name)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self.bind_target(node.name.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bind_target(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self.bind_target(node.target)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self.bind_target(alias.asname.name)
            else:
                self.bind(_leftmost(alias.name))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if alias.asname is not None:
                self.bind_target(alias.asname.name)
            else:
                self.bind(_leftmost(alias.name))

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.bind(node.name.value)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.bind(node.name.value)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self.bind(node.rest.value)

    def visit_TypeAlias(self, node) -> bool:
        self.bind(node.name.value)  # ``type X = ...`` binds X (3.12)
        return False

    def visit_Global(self, node: cst.Global) -> None:
        self.bindings.globals.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.bindings.nonlocals.update(item.name.value for item in node.names)


def _leftmost(name: cst.BaseExpression) -> str:
    while isinstance(name, cst.Attribute):
        name = name.value
    assert isinstance(name, cst.Name)
    return name.value


def function_bindings(params: cst.Parameters | None, body: cst.CSTNode) -> FunctionBindings:
    """Return what a function (or lambda) with these parameters and body binds."""
    bindings = FunctionBindings()
    if params is not None:
        bindings.params = parameter_names(params)
        bindings.locals.update(bindings.params)
    body.visit(_BindingCollector(bindings))
    bindings.locals -= bindings.globals | bindings.nonlocals
    return bindings


def class_bindings(node: cst.ClassDef) -> set[str]:
    """Return the names a class body binds in its own namespace."""
    bindings = FunctionBindings()
    node.body.visit(_BindingCollector(bindings))
    return bindings.locals - bindings.globals - bindings.nonlocals


class _IdentifierCollector(cst.CSTVisitor):
    def __init__(self):
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def all_identifiers(node: cst.CSTNode) -> set[str]:
    """Every identifier spelled anywhere in ``node``: fresh names must avoid them all."""
    collector = _IdentifierCollector()
    node.visit(collector)
    return collector.names
