"""Statements with ``await`` in them, turned into the lowered tree of ``ir``.

``lower_block`` routes; each ``stmt_X`` handles one statement type and reads
like what the construct means.  Statements without an await are kept as they
are (a ``Plain`` node).  Python's own control flow is kept: an ``if`` stays an
``if``, a ``while`` a ``while``; a ``for`` loop whose body awaits becomes a
``while`` over an iterator kept in the machine, because a suspended ``for``
could not be re-entered without restarting its iterator.
"""

from __future__ import annotations

from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState

from statemachine_compiler.analysis.scopes import Scope
from statemachine_compiler.analysis.suspensions import contains_await
from statemachine_compiler.analysis.walk import Walker
from statemachine_compiler.diagnostics import unsupported
from statemachine_compiler.lower.exceptions import ExceptionLowering
from statemachine_compiler.lower.expressions import (
    ExpressionLowering,
    assign,
    negated,
    parenthesized,
    signature_parts,
    standalone,
    with_defaults,
)
from statemachine_compiler.lower.ir import If, Node, Plain, Suspend, While
from statemachine_compiler.lower.jumps import jump_kinds
from statemachine_compiler.lower.templates import parse_template_statement

__all__ = ["Lowerer", "first_line_of"]


class _FirstLinePrinted(Exception):
    """Printing stops: the first line of the statement is written."""


class _FirstLineState(CodegenState):
    """Printing that stops at the first token with text after the first line's end."""

    started = False  # text printed (not only whitespace)
    ended = False  # and a newline after it

    def add_token(self, value: str) -> None:
        if value.strip():
            if self.ended:
                raise _FirstLinePrinted
            self.ended = "\n" in (value if self.started else value.lstrip())
            self.started = True
        elif self.started and "\n" in value:
            self.ended = True
        self.tokens.append(value)


def first_line_of(statement: cst.CSTNode) -> str:
    """``code_for_node(statement).strip().splitlines()[0]``, without printing the rest.

    Discussion: lowering names each statement that awaits by its first line,
    and printing the whole statement for it, at every level of nesting (a
    ``try``, the ``with`` in it, the ``for`` in that), was a tenth of a
    compile (issue 12).  Printing stops at the first token with text after a
    newline: what is printed then holds the whole first line, and what
    ``strip`` would take off the end of the whole is after it.
    """
    state = _FirstLineState(default_indent="    ", default_newline="\n")
    try:
        statement._codegen(state)
    except _FirstLinePrinted:
        return "".join(state.tokens).lstrip().splitlines()[0]
    return "".join(state.tokens).strip().splitlines()[0]


class _BuiltinMarker(Walker):
    """Puts each ``Name`` among ``names`` in ``protected`` (one class: its walking plans are kept)."""

    def __init__(self, names: set[str], protected: dict[int, cst.Name]):
        self.names = names
        self.protected = protected

    def visit_Name(self, name: cst.Name) -> None:
        if name.value in self.names:
            self.protected[id(name)] = name


class Lowerer(ExpressionLowering, ExceptionLowering):
    """Lower one async function body into ``ir`` nodes, numbering its states."""

    def __init__(
        self,
        *,
        filename: str,
        scope: Scope,
        fresh,
        positions,
        source_of,
        first_line,
        note_origin=None,
        resume_local=None,
        header_of=None,
    ):
        self.filename = filename
        self.scope = scope
        self.fresh = fresh  # fresh(prefix) -> a name no source identifier uses
        self.positions = positions  # node -> (line, column) of the source
        # note_origin(new, original): a node rebuilt from a source node keeps its line
        self.note_origin = note_origin or (lambda new, original: None)
        self.code_of = source_of
        # header_of(statement): its first line as the source has it, or None (then printed)
        self.header_of = header_of or (lambda statement: None)
        self.out: list[Node] = []
        self.lines = [first_line]  # source line of each state; state 0 is the def
        self.last_result: cst.Name | None = None
        self.current: tuple[int, int] = (first_line, 0)
        # resume's parameters: named so only where the function spells them plainly too.
        resume_local = resume_local or fresh
        self.value_name = resume_local("value")
        self.error_name = resume_local("error")
        self.item_name = fresh("item")
        self.protected = scope.protected
        # The except (None) and finally (its jump record) clauses around the code
        # being lowered.
        self.handling: list[cst.BaseExpression | None] = []
        self.statement_text = ""  # first line of the source statement being lowered
        # What each temporary holds, for letting go of it where CPython pops it:
        # "value" (an expression's: let go of after its statement), "statement"
        # (a loop's iterator, a clause's exception: its statement lets go of it
        # when it ends, the handler it is left for when it raises) or "flag"
        # (nothing an object's lifetime depends on).
        self.temp_kinds: dict[str, str] = {}
        self.temp_lines: dict[str, int] = {}  # the line of the statement that made each
        self.let_go: set[str] = set()  # the values already let go of after their statement
        self.handling_exits: set[str] = set()  # the async with slots whose exit(caught) is a Handling
        # The iterators of the loops a return can leave.
        self.returning_loops: set[str] = set()

    # -- verbs ----------------------------------------------------------------------

    def new_state(self, line: int | None = None) -> int:
        """A new state, waiting at ``line`` (by default the statement's first line)."""
        self.lines.append(self.current[0] if line is None else line)
        return len(self.lines) - 1

    def new_temp(self, prefix: str = "_t", holds: str = "value") -> cst.Name:
        """A slot of the compiler's; ``holds`` says who lets go of it (see ``temp_kinds``)."""
        name = self.fresh(prefix, numbered=True)
        self.scope.bound.add(name)
        self.scope.temporaries.append(name)
        self.temp_kinds[name] = holds
        self.temp_lines[name] = self.current[0]
        return cst.Name(name)

    def let_go_of(self, names: list[str]) -> Plain | None:
        """``_t1 = _t2 = None``: the statement (or the part of it) that needed them has ended.

        Natively what they hold was on the interpreter's stack, popped there.
        """
        if not names:
            return None
        targets = [cst.AssignTarget(cst.Name(name)) for name in names]
        return Plain([cst.SimpleStatementLine([cst.Assign(targets, cst.Name("None"))])], line=self.current[0])

    def unwinding(self, held: list[str]) -> Plain | None:
        """``_t2 = _t1 = _it1 = None``, for a handler an exception leaves ``held`` for.

        Natively what they hold is popped off the stack as the exception
        unwinds it: innermost (last made) first, at the line that raised,
        before the handler is entered.  The line is taken to be that of the
        statement that made the last of them: the one that raised, when a
        statement holding values does.
        """
        unwound = self.let_go_of(list(reversed(held)))
        if unwound is not None:
            unwound.line = self.temp_lines[held[-1]]
        return unwound

    def new_iterator(self, prefix: str, body: cst.BaseSuite) -> cst.Name:
        """The slot of a loop's iterator, which a ``finally`` after the loop lets go of first."""
        iterator = self.new_temp(prefix, holds="statement")
        if "return" in jump_kinds(_statements(body)):
            self.returning_loops.add(iterator.value)
        return iterator

    def iterators_returned_from(self, held: list[str]) -> Plain | None:
        """``_it2 = _it1 = None``: an awaiting ``finally`` starting lets go of the loops a return left, innermost first.

        Natively a return pops a loop's iterator as it leaves the loop:
        before the ``finally`` around it runs (an exception's are let go
        of in the clause that records it: ``unwinding``).
        """
        return self.let_go_of([name for name in reversed(held) if name in self.returning_loops])

    def values_made_since(self, made: int) -> list[str]:
        """The values the temporaries made since ``made`` hold that no statement has let go of yet."""
        names = [
            name
            for name in self.scope.temporaries[made:]
            if self.temp_kinds.get(name) == "value" and name not in self.let_go
        ]
        self.let_go.update(names)
        return names

    def held_in(self, made: int, until: int) -> list[str]:
        """What the temporaries made between ``made`` and ``until`` hold: all that leaving them for a handler lets go of."""
        return [name for name in self.scope.temporaries[made:until] if self.temp_kinds.get(name) != "flag"]

    def is_temp(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value in self.scope.temporaries

    def builtin(self, name: str) -> cst.Name:
        """A name the compiler means as the global/builtin one, never a user's local."""
        node = cst.Name(name)
        self.protected[id(node)] = node
        return node

    def protect(self, node: cst.CSTNode, names: set[str]) -> None:
        """Mark the builtins ``names`` in compiler-made ``node`` as never rewritten."""
        _BuiltinMarker(names, self.protected).walk(node)

    def emit(self, statement: cst.BaseStatement) -> None:
        if self.out and isinstance(self.out[-1], Plain):
            self.out[-1].statements.append(statement)
        else:
            self.out.append(Plain([statement], line=self.current[0]))

    @contextmanager
    def handling_exception(self, jump: cst.BaseExpression | None = None):
        """Lower code that runs while an exception is being handled.

        In a ``finally`` clause (``jump``: its completion record) only when
        the record says an exception is on its way through.
        """
        self.handling.append(jump)
        try:
            yield
        finally:
            self.handling.pop()

    def handling_now(self) -> bool | tuple[cst.BaseExpression, ...]:
        """What ``Suspend.handling`` says for a suspension written now."""
        if not self.handling:
            return False
        if any(jump is None for jump in self.handling):
            return True
        return tuple(self.handling)

    @contextmanager
    def block(self):
        saved = self.out
        self.out = []
        try:
            yield self.out
        finally:
            self.out = saved

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        return self.positions(node) or self.current

    def line_of(self, node: cst.CSTNode) -> int:
        return self.position(node)[0]

    def source_of(self, node: cst.CSTNode) -> str:
        """The source text of an await, for the comment on its state.

        An await the compiler wrote itself (``async with``, ``async for``)
        has no text of its own: the comment shows the statement's first line.
        """
        if self.positions(node) is None and self.statement_text:
            text = self.statement_text
        else:
            text = " ".join(self.code_of(node).split())
        return text if len(text) <= 60 else text[:57] + "..."

    # -- routing --------------------------------------------------------------------

    def lower_block(self, statements) -> list[Node]:
        with self.block() as out:
            for statement in statements:
                self.statement(statement)
        return out

    def lower_suite(self, suite: cst.BaseSuite) -> list[Node]:
        if isinstance(suite, cst.IndentedBlock):
            return self.lower_block(suite.body)
        return self.lower_block([cst.SimpleStatementLine(list(suite.body))])

    def statement(self, node: cst.BaseStatement) -> None:
        if _declares_only(node):  # declared once, at the top of resume: only its comments stay
            comments = [line.comment.value for line in node.leading_lines if line.comment is not None]
            if comments:
                position = self.positions(node) or self.current
                self.out.append(Plain([], line=position[0], comments=comments))
            return
        if not contains_await(node):
            self.emit(node)
            return
        if self.positions(node) is not None:
            self.current = self.position(node)
            header = self.header_of(node) or first_line_of(node.with_changes(leading_lines=[]))
            self.statement_text = header.rstrip(":").strip()
            comments = [line.comment.value for line in node.leading_lines if line.comment is not None]
            if comments:  # kept above what the statement becomes
                self.out.append(Plain([], line=self.current[0], comments=comments))
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is None:
            raise unsupported(self.filename, self.current, _describe_statement(node))
        made = len(self.scope.temporaries)
        method(node)
        # What its header's expressions kept (an if's test, a match's subject).
        self._append(self.let_go_of(self.values_made_since(made)))

    def _append(self, node: Node | None) -> None:
        if node is not None:
            self.out.append(node)

    def stmt_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        for small in node.body:
            if not contains_await(small):
                self.emit(cst.SimpleStatementLine([small]))
                continue
            self.current = self.position(small)
            method = getattr(self, "small_" + type(small).__name__, None)
            if method is None:
                raise unsupported(self.filename, self.current, _describe_statement(small))
            made = len(self.scope.temporaries)
            method(small)
            held = self.values_made_since(made)
            if not isinstance(small, (cst.Return, cst.Raise)):  # after those, nothing runs
                self._append(self.let_go_of(held))

    # -- simple statements -------------------------------------------------------------

    def small_Expr(self, node: cst.Expr) -> None:
        value = self.expression(node.value)
        if value is self.last_result:
            return  # ``await f()`` on its own: the result is dropped
        self.emit(cst.SimpleStatementLine([node.with_changes(value=standalone(value))]))

    def small_Assign(self, node: cst.Assign) -> None:
        if any(contains_await(t.target) for t in node.targets):
            value = self.spill(self.expression(node.value))
            for target in node.targets:
                self.store(target.target, value)
            return
        value = self.expression(node.value)
        if len(node.targets) == 1 and self._result_goes_to(value, node.targets[0].target):
            return
        self.emit(cst.SimpleStatementLine([node.with_changes(value=value)]))

    def small_AnnAssign(self, node: cst.AnnAssign) -> None:
        # In a function body an annotation of a local is never evaluated.
        if node.value is None:
            self.emit(cst.SimpleStatementLine([cst.Pass()]))
            return
        self.small_Assign(cst.Assign([cst.AssignTarget(node.target)], node.value))

    def _result_goes_to(self, value, target) -> bool:
        """``x = await f()``: let the resume point store the result directly."""
        last = self.out[-1] if self.out else None
        if value is self.last_result and isinstance(last, Suspend) and last.target is None:
            last.target = target
            return True
        return False

    def store(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """Assign to a target whose subexpressions may await (evaluated after the value)."""
        if isinstance(target, cst.Attribute):
            target = target.with_changes(value=self.expression(target.value))
        elif isinstance(target, cst.Subscript):
            target = self.expr_Subscript(target)
        elif contains_await(target):
            raise unsupported(self.filename, self.position(target), "await inside an unpacking target")
        self.emit(assign(target, value))

    def small_AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target
        if not contains_await(node.value):
            # Only the target awaits: evaluate its parts, then update in place.
            if isinstance(target, cst.Attribute):
                target = target.with_changes(value=self.expression(target.value))
            else:
                target = self.expr_Subscript(target)
            self.emit(cst.SimpleStatementLine([node.with_changes(target=target)]))
            return
        # The target's current value is read before the await.
        if isinstance(target, cst.Name):
            store = target
        elif isinstance(target, cst.Attribute):
            store = target.with_changes(value=self.spill(self.expression(target.value)))
        elif isinstance(target, cst.Subscript):
            container = self.spill(self.expression(target.value))
            keyed = self.expr_Subscript(target.with_changes(value=container))
            elements = [
                e.with_changes(slice=e.slice.with_changes(value=self.spill(e.slice.value)))
                if isinstance(e.slice, cst.Index)
                else e
                for e in keyed.slice
            ]
            store = keyed.with_changes(slice=elements)
        else:
            raise unsupported(self.filename, self.current, "augmented assignment target")
        current = self.spill(store)
        value = self.expression(node.value)
        self.emit(
            cst.SimpleStatementLine(
                [cst.AugAssign(target=current, operator=node.operator, value=standalone(value))]
            )
        )
        self.emit(assign(store, current))

    def small_Return(self, node: cst.Return) -> None:
        value = self.expression(node.value)
        self.emit(cst.SimpleStatementLine([node.with_changes(value=standalone(value) if value else None)]))

    def small_Raise(self, node: cst.Raise) -> None:
        parts = [node.exc] + ([node.cause.item] if node.cause is not None else [])
        values = self.sequence(parts)
        cause = node.cause.with_changes(item=values[1]) if node.cause is not None else None
        self.emit(cst.SimpleStatementLine([node.with_changes(exc=values[0], cause=cause)]))

    def small_Assert(self, node: cst.Assert) -> None:
        # ``assert t, m`` is ``if __debug__: if not t: raise AssertionError(m)``.
        with self.block() as checked:
            test = self.expression(node.test)
            with self.block() as failing:
                if node.msg is None:
                    error = self.builtin("AssertionError")
                else:
                    error = cst.Call(self.builtin("AssertionError"), [cst.Arg(self.expression(node.msg))])
                self.emit(cst.SimpleStatementLine([cst.Raise(exc=error)]))
            self.out.append(If(test=negated(test), body=failing, line=self.current[0]))
        self.out.append(If(test=self.builtin("__debug__"), body=checked, line=self.current[0]))

    def small_Del(self, node: cst.Del) -> None:
        targets = node.target.elements if isinstance(node.target, cst.Tuple) else None
        for target in [e.value for e in targets] if targets is not None else [node.target]:
            if isinstance(target, cst.Attribute):
                target = target.with_changes(value=self.expression(target.value))
            elif isinstance(target, cst.Subscript):
                target = self.expr_Subscript(target)
            elif contains_await(target):
                raise unsupported(self.filename, self.position(target), "await inside a del target")
            self.emit(cst.SimpleStatementLine([cst.Del(target)]))

    # -- definitions whose decorators, defaults, annotations or bases await ---------------

    def stmt_FunctionDef(self, node: cst.FunctionDef) -> None:
        # CPython's order: decorators, then defaults (annotations, which
        # cannot await, after them).  Each becomes the value it had, in a
        # temporary when a later one awaits; the def is then an ordinary
        # statement.
        self._no_type_parameters(node)
        parts = signature_parts(node.params)
        values = self.sequence([d.decorator for d in node.decorators] + [p.default for p in parts])
        decorators = [d.with_changes(decorator=v) for d, v in zip(node.decorators, values, strict=False)]
        params = with_defaults(node.params, parts, values[len(decorators) :])
        self.emit_definition(node, node.with_changes(decorators=decorators, params=params))

    def stmt_ClassDef(self, node: cst.ClassDef) -> None:
        # Decorators, then the bases and keywords as the arguments of a call.
        self._no_type_parameters(node)
        arguments = [*node.bases, *node.keywords]
        parts = [(None, d.decorator) for d in node.decorators] + [(a.star, a.value) for a in arguments]
        values = []
        for index, (star, part) in enumerate(parts):
            value = self.expression(part)
            if any(contains_await(later) for _, later in parts[index + 1 :]):
                value = self.spill(value) if star is None else self._spill_argument(value, star)
            values.append(value)
        decorators = [d.with_changes(decorator=v) for d, v in zip(node.decorators, values, strict=False)]
        values = values[len(decorators) :]
        arguments = [a.with_changes(value=v) for a, v in zip(arguments, values, strict=True)]
        bases, keywords = arguments[: len(node.bases)], arguments[len(node.bases) :]
        self.emit_definition(node, node.with_changes(decorators=decorators, bases=bases, keywords=keywords))

    def emit_definition(self, original: cst.CSTNode, node: cst.CSTNode) -> None:
        self.note_origin(node, original)
        self.emit(node)

    def _no_type_parameters(self, node) -> None:
        if getattr(node, "type_parameters", None) is not None:  # natively a SyntaxError
            raise unsupported(self.filename, self.position(node), "await in a generic definition")

    # -- compound statements -------------------------------------------------------------

    def stmt_If(self, node: cst.If) -> None:
        test = self.expression(node.test)
        body = self.lower_suite(node.body)
        orelse: list[Node] = []
        if isinstance(node.orelse, cst.If):
            orelse = self.lower_block([node.orelse])
        elif isinstance(node.orelse, cst.Else):
            orelse = self.lower_suite(node.orelse.body)
        self.out.append(If(test=test, body=body, orelse=orelse, line=self.line_of(node)))

    def stmt_While(self, node: cst.While) -> None:
        # States are numbered in source order: the body before the else.
        line = self.line_of(node)
        if not contains_await(node.test):
            body = self.lower_suite(node.body)
            orelse = self.lower_suite(node.orelse.body) if node.orelse is not None else []
            self.out.append(While(test=node.test, body=body, orelse=orelse, line=line))
            return
        # The test itself awaits: it becomes the first statements of the body.
        # A flag in the machine tells the loop ending because the test was false
        # (run ``else``) from a ``break``.
        ended = self.new_temp("_ended", holds="flag") if node.orelse is not None else None
        if ended is not None:
            self.emit(assign(ended, cst.Name("False")))
        with self.block() as body:
            test = self.expression(node.test)
            with self.block() as stop:
                if ended is not None:
                    self.emit(assign(ended, cst.Name("True")))
                self.emit(cst.SimpleStatementLine([cst.Break()]))
            self.out.append(If(test=negated(test), body=stop, line=line))
            body.extend(self.lower_suite(node.body))
        self.out.append(While(test=None, body=body, line=line))
        if ended is not None:
            orelse = self.lower_suite(node.orelse.body)
            self.out.append(If(test=ended, body=orelse, line=line))

    def stmt_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self.async_for(node)
            return
        if contains_await(node.target):
            raise unsupported(self.filename, self.position(node.target), "await inside a for target")
        line = self.line_of(node)
        iterable = parenthesized(self.expression(node.iter))
        iterator = self.new_iterator("_it", node.body)
        self.emit(assign(iterator, cst.Call(self.builtin("iter"), [cst.Arg(iterable)])))
        item = cst.Name(self.item_name)
        exhausted = self.builtin("EXHAUSTED")
        fetch = cst.NamedExpr(
            target=item,
            value=cst.Call(self.builtin("next"), [cst.Arg(iterator), cst.Arg(exhausted)]),
            lpar=[cst.LeftParen()],
            rpar=[cst.RightParen()],
        )
        test = cst.Comparison(
            fetch, [cst.ComparisonTarget(cst.IsNot(), self.builtin("EXHAUSTED"))]
        )
        with self.block() as body:
            self.emit(assign(node.target, cst.Name(self.item_name)))
            # Natively only the target holds the item from here on.
            self.emit(cst.SimpleStatementLine([cst.Del(cst.Name(self.item_name))]))
            body.extend(self.lower_suite(node.body))
        orelse = self.lower_suite(node.orelse.body) if node.orelse is not None else []
        if orelse:
            orelse.insert(0, self.let_go_of([iterator.value]))  # natively popped when it ran out
        self.out.append(While(test=test, body=body, orelse=orelse, line=line))
        self.emit(assign(iterator, cst.Name("None")))  # the loop lets go of its iterator

    def async_for(self, node: cst.For) -> None:
        """``async for`` as PEP 492 spells it out, lowered like the code it stands for."""
        iterator = self.new_iterator("_ait", node.body)
        call = cst.Call(self.builtin("async_iterator"), [cst.Arg(parenthesized(self.expression(node.iter)))])
        self.emit(assign(iterator, call))
        ended = self.new_temp("_ended", holds="flag") if node.orelse is not None else None
        if ended is not None:
            self.emit(assign(ended, cst.Name("False")))
        # The target is assigned outside the try: a StopAsyncIteration from
        # storing it (a subscript, a property) is not the end of the loop.
        # A plain name cannot raise, so it is stored straight away.
        direct = isinstance(node.target, cst.Name)
        received = node.target if direct else self.new_temp("_item")
        loop = parse_template_statement(
            "while True:\n"
            "    try:\n"
            "        {received} = await {next_awaitable}({iterator})\n"
            "    except {StopAsyncIteration}:\n"
            + ("        {ended} = True\n" if ended is not None else "")
            + "        break\n",
            received=received,
            next_awaitable=cst.Name("next_awaitable"),
            iterator=iterator,
            StopAsyncIteration=cst.Name("StopAsyncIteration"),
            **({"ended": ended} if ended is not None else {}),
        )
        self.protect(loop, {"next_awaitable", "StopAsyncIteration"})
        store = []
        if not direct:
            # Then only the target holds it (the result too was kept, by resume's local).
            done = [cst.AssignTarget(received), cst.AssignTarget(cst.Name(self.value_name))]
            store = [assign(node.target, received), cst.SimpleStatementLine([cst.Assign(done, cst.Name("None"))])]
        body = [*loop.body.body, *store, *_statements(node.body)]
        self.statement(loop.with_changes(body=loop.body.with_changes(body=body)))
        # The loop lets go of its iterator when it ends, as the native one does
        # (an async generator left behind is finalized now, not later).
        self.emit(assign(iterator, cst.Name("None")))
        if ended is not None:
            self.statement(
                cst.If(test=ended, body=node.orelse.body)
            )

    def stmt_Match(self, node: cst.Match) -> None:
        subject = self.expression(node.subject)
        guarded = next(
            (i for i, case in enumerate(node.cases) if case.guard is not None and contains_await(case.guard)),
            None,
        )
        if guarded is None:
            self._match(subject, node, list(node.cases), cst.Name(self.fresh("matched")))
            return
        # A guard that awaits cannot run inside the match statement.  Match up
        # to its case there, recording that the pattern matched; run the guard
        # after; if it fails, match the remaining cases in a second statement.
        subject = self.spill(subject)
        matched = self.new_temp("_case", holds="flag")
        case = node.cases[guarded]
        number = guarded + 1
        recorder = case.with_changes(
            guard=None,
            whitespace_after_if=cst.SimpleWhitespace(""),
            whitespace_before_if=cst.SimpleWhitespace(""),
            body=cst.IndentedBlock([assign(matched, cst.Integer(str(number)))]),
        )
        unmatched = cst.MatchCase(
            pattern=cst.MatchAs(),
            body=cst.IndentedBlock([assign(matched, _minus_one())]),
        )
        self.emit(assign(matched, cst.Integer("0")))
        self._match(subject, node, [*node.cases[:guarded], recorder, unmatched], matched, initialised=True)
        line = self.line_of(case)
        with self.block() as guard:
            test = self.expression(case.guard)
            with self.block() as failed:
                self.emit(assign(matched, _minus_one()))
            self.out.append(If(test=negated(test), body=failed, line=line))
        is_this_case = _equals(matched, cst.Integer(str(number)))
        self.out.append(If(test=is_this_case, body=guard, line=line))
        self.out.append(If(test=is_this_case, body=self.lower_suite(case.body), line=line))
        rest = node.cases[guarded + 1 :]
        if rest:
            with self.block() as later:
                self.stmt_Match(node.with_changes(subject=subject, cases=rest))
            self.out.append(If(test=_equals(matched, _minus_one()), body=later, line=line))

    def _match(self, subject, node, cases, matched: cst.Name, initialised: bool = False) -> None:
        """A match statement whose case bodies may await (guards do not)."""
        kept = []
        lowered: list[tuple[int, list[Node]]] = []
        for number, case in enumerate(cases, start=1):
            if not contains_await(case.body):
                kept.append(case)
                continue
            # A case body that awaits runs after the match statement, where it
            # can be re-entered; the match only records which case matched.
            lowered.append((number, self.lower_suite(case.body)))
            marker = assign(matched, cst.Integer(str(number)))
            kept.append(case.with_changes(body=cst.IndentedBlock([marker])))
        if lowered and not initialised:
            self.emit(assign(matched, cst.Integer("0")))
        self.emit(node.with_changes(subject=subject, cases=kept))
        chain: list[Node] = []
        for number, body in reversed(lowered):
            test = _equals(matched, cst.Integer(str(number)))
            chain = [If(test=test, body=body, orelse=chain, line=self.line_of(node))]
        self.out.extend(chain)


def _equals(left: cst.BaseExpression, right: cst.BaseExpression) -> cst.Comparison:
    return cst.Comparison(left, [cst.ComparisonTarget(cst.Equal(), right)])


def _minus_one() -> cst.UnaryOperation:
    return cst.UnaryOperation(cst.Minus(), cst.Integer("1"))


def _statements(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    return [cst.SimpleStatementLine(list(suite.body))]


def _describe_statement(node: cst.CSTNode) -> str:
    name = type(node).__name__
    if isinstance(node, cst.For) and node.asynchronous is not None:
        return "async for"
    if isinstance(node, cst.With):
        return "async with" if node.asynchronous is not None else "await inside a with statement"
    if isinstance(node, (cst.Try, cst.TryStar)):
        return "await inside a try statement"
    return {
        "FunctionDef": "await in a nested function's decorators or defaults",
        "ClassDef": "await in a class statement's decorators or bases",
    }.get(name, f"await inside {name}")


def _declares_only(node: cst.BaseStatement) -> bool:
    """Whether ``node`` is a line of ``global`` and ``nonlocal`` declarations, nothing else."""
    return isinstance(node, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Global, cst.Nonlocal)) for small in node.body
    )
