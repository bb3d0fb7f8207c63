"""Asynchronous generator expressions, written out as the async generators they are.

CPython compiles an asynchronous generator expression (one with an ``async
for``, an ``await`` or an async comprehension in it) into a hidden async
generator function named ``<genexpr>``: where the expression stands, its first
iterable is evaluated and made an iterator (``iter``, or ``__aiter__`` for an
``async for``), and the function is called with it; everything else runs
lazily, as the generator is iterated.  Before an ``async def`` is analysed,
this pass does the same in source, so that the expression is compiled like
any async generator (a machine, inspectable and picklable as one)::

    async def f(xs):
        gen = (await g(x) for x in xs if x)

becomes::

    async def f(xs):
        async def _genexpr(iterator):
            while True:
                try:
                    x = next(iterator)
                except StopIteration:
                    break
                if x:
                    yield await g(x)
        gen = _genexpr(iter(xs))

The first loop takes its items from the iterator it is given, as the native
one does, without asking it for an iterator again.  The hidden function is
defined just before the statement the expression is in (a ``def`` runs no user
code, and its body reads the enclosing variables when it runs, as the
expression's does); its binding is a compiler temporary, and its machine is
named ``<genexpr>`` (``FunctionCompiler`` asks ``Hoisted`` for both).

Left as written (native async generators): expressions inside a lambda, a
nested function or class body, or a comprehension (their variables are not
the function's), and expressions with a walrus (``:=`` binds in the enclosing
function, which a ``def`` cannot do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from statemachine_compiler.analysis.suspensions import contains_await
from statemachine_compiler.analysis.walk import Walker
from statemachine_compiler.linemap import LineKeepingTransformer

__all__ = ["Hoisted", "hoist_async_generator_expressions"]


@dataclass
class Hoisted:
    """The hidden functions made so far in a module: name -> what they stand for."""

    sources: dict[str, str] = field(default_factory=dict)  # name -> the expression's source
    parameters: dict[str, str] = field(default_factory=dict)  # name -> its iterator parameter

    def __contains__(self, name: str) -> bool:
        return name in self.sources


def hoist_async_generator_expressions(
    body: cst.BaseSuite, fresh, spelled, source_of, note_origin, hoisted: Hoisted
) -> cst.BaseSuite:
    """``body`` of an async def with its own asynchronous generator expressions hoisted.

    ``fresh(prefix)`` gives names no identifier of the module uses,
    ``spelled(name)`` how generated code spells a runtime name.
    """
    if not _has_generator_expression(body):
        return body
    if isinstance(body, cst.SimpleStatementSuite):  # ``async def f(): return (...)``
        line = cst.SimpleStatementLine(list(body.body))
        note_origin(line, body)
        body = cst.IndentedBlock([line])
        note_origin(body, line)
    return body.visit(_Hoister(fresh, spelled, source_of, note_origin, hoisted))


def _has_generator_expression(node: cst.CSTNode) -> bool:
    finder = _GeneratorExpressionFinder()
    finder.walk(node)
    return finder.found


class _GeneratorExpressionFinder(Walker):
    def __init__(self):
        self.found = False

    def visit_GeneratorExp(self, node) -> bool:
        self.found = True
        return False


class _Walruses(Walker):
    """Whether a walrus binds in the scope around a comprehension (not inside a lambda)."""

    def __init__(self):
        self.found = False

    def visit_NamedExpr(self, node) -> None:
        self.found = True

    def visit_Lambda(self, node) -> bool:
        return False


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class _Hoister(LineKeepingTransformer):
    """Replace each asynchronous generator expression of the function's own scope.

    ``inner`` holds the nodes that open a scope of their own (a def's or
    lambda's body, a class body, what a comprehension evaluates in its own
    frame); ``depth`` counts those around the node being visited.  Each
    statement of the function's own scope collects the hidden functions made
    for the expressions in it, and is preceded by them.
    """

    def __init__(self, fresh, spelled, source_of, note_origin, hoisted: Hoisted):
        super().__init__(note_origin)
        self.fresh = fresh
        self.spelled = spelled
        self.source_of = source_of
        self.hoisted = hoisted
        self.inner: set[int] = set()
        self.elifs: set[int] = set()
        self.depth = 0
        self.pending: list[list[cst.FunctionDef]] = []

    # -- scopes ---------------------------------------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.inner:
            self.depth += 1
        if self.depth == 0:
            self._mark_inner_parts(node)
            if self._collects(node):
                self.pending.append([])
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        result = super().on_leave(original_node, updated_node)
        if self.depth == 0 and self._collects(original_node):
            hidden = self.pending.pop()
            if hidden:
                result = cst.FlattenSentinel([*hidden, result])
        if id(original_node) in self.inner:
            self.depth -= 1
        return result

    def _mark_inner_parts(self, node: cst.CSTNode) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            self.inner.add(id(node.body))
        elif isinstance(node, _COMPREHENSIONS):
            # Only the first iterable runs where the comprehension stands.
            parts = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
            first = node.for_in
            parts += [first.target, *first.ifs]
            if first.inner_for_in is not None:
                parts.append(first.inner_for_in)
            self.inner.update(id(part) for part in parts)
        elif isinstance(node, cst.If) and isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))

    def _collects(self, node: cst.CSTNode) -> bool:
        """Whether the node is a statement of a block, which hidden functions can precede."""
        return isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and (
            id(node) not in self.elifs
        )

    # -- the expressions ------------------------------------------------------------

    def leave_GeneratorExp(self, original_node, updated_node):
        if self.depth != 0 or not _is_asynchronous(original_node) or _has_walrus(original_node):
            return updated_node
        name = self.fresh("_genexpr")
        iterator = self.fresh("iterator")
        self.hoisted.sources[name] = self.source_of(original_node)
        self.hoisted.parameters[name] = iterator
        function = self._hidden_function(updated_node, name, iterator)
        self.note_origin(function, original_node)
        self.pending[-1].append(function)
        first = updated_node.for_in
        make_iterator = "async_iterator" if first.asynchronous is not None else "iter"
        argument = cst.Call(cst.Name(self.spelled(make_iterator)), [cst.Arg(first.iter)])
        call = cst.Call(
            cst.Name(name), [cst.Arg(argument)], lpar=updated_node.lpar, rpar=updated_node.rpar
        )
        self.note_origin(call, original_node)
        return call

    def _hidden_function(self, node: cst.GeneratorExp, name: str, iterator: str) -> cst.FunctionDef:
        clauses = []
        clause = node.for_in
        while clause is not None:
            clauses.append(clause)
            clause = clause.inner_for_in
        body: list[cst.BaseStatement] = [
            self._from(node.elt, cst.SimpleStatementLine([cst.Expr(cst.Yield(node.elt))]))
        ]
        for position, clause in reversed(list(enumerate(clauses))):
            for condition in reversed(clause.ifs):
                body = [self._from(condition, cst.If(test=condition.test, body=cst.IndentedBlock(body)))]
            if position == 0:
                body = [self._from(clause, self._first_loop(clause, iterator, body))]
            else:
                loop = cst.For(
                    target=clause.target,
                    iter=clause.iter,
                    body=cst.IndentedBlock(body),
                    asynchronous=clause.asynchronous and cst.Asynchronous(),
                )
                body = [self._from(clause, loop)]
        return cst.FunctionDef(
            name=cst.Name(name),
            params=cst.Parameters([cst.Param(cst.Name(iterator))]),
            body=cst.IndentedBlock(body),
            asynchronous=cst.Asynchronous(),
        )

    def _from(self, original: cst.CSTNode, statement: cst.BaseStatement) -> cst.BaseStatement:
        """``statement``, written for ``original``: it has its source lines."""
        self.note_origin(statement, original)
        return statement

    def _first_loop(self, clause: cst.CompFor, iterator: str, body) -> cst.While:
        """The first ``for``, over the iterator already made: items only, no ``iter()``.

        Discussion: the target is stored inside the ``try`` only when
        storing it cannot raise (a name); unpacking calls the item's
        ``__iter__``, and a setter or an ``__iter__`` that raises the
        loop's Stop... exception is not the end of the loop.
        """
        if clause.asynchronous is not None:
            step = cst.Await(
                cst.Call(cst.Name(self.spelled("next_awaitable")), [cst.Arg(cst.Name(iterator))])
            )
            stop = self.spelled("StopAsyncIteration")
        else:
            step = cst.Call(cst.Name(self.spelled("next")), [cst.Arg(cst.Name(iterator))])
            stop = self.spelled("StopIteration")
        if isinstance(clause.target, cst.Name):
            received, store = clause.target, []
        else:
            received = cst.Name(self.fresh("item"))
            store = [cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(clause.target)], received)])]
        take = cst.Try(
            body=cst.IndentedBlock(
                [cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(received)], step)])]
            ),
            handlers=[
                cst.ExceptHandler(
                    body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Break()])]),
                    type=cst.Name(stop),
                )
            ],
        )
        return cst.While(test=cst.Name("True"), body=cst.IndentedBlock([take, *store, *body]))


def _is_asynchronous(node: cst.GeneratorExp) -> bool:
    """An ``async for`` in it, or an await (async comprehensions too) outside its first iterable."""
    clause = node.for_in
    parts: list[cst.CSTNode] = [node.elt]
    while clause is not None:
        if clause.asynchronous is not None:
            return True
        if clause is not node.for_in:
            parts.append(clause.iter)
        parts += [condition.test for condition in clause.ifs]
        clause = clause.inner_for_in
    return any(contains_await(part) for part in parts)


def _has_walrus(node: cst.GeneratorExp) -> bool:
    finder = _Walruses()
    finder.walk(node)
    return finder.found
