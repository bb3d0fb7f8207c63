"""A function's state graph, from the compiler's lowered form (``lower.ir``).

The lowered tree keeps Python's structure (``if``, ``while``, ``try``) with
every ``await`` a numbered ``Suspend``.  ``StateGraphBuilder`` walks it as
control flows, carrying the *arrivals* at the current point: the states
control may have come from (and how: straight on, round a loop, by an
exception), with the conditions taken on the way.  At a ``Suspend`` each
arrival becomes an edge into its state, and the state is the one arrival
that goes on.  A block hands back its ``Exits``: the arrivals that fall
through its end, and those that leave it by ``return``, ``raise``,
``break`` and ``continue``, for the enclosing statement to route.

The compiler's own flags are followed: ``async for`` and a ``while`` whose
test awaits record in a flag how a loop ended, ``async with``'s statement
object whether ``__aexit__`` ran (``_with1.exited``), and test it after; an arrival knows what each flag it
went through was set to, so that only the branch the flag picks is taken.

Discussion: the code between two states is not drawn: it runs within one
call of ``resume``.  Any of it may raise, so inside a ``try`` every arrival
(not only the states) may go to the handlers.  An exception that leaves the
function is drawn only where a ``raise`` statement raises it; any state may
raise, and an arrow from each would hide the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import libcst as cst

from statemachine_compiler.explore.model import FINISH, START, Edge, FunctionGraph, State
from statemachine_compiler.lower.ir import If, Node, Plain, Suspend, Try, While

__all__ = ["build_graph"]

LABEL_LENGTH = 48  # characters of a condition shown on an edge
CATCH_ALL = {"BaseException"}
_FLAG_PREFIXES = ("_ended",)  # the compiler's flags (lower.statements)
_WITH_PREFIX = "_with"  # a with statement's object (lower.exceptions): its ``exited`` is a flag


@dataclass(frozen=True)
class Arrival:
    """A way control reaches the current point: from ``source``, as ``kind``, having taken ``label``."""

    source: int | str
    kind: str = "flow"
    label: str = ""
    # What the compiler's own flags (``_ended``, ``_with1.exited``) are known to hold on this way.
    flags: frozenset[tuple[str, bool]] = frozenset()


@dataclass
class Exits:
    """How control leaves a block: through its end (``normal``) or by a jump."""

    normal: list[Arrival] = field(default_factory=list)
    returns: list[Arrival] = field(default_factory=list)
    raises: list[Arrival] = field(default_factory=list)  # kind "raise": a raise statement
    breaks: list[Arrival] = field(default_factory=list)
    continues: list[Arrival] = field(default_factory=list)

    def add_jumps(self, other: Exits) -> None:
        """Take the jumps of an inner block (its ``normal`` is routed by the caller)."""
        for name in ("returns", "raises", "breaks", "continues"):
            _extend(getattr(self, name), getattr(other, name))


def build_graph(lowered, source_lines: list[str]) -> FunctionGraph:
    """The state graph of a ``pipeline.LoweredFunction``; ``source_lines`` are the module's."""
    builder = StateGraphBuilder(lowered, source_lines)
    return builder.build()


class StateGraphBuilder:
    def __init__(self, lowered, source_lines: list[str]):
        self.lowered = lowered
        self.source_lines = source_lines
        self.graph = FunctionGraph(lowered.qualname, lowered.line, lowered.generator)

    def build(self) -> FunctionGraph:
        exits = self.block(self.lowered.body, [Arrival(START)])
        for arrival in exits.normal + exits.returns:  # falling off the end returns None
            self.connect(replace(arrival, kind="return"), FINISH)
        for arrival in exits.raises:
            if arrival.kind == "raise":
                self.connect(arrival, FINISH)
        self.graph.states.sort(key=lambda state: state.number)
        self.graph.edges = _merged(self.graph.edges)
        return self.graph

    # -- verbs ----------------------------------------------------------------------

    def connect(self, arrival: Arrival, target: int | str) -> None:
        self.graph.add_edge(Edge(arrival.source, target, arrival.kind, arrival.label))

    def code(self, node: cst.CSTNode | None) -> str:
        """The source text of a node the user wrote; "" for one the compiler made."""
        if node is None or self.lowered.position(node) is None:
            return ""
        return _short(" ".join(self.lowered.code_of(node).split()))

    def header(self, line: int) -> str:
        """The statement at a source line, as a label: ``for item in items``."""
        if not 1 <= line <= len(self.source_lines):
            return ""
        return _short(self.source_lines[line - 1].strip().rstrip(":").strip())

    # -- routing --------------------------------------------------------------------

    def block(self, block: list[Node], arrivals: list[Arrival]) -> Exits:
        exits = Exits(normal=list(arrivals))
        for node in block:
            if not exits.normal:
                break  # after a return or raise: nothing reaches it
            method = getattr(self, "node_" + type(node).__name__)
            inner = method(node, exits.normal)
            exits.add_jumps(inner)
            exits.normal = inner.normal
        return exits

    def node_Suspend(self, node: Suspend, arrivals: list[Arrival]) -> Exits:
        state = State(node.state, self.lowered.lines[node.state], _state_text(node), node.kind)
        if state not in self.graph.states:  # a loop's body is walked more than once
            self.graph.states.append(state)
        for arrival in arrivals:
            self.connect(arrival, node.state)
        flags = frozenset.intersection(*(a.flags for a in arrivals)) if arrivals else frozenset()
        here = Arrival(node.state, flags=flags)
        exited = _with_exited_by(node)
        if exited is not None:
            here = _with_flag(here, exited, True)
        # What it waits for may raise into it when it resumes.
        return Exits(normal=[here], raises=[replace(here, kind="exception")])

    def node_Plain(self, node: Plain, arrivals: list[Arrival]) -> Exits:
        exits = Exits(normal=list(arrivals))
        for statement in node.statements:
            if not exits.normal:
                break
            finder = _JumpFinder(self.code)
            statement.visit(finder)
            for kind, label in finder.jumps:
                _extend(getattr(exits, _EXIT_OF[kind]), [_taking(a, label, kind) for a in exits.normal])
            if _always_jumps(statement):
                exits.normal = []
            flag = self.flag_set_by(statement)
            if flag is not None:
                exits.normal = _unique([_with_flag(a, *flag) for a in exits.normal])
        return exits

    def flag_set_by(self, statement: cst.BaseStatement) -> tuple[str, bool] | None:
        """``("_ended1", True)`` for the compiler's ``_ended1 = True``; None for anything else."""
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return None
        assignment = statement.body[0]
        if not (isinstance(assignment, cst.Assign) and len(assignment.targets) == 1):
            return None
        target, value = assignment.targets[0].target, assignment.value
        if not isinstance(target, cst.Name) or self.lowered.position(target) is not None:
            return None  # the user's own variables are not followed
        if isinstance(value, cst.Name) and value.value in ("True", "False"):
            return target.value, value.value == "True"
        return None

    def node_If(self, node: If, arrivals: list[Arrival]) -> Exits:
        test = self.code(node.test)
        flag = _flag_tested(node.test)
        if flag is not None:  # arrivals that know the flag take one branch only
            name, wanted = flag
            known = {a: dict(a.flags).get(name) for a in arrivals}
            exits = Exits()
            for branch, value in ((node.body, wanted), (node.orelse, not wanted)):
                inner = self.block(branch, [a for a in arrivals if known[a] in (value, None)])
                exits.add_jumps(inner)
                _extend(exits.normal, inner.normal)
            return exits
        taken = [_taking(a, test) for a in arrivals]
        not_taken = [_taking(a, f"not ({test})" if test else "") for a in arrivals]
        body = self.block(node.body, taken)
        orelse = self.block(node.orelse, not_taken)
        exits = Exits()
        exits.add_jumps(body)
        exits.add_jumps(orelse)
        # Where both ways come back to the same point from the same state, the test did not matter.
        normal = body.normal + [a for a in orelse.normal if a not in body.normal]
        for original, yes, no in zip(arrivals, taken, not_taken, strict=True):
            if yes in body.normal and no in orelse.normal:
                normal = [a for a in normal if a not in (yes, no)] + [original]
        exits.normal = _unique(normal)
        return exits

    def node_While(self, node: While, arrivals: list[Arrival]) -> Exits:
        endless = node.test is None or _always_true(node.test)
        if endless:
            entry_label = exit_label = ""
        elif self.lowered.position(node.test) is not None:
            entry_label = self.code(node.test)
            exit_label = f"not ({entry_label})"
        else:  # a for loop (or a comprehension): its test is the compiler's
            header = self.header(node.line)
            entry_label = header if header.startswith(("for ", "async for ")) else ""
            exit_label = "loop done"
        back: list[Arrival] = []
        for _ in range(len(node.points) + 2):  # until no new way round the loop appears
            heads = _unique(arrivals + back)
            body = self.block(node.body, [_taking(a, entry_label) for a in heads])
            around = _unique(
                [replace(a, kind="loop", label="") for a in body.normal]
                + [replace(a, kind="loop") for a in body.continues]
            )
            if set(around) <= set(back):
                break
            back = _unique(back + around)
        exits = Exits(returns=body.returns, raises=body.raises)
        if not endless:
            ended = [replace(a, kind="flow", label=exit_label) for a in heads]
            orelse = self.block(node.orelse, ended)
            exits.add_jumps(replace(orelse, breaks=[], continues=[]))
            _extend(exits.breaks, orelse.breaks)
            _extend(exits.continues, orelse.continues)
            exits.normal = orelse.normal
        exits.normal = _unique(exits.normal + [replace(a, kind="flow") for a in body.breaks])
        return exits

    def node_Try(self, node: Try, arrivals: list[Arrival]) -> Exits:
        body = self.block(node.body, arrivals)
        # Any code of the body may raise, before its first state too; unless the
        # body starts with a try of its own, which routes what raises there, or
        # with an await, whose state stands for it (its awaitable raising too).
        direct = [] if node.body and isinstance(node.body[0], (Try, Suspend)) else arrivals
        thrown = _unique([replace(a, kind="exception", label="") for a in direct] + body.raises)
        exits = Exits(returns=list(body.returns), breaks=list(body.breaks), continues=list(body.continues))
        escaping = list(thrown)
        for handler in node.handlers:
            star = "*" if handler.star else ""
            what = " ".join(self.lowered.code_of(handler.type).split()) if handler.type else ""
            label = _short(f"except{star} {what}".strip())
            clause = self.block(handler.body, [replace(a, kind="exception", label=label) for a in thrown])
            exits.add_jumps(clause)
            _extend(exits.normal, clause.normal)
            if handler.type is None or what in CATCH_ALL:
                escaping = []
        orelse = self.block(node.orelse, body.normal)
        exits.add_jumps(orelse)
        exits.normal = _unique(orelse.normal + exits.normal)
        exits.raises = _unique(escaping + exits.raises)
        if not node.finalbody:
            return exits
        return self.finally_clause(node.finalbody, exits)

    def finally_clause(self, finalbody: list[Node], entering: Exits) -> Exits:
        """Every way out of the try goes through its finally, then on where it was going.

        The clause is walked once for each way in, so that each way out is
        the one that came in.
        """
        exits = Exits()
        ways = [
            ("normal", entering.normal, lambda a: a),
            ("raises", entering.raises, lambda a: replace(a, kind="exception", label="finally")),
            ("returns", entering.returns, lambda a: a),
            ("breaks", entering.breaks, lambda a: a),
            ("continues", entering.continues, lambda a: a),
        ]
        for name, arrivals, into in ways:
            if not arrivals:
                continue
            clause = self.block(finalbody, _unique([into(a) for a in arrivals]))
            exits.add_jumps(clause)
            _extend(getattr(exits, name), [self._going_on(name, arrivals, a) for a in clause.normal])
        return exits

    @staticmethod
    def _going_on(name: str, arrivals: list[Arrival], end: Arrival) -> Arrival:
        """An arrival at the end of a finally, going on as the ones that entered it went."""
        if name == "normal":
            return end
        if name == "raises":
            explicit = any(a.kind == "raise" for a in arrivals)
            label = "" if end.label == "finally" else end.label  # it is on its way out now
            return replace(end, kind="raise" if explicit else "exception", label=label)
        if name == "returns":
            return replace(end, kind="return")
        if name == "breaks":
            return replace(end, kind="flow", label="break")
        return replace(end, kind="loop")


# -- jumps inside statements without awaits ---------------------------------------------

_EXIT_OF = {"return": "returns", "raise": "raises", "break": "breaks", "continue": "continues"}
_JUMPS = (cst.Return, cst.Raise, cst.Break, cst.Continue)


class _JumpFinder(cst.CSTVisitor):
    """The returns, raises, breaks and continues of one statement, with the conditions around them."""

    def __init__(self, code):
        self.code = code
        self.jumps: list[tuple[str, str]] = []
        self.conditions: list[str] = []
        self.loops = 0  # loops inside the statement: their break and continue stay inside

    def visit_FunctionDef(self, node) -> bool:
        return False

    def visit_ClassDef(self, node) -> bool:
        return False

    def visit_Lambda(self, node) -> bool:
        return False

    def visit_For(self, node) -> None:
        self.loops += 1

    def leave_For(self, node) -> None:
        self.loops -= 1

    def visit_While(self, node) -> None:
        self.loops += 1

    def leave_While(self, node) -> None:
        self.loops -= 1

    def visit_If_body(self, node) -> None:
        self.conditions.append(self.code(node.test))

    def leave_If_body(self, node) -> None:
        self.conditions.pop()

    def visit_If_orelse(self, node) -> None:
        test = self.code(node.test)
        self.conditions.append(f"not ({test})" if test else "")

    def leave_If_orelse(self, node) -> None:
        self.conditions.pop()

    def visit_Return(self, node) -> None:
        self.found("return")

    def visit_Raise(self, node) -> None:
        self.found("raise")

    def visit_Break(self, node) -> None:
        if not self.loops:
            self.found("break")

    def visit_Continue(self, node) -> None:
        if not self.loops:
            self.found("continue")

    def found(self, kind: str) -> None:
        label = ", ".join(c for c in self.conditions if c)
        self.jumps.append((kind, _short(label)))


def _with_method(node: Suspend) -> tuple[str, str, bool] | None:
    """``("_with1", "exit", True)`` for the await of ``_with1.exit(caught1)``: name, method, called with an exception."""
    called = node.awaitable.func if isinstance(node.awaitable, cst.Call) else None
    if (
        isinstance(called, cst.Attribute)
        and isinstance(called.value, cst.Name)
        and called.value.value.startswith(_WITH_PREFIX)
    ):
        return called.value.value, called.attr.value, bool(node.awaitable.args)
    return None


def _with_exited_by(node: Suspend) -> str | None:
    """The with statement whose ``__aexit__`` the exception path awaits here: ``exited`` is then True."""
    method = _with_method(node)
    if method is not None and method[1] == "exit" and method[2]:
        return method[0]
    return None


def _state_text(node: Suspend) -> str:
    """The await as written; for the awaits of ``async with`` and ``async for``, which one it is."""
    called = node.awaitable.func if isinstance(node.awaitable, cst.Call) else None
    method = _with_method(node)
    if method is not None and node.source.startswith("async with"):
        return f"{node.source}: __a{method[1]}__"
    if isinstance(called, cst.Name) and called.value == "next_awaitable":
        return f"{node.source}: __anext__"
    return node.source


def _flag_tested(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """``("_ended1", True)`` for ``if _ended1:``, ``("_with1", False)`` for ``if not _with1.exited:``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _flag_tested(test.expression)
        return (inner[0], not inner[1]) if inner is not None else None
    if isinstance(test, cst.Name) and test.value.startswith(_FLAG_PREFIXES):
        return test.value, True
    if (
        isinstance(test, cst.Attribute)
        and test.attr.value == "exited"
        and isinstance(test.value, cst.Name)
        and test.value.value.startswith(_WITH_PREFIX)
    ):
        return test.value.value, True
    return None


def _with_flag(arrival: Arrival, name: str, value: bool) -> Arrival:
    flags = frozenset((n, v) for n, v in arrival.flags if n != name) | {(name, value)}
    return replace(arrival, flags=flags)


def _always_true(test: cst.BaseExpression) -> bool:
    """``while True`` (or ``while 1``): the loop ends only by a jump."""
    if isinstance(test, cst.Name):
        return test.value == "True"
    return isinstance(test, cst.Integer) and test.evaluated_value != 0


def _always_jumps(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, _JUMPS) for small in statement.body
    )


def _taking(arrival: Arrival, label: str, jump: str | None = None) -> Arrival:
    """The arrival once it has taken a branch (``label``), or a jump (``return``, ``raise``...)."""
    if label:
        label = _short(f"{arrival.label}, {label}" if arrival.label else label)
    else:
        label = arrival.label
    kind = {"return": "return", "raise": "raise", "continue": "loop"}.get(jump, arrival.kind)
    return replace(arrival, kind=kind, label=label)


def _merged(edges: list[Edge]) -> list[Edge]:
    """One edge for each pair of states and kind: an unconditional way wins over conditions."""
    labels: dict[tuple, list[str]] = {}
    for edge in edges:
        labels.setdefault((edge.source, edge.target, edge.kind), []).append(edge.label)
    merged = []
    for (source, target, kind), found in labels.items():
        label = "" if "" in found else _short(" / ".join(dict.fromkeys(found)))
        merged.append(Edge(source, target, kind, label))
    return merged


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 3] + "..."


def _unique(arrivals: list[Arrival]) -> list[Arrival]:
    return list(dict.fromkeys(arrivals))


def _extend(target: list[Arrival], more: list[Arrival]) -> None:
    for arrival in more:
        if arrival not in target:
            target.append(arrival)
