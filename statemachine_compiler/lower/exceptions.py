"""``try`` and ``with`` statements with awaits inside, kept as Python's own.

A ``try`` stays a ``try``, so exceptions, ``sys.exc_info()``, bare ``raise``
and implicit ``__context__`` chaining are all CPython's own.  What suspending
needs on top (the emitter writes it, see ``emit.resume``):

- an ``except`` clause that awaits keeps its exception in the machine; to
  resume inside it, ``resume`` raises that exception again at the top of the
  ``try`` and lets the clause catch it natively;
- a ``finally`` clause runs only when the machine is not suspending;
- a ``finally`` clause that awaits gets completion records (``lower.jumps``).

``with`` and ``async with`` become the ``try`` statements PEPs 343 and 492
specify, and are lowered like any other ``try``.
"""

from __future__ import annotations

import sys

import libcst as cst

from statemachine_compiler.analysis.suspensions import contains_await
from statemachine_compiler.diagnostics import unsupported
from statemachine_compiler.lower.expressions import assign
from statemachine_compiler.lower.ir import Handler, Plain, Try, points_of
from statemachine_compiler.lower.jumps import (
    jump_kinds,
    leaves_by_jump,
    let_go_before_jumps,
    record_jumps,
)
from statemachine_compiler.lower.templates import parse_template_statement

WITH_AT_MANAGERS_LINE = sys.version_info >= (3, 13)

__all__ = ["ExceptionLowering"]


class ExceptionLowering:
    """Mixin of the Lowerer: ``try``, ``try``/``except*`` and ``with``."""

    def stmt_Try(self, node: cst.Try) -> None:
        self._try(node, star=False)

    def stmt_TryStar(self, node: cst.TryStar) -> None:
        if any(contains_await(handler.body) for handler in node.handlers):
            self._try_star_spelled_out(node)
        else:
            self._try(node, star=True)

    def _try(self, node, star: bool) -> None:
        line = self.line_of(node)
        if node.finalbody is not None and contains_await(node.finalbody):
            self._try_with_awaiting_finally(node, star, line)
            return
        where = self._where()
        finalbody = self.lower_suite(node.finalbody.body) if node.finalbody is not None else []
        self._where(where)
        made = len(self.scope.temporaries)
        body = self.lower_suite(node.body)
        held = self.held_in(made, len(self.scope.temporaries))
        clause_of = self._clause_of(node)
        handlers = []
        for handler in node.handlers:
            self._where(where)
            handlers.append(self._handler(handler, star, clause_of, held))
        self._where(where)
        orelse = self.lower_suite(node.orelse.body) if node.orelse is not None else []
        # Whatever left the try (an exception, a return) popped what its
        # statements held before the finally runs.
        unwound = self.unwinding(self.held_in(made, len(self.scope.temporaries))) if finalbody else None
        self.out.append(
            Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody, line=line, unwound=unwound)
        )
        # The exceptions the clauses kept while they awaited (one bound to a
        # name of yours, or that a jump can leave, is let go of in the clause's
        # own finally, see emit.resume).
        kept = [h.saved.value for h in handlers if h.saved is not None and h.bind is None and not h.jumps]
        self._append(self.let_go_of(kept))

    def _where(self, where=None):
        """The line (and text) that what has no position of its own is put at; or set it.

        Each clause of a ``try`` starts again from the ``try``'s: an await the
        compiler wrote in a clause (``async with``'s exit) is on the
        ``async with`` line, not on the last line of the clause before it.
        """
        if where is None:
            return self.current, self.statement_text
        self.current, self.statement_text = where
        return where

    def _handler(self, node, star: bool, clause_of: cst.Name | None = None, held=()) -> Handler:
        """An except clause; ``clause_of`` is the ``ExceptStar`` when it is an ``except*`` clause spelled out.

        ``held``: the temporaries of the statements in the ``try`` body, let go
        of on entering the clause, as CPython unwinds its stack to the handler.
        """
        if node.type is not None and contains_await(node.type):
            raise unsupported(self.filename, self.position(node.type), "await in an except clause's type")
        entered = None
        if clause_of is not None:
            # Its first statement is ``_star1.entered()``: run on every entry.
            entered, *rest = node.body.body
            node = _with_body(node, rest)
        with self.handling_exception():
            body = self.lower_suite(node.body)
        awaits = bool(points_of(body))
        name = bind = None
        if node.name is not None:
            user = node.name.name
            if user.value in self.scope.bound:
                name, bind = self.fresh("caught"), user  # the machine keeps the user's name
            else:
                name = user.value
        elif awaits and clause_of is None:
            name = self.fresh("caught")
        handler = Handler(
            type=node.type,
            name=name,
            body=body,
            star=star,
            bind=bind,
            saved=self.new_temp("_exc", holds="statement") if awaits and clause_of is None else None,
            line=self.line_of(node),
            jumps=leaves_by_jump(node.body),
            unwound=self.unwinding(held),
        )
        if clause_of is not None:
            # The ExceptStar keeps what this clause handles; raising it again
            # gets back in, and what raising changes on it is put back.
            handler.reenter = cst.Call(cst.Attribute(clause_of, cst.Name("enter")))
            handler.entered = entered
        return handler

    def _clause_of(self, node: cst.Try) -> cst.Name | None:
        """The ``ExceptStar`` whose clause ``node`` enters (``raise _star1.enter()``), if it is one.

        Recognised by its shape and its temporary, which only the compiler
        writes: the statement may have been rebuilt on the way
        (``lower.jumps``), so no identity holds.
        """
        body = node.body.body
        if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
            return None
        raised = body[0].body[0]
        if not (isinstance(raised, cst.Raise) and isinstance(raised.exc, cst.Call)):
            return None
        method = raised.exc.func
        if isinstance(method, cst.Attribute) and method.attr.value == "enter" and self.is_temp(method.value):
            return method.value
        return None

    def _try_with_awaiting_finally(self, node, star: bool, line: int) -> None:
        where = self._where()
        if node.handlers:
            protected = [node.with_changes(finalbody=None)]
        else:
            protected = _statements(node.body)
        kinds = jump_kinds(protected)  # which jumps leave it
        final_statements = _statements(node.finalbody.body)
        final_kinds = jump_kinds(final_statements)
        jump = self.new_temp("_jump", holds="flag")
        # The value of a return, kept while the finally suspends: only if there is one.
        returns = "return" in kinds or "return" in final_kinds
        result = self.new_temp("_ret", holds="statement") if returns else cst.Name("_")
        pending = self.new_temp("_pending", holds="statement")
        self.emit(assign(jump, cst.Name("None")))
        recorded, kinds = record_jumps(protected, jump, result, self.note_origin)
        made = len(self.scope.temporaries)
        body = self.lower_block(recorded)
        held = self.held_in(made, len(self.scope.temporaries))
        # Exceptions leaving the protected part are recorded the same way
        # (and what its statements held is let go of, as the stack unwinds).
        caught = self.fresh("caught")
        recording = [assign(jump, cst.SimpleString('"raise"')), cst.SimpleStatementLine([cst.Raise()])]
        record = Handler(
            type=self.builtin("BaseException"),
            name=caught,
            body=[Plain(recording, line=line)],
            line=line,
            pending=pending,  # the emitter keeps the exception there (emit.resume)
            unwound=self.unwinding(held),
        )
        self._where(where)
        # A jump out of the finally drops the exception on its way through.
        final_statements = let_go_before_jumps(final_statements, [pending], result, self.note_origin)
        with self.handling_exception(jump):  # an exception may be on its way through
            finalbody = self.lower_block(final_statements)
        # (an exception has let go of them already, in record)
        left = self.iterators_returned_from(held)
        if left is not None:
            finalbody.insert(0, left)
        # Re-raised at the end, the exception is only in flight: the machine lets go of it.
        completion = [assign(pending, cst.Name("None"))]
        if "return" in kinds:
            completion.append(
                parse_template_statement('if {jump} == "return":\n    return {result}\n', jump=jump, result=result)
            )
        for kind in ("break", "continue"):
            if kind in kinds:
                completion.append(parse_template_statement(f'if {{jump}} == "{kind}":\n    {kind}\n', jump=jump))
        # A pending exception is in flight here (resuming raised it again),
        # and the end of the finally clause re-raises it.
        finalbody.append(Plain(completion, line=line))
        # One try: what leaves the protected part is recorded, then the finally runs.
        self.out.append(
            Try(
                body=body,
                handlers=[record],
                finalbody=finalbody,
                line=line,
                records=(jump, pending),
            )
        )

    # -- try / except* with an await in a clause: PEP 654, spelled out ------------------------

    def _try_star_spelled_out(self, node: cst.TryStar) -> None:
        """A ``try``/``except*`` whose clauses await, as plain ``try``/``except``.

        Python allows no ``return`` inside an ``except*`` clause, and resume
        must return to suspend.  So the statement becomes the steps the
        interpreter takes (``runtime.machines.exception_groups`` shows the shape):
        catch everything the body raises, then run each clause whose type
        matches part of it, inside an ``except`` block for that part, and
        collect what the clauses raise; at the end raise what is left.
        """
        for handler in node.handlers:
            if contains_await(handler.type):
                raise unsupported(self.filename, self.position(handler.type), "await in an except clause's type")
        line = self.line_of(node)
        star = self.new_temp("_star")
        names = {"BaseException", "ExceptStar"}
        catch = parse_template_statement(
            "try:\n"
            "    pass\n"
            "except {BaseException} as {caught}:\n"
            "    # except*: each clause below takes the part of it that it matches\n"
            "    {star} = {ExceptStar}({caught})\n",
            BaseException=cst.Name("BaseException"),
            ExceptStar=cst.Name("ExceptStar"),
            caught=cst.Name(self.fresh("caught")),
            star=star,
        )
        self.protect(catch, names)
        catch = catch.with_changes(body=node.body, orelse=node.orelse)
        clauses = parse_template_statement("if {star} is not None:\n    pass\n", star=star)
        handlers = [self._star_clause(star, handler) for handler in node.handlers]
        reraise = parse_template_statement(
            "try:\n"
            "    # Raise what no clause handled, together with what the clauses raised.\n"
            "    {star}.reraise()\n"
            "except {BaseException} as {raised}:\n"
            "    # A re-raise, as natively: no line of this statement added to its traceback.\n"
            "    {star}.reraising({raised})\n"
            "    raise\n",
            star=star,
            BaseException=cst.Name("BaseException"),
            raised=cst.Name(self.fresh("caught")),
        )
        self.protect(reraise, {"BaseException"})
        clauses = clauses.with_changes(body=clauses.body.with_changes(body=[*handlers, reraise]))
        statements = [assign(star, cst.Name("None")), catch, clauses]
        if node.finalbody is not None:
            statements = [cst.Try(body=cst.IndentedBlock(statements), finalbody=node.finalbody)]
        for statement in statements:
            self.current = (line, self.current[1])
            self.statement(statement)

    def _star_clause(self, star: cst.Name, handler: cst.ExceptStarHandler) -> cst.Try:
        """One ``except*`` clause, entered (by raising) as the interpreter has it.

        Its type is tested while what the previous clause matched (or, first,
        the whole exception) is being handled; its body runs while the part
        it matched is, and what escapes the body is kept for the end.
        """
        words = {"star": star, "BaseException": cst.Name("BaseException")}
        collect = parse_template_statement(
            "try:\n"
            "    pass\n"
            "except {BaseException} as {raised}:\n"
            "    # What a clause raises is kept for the end: the next clauses run first.\n"
            "    {star}.raised({raised})\n",
            raised=cst.Name(self.fresh("caught")),
            **words,
        )
        body = parse_template_statement(
            "try:\n"
            "    # The clause runs while the part it matched is handled.\n"
            "    raise {star}.enter()\n"
            "except {BaseException}:\n"
            "    {star}.entered()  # undo what raising it changed: traceback, context\n",
            **words,
        )
        matching = parse_template_statement("if {star}.match({types}):\n    pass\n", star=star, types=handler.type)
        test = parse_template_statement(
            "try:\n"
            "    # The type is tested while the last part matched (first: all of it) is handled.\n"
            "    raise {star}.enter()\n"
            "except {BaseException}:\n"
            "    {star}.entered()  # undo what raising it changed: traceback, context\n",
            **words,
        )
        for made in (collect, body, test):
            self.protect(made, {"BaseException"})
        collect = collect.with_changes(body=handler.body)
        entering = body.handlers[0]
        entering = _with_body(entering, [*entering.body.body, collect]).with_changes(name=handler.name)
        matching = _with_body(matching, [body.with_changes(handlers=[entering])])
        testing = test.handlers[0]
        return test.with_changes(handlers=[_with_body(testing, [*testing.body.body, matching])])

    # -- with / async with: PEP 343 and PEP 492, spelled out --------------------------------

    def stmt_With(self, node: cst.With) -> None:
        asynchronous = node.asynchronous is not None
        if len(node.items) > 1:
            # ``with a, b: body`` is ``with a: with b: body``.
            inner = node.with_changes(items=node.items[1:], leading_lines=[])
            first = node.items[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            outer = node.with_changes(
                items=[first], body=cst.IndentedBlock([inner]), lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT
            )
            self.stmt_With(outer)
            return
        item = node.items[0]
        # CPython 3.13 puts a with's own steps (__enter__ looked up, called,
        # __exit__) at its manager's line; earlier versions at the statement's.
        line = self.line_of(item.item if WITH_AT_MANAGERS_LINE else node)
        self.current = (line, self.current[1])
        # One slot keeps the manager until its exit is called (runtime.machines.contexts).
        statement = self.new_temp("_with", holds="statement")
        if asynchronous:
            # Its exit with an exception comes in a Handling already (runtime.machines.contexts).
            self.handling_exits.add(statement.value)
        kind = self.builtin("AsyncWith" if asynchronous else "With")
        self.emit(assign(statement, cst.Call(kind, [cst.Arg(self.expression(item.item))])))
        entered = cst.Call(cst.Attribute(statement, cst.Name("enter")))
        if asynchronous:
            entered = cst.Await(entered)
        value = self.expression(entered)
        if item.asname is not None:
            if isinstance(item.asname.name, cst.Name) and self._result_goes_to(value, item.asname.name):
                pass
            else:
                self.store(item.asname.name, value)
        elif not asynchronous:
            self.emit(cst.SimpleStatementLine([cst.Expr(value)]))
        wait = "await " if asynchronous else ""
        if leaves_by_jump(node.body):
            # A return, break or continue leaves through the exit too: PEP 343's finally.
            normal_exit = f"finally:\n    if not {{statement}}.exited:\n        {wait}{{statement}}.exit()\n"
        else:
            # Only falling off the end leaves but by an exception: PEP 492's else.
            normal_exit = f"else:\n    {wait}{{statement}}.exit()\n"
        expansion = parse_template_statement(
            "try:\n"
            "    pass\n"
            "except {BaseException} as {caught}:\n"
            f"    if not {wait}{{statement}}.exit({{caught}}):\n"
            "        raise\n"
            f"{normal_exit}",
            BaseException=self.builtin("BaseException"),
            caught=cst.Name(self.fresh("caught")),
            statement=statement,
        )
        self.protect(expansion, {"BaseException"})
        expansion = expansion.with_changes(body=node.body)
        self.current = (line, self.current[1])
        self.statement(expansion)


def _with_body(node, statements: list[cst.BaseStatement]):
    return node.with_changes(body=node.body.with_changes(body=statements))


def _statements(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    return [cst.SimpleStatementLine(list(suite.body))]

