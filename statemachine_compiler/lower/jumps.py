"""Record the jumps that leave a ``try`` whose ``finally`` awaits.

A ``finally`` block runs natively as Python's own ``finally`` clause.  When
it has to suspend, ``resume`` returns from inside it, and Python forgets why
the ``finally`` was running: a pending ``return`` value, ``break``,
``continue`` or exception is lost.  So, before every such jump, the compiler
writes down what it was (a *completion record*, as in Roslyn's lowering):

    return x      ->    _ret1 = x
                        _jump1 = "return"
                        return _ret1

and the end of the ``finally`` block completes the recorded jump again
(``return _ret1``, ``break``, ``continue``, or ``raise _pending1``).  The jump
itself still happens natively, so nothing changes when the ``finally`` does
not suspend.
"""

from __future__ import annotations

import libcst as cst

from statemachine_compiler.analysis.walk import children
from statemachine_compiler.linemap import LineKeepingTransformer

__all__ = ["jump_kinds", "let_go_before_jumps", "leaves_by_jump", "record_jumps"]

# What can hold a statement; nothing else holds a jump.
_HOLDS_STATEMENTS = (
    cst.Module, cst.BaseCompoundStatement, cst.BaseSuite, cst.ExceptHandler, cst.ExceptStarHandler,
    cst.Else, cst.Finally, cst.MatchCase,
)

_holds_statements_by_class: dict[type, bool] = {}


def _holds_statements(cls: type) -> bool:
    """Whether nodes of class ``cls`` can hold a statement (an ``isinstance`` of abstract classes, once per class)."""
    holds = _holds_statements_by_class.get(cls)
    if holds is None:
        holds = _holds_statements_by_class[cls] = issubclass(cls, _HOLDS_STATEMENTS)
    return holds


class _JumpRecorder(LineKeepingTransformer):
    def __init__(self, jump: cst.Name, result: cst.Name, note_origin):
        super().__init__(note_origin)
        self.jump = jump
        self.result = result
        self.loop_depth = 0  # loops inside the try: their break/continue stay inside
        self.kinds: set[str] = set()

    into_finally = True  # a jump in a try's body or a with's is recorded too

    def on_visit(self, node) -> bool:
        # Expressions and the parts of a line are kept as they are, not rebuilt.
        return _holds_statements(node.__class__) and super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        # Those it kept as they are have nothing to leave (but a line: its jumps are recorded).
        cls = original_node.__class__
        if original_node is updated_node and cls is not cst.SimpleStatementLine and not _holds_statements(cls):
            return original_node
        return super().on_leave(original_node, updated_node)

    # nested scopes have their own returns
    def visit_FunctionDef(self, node) -> bool:
        return False

    def visit_ClassDef(self, node) -> bool:
        return False

    def visit_Lambda(self, node) -> bool:
        return False

    def visit_Try(self, node) -> bool:
        return self.into_finally or node.finalbody is None

    def visit_TryStar(self, node) -> bool:
        return self.into_finally or node.finalbody is None

    def visit_With(self, node) -> bool:
        return self.into_finally

    def visit_For(self, node) -> bool:
        return False  # rebuilt by hand: only the body is inside the loop

    def leave_For(self, original_node, updated_node):
        return self._rebuild_loop(original_node)

    def visit_While(self, node) -> bool:
        return False

    def leave_While(self, original_node, updated_node):
        return self._rebuild_loop(original_node)

    def _rebuild_loop(self, node):
        self.loop_depth += 1
        body = node.body.visit(self)
        self.loop_depth -= 1
        orelse = node.orelse.visit(self) if node.orelse is not None else None
        return node.with_changes(body=body, orelse=orelse)

    def _record(self, kind: str, then: cst.BaseSmallStatement, value=None):
        self.kinds.add(kind)
        statements = []
        if value is not None:
            statements.append(cst.Assign([cst.AssignTarget(self.result)], value))
        statements.append(cst.Assign([cst.AssignTarget(self.jump)], cst.SimpleString(f'"{kind}"')))
        statements.append(then)
        return cst.FlattenSentinel([cst.SimpleStatementLine([s]) for s in statements])

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        # ``if x: return 1``: a one-line body with a jump becomes a block of
        # one line per statement (its comment on the header's line), each
        # recorded as a line of its own would be.
        if not any(_leaves(small, self.loop_depth) for small in updated_node.body):
            return updated_node
        lines = []
        for small in updated_node.body:
            line = cst.SimpleStatementLine([small])
            recorded = self.leave_SimpleStatementLine(line, line)
            for new in recorded.nodes if isinstance(recorded, cst.FlattenSentinel) else [recorded]:
                self.note_origin(new, original_node)
                lines.append(new)
        return cst.IndentedBlock(body=lines, header=updated_node.trailing_whitespace)

    def leave_SimpleStatementLine(self, original_node, updated_node):
        # Each jump gets its own lines, so a jump never shares a line.
        new = []
        for small in updated_node.body:
            if isinstance(small, cst.Return):
                value = small.value if small.value is not None else cst.Name("None")
                new.extend(self._record("return", cst.Return(self.result), value).nodes)
            elif isinstance(small, cst.Break) and self.loop_depth == 0:
                new.extend(self._record("break", small).nodes)
            elif isinstance(small, cst.Continue) and self.loop_depth == 0:
                new.extend(self._record("continue", small).nodes)
            else:
                new.append(updated_node.with_changes(body=[small]))
        if len(new) == 1:
            return new[0]
        new[0] = new[0].with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel(new)


class _LetGoBeforeJumps(_JumpRecorder):
    """Before each jump, ``a = b = None`` (a return's value is worked out first, as natively).

    A jump inside a nested ``try``/``finally`` or ``with`` is left alone:
    natively what it lets go of lives until that ``finally`` (or exit) has run.
    """

    into_finally = False

    def __init__(self, names: list[cst.Name], result: cst.Name, note_origin):
        super().__init__(cst.Name("_"), result, note_origin)
        self.names = names

    def _record(self, kind: str, then: cst.BaseSmallStatement, value=None):
        self.kinds.add(kind)
        statements = []
        if value is not None and not isinstance(value, (cst.Name, cst.BaseNumber, cst.SimpleString)):
            statements.append(cst.Assign([cst.AssignTarget(self.result)], value))
        elif value is not None:
            then = cst.Return(value)
        targets = [cst.AssignTarget(name) for name in self.names]
        statements[len(statements) :] = [cst.Assign(targets, cst.Name("None")), then]
        return cst.FlattenSentinel([cst.SimpleStatementLine([s]) for s in statements])


_SPLIT = "a line split"  # (what jump_kinds notes for a line of several statements)


def _leaves(small: cst.BaseSmallStatement, loop_depth: int) -> bool:
    """Whether ``small`` is a jump that the recorder records (a loop's own break/continue is not)."""
    kind = small.__class__
    return kind is cst.Return or (loop_depth == 0 and (kind is cst.Break or kind is cst.Continue))


def _found(node: cst.CSTNode, into_finally: bool, loop_depth: int, found: set[str]) -> None:
    """What ``_JumpRecorder`` would record under ``node`` (and whether it splits a line), walked, not rebuilt.

    The same way through as the recorder's: only what holds statements, not
    into nested scopes, a loop's body one loop deeper, a ``try`` with a
    ``finally`` and a ``with`` only ``into_finally``.
    """
    cls = node.__class__
    if cls is cst.SimpleStatementLine or cls is cst.SimpleStatementSuite:
        body = node.body
        if len(body) > 1 and cls is cst.SimpleStatementLine:
            found.add(_SPLIT)  # each statement gets a line of its own (a suite's only with a jump)
        for small in body:
            kind = small.__class__
            if kind is cst.Return:
                found.add("return")
            elif kind is cst.Break and loop_depth == 0:
                found.add("break")
            elif kind is cst.Continue and loop_depth == 0:
                found.add("continue")
        return
    if not _holds_statements(cls) or cls is cst.FunctionDef or cls is cst.ClassDef:
        return
    if cls is cst.Try or cls is cst.TryStar:
        if not (into_finally or node.finalbody is None):
            return
    elif cls is cst.With:
        if not into_finally:
            return
    elif cls is cst.For or cls is cst.While:
        _found(node.body, into_finally, loop_depth + 1, found)
        if node.orelse is not None:
            _found(node.orelse, into_finally, loop_depth, found)
        return
    for child in children(node):
        _found(child, into_finally, loop_depth, found)


def _recorded(statements, into_finally: bool = True) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        _found(statement, into_finally, 0, found)
    return found


def jump_kinds(statements: list[cst.BaseStatement]) -> set[str]:
    """The kinds of jump that leave ``statements`` (``record_jumps``'s, without rebuilding them)."""
    return _recorded(statements) - {_SPLIT}


def let_go_before_jumps(
    statements: list[cst.BaseStatement], names: list[cst.Name], result: cst.Name, note_origin=None
):
    """The statements with ``names`` let go of before each jump that leaves them."""
    if not _recorded(statements, into_finally=False):
        return list(statements)  # nothing to let go of before, nothing rebuilt
    module = cst.Module(body=statements).visit(_LetGoBeforeJumps(names, result, note_origin))
    return list(module.body)


def record_jumps(
    statements: list[cst.BaseStatement], jump: cst.Name, result: cst.Name, note_origin=None
):
    """Return the statements with their leaving jumps recorded, and the kinds found.

    ``note_origin(new, original)`` is told of every rebuilt node (see ``linemap``).
    Where there is nothing to record, they are given back as they are.
    """
    if not _recorded(statements):
        return list(statements), set()
    recorder = _JumpRecorder(jump, result, note_origin)
    module = cst.Module(body=statements).visit(recorder)
    return list(module.body), recorder.kinds


def leaves_by_jump(suite: cst.BaseSuite) -> bool:
    """Whether a ``return``, or a ``break``/``continue`` of a loop around it, can leave ``suite``."""
    return bool(jump_kinds([cst.If(test=cst.Name("True"), body=suite)]))
