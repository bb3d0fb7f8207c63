"""Expressions with ``await`` in them, taken apart in CPython's evaluation order.

An await can only happen at statement level in a state machine: ``resume``
returns there.  So ``f(a, await b)`` becomes

    _t1 = f            # spilled: evaluated before the await
    _t2 = a
    await b            # a Suspend; its result arrives as ``value``
    _t1(_t2, value)

Every value computed before an await of the same expression is spilled to a
temporary (an attribute of the machine, so that it survives the suspension),
and nothing after the last await is.  ``and``/``or``/``if-else`` and chained
comparisons keep short-circuiting: they become ``If`` nodes.

``expression(node)`` returns an await-free expression for ``node`` and
appends the statements that must run first to the current block.
"""

from __future__ import annotations

import libcst as cst

from statemachine_compiler.analysis.scopes import function_bindings, target_names
from statemachine_compiler.analysis.suspensions import contains_await
from statemachine_compiler.diagnostics import unsupported
from statemachine_compiler.emit.writer import code_of
from statemachine_compiler.lower.ir import If, Suspend

__all__ = ["ExpressionLowering", "signature_parts", "with_defaults"]

_CONSTANTS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis)


def assign(target: cst.BaseExpression, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(target)], standalone(value))])


def standalone(node: cst.BaseExpression) -> cst.BaseExpression:
    """Parenthesize a piece of an expression that spans lines.

    Inside the brackets of the expression it came from, a line break was
    fine; standing on its own it needs brackets of its own.
    """
    if node.lpar or "\n" not in code_of(node):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` as it can stand inside another expression: a bare tuple gets brackets.

    ``for i in 0, 2, 3:`` iterates a tuple; as an argument it would be three.
    """
    if isinstance(node, cst.Tuple) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def negated(test: cst.BaseExpression) -> cst.UnaryOperation:
    """``not test``, bracketed where ``not`` would bind tighter than ``test``'s own operator."""
    if isinstance(test, (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr)) and not test.lpar:
        test = test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.UnaryOperation(cst.Not(), test)


def _is_constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, _CONSTANTS):
        return True
    return isinstance(node, cst.Name) and node.value in ("None", "True", "False")


class ExpressionLowering:
    """Mixin of the Lowerer: the expression half (``explodeExpression``)."""

    # Provided by the Lowerer: out (current block), new_state(), new_temp(),
    # line_of(node), source_of(node), value_name, lower_into(block) context.

    def expression(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """Return ``node`` without awaits, emitting what must run before it."""
        if not contains_await(node):
            return node
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise unsupported(self.filename, self.position(node), _describe(node))
        return method(node)

    def spill(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """Save an already computed value in a temporary that outlives the next await."""
        if _is_constant(node) or self.is_temp(node):
            return node
        if node is self.last_result and self.out and isinstance(self.out[-1], Suspend):
            # The await's result goes straight into the temporary on resume.
            temp = self.new_temp()
            self.out[-1].target = temp
            return temp
        temp = self.new_temp()
        self.emit(assign(temp, node))
        return temp

    def sequence(self, nodes: list[cst.BaseExpression]) -> list[cst.BaseExpression]:
        """Evaluate ``nodes`` left to right; spill each one that a later await follows."""
        results = []
        for index, node in enumerate(nodes):
            result = self.expression(node)
            if any(contains_await(later) for later in nodes[index + 1 :]):
                result = self.spill(result)
            results.append(result)
        return results

    # -- one method per expression type --------------------------------------------

    def _exit_in_a_handling(self, awaitable: cst.BaseExpression) -> bool:
        """Whether ``awaitable`` is ``_with1.exit(caught)`` of an ``async with``: a Handling already."""
        return (
            isinstance(awaitable, cst.Call)
            and len(awaitable.args) == 1
            and isinstance(awaitable.func, cst.Attribute)
            and awaitable.func.attr.value == "exit"
            and isinstance(awaitable.func.value, cst.Name)
            and awaitable.func.value.value in self.handling_exits
        )

    def expr_Await(self, node: cst.Await) -> cst.BaseExpression:
        awaitable = self.expression(node.expression)
        # A suspended coroutine is at its await's line, not its statement's first.
        line = self.line_of(node)
        suspend = Suspend(
            state=self.new_state(line),
            awaitable=awaitable,
            target=None,
            line=line,
            source=self.source_of(node),
            handling=False if self._exit_in_a_handling(awaitable) else self.handling_now(),
        )
        self.out.append(suspend)
        result = cst.Name(self.value_name)
        self.last_result = result
        return result

    def expr_Yield(self, node: cst.Yield) -> cst.BaseExpression:
        if isinstance(node.value, cst.From):
            raise unsupported(self.filename, self.position(node), "yield from in an async generator")
        value = self.expression(node.value) if node.value is not None else cst.Name("None")
        line = self.line_of(node)
        suspend = Suspend(
            state=self.new_state(line),
            awaitable=value,
            target=None,
            line=line,
            source=self.source_of(node),
            kind="yield",
            handling=self.handling_now(),
        )
        self.out.append(suspend)
        result = cst.Name(self.value_name)
        self.last_result = result
        return result

    def expr_BinaryOperation(self, node):
        left, right = self.sequence([node.left, node.right])
        return node.with_changes(left=left, right=right)

    def expr_UnaryOperation(self, node):
        return node.with_changes(expression=self.expression(node.expression))

    def expr_Attribute(self, node):
        return node.with_changes(value=self.expression(node.value))

    def expr_BooleanOperation(self, node):
        # ``a and b``: b runs only if a is true; the result is a or b itself.
        left = self.expression(node.left)
        if not contains_await(node.right):
            return node.with_changes(left=left)
        result = self.new_temp()
        self.emit(assign(result, left))
        test = result
        if isinstance(node.operator, cst.Or):
            test = cst.UnaryOperation(cst.Not(), result)
        with self.block() as body:
            self.emit(assign(result, self.expression(node.right)))
        self.out.append(If(test=test, body=body, line=self.line_of(node)))
        return result

    def expr_IfExp(self, node):
        test = self.expression(node.test)
        if not (contains_await(node.body) or contains_await(node.orelse)):
            return node.with_changes(test=test)
        result = self.new_temp()
        with self.block() as body:
            self.emit(assign(result, self.expression(node.body)))
        with self.block() as orelse:
            self.emit(assign(result, self.expression(node.orelse)))
        self.out.append(If(test=test, body=body, orelse=orelse, line=self.line_of(node)))
        return result

    def expr_Comparison(self, node):
        # ``a < b < c`` is ``a < b and b < c`` with b evaluated once.
        left = self.expression(node.left)
        targets = list(node.comparisons)
        if any(contains_await(t.comparator) for t in targets):
            left = self.spill(left)
        return self._compare(left, targets, node)

    def _compare(self, left, targets, node):
        first, rest = targets[0], targets[1:]
        if not any(contains_await(t.comparator) for t in rest):
            right = self.expression(first.comparator)
            return node.with_changes(
                left=left, comparisons=[first.with_changes(comparator=right), *rest]
            )
        right = self.spill(self.expression(first.comparator))
        result = self.new_temp()
        self.emit(
            assign(
                result,
                cst.Comparison(left, [first.with_changes(comparator=right)]),
            )
        )
        with self.block() as body:
            self.emit(assign(result, self._compare(right, rest, node)))
        self.out.append(If(test=result, body=body, line=self.line_of(node)))
        return result

    def expr_Call(self, node):
        # CPython evaluates the callee, then the positional and ``*`` arguments,
        # then the keyword and ``**`` ones, whatever order they are written in.
        positional = [a for a in node.args if a.keyword is None and a.star != "**"]
        keywords = [a for a in node.args if a.keyword is not None or a.star == "**"]
        order = [None, *positional, *keywords]  # None stands for the callee
        parts = [node.func, *(a.value for a in positional), *(a.value for a in keywords)]
        values = {}
        for index, (arg, part) in enumerate(zip(order, parts, strict=True)):
            value = self.expression(part)
            if any(contains_await(later) for later in parts[index + 1 :]):
                value = self._spill_argument(value, arg.star if arg is not None else "")
            values[id(arg)] = value
        args = [arg.with_changes(value=values[id(arg)]) for arg in node.args]
        return node.with_changes(func=values[id(None)], args=args)

    def _spill_argument(self, value, star: str):
        # ``*xs`` is iterated (``**kw`` merged) where it stands, before later
        # arguments are evaluated: spill the materialised sequence or mapping.
        if star == "*":
            return self.spill(cst.Tuple([cst.StarredElement(value)]))
        if star == "**":
            return self.spill(cst.Dict([cst.StarredDictElement(value)]))
        return self.spill(value)

    def expr_Subscript(self, node):
        parts = [node.value]
        for element in node.slice:
            inner = element.slice
            if isinstance(inner, cst.Index):
                parts.append(inner.value)
            else:
                parts.extend(p for p in (inner.lower, inner.upper, inner.step) if p is not None)
        values = iter(self.sequence(parts))
        value = next(values)
        elements = []
        for element in node.slice:
            inner = element.slice
            if isinstance(inner, cst.Index):
                inner = inner.with_changes(value=next(values))
            else:
                inner = inner.with_changes(
                    lower=next(values) if inner.lower is not None else None,
                    upper=next(values) if inner.upper is not None else None,
                    step=next(values) if inner.step is not None else None,
                )
            elements.append(element.with_changes(slice=inner))
        return node.with_changes(value=value, slice=elements)

    def _elements(self, node):
        elements = list(node.elements)
        new = []
        for index, element in enumerate(elements):
            value = self.expression(element.value)
            if any(contains_await(later.value) for later in elements[index + 1 :]):
                if isinstance(element, cst.StarredElement):
                    value = self.spill(cst.Tuple([cst.StarredElement(value)]))
                else:
                    value = self.spill(value)
            new.append(element.with_changes(value=value))
        return node.with_changes(elements=new)

    expr_Tuple = expr_List = expr_Set = _elements

    def expr_Dict(self, node):
        parts = []  # (expression, whether it is a ``**`` element)
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                parts += [(element.key, False), (element.value, False)]
            else:
                parts.append((element.value, True))
        values = []
        for index, (part, merged) in enumerate(parts):
            value = self.expression(part)
            if any(contains_await(later) for later, _ in parts[index + 1 :]):
                # ``**m`` is merged where it stands: spill the merged mapping.
                value = self.spill(cst.Dict([cst.StarredDictElement(value)]) if merged else value)
            values.append(value)
        remaining = iter(values)
        new = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                new.append(element.with_changes(key=next(remaining), value=next(remaining)))
            else:
                new.append(element.with_changes(value=next(remaining)))
        return node.with_changes(elements=new)

    def expr_FormattedString(self, node):
        parts = list(node.parts)
        expressions = [p for p in parts if isinstance(p, cst.FormattedStringExpression)]
        new_parts = []
        for part in parts:
            if not isinstance(part, cst.FormattedStringExpression):
                new_parts.append(part)
                continue
            if part.format_spec is not None and any(
                contains_await(s) for s in part.format_spec
            ):
                raise unsupported(self.filename, self.position(node), "await in a format spec")
            value = self.expression(part.expression)
            later = expressions[expressions.index(part) + 1 :]
            if any(contains_await(p.expression) for p in later):
                # Formatting happens where the field stands: spill the text.
                piece = node.with_changes(parts=[part.with_changes(expression=value)])
                value = self.spill(piece)
                part = cst.FormattedStringExpression(expression=value)
            new_parts.append(part.with_changes(expression=value))
        return node.with_changes(parts=new_parts)

    def expr_ConcatenatedString(self, node):
        left, right = self.sequence([node.left, node.right])
        return node.with_changes(left=left, right=right)

    # -- comprehensions that await: written out as the loops they stand for -----------

    def _comprehension(self, node, empty: cst.BaseExpression, add):
        """``[elt for x in xs if c]`` -> ``_list1 = []`` and a loop appending to it.

        The comprehension's variables are renamed to temporaries: in Python
        they belong to the comprehension's own scope, not to the function.
        """
        first_iter = self.expression(node.for_in.iter)
        renames = {name: self.new_temp(f"_{name}").value for name in _comprehension_targets(node)}
        renamed = node.visit(_Renamer(renames))
        renamed = renamed.with_changes(for_in=renamed.for_in.with_changes(iter=first_iter))
        result = self.new_temp({"ListComp": "_list", "SetComp": "_set", "DictComp": "_dict"}[type(node).__name__])
        self.emit(assign(result, empty))
        self.statement(_loops(renamed.for_in, add(result, renamed)))
        return result

    def expr_ListComp(self, node):
        return self._comprehension(
            node,
            cst.List([]),
            lambda result, n: [
                cst.SimpleStatementLine(
                    [cst.Expr(cst.Call(cst.Attribute(result, cst.Name("append")), [cst.Arg(n.elt)]))]
                )
            ],
        )

    def expr_SetComp(self, node):
        return self._comprehension(
            node,
            cst.Call(self.builtin("set")),
            lambda result, n: [
                cst.SimpleStatementLine(
                    [cst.Expr(cst.Call(cst.Attribute(result, cst.Name("add")), [cst.Arg(n.elt)]))]
                )
            ],
        )

    def expr_DictComp(self, node):
        def add(result, n):
            # The key is evaluated before the value, as in the comprehension.
            key = self.new_temp("_key")
            return [
                assign(key, n.key),
                assign(cst.Subscript(result, [cst.SubscriptElement(cst.Index(key))]), n.value),
            ]

        return self._comprehension(node, cst.Dict([]), add)

    def expr_GeneratorExp(self, node):
        # Only the first iterable is evaluated here; the rest runs when the
        # generator is iterated, in its own frame.
        first = node.for_in
        return node.with_changes(for_in=first.with_changes(iter=self.expression(first.iter)))

    def expr_Lambda(self, node):
        # Its defaults are evaluated where it stands, left to right.
        parts = signature_parts(node.params)
        values = self.sequence([param.default for param in parts])
        return node.with_changes(params=with_defaults(node.params, parts, values))

    def expr_NamedExpr(self, node):
        value = self.spill(self.expression(node.value))
        self.emit(assign(node.target, value))
        return value


def signature_parts(params: cst.Parameters) -> list[cst.Param]:
    """The parameters whose defaults a signature evaluates, in CPython's order.

    Positional defaults, then keyword-only ones.  (Annotations cannot await:
    CPython rejects it.)
    """
    positional = [p for p in [*params.posonly_params, *params.params] if p.default is not None]
    return positional + [p for p in params.kwonly_params if p.default is not None]


def with_defaults(params: cst.Parameters, parts: list[cst.Param], values) -> cst.Parameters:
    """``params`` with the defaults of ``parts`` replaced by ``values``."""
    defaults = {id(param): value for param, value in zip(parts, values, strict=True)}

    def one(param):
        if isinstance(param, cst.Param) and id(param) in defaults:
            return param.with_changes(default=defaults[id(param)])
        return param

    return params.with_changes(
        posonly_params=[one(p) for p in params.posonly_params],
        params=[one(p) for p in params.params],
        kwonly_params=[one(p) for p in params.kwonly_params],
    )


def _loops(first: cst.CompFor, innermost: list[cst.BaseStatement]) -> cst.BaseStatement:
    """The nested ``for``/``if`` statements a comprehension's clauses stand for."""
    clauses = []
    clause = first
    while clause is not None:
        clauses.append(clause)
        clause = clause.inner_for_in
    body = innermost
    for clause in reversed(clauses):
        for condition in reversed(clause.ifs):
            body = [cst.If(test=condition.test, body=cst.IndentedBlock(body))]
        loop = cst.For(
            target=clause.target,
            iter=clause.iter,
            body=cst.IndentedBlock(body),
            asynchronous=clause.asynchronous,
        )
        body = [loop]
    return body[0]


def _comprehension_targets(node) -> list[str]:
    names: list[str] = []
    clause = node.for_in
    while clause is not None:
        names += [n for n in target_names(clause.target) if n not in names]
        clause = clause.inner_for_in
    return names


def _describe(node: cst.CSTNode) -> str:
    kinds = {
        "ListComp": "await inside a list comprehension",
        "SetComp": "await inside a set comprehension",
        "DictComp": "await inside a dict comprehension",
        "GeneratorExp": "await inside a generator expression",
        "Yield": "yield inside async def (async generators)",
    }
    name = type(node).__name__
    return kinds.get(name, f"await inside {name}")


class _Renamer(cst.CSTTransformer):
    """Give a comprehension's variables new names (they are not the function's locals)."""

    def __init__(self, renames: dict[str, str]):
        self.renames = renames

    def leave_Name(self, original_node, updated_node):
        new = self.renames.get(original_node.value)
        return updated_node.with_changes(value=new) if new else updated_node

    def leave_Attribute(self, original_node, updated_node):
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node, updated_node):
        return updated_node.with_changes(keyword=original_node.keyword)

    def _shadows(self, node) -> bool:
        params = getattr(node, "params", None)
        bound = function_bindings(params, node.body if hasattr(node, "body") else node).locals
        return bool(bound & set(self.renames))

    def visit_Lambda(self, node) -> bool:
        return not self._shadows(node)

    def visit_FunctionDef(self, node) -> bool:
        return not self._shadows(node)

    def visit_ClassDef(self, node) -> bool:
        return False
