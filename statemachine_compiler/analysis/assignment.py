"""Whether a function may read one of its locals before binding it.

Natively that read raises ``UnboundLocalError`` (``NameError`` from a nested
function).  In a machine a local is a slot, and reading an unset slot raises
``AttributeError``, which only a ``__getattr__`` on the class can turn into
CPython's error.  A ``__getattr__`` costs every ``self.x`` of the class its
specialised read on 3.11, so the compiler gives one (``_may_read_unbound``)
only to the functions this analysis cannot clear.

The analysis is definite assignment, conservative: it follows the
statements in order with the set of locals bound on every path to that point,
and answers "may" as soon as a local is read outside that set.  What it does
not follow precisely it counts against the function, never for it:

- after a loop, only what was bound before it (the body may not run);
- after a ``with``, the body's bindings are not counted (``__exit__`` may
  have suppressed an exception raised before them);
- in an ``except`` or ``finally``, only what was bound before the ``try``;
- a walrus binds only outside ``and``/``or``/``if``-expressions and
  comprehensions;
- what a nested function, lambda, class or comprehension reads must be bound
  where it is defined and never deleted (``del``, ``except ... as``) anywhere
  in the function; a ``nonlocal`` in one of them, a ``match`` or a ``type``
  statement gives up.
"""

from __future__ import annotations

import libcst as cst

from statemachine_compiler.analysis.walk import Walker

__all__ = ["may_read_unbound", "read_unbound_by_itself"]


class _MayBeUnbound(Exception):
    """A local may be read unbound: the answer is "may"."""


def may_read_unbound(params: list[str], body: cst.BaseSuite, local_names: set[str]) -> bool:
    """Whether the function with these parameters and body may read a local unbound."""
    unbound = _unbound_names(body)
    flow = _Flow(local_names, unbound, unbound)
    try:
        flow.block(body, frozenset(params))
    except _MayBeUnbound:
        return True
    return False


def _meet(*outcomes):
    """The locals bound after whichever of the paths ran; None is a path that never gets there."""
    reached = [o for o in outcomes if o is not None]
    if not reached:
        return None
    return frozenset.intersection(*reached)


class _Flow:
    def __init__(self, local_names: set[str], ever_unbound: set[str], unbinding: set[str]):
        self.locals = local_names
        self.ever_unbound = ever_unbound  # deleted somewhere: never bound for good
        # At least every name a statement of the body deletes or unbinds (``_unbound_names``).
        self.unbinding = unbinding

    def without_unbound(self, bound: frozenset[str], node) -> frozenset[str]:
        """``bound - _unbound_names(node)``, walked for only where ``node`` could unbind one of them.

        Discussion: each compound statement asked it of its whole subtree, so
        a statement nested n deep was walked n times (issue 12); most
        functions delete nothing that is bound there.
        """
        if bound.isdisjoint(self.unbinding):
            return bound
        return bound - _unbound_names(node)

    # -- statements: each returns the locals bound after it, None when it never completes

    def block(self, suite, bound):
        statements = suite.body if isinstance(suite, cst.IndentedBlock) else [suite]
        if isinstance(suite, cst.SimpleStatementSuite):
            statements = [cst.SimpleStatementLine(list(suite.body))]
        for statement in statements:
            bound = self.statement(statement, bound)
            if bound is None:
                return None
        return bound

    def statement(self, node, bound):
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                bound = self.small(small, bound)
                if bound is None:
                    return None
            return bound
        method = getattr(self, "on_" + type(node).__name__, None)
        if method is None:
            raise _MayBeUnbound  # match, and whatever is new: give up
        return method(node, bound)

    def small(self, node, bound):
        if isinstance(node, (cst.Pass, cst.Global, cst.Nonlocal)):
            return bound
        if isinstance(node, (cst.Break, cst.Continue)):
            return None
        if isinstance(node, (cst.Return, cst.Raise)):
            self.reads(node, bound)
            return None
        if isinstance(node, (cst.Expr, cst.Assert)):
            return self.reads(node, bound)
        if isinstance(node, cst.Assign):
            bound = self.reads(node.value, bound)
            for target in node.targets:
                bound = self.bind(target.target, bound)
            return bound
        if isinstance(node, cst.AnnAssign):
            if node.value is None:
                return bound  # an annotation alone binds nothing, evaluates nothing
            return self.bind(node.target, self.reads(node.value, bound))
        if isinstance(node, cst.AugAssign):
            bound = self.reads(node.value, self.reads(node.target, bound))
            return self.bind(node.target, bound)
        if isinstance(node, cst.Del):
            return self.unbind(node.target, bound)
        if isinstance(node, cst.Import):
            return bound | {_imported(alias) for alias in node.names}
        if isinstance(node, cst.ImportFrom):
            if isinstance(node.names, cst.ImportStar):
                return bound
            return bound | {_imported(alias) for alias in node.names}
        raise _MayBeUnbound  # a ``type`` statement, and whatever is new

    def on_If(self, node, bound):
        bound = self.reads(node.test, bound)
        taken = self.block(node.body, bound)
        if node.orelse is None:
            return _meet(taken, bound)
        if isinstance(node.orelse, cst.If):
            return _meet(taken, self.on_If(node.orelse, bound))
        return _meet(taken, self.block(node.orelse.body, bound))

    def on_While(self, node, bound):
        bound = self.reads(node.test, self.without_unbound(bound, node))
        self.block(node.body, bound)
        if node.orelse is not None:
            self.block(node.orelse.body, bound)
        return bound

    def on_For(self, node, bound):
        bound = self.without_unbound(self.reads(node.iter, bound), node)
        self.block(node.body, self.bind(node.target, bound))
        if node.orelse is not None:
            self.block(node.orelse.body, bound)
        return bound

    def on_With(self, node, bound):
        for item in node.items:
            bound = self.reads(item.item, bound)
            if item.asname is not None:
                bound = self.bind(item.asname.name, bound)
        self.block(node.body, bound)
        return self.without_unbound(bound, node.body)

    def on_Try(self, node, bound):
        body = self.block(node.body, bound)
        at_handler = self.without_unbound(bound, node.body)
        outcomes = []
        for handler in node.handlers:
            start = at_handler
            if handler.type is not None:
                start = self.reads(handler.type, start)
            if handler.name is not None:
                start = self.bind(handler.name.name, start)
            outcome = self.block(handler.body, start)
            if outcome is not None and handler.name is not None:
                outcome = outcome - set(_names(handler.name.name))  # deleted at its end
            outcomes.append(outcome)
        if node.orelse is not None and body is not None:
            body = self.block(node.orelse.body, body)
        after = _meet(body, *outcomes)
        if node.finalbody is None:
            return after
        # However the try ended (part of it run, an exception pending), then as it ended normally.
        self.block(node.finalbody.body, self.without_unbound(bound, node))
        return None if after is None else self.block(node.finalbody.body, after)

    on_TryStar = on_Try

    def on_FunctionDef(self, node, bound):
        self.lazy(node, bound)
        return bound | {node.name.value}

    def on_ClassDef(self, node, bound):
        self.lazy(node, bound)
        return bound | {node.name.value}

    # -- expressions -----------------------------------------------------------------

    def reads(self, node, bound):
        """Check what ``node`` reads; return ``bound`` with what its walruses surely bind."""
        reads = _Reads()
        reads.walk(node)
        for name in reads.eager:
            if name in self.locals and name not in bound:
                raise _MayBeUnbound
        if reads.nonlocals or reads.lazy:
            self._check_lazy(reads, bound)
        return bound | reads.walrus

    def lazy(self, node, bound):
        """Check what a nested scope defined here reads, whenever it runs."""
        reads = _Reads()
        reads.depth = 1
        reads.walk(node)
        self._check_lazy(reads, bound | reads.walrus)

    def _check_lazy(self, reads, bound):
        if reads.nonlocals & self.locals:
            raise _MayBeUnbound
        for name in reads.lazy | reads.eager:
            if name in self.locals and (name not in bound or name in self.ever_unbound):
                raise _MayBeUnbound

    def bind(self, target, bound):
        """What assigning to ``target`` reads (``a[i] = ...``) and binds."""
        if isinstance(target, cst.Name):
            return bound | {target.value}
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                bound = self.bind(element.value, bound)
            return bound
        if isinstance(target, cst.StarredElement):
            return self.bind(target.value, bound)
        return self.reads(target, bound)  # an attribute or a subscript: its parts are read

    def unbind(self, target, bound):
        if isinstance(target, cst.Name):
            return bound - {target.value}
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                bound = self.unbind(element.value, bound)
            return bound
        return self.reads(target, bound)


def _imported(alias: cst.ImportAlias) -> str:
    if alias.asname is not None:
        return alias.asname.name.value
    name = alias.name
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value


def _names(target) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for element in target.elements for n in _names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return []


class _Reads(Walker):
    """The names an expression (or a nested scope) reads, now (``eager``) or later (``lazy``)."""

    def __init__(self):
        self.eager: set[str] = set()
        self.lazy: set[str] = set()
        self.walrus: set[str] = set()  # bound for sure once the expression is evaluated
        self.nonlocals: set[str] = set()
        self.depth = 0  # inside a nested scope: read later, if at all
        self.conditional = 0  # inside and/or/if-expression: maybe not evaluated
        self.defined = None  # the name a def or class statement binds: no read of it

    def visit_Name(self, node: cst.Name) -> None:
        if node is not self.defined:
            (self.lazy if self.depth else self.eager).add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.walk(node.value)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        self.walk(node.value)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        for part in (node.default, node.annotation):
            if part is not None:
                self.walk(part)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.nonlocals.update(n.name.value for n in node.names)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        self.walk(node.value)
        if isinstance(node.target, cst.Name) and not self.depth and not self.conditional:
            self.walrus.add(node.target.value)
        return False

    def _enter_conditional(self, node) -> None:
        self.conditional += 1

    def _leave_conditional(self, node) -> None:
        self.conditional -= 1

    visit_BooleanOperation = visit_IfExp = _enter_conditional
    leave_BooleanOperation = leave_IfExp = _leave_conditional

    def _enter_scope(self, node) -> None:
        self.depth += 1

    def _leave_scope(self, node) -> None:
        self.depth -= 1

    def _enter_definition(self, node) -> None:
        self.defined = node.name
        self.depth += 1

    visit_FunctionDef = visit_ClassDef = _enter_definition
    visit_Lambda = _enter_scope
    leave_Lambda = leave_FunctionDef = leave_ClassDef = _leave_scope
    visit_GeneratorExp = visit_ListComp = visit_SetComp = visit_DictComp = _enter_scope
    leave_GeneratorExp = leave_ListComp = leave_SetComp = leave_DictComp = _leave_scope


class _Unbinds(Walker):
    """The locals a statement deletes: ``del x``, and the name of each ``except ... as``."""

    def __init__(self):
        self.names: set[str] = set()

    def visit_SimpleStatementLine(self, node) -> bool:
        # A ``del`` is one of a line's statements, never inside an expression:
        # the expressions are not walked (this runs several times per function).
        for statement in node.body:
            if isinstance(statement, cst.Del):
                self.names.update(_names(statement.target))
        return False

    visit_SimpleStatementSuite = visit_SimpleStatementLine

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.names.update(_names(node.name.name))

    visit_ExceptStarHandler = visit_ExceptHandler

    def visit_FunctionDef(self, node) -> bool:
        return False  # its own scope (a ``nonlocal`` there gives up anyway)

    def visit_ClassDef(self, node) -> bool:
        return False

    def visit_Lambda(self, node) -> bool:
        return False


def _unbound_names(node) -> frozenset[str]:
    finder = _Unbinds()
    finder.walk(node)
    return frozenset(finder.names)


class _UnbindsAnywhere(_Unbinds):
    """``_Unbinds``, in nested scopes too (a ``nonlocal`` there may delete the function's local)."""

    def visit_FunctionDef(self, node) -> bool:
        return True

    def visit_ClassDef(self, node) -> bool:
        return True

    def visit_Lambda(self, node) -> bool:
        return True


class _OwnReads(_Flow):
    """``_Flow`` over the function's own reads only: what nested scopes read is not its concern."""

    def lazy(self, node, bound):
        pass

    def _check_lazy(self, reads, bound):
        pass


def read_unbound_by_itself(params: list[str], body: cst.BaseSuite, names: set[str]) -> set[str]:
    """Which of ``names`` the function's own code (not its nested scopes) may read, or delete, unbound.

    Conservative: any name deleted anywhere in it, nested scopes included, counts.
    """
    finder = _UnbindsAnywhere()
    finder.walk(body)
    maybe = names & finder.names
    for name in sorted(names - maybe):
        try:
            _OwnReads({name}, frozenset(), finder.names).block(body, frozenset(params))
        except _MayBeUnbound:
            maybe.add(name)
    return maybe
