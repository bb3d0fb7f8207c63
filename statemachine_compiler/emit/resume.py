"""Write the body of ``resume``: the lowered tree plus the dispatch into it.

``self.state`` is 0 while the function runs normally, and the number of an
await while the machine is suspended there.  When ``resume`` is called, the
code must get from its first line to that await without running anything on
the way, and then carry on as if it had never stopped.  Python has no
``goto``, so every statement on the way gets a small guard:

- code before an await runs only ``if self.state == 0``, and so does the
  await's first step, ``value = self.run_now(awaitable, 4)``: a compiled
  coroutine that finishes at once leaves the state 0 and its result in
  ``value``; otherwise the state is 4 and ``value`` is what to wait for,
  which ``if self.state:`` returns;
- ``elif self.state == 4:`` is the resume point of await 4:
  ``self.state = self.raise_(error) if error else 0`` sets the state back
  to 0, or raises the exception the await ended with, with the
  ``__context__`` it came with, where a plain ``raise`` would chain it to
  whatever is being handled there: CPython's await does not.  The code
  after the await (which takes the result from ``value``) runs at state 0
  however the await ended, under the next await's ``if self.state == 0:``;
- a compound statement with awaits inside is entered when the state is one of
  them, without evaluating its test: ``if (self.state == 0 and test) or
  self.state in (4, 5):``, likewise ``while``.

After the resume point the state is 0 again, so everything that follows runs
normally: loops loop, ``break`` breaks, exceptions propagate, natively.
"""

from __future__ import annotations

import libcst as cst

from statemachine_compiler.analysis.walk import Walker
from statemachine_compiler.emit.writer import Writer
from statemachine_compiler.lower.ir import Handler, If, Node, Plain, Suspend, Try, While, points_of

__all__ = ["ResumeEmitter"]

_NEEDS_PARENS = (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr)


class _NameUse(Walker):
    """Whether a statement reads a variable (not an attribute of the same name)."""

    def __init__(self, name: str):
        self.name = name
        self.found = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.walk(node.value)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found = True


def _leaves(statement: cst.CSTNode) -> bool:
    """Whether control leaves at the end of ``statement`` (nothing written after it would run)."""
    body = statement.body if isinstance(statement, cst.SimpleStatementLine) else []
    return any(isinstance(s, (cst.Return, cst.Raise, cst.Break, cst.Continue)) for s in body)


def _takes_plainly(statement: cst.CSTNode, name: str) -> bool:
    """Whether ``statement`` is ``local = name`` or ``return name``: nothing in it can raise."""
    body = statement.body if isinstance(statement, cst.SimpleStatementLine) else []
    if len(body) != 1:
        return False
    small = body[0]
    if isinstance(small, cst.Return):
        taken = small.value
    elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        taken = small.value
    else:
        return False
    return isinstance(taken, cst.Name) and taken.value == name


def _uses(statement: cst.CSTNode, name: str) -> bool:
    visitor = _NameUse(name)
    visitor.walk(statement)
    return visitor.found


class ResumeEmitter:
    """Write ``ir`` nodes as guarded Python (``emit``/``mark``/``jump`` of the tree)."""

    def __init__(
        self,
        writer: Writer,
        *,
        machine: str,
        value: str,
        error: str,
        locals_,
        render,
        render_expression,
        spelled=lambda name: name,
        comments=None,
        run_now=False,
        temporaries=(),
    ):
        self.w = writer
        self.temporaries = frozenset(temporaries)  # the compiler's own locals (``_t1``)
        # The user's comments on lines that await: written once, above the line's first suspension.
        self.comments = dict(comments or {})
        # Whether an await of a call tries the fast path (coroutines only).
        self.run_now = f"{machine}.run_now" if run_now else None
        self.spelled = spelled  # runtime name -> how the module spells it
        self.awaitable, self.yielded = locals_  # names of resume's own locals
        self.machine = machine
        self.state = f"{machine}.state"
        self.reraise = f"{machine}.reraise"
        self.value = value
        self.error = error
        self.render = render  # list of statements -> list of rewritten statements
        self.render_expression = render_expression  # expression -> source text

    # -- conditions -------------------------------------------------------------------

    def resuming_in(self, points: tuple[int, ...]) -> str:
        if len(points) == 1:
            return f"{self.state} == {points[0]}"
        return f"{self.state} in ({', '.join(map(str, points))})"

    def test(self, node: cst.BaseExpression) -> str:
        text = self.render_expression(node)
        if isinstance(node, _NEEDS_PARENS) and not node.lpar:
            text = f"({text})"
        return text

    def running_and(self, test: cst.BaseExpression, points: tuple[int, ...]) -> str:
        running = f"{self.state} == 0 and {self.test(test)}"
        if not points:
            return running
        return f"({running}) or {self.resuming_in(points)}"

    # -- blocks -----------------------------------------------------------------------

    def block(self, nodes: list[Node]) -> None:
        pending: list[Plain] = []
        index = 0
        while index < len(nodes):
            node = nodes[index]
            with self.w.at(node.line):
                index, pending = self.node(nodes, index, pending)
        if pending:
            self.plain(pending)  # nothing after it suspends: runs whenever reached

    def node(self, nodes: list[Node], index: int, pending: list):
        """Write ``nodes[index]``; return the next index and the code still pending (run at state 0)."""
        node = nodes[index]
        if isinstance(node, Plain):
            return index + 1, [*pending, node]
        if isinstance(node, Suspend):
            self.suspend(node, pending)
            end = index + 1
            while end < len(nodes) and isinstance(nodes[end], Plain):
                end += 1
            self.resume_point(node)
            # What follows runs at state 0 however the await ended (at once,
            # or resumed): with the code before the next await, if any.
            return end, [_Taking(node, nodes[index + 1 : end])]
        if pending:
            self.running(pending)
        skip = bool(points_of(nodes[index + 1 :]))
        if isinstance(node, If):
            self.if_(node, skip)
        elif isinstance(node, While):
            self.while_(node, skip)
        elif skip:
            # A try cannot step over itself: its body would run.
            self.w.line(f"if {self.state} == 0 or {self.resuming_in(node.points)}:")
            with self.w.indented():
                self.try_(node)
        else:
            self.try_(node)
        return index + 1, []

    def plain(self, nodes: list) -> None:
        statements: list[cst.BaseStatement] = []
        for node in nodes:
            if isinstance(node, _Taking):
                if statements:
                    self.w.statement(*self.render(statements))
                    statements = []
                with self.w.at(node.node.line):  # (the code taking the result: the await's line)
                    self.take(node)
                continue
            if node.comments:
                if statements:
                    self.w.statement(*self.render(statements))
                    statements = []
                for comment in node.comments:
                    self.w.line(comment)
            statements.extend(node.statements)
        if statements:
            self.w.statement(*self.render(statements))

    def running(self, nodes: list) -> None:
        if not any(node.statements for node in nodes):
            self.plain(nodes)  # comments only: nothing to guard
            return
        self.w.line(f"if {self.state} == 0:")
        with self.w.indented():
            self.plain(nodes)

    # -- an await: suspend, and the point where the machine resumes -------------------

    def suspend(self, node: Suspend, before: list[Plain]) -> None:
        self.w.line(f"if {self.state} == 0:")
        with self.w.indented():
            if before:
                self.plain(before)
            # The awaitable is evaluated before the state changes: if that
            # raises, the function is still running at state 0.
            expression = self.render_expression(node.awaitable)
            handling = self.handling(node)
            if node.kind == "yield":
                # handling an exception: what athrow() throws in here chains to it
                local = self.yielded
                argument = "" if handling is None else f", handling={handling}"
                expression = f"{self.spelled('YieldValue')}({expression}{argument})"
            elif handling is not None:
                # handling an exception: what we await must see it too
                argument = "" if handling == "True" else f", pending={handling}"
                local, expression = self.awaitable, f"{self.spelled('Handling')}({expression}{argument})"
            else:
                local = self.awaitable
            comment = self.comments.pop(node.line, None)
            if comment is not None and comment not in node.source:  # not shown twice
                self.w.line(comment)
            # On a line of its own: black would wrap a long one into ``self.state = (3  # ...)``.
            self.w.line(f"# line {node.line}: {node.source}")
            if self.run_now is not None and local == self.awaitable and isinstance(node.awaitable, cst.Call):
                # A compiled coroutine that returns at once carries on right
                # here, after the await, with its result (the state still 0).
                self.w.line(f"{self.value} = {self.run_now}({expression}, {node.state})")
                self.w.line(f"if {self.state}:  # suspended: wait for it")
                with self.w.indented():
                    self.w.line(f"return {self.value}")
            else:
                self.w.line(f"{local} = {expression}")
                self.w.line(f"{self.state} = {node.state}")
                self.w.line(f"return {local}")

    def handling(self, node: Suspend) -> str | None:
        """Whether an exception is being handled at ``node``, as an expression (None: never).

        In a ``finally`` clause it is only when the clause runs because of
        one: its completion record says "raise".
        """
        if node.handling is False:
            return None
        if node.handling is True:
            return "True"
        return " or ".join(f'{self.render_expression(jump)} == "raise"' for jump in node.handling)

    def resume_point(self, node: Suspend) -> None:
        """``elif self.state == k:``: resumed there, the state is 0 again, or the await's exception raised."""
        self.w.line(f"elif {self.state} == {node.state}:")
        with self.w.indented():
            self.w.line(f"{self.state} = {self.machine}.raise_({self.error}) if {self.error} else 0")

    def take(self, taking: _Taking) -> None:
        """The code after an await, which takes its result first: let go of the result once taken."""
        node = taking.node
        items: list = []  # statements, and the user's comments (str) above them
        if node.target is not None:
            target = cst.AssignTarget(node.target)
            items.append(cst.SimpleStatementLine([cst.Assign([target], cst.Name(self.value))]))
        for plain in taking.after:
            items.extend(plain.comments)
            items.extend(plain.statements)
        # The result is let go of once the statement that takes it has run:
        # natively it is on the value stack only until then.
        using = next((i for i, s in enumerate(items) if not isinstance(s, str) and _uses(s, self.value)), None)
        if using is not None and not self.spills(items[using]):
            self.write_items(items[:using])
            self.let_go_after([items[using]])
            items = items[using + 1 :]
        self.write_items(items)

    def write_items(self, items: list) -> None:
        """Write statements, and comments (str) between them, in order."""
        statements: list[cst.BaseStatement] = []
        for item in items:
            if isinstance(item, str):
                if statements:
                    self.w.statement(*self.render(statements))
                    statements = []
                self.w.line(item)
            else:
                statements.append(item)
        if statements:
            self.w.statement(*self.render(statements))

    def let_go_after(self, statements: list[cst.BaseStatement]) -> None:
        """Write ``statements``, the last of which takes the await's result, and let go of it then.

        A statement that only stores it (``self.x = value``) or returns it
        cannot fail.  Any other may raise after reading it, and then the
        result would stay in ``value``, a local of the frame the exception's
        traceback holds: natively it was on the value stack, which unwinding
        pops (an ``outcome.Error`` held that way is a cycle through its own
        exception).  So that statement lets go of it in a ``finally``.
        """
        *before, taking = statements
        if _takes_plainly(taking, self.value):
            self.w.statement(*self.render(statements))
            if not _leaves(taking):
                self.w.line(f"{self.value} = None")
            return
        if before:
            self.w.statement(*self.render(before))
        self.w.line("try:")
        with self.w.indented():
            self.w.statement(*self.render([taking]))
        self.w.line("finally:")
        with self.w.indented():
            self.w.line(f"{self.value} = None")

    def spills(self, statement: cst.CSTNode) -> bool:
        """Whether ``statement`` is ``temporary = value``: the temporary holds the result from then on."""
        body = statement.body if isinstance(statement, cst.SimpleStatementLine) else []
        if len(body) != 1 or not isinstance(body[0], cst.Assign) or len(body[0].targets) != 1:
            return False
        target, assigned = body[0].targets[0].target, body[0].value
        return (
            isinstance(target, cst.Name)
            and target.value in self.temporaries
            and isinstance(assigned, cst.Name)
            and assigned.value == self.value
        )

    # -- compound statements ----------------------------------------------------------

    def if_(self, node: If, skip: bool, keyword: str = "if") -> None:
        if not skip and not node.points:
            # Nothing suspends in it or after it: reached only while running, like plain code.
            self.w.line(f"{keyword} {self.render_expression(node.test)}:")
        else:
            self.w.line(f"{keyword} {self.running_and(node.test, points_of(node.body))}:")
        with self.w.indented():
            self.block(node.body)
        if not node.orelse:
            return
        orelse_points = points_of(node.orelse)
        if len(node.orelse) == 1 and isinstance(node.orelse[0], If):
            self.if_(node.orelse[0], skip, keyword="elif")  # keep elif chains flat
            return
        if skip:
            condition = f"{self.state} == 0"
            if orelse_points:
                condition += f" or {self.resuming_in(orelse_points)}"
            self.w.line(f"elif {condition}:")
        else:
            self.w.line("else:")
        with self.w.indented():
            self.block(node.orelse)

    def while_(self, node: While, skip: bool) -> None:
        body_points = points_of(node.body)
        if isinstance(node.test, cst.Name) and node.test.value == "True":
            node = While(test=None, body=node.body, orelse=node.orelse, line=node.line)
        if node.test is None:
            if skip:
                condition = f"{self.state} in ({', '.join(map(str, (0, *body_points)))})"
            else:
                condition = "True"
        else:
            condition = self.running_and(node.test, body_points)
        self.w.line(f"while {condition}:")
        with self.w.indented():
            self.block(node.body)
            if condition != "True" and (body_points or skip):
                # Discussion: without it, 3.11 ends the loop with its test
                # repeated, a conditional jump back, which never counts towards
                # specialising the code (only an unconditional jump back or a
                # call does): a loop that awaits coroutines finishing at once ran
                # unspecialised as long as its resume did not return, 1.7x slower
                # (issue 13).  3.12 and later jump back unconditionally anyway.
                self.w.line("continue  # back to the test (3.11 specialises the loop here)")
        if not node.orelse:
            return
        self.w.line("else:")
        with self.w.indented():
            if skip:
                # Jumping past the loop makes its test false too: not an else.
                orelse_points = points_of(node.orelse)
                condition = f"{self.state} == 0"
                if orelse_points:
                    condition += f" or {self.resuming_in(orelse_points)}"
                self.w.line(f"if {condition}:")
                with self.w.indented():
                    self.block(node.orelse)
            else:
                self.block(node.orelse)

    def try_(self, node: Try) -> None:
        self.w.line("try:")
        with self.w.indented():
            for handler in node.handlers:
                if handler.points:
                    # Resuming inside an except clause: raise its exception
                    # again and let the clause catch it, natively.
                    self.w.line(f"if {self.resuming_in(handler.points)}:")
                    reenter = handler.reenter if handler.reenter is not None else handler.saved
                    with self.w.indented():
                        self.w.line(f"{self.reraise}({self.render_expression(reenter)})")
            if node.records is not None:
                jump, pending = map(self.render_expression, node.records)
                condition = f"{self.resuming_in(points_of(node.finalbody))} and {jump} == \"raise\""
                self.w.line(f"if {condition}:")
                with self.w.indented():
                    self.w.line("# the finally resumes with it in flight")
                    self.w.line(f"{self.reraise}({pending})")
            body_points = points_of(node.body)
            if (points_of(node.orelse) or points_of(node.finalbody)) and not _guards_itself(node.body):
                condition = f"{self.state} == 0"
                if body_points:
                    condition += f" or {self.resuming_in(body_points)}"
                self.w.line(f"if {condition}:")
                with self.w.indented():
                    self.block(node.body)
            else:
                self.block(node.body)
        for handler in node.handlers:
            with self.w.at(handler.line):
                self.handler(handler)
        if node.orelse:
            self.w.line("else:")
            with self.w.indented():
                self.block(node.orelse)
        if node.finalbody:
            self.w.line("finally:")
            with self.w.indented():
                # Suspending returns through this finally: it must not run then.
                if _guards_itself(node.finalbody):
                    self.block(node.finalbody)
                    return
                condition = f"{self.state} == 0"
                final_points = points_of(node.finalbody)
                if final_points:
                    condition += f" or {self.resuming_in(final_points)}"
                self.w.line(f"if {condition}:")
                with self.w.indented():
                    if node.unwound is not None:
                        self.unwind(node.unwound)
                    self.block(node.finalbody)

    def handler(self, handler: Handler) -> None:
        clause = "except*" if handler.star else "except"
        if handler.type is not None:
            clause += " " + self.render_expression(handler.type)
        elif handler.name is not None:
            clause += " " + self.spelled("BaseException")  # a bare except, which must name what it caught
        if handler.name is not None:
            clause += f" as {handler.name}"
        self.w.line(clause + ":")
        with self.w.indented():
            if handler.unwound is not None:
                self.unwind(handler.unwound)
            if handler.pending is not None:
                # Resumed with it raised again, entered_except drops the traceback
                # entry that raise added: it was there already.
                pending = self.render_expression(handler.pending)
                self.w.line(f"{pending} = {self.machine}.entered_except({handler.name})")
            if handler.saved is None and handler.bind is None:
                if handler.entered is not None:
                    self.w.statement(*self.render([handler.entered]))
                self.block(handler.body)
                return
            saved = self.render_expression(handler.saved) if handler.saved is not None else None
            bound = self.render_expression(handler.bind) if handler.bind is not None else None
            if saved:
                # Kept while the clause is suspended; resuming raises it again to get back in.
                self.w.line(f"{saved} = {self.machine}.entered_except({handler.name})")
            if bound:
                # Resumed inside the clause, the user's name is bound already.
                self.guarded(handler.points, [f"{bound} = {handler.name}"])
            if handler.entered is not None:
                self.w.statement(*self.render([handler.entered]))
            if not bound and not handler.jumps:
                # The exception kept is let go of after the try statement, or
                # on entering the handler it is raised into (lower.exceptions).
                self.block(handler.body)
                return
            # CPython unbinds the name when the clause ends, however it ends
            # (but a suspension, which returns through this finally, is not an end).
            self.w.line("try:")
            with self.w.indented():
                self.block(handler.body)
            self.w.line("finally:")
            with self.w.indented():
                unbind = [f"{bound} = None", f"del {bound}"] if bound else []
                self.guarded(handler.points, unbind + ([f"{saved} = None"] if saved else []))

    def unwind(self, unwound: Plain) -> None:
        """What the stack held, let go of as it unwinds: at the line that raised (``Lowerer.unwinding``)."""
        with self.w.at(unwound.line):
            self.w.statement(*self.render(unwound.statements))

    def guarded(self, points: tuple[int, ...], lines: list[str]) -> None:
        """Write ``lines`` to run only while running, when there are ``points`` to resume at around them."""
        if not points:
            for line in lines:
                self.w.line(line)
            return
        self.w.line(f"if {self.state} == 0:")
        with self.w.indented():
            for line in lines:
                self.w.line(line)


class _Taking:
    """The plain code after an await, which runs at state 0 and takes the await's result first."""

    __slots__ = ("node", "after")

    def __init__(self, node: Suspend, after: list[Plain]):
        self.node = node
        self.after = after

    @property
    def statements(self) -> bool:
        return self.node.target is not None or any(plain.statements for plain in self.after)


def _guards_itself(block: list[Node]) -> bool:
    """Whether every line of ``block`` runs only while running or resuming at one of its awaits.

    So it is when it is only plain code and awaits, and nothing runs after
    its last await: code before an await runs under its ``if self.state ==
    0:``, the resume point under its ``elif self.state == k:``; code after
    the last await is guarded by nothing (it runs at state 0 however the
    await ended).  Such a block needs no guard of its own where it must be
    stepped over (a ``try`` resumed in its ``else`` or ``finally``, a
    ``finally`` run by a suspension).
    """
    kinds = {type(node) for node in block}
    if not (Suspend in kinds and kinds <= {Plain, Suspend}):
        return False
    last = max(index for index, node in enumerate(block) if isinstance(node, Suspend))
    return block[last].target is None and not any(node.statements for node in block[last + 1 :])
