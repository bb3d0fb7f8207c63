"""``lower.jumps``: the jumps that leave a block, found by walking it, are those recording them finds.

``jump_kinds`` (and ``record_jumps``/``let_go_before_jumps`` where there is
nothing to record) walk the statements instead of rebuilding them; what they
find must be what ``_JumpRecorder`` rebuilding them finds, for every block of
every function of each source, and nothing must be rebuilt when nothing is.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from statemachine_compiler.lower.jumps import (
    _SPLIT,
    _JumpRecorder,
    _LetGoBeforeJumps,
    _recorded,
    jump_kinds,
    let_go_before_jumps,
    record_jumps,
)

ROOT = Path(__file__).parent.parent.parent
SOURCES = sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
SMALL = """\
async def f(xs):
    for x in xs:
        if x:
            break
        continue
    else:
        return 1
    while True:
        try:
            return 2
        finally:
            break
    with m:
        continue
    a = 1; b = 2
    def g():
        return 3
    class C:
        return_ = 4
    if xs: return 5
    match xs:
        case [y]:
            break
"""


def _blocks(module: cst.Module) -> list[list[cst.BaseStatement]]:
    blocks = []

    class Collect(cst.CSTVisitor):
        def visit_IndentedBlock(self, node):
            blocks.append(list(node.body))

    module.visit(Collect())
    return blocks


def _recorded_kinds(statements, recorder_class) -> set[str]:
    recorder = recorder_class(cst.Name("_j"), cst.Name("_r"), None) if recorder_class is _JumpRecorder else (
        recorder_class([cst.Name("_p")], cst.Name("_r"), None)
    )
    cst.Module(body=statements).visit(recorder)
    return recorder.kinds


@pytest.mark.parametrize("source", ["small", *(path.stem for path in SOURCES)])
def test_jump_kinds_are_what_recording_finds(source):
    text = SMALL if source == "small" else next(p for p in SOURCES if p.stem == source).read_text(encoding="utf-8")
    text = text.partition("\n# output\n")[0]
    for block in _blocks(cst.parse_module(text)):
        assert jump_kinds(block) == _recorded_kinds(block, _JumpRecorder), cst.Module(body=block).code
        # (not into a try with a finally, nor a with: as let_go_before_jumps walks)
        assert _recorded(block, into_finally=False) - {_SPLIT} == _recorded_kinds(block, _LetGoBeforeJumps)


def test_nothing_to_record_leaves_the_statements_as_they_are():
    block = _blocks(cst.parse_module("async def f():\n    x = 1\n    for y in x:\n        break\n"))[0]
    recorded, kinds = record_jumps(block, cst.Name("_j"), cst.Name("_r"))
    assert kinds == set() and all(a is b for a, b in zip(recorded, block, strict=True))
    assert all(a is b for a, b in zip(let_go_before_jumps(block, [cst.Name("_p")], cst.Name("_r")), block, strict=True))


def test_a_line_of_several_statements_is_still_split():
    block = _blocks(cst.parse_module("async def f():\n    x = 1; y = 2\n"))[0]
    recorded, kinds = record_jumps(block, cst.Name("_j"), cst.Name("_r"))
    assert kinds == set() and len(recorded) == 2
    assert len(let_go_before_jumps(block, [cst.Name("_p")], cst.Name("_r"))) == 2


def test_let_go_before_jumps_walks_as_its_recorder():
    block = _blocks(cst.parse_module(SMALL))[0]
    assert _recorded_kinds(block, _LetGoBeforeJumps)  # (there is something to let go of before)
    assert let_go_before_jumps(block, [cst.Name("_p")], cst.Name("_r")) != block
