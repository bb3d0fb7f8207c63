"""The lowered body of an async function, before it is written out.

Lowering turns the function's statements into a tree that keeps Python's own
structure (``if``, ``while``, ``try``) but in which every ``await`` has become a
:class:`Suspend` node with a state number.  Each node knows the states inside
it (``points``), which is all the emitter needs to write the dispatch that
jumps back into the middle of the structure when the machine resumes.

Code in these nodes is still libcst, written with the *source's* names; the
emitter renders it through the name rewriter, which turns locals into
attributes of the machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

__all__ = ["Node", "Plain", "Suspend", "If", "While", "Try", "Handler", "points_of"]


class Node:
    """A piece of the lowered body; every node has a ``line`` of the source."""

    @property
    def points(self) -> tuple[int, ...]:
        return ()


def points_of(block: list[Node]) -> tuple[int, ...]:
    """The states (resume points) inside a block, in source order."""
    points: list[int] = []
    for node in block:
        points.extend(node.points)
    return tuple(points)


@dataclass
class Plain(Node):
    """Statements with no await in them: emitted as written (names rewritten)."""

    statements: list[cst.BaseStatement]
    line: int = 0
    # The user's comments above the statement this code was lowered from,
    # written before it (lowering rebuilds the statement, which loses them).
    comments: list[str] = field(default_factory=list)


@dataclass
class Suspend(Node):
    """``target = await awaitable``: save the state, return, resume here later.

    ``target`` is None when the result is used straight from ``value`` by the
    code that follows (or not at all).
    """

    state: int
    awaitable: cst.BaseExpression | None  # for a yield: the value yielded
    target: cst.BaseExpression | None
    line: int
    source: str  # the await as the user wrote it, for the comment
    kind: str = "await"  # or "yield", in an async generator
    # Whether an exception is being handled there (see runtime.machines.handling): False;
    # True (inside an except clause); or the completion records of the finally
    # clauses around it, when it is handled only if one of them says "raise".
    handling: bool | tuple[cst.BaseExpression, ...] = False

    @property
    def points(self) -> tuple[int, ...]:
        return (self.state,)


@dataclass
class If(Node):
    """``if test: body else: orelse``; ``test`` has no await (lowering hoisted it)."""

    test: cst.BaseExpression
    body: list[Node]
    orelse: list[Node] = field(default_factory=list)
    line: int = 0

    @property
    def points(self) -> tuple[int, ...]:
        return points_of(self.body) + points_of(self.orelse)


@dataclass
class While(Node):
    """``while test: body else: orelse``; ``test`` None means ``while True``.

    ``setup`` is run before each evaluation of ``test`` is *not* modelled
    here: a test with an await in it is lowered into the body.
    """

    test: cst.BaseExpression | None
    body: list[Node]
    orelse: list[Node] = field(default_factory=list)
    line: int = 0

    @property
    def points(self) -> tuple[int, ...]:
        return points_of(self.body) + points_of(self.orelse)


@dataclass
class Handler:
    """One ``except`` clause of a lowered ``try``.

    ``name`` is the plain name the clause binds (the user's, or one of the
    compiler's when the exception must be kept); ``bind`` is the machine
    attribute the user's name lives in, copied from ``name``.  ``saved`` is
    the temporary that keeps the exception while the handler is suspended:
    resuming raises it again so that the handler is entered natively.

    A clause of a spelled-out ``except*`` (``lower.exceptions``) is entered
    by raising the part it matched, which changes that part's traceback and
    context: ``reenter`` is what resuming raises instead of ``saved``, and
    ``entered`` runs each time the clause is entered, to undo the changes.
    """

    type: cst.BaseExpression | None
    name: str | None
    body: list[Node]
    star: bool = False
    bind: cst.BaseExpression | None = None
    saved: cst.Name | None = None
    line: int = 0
    reenter: cst.BaseExpression | None = None
    entered: cst.SimpleStatementLine | None = None
    # The clause that records an exception for a finally that awaits: the
    # pending record it keeps the exception in (``Try.records``).
    pending: cst.BaseExpression | None = None
    # Whether a break, continue or return can leave the clause: then what it
    # keeps is let go of in a finally of its own, not after the statement.
    jumps: bool = False
    # What the statements of the try body held, let go of on entering the
    # clause, before anything else (``Lowerer.unwinding``).
    unwound: Plain | None = None

    @property
    def points(self) -> tuple[int, ...]:
        return points_of(self.body)


@dataclass
class Try(Node):
    """``try``/``except``/``else``/``finally``, with awaits in any part."""

    body: list[Node]
    handlers: list[Handler] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)
    finalbody: list[Node] = field(default_factory=list)
    line: int = 0
    # For a finally that awaits: the (jump, pending) records.  Resuming inside
    # the finally raises the pending exception again, so that the finally runs
    # with it in flight (sys.exc_info(), __context__) as it first did.
    records: tuple[cst.BaseExpression, cst.BaseExpression] | None = None
    # What the try's statements held, let go of first in the finally
    # (``Lowerer.unwinding``): whatever left them popped it.
    unwound: Plain | None = None

    @property
    def points(self) -> tuple[int, ...]:
        handler_points: tuple[int, ...] = ()
        for handler in self.handlers:
            handler_points += handler.points
        return (
            points_of(self.body)
            + handler_points
            + points_of(self.orelse)
            + points_of(self.finalbody)
        )
