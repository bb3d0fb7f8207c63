"""``emit.writer.code_of``: what libcst prints, for every node, its own printing of plain names and assignments too.

``code_of`` prints names, dotted names and assignments of them without libcst
(issue 12); whatever it is given, its text must be libcst's own, at any depth.
"""

from __future__ import annotations

import pathlib

import libcst as cst
import pytest
from libcst._nodes.internal import CodegenState

from statemachine_compiler.analysis.walk import Walker
from statemachine_compiler.emit.writer import code_of

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))

ODD = (
    """\
x = y
x.y = z.w = 1
a . b = (c)
(a).b = c.d  # a comment
a = b; c = d
a = 'text'
a  =  b
a.b.c = d.e.f
a = (b.
  c)
if x: y = z
"""
    + "a = b   \n"  # spaces before the newline
)


def _libcst_code(node: cst.CSTNode, indent: str, newline: str, depth: int) -> str:
    state = CodegenState(default_indent=indent, default_newline=newline)
    state.indent_tokens = [indent] * depth
    node._codegen(state)
    return "".join(state.tokens)


class _Nodes(Walker):
    def __init__(self):
        self.found: list[cst.CSTNode] = []

    def walk(self, node):
        self.found.append(node)
        super().walk(node)


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    finder = _Nodes()
    for statement in module.body:
        finder.walk(statement)
    return finder.found


@pytest.mark.parametrize("source", [*SOURCES, None], ids=lambda p: p.name if p is not None else "odd")
def test_code_of_prints_every_node_as_libcst_does(source):
    text = source.read_text(encoding="utf-8") if source is not None else ODD
    module = cst.parse_module(text)
    printed = 0
    for node in _nodes(module):
        if not isinstance(node, (cst.BaseExpression, cst.BaseStatement)):
            continue
        for depth in (0, 2):
            assert code_of(node, depth=depth) == _libcst_code(node, "    ", "\n", depth), code_of(node)
        printed += 1
    assert printed


def test_code_of_keeps_the_modules_newline_and_indent_for_made_assignments():
    line = cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(cst.Attribute(cst.Name("self"), cst.Name("x")))], cst.Name("value"))]
    )
    assert code_of(line, "\t", "\r\n", 1) == _libcst_code(line, "\t", "\r\n", 1) == "\tself.x = value\r\n"
    explicit = line.with_changes(trailing_whitespace=cst.TrailingWhitespace(newline=cst.Newline("\n")))
    assert code_of(explicit, newline="\r\n") == _libcst_code(explicit, "    ", "\r\n", 0) == "self.x = value\n"
