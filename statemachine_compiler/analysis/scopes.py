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

``free_names`` finds what a function uses but does not bind: the names that
are its free variables when an enclosing function binds them (natively,
``locals()`` lists them after the function's own).  ``free_and_cell_names``
also finds the locals that nested scopes use (natively, its cells:
``locals()`` lists them after the other locals, sorted).
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass, field

import libcst as cst

from statemachine_compiler.analysis.suspensions import contains_await
from statemachine_compiler.analysis.walk import Walker

__all__ = [
    "Scope",
    "FunctionBindings",
    "function_bindings",
    "target_names",
    "all_identifiers",
    "free_names",
    "free_and_cell_names",
    "type_parameter_names",
    "bound_names",
    "normalize_identifiers",
    "star_imports",
]


@dataclass
class FunctionBindings:
    """The names one function scope binds, and how it declares the others."""

    params: list[str] = field(default_factory=list)
    locals: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)  # locals in order of first binding
    # 3.12+ (PEP 709): the loop targets of list, set and dict comprehensions
    # become hidden locals of the function; ``varnames`` is ``order`` with
    # them in their places, as ``locals()`` inside such a comprehension lists them.
    varnames: list[str] = field(default_factory=list)
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
    # A machine's free variables, sorted, as (source name, the name it reads):
    # what locals() adds after the function's own locals.
    free: list[tuple[str, str]] = field(default_factory=list)
    locals_slot: str | None = None  # a machine's slot for the dict locals() returns (3.11, 3.12)
    inlined: bool = False  # a comprehension that 3.12+ runs in the function's own frame
    varnames: tuple[str, ...] = ()  # a machine's locals() order, with inlined comprehension targets
    # A method's machine: the defs and classes its body binds under their
    # mangled names, with the names they were written with (their __name__).
    spellings: dict[str, str] = field(default_factory=dict)
    # Whether the machine's class mangles private names (``__x``) in its body:
    # not when it is named only with ``_``s.
    mangles: bool = True
    # A machine whose class is an attribute of the enclosing machine's class
    # (an async def directly in a compiled async def) that reads a local of
    # it kept in a slot: the slot that holds the enclosing machine, which
    # the stub hands it (None when it uses only the enclosing cells).
    outer: str | None = None
    # Whether its class is such an attribute (it may need no ``outer``: the
    # enclosing locals it uses may all be cells, see emit.machine.write_resume_maker).
    hoisted: bool = False
    # The class texts of the async defs directly in this machine's body, and
    # the source line of each of their lines: written into its class.
    nested_machines: list[tuple[str, list[int]]] = field(default_factory=list)
    # A machine's locals that nested functions share with it, kept in cells
    # (plain names in its resume, which is made over them: emit.machine).
    cells: set[str] = field(default_factory=set)


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
    """Return the parameter names in the order of a code object's ``co_varnames`` (and ``locals()``).

    That is the keyword-only parameters before ``*args``: CPython lays out
    the named ones first, then the two that collect the rest.
    """
    names = [p.name.value for p in params.posonly_params]
    names += [p.name.value for p in params.params]
    names += [p.name.value for p in params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        names.append(params.star_arg.name.value)
    if params.star_kwarg is not None:
        names.append(params.star_kwarg.name.value)
    return names


class _BindingCollector(Walker):
    """Collect what one function body binds, without entering nested scopes."""

    def __init__(self, bindings: FunctionBindings):
        self.bindings = bindings
        self.comprehension_depth = 0
        self.comprehensions: list[cst.CSTNode] = []  # the ones being visited, outermost first

    def bind(self, name: str) -> None:
        if name not in self.bindings.locals:
            self.bindings.order.append(name)
            if name not in self.bindings.varnames:
                self.bindings.varnames.append(name)
        self.bindings.locals.add(name)

    def bind_target(self, target: cst.BaseExpression) -> None:
        for name in target_names(target):
            self.bind(name)

    # -- nested scopes: only their name (and, for comprehensions, walruses) bind here

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bind(node.name.value)
        for decorator in node.decorators:
            self.walk(decorator)
        self.walk(node.params)  # defaults are evaluated here
        if node.returns is not None:
            self.walk(node.returns)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        if node.default is not None:
            self.walk(node.default)
        if node.annotation is not None:
            self.walk(node.annotation)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bind(node.name.value)
        for decorator in node.decorators:
            self.walk(decorator)
        for arg in (*node.bases, *node.keywords):
            self.walk(arg)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.walk(node.params)
        return False

    def _visit_comprehension(self, node) -> bool:
        # Only walrus targets inside bind in this scope; the loop targets do not.
        self.comprehension_depth += 1
        self.comprehensions.append(node)
        if INLINE_COMPREHENSIONS and not any(
            isinstance(c, cst.GeneratorExp) for c in self.comprehensions
        ):
            clause = node.for_in
            while clause is not None:
                for name in target_names(clause.target):
                    if name not in self.bindings.varnames:
                        self.bindings.varnames.append(name)
                clause = clause.inner_for_in
        return True

    def _leave_comprehension(self, node) -> None:
        self.comprehension_depth -= 1
        self.comprehensions.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    # -- binding forms ----------------------------------------------------------

    # After the value: CPython numbers a function's locals in the order its
    # code first names them, and the value is compiled before the targets.
    def leave_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.bind_target(target.target)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
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
    _BindingCollector(bindings).walk(body)
    bindings.locals -= bindings.globals | bindings.nonlocals
    return bindings


def class_bindings(node: cst.ClassDef) -> set[str]:
    """Return the names a class body binds in its own namespace."""
    bindings = FunctionBindings()
    _BindingCollector(bindings).walk(node.body)
    return bindings.locals - bindings.globals - bindings.nonlocals


class _IdentifierCollector(Walker):
    def __init__(self):
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def all_identifiers(node: cst.CSTNode) -> set[str]:
    """Every identifier spelled anywhere in ``node``: fresh names must avoid them all."""
    collector = _IdentifierCollector()
    collector.walk(node)
    return collector.names


class _PlainNames(Walker):
    """The identifiers generated code may spell as plain names (see ``plain_names``).

    Discussion: a ``Walker``, not a ``libcst.CSTVisitor`` (which rebuilds
    every node it passes): this walk of each function's whole body was a
    tenth of a compile (issue 12).
    """

    def __init__(self, machine_locals: set[str]):
        self.machine_locals = machine_locals
        self.names: set[str] = set()
        self.bound_plainly: set[str] = set()
        self.nested = 0  # depth in the scopes nested in the function

    def visit_Name(self, node: cst.Name) -> None:
        if self.nested or node.value not in self.machine_locals:
            self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.walk(node.value)  # ``x.value``: only ``x`` is a name
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        self.walk(node.value)  # ``f(value=1)``: a keyword, not a name
        return False

    # -- nested scopes: their names are taken as they are ---------------------------

    def enter(self, node: cst.CSTNode) -> None:
        self.nested += 1

    def leave(self, node: cst.CSTNode) -> None:
        self.nested -= 1

    visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = enter
    leave_Lambda = leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = leave
    leave_FunctionDef = leave_ClassDef = leave

    # -- locals bound where an attribute cannot be the target: written as plain names --

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.nested += 1
        self.bound_plainly.add(node.name.value)

    visit_ClassDef = visit_FunctionDef

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        bound = node.asname.name if node.asname is not None else node.name
        while isinstance(bound, cst.Attribute):
            bound = bound.value
        if isinstance(bound, cst.Name):
            self.bound_plainly.add(bound.value)

    def visit_Try(self, node: cst.Try | cst.TryStar) -> None:
        if not contains_await(node):
            # A try that awaits binds its clauses' names through the compiler's own.
            for handler in node.handlers:
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    self.bound_plainly.add(handler.name.name.value)

    visit_TryStar = visit_Try

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self.bound_plainly.add(node.target.value)

    def visit_MatchAs(self, node: cst.MatchAs | cst.MatchStar) -> None:
        if node.name is not None:
            self.bound_plainly.add(node.name.value)

    visit_MatchStar = visit_MatchAs

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self.bound_plainly.add(node.rest.value)

    def visit_Global(self, node: cst.Global | cst.Nonlocal) -> None:
        self.bound_plainly.update(item.name.value for item in node.names)

    visit_Nonlocal = visit_Global


def plain_names(node: cst.CSTNode, machine_locals: set[str]) -> set[str]:
    """The identifiers of async def ``node`` that its ``resume`` may spell as plain names.

    Names of ``resume``'s own (``value``, ``error``, ``awaitable``) must avoid
    them, and only them: an attribute (``resp.value``) or a keyword
    (``f(error=1)``) is no name, and a local of the machine is spelled
    ``self.x``, except where Python wants a plain name as the target (an
    import, a def, ``except ... as``, a walrus, a match capture), and in the
    scopes nested in the function, which are taken as they are.
    """
    collector = _PlainNames(machine_locals)
    collector.walk(node)
    return collector.names | (collector.bound_plainly & machine_locals)


def type_parameter_names(node: cst.FunctionDef | cst.ClassDef) -> list[str]:
    """The PEP 695 type parameters of a generic function or class (3.12), in order."""
    parameters = getattr(node, "type_parameters", None)
    if parameters is None:
        return []
    return [p.param.name.value for p in parameters.params]


# Since 3.12 (PEP 709) list, set and dict comprehensions run inline in their
# function: what they use is the function's own use, not a nested scope's.
INLINE_COMPREHENSIONS = sys.version_info >= (3, 12)


class _Uses(Walker):
    """The names one scope uses, and separately what the scopes nested in it use freely."""

    def __init__(self):
        self.used: set[str] = set()
        self.nested: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.used.add(node.value)
        if node.value == "super":
            self.used.add("__class__")  # zero-argument super() reads the __class__ cell

    # -- names that are not variables ------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.walk(node.value)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        self.walk(node.value)
        return False

    def visit_MatchKeywordElement(self, node) -> bool:
        self.walk(node.pattern)
        return False

    def visit_Import(self, node) -> bool:
        return False  # what it binds is a local of the scope, not a use

    def visit_ImportFrom(self, node) -> bool:
        return False

    def visit_Global(self, node) -> bool:
        return False

    def visit_Nonlocal(self, node) -> bool:
        return False

    # -- nested scopes ------------------------------------------------------------

    def _parameters(self, params: cst.Parameters, annotations: _Uses | None = None) -> None:
        for param in _all_params(params):
            if param.default is not None:
                self.walk(param.default)
            if param.annotation is not None:
                (annotations or self).walk(param.annotation)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            self.walk(decorator)
        parameters = set(type_parameter_names(node))
        # Defaults and annotations are evaluated here, or (PEP 695) in the
        # generic function's type parameters' scope, itself nested here.
        outer = _Uses() if parameters else self
        self._parameters(node.params, outer)
        if node.returns is not None:
            outer.walk(node.returns)
        self.nested |= free_names(node.params, node.body) - parameters
        if parameters:
            self.nested |= (outer.used | outer.nested) - parameters
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._parameters(node.params)
        self.nested |= free_names(node.params, node.body)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for decorator in node.decorators:
            self.walk(decorator)
        outer = _Uses()
        for arg in (*node.bases, *node.keywords):
            outer.walk(arg)
        body = _Uses()
        body.walk(node.body)
        bindings = FunctionBindings()
        _BindingCollector(bindings).walk(node.body)
        # The class body's own uses resolve past its bindings; its methods'
        # skip the class namespace, and get __class__ from the class itself.
        free = (body.used - bindings.locals - bindings.globals) | bindings.nonlocals
        free |= body.nested - {"__class__"}
        parameters = set(type_parameter_names(node))
        if parameters:
            self.nested |= (outer.used | outer.nested | free) - parameters
        else:
            self.used |= outer.used
            self.nested |= outer.nested | free
        return False

    def _comprehension(self, node, elements, inline: bool) -> bool:
        self.walk(node.for_in.iter)  # the first iterable is evaluated outside
        inner = _Uses()
        targets: set[str] = set()
        clause = node.for_in
        first = True
        while clause is not None:
            targets.update(target_names(clause.target))
            inner.walk(clause.target)
            if not first:
                inner.walk(clause.iter)
            for condition in clause.ifs:
                inner.walk(condition)
            first = False
            clause = clause.inner_for_in
        for element in elements:
            inner.walk(element)
        if inline:
            self.used |= inner.used - targets
            self.nested |= inner.nested - targets
        else:
            self.nested |= (inner.used | inner.nested) - targets
        return False

    def visit_ListComp(self, node) -> bool:
        return self._comprehension(node, [node.elt], INLINE_COMPREHENSIONS)

    def visit_SetComp(self, node) -> bool:
        return self._comprehension(node, [node.elt], INLINE_COMPREHENSIONS)

    def visit_DictComp(self, node) -> bool:
        return self._comprehension(node, [node.key, node.value], INLINE_COMPREHENSIONS)

    def visit_GeneratorExp(self, node) -> bool:
        return self._comprehension(node, [node.elt], False)

    def visit_TypeAlias(self, node) -> bool:
        # ``type X[T] = value``: the value is evaluated lazily, in a scope of its own.
        inner = _Uses()
        inner.walk(node.value)
        parameters = set(type_parameter_names(node))
        self.used.add(node.name.value)
        self.nested |= (inner.used | inner.nested) - parameters
        return False


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        every.append(params.star_arg)
    if params.star_kwarg is not None:
        every.append(params.star_kwarg)
    return every


def free_names(params: cst.Parameters | None, body: cst.CSTNode) -> set[str]:
    """Names a function (or lambda) uses without binding them, nor declaring them global.

    Each is a free variable of the function if an enclosing function binds
    it (a nonlocal declaration always is one); otherwise it is a global.
    """
    return free_and_cell_names(params, body)[0]


def free_and_cell_names(
    params: cst.Parameters | None, body: cst.CSTNode, bindings: FunctionBindings | None = None
) -> tuple[set[str], set[str]]:
    """``free_names``, and the function's locals that scopes nested in it use: natively, its cells.

    ``bindings``, where given, is ``function_bindings(params, body)``, already
    found by the caller: not walked for again (issue 12).
    """
    if bindings is None:
        bindings = function_bindings(params, body)
    uses = _Uses()
    uses.walk(body)
    free = ((uses.used | uses.nested) - bindings.locals - bindings.globals) | bindings.nonlocals
    return free, uses.nested & bindings.locals


class _EveryBinding(_BindingCollector):
    """What ``_BindingCollector`` finds, in nested scopes too, with parameters and type parameters."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bind(node.name.value)
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bind(node.name.value)
        return True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return True

    def visit_Param(self, node: cst.Param) -> bool:
        self.bind(node.name.value)
        return True

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.bind_target(node.target)

    def visit_TypeVar(self, node) -> None:
        self.bind(node.name.value)

    visit_TypeVarTuple = visit_ParamSpec = visit_TypeVar

    def visit_TypeAlias(self, node) -> bool:
        self.bind(node.name.value)
        return True


def bound_names(module: cst.Module) -> set[str]:
    """Every name the module binds, in any scope (a star import's aside: see ``star_imports``)."""
    bindings = FunctionBindings()
    _EveryBinding(bindings).walk(module)
    bindings.locals.update(bindings.globals | bindings.nonlocals)
    return bindings.locals


class _StarImports(Walker):
    def __init__(self):
        self.found = False

    def visit_ImportStar(self, node) -> None:
        self.found = True


def star_imports(module: cst.Module) -> bool:
    """Whether the module has ``from m import *``: it may bind any name, builtins too."""
    finder = _StarImports()
    finder.walk(module)
    return finder.found


class _Normalizer(cst.CSTTransformer):
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value.isascii():
            return updated_node
        return updated_node.with_changes(value=unicodedata.normalize("NFKC", updated_node.value))


def normalize_identifiers(module: cst.Module) -> cst.Module:
    """Every identifier as Python's tokenizer reads it: NFKC-normalized (PEP 3131).

    ``ﬁle`` and ``file``, a full-width ``ｘ`` and ``x``, are one name to
    Python; the compiler's own analysis compares strings, and writes names
    into strings (``__slots__``), so it must see them the same way.
    """
    return module.visit(_Normalizer())
