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

from statemachine_compiler.linemap import LineKeepingTransformer

__all__ = ["leaves_by_jump", "record_jumps"]

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


def record_jumps(
    statements: list[cst.BaseStatement], jump: cst.Name, result: cst.Name, note_origin=None
):
    """Return the statements with their leaving jumps recorded, and the kinds found.

    ``note_origin(new, original)`` is told of every rebuilt node (see ``linemap``).
    """
    recorder = _JumpRecorder(jump, result, note_origin)
    module = cst.Module(body=statements).visit(recorder)
    return list(module.body), recorder.kinds


def leaves_by_jump(suite: cst.BaseSuite) -> bool:
    """Whether a ``return``, or a ``break``/``continue`` of a loop around it, can leave ``suite``."""
    _, kinds = record_jumps([cst.If(test=cst.Name("True"), body=suite)], cst.Name("_"), cst.Name("_"))
    return bool(kinds)
