"""The fast walks (``analysis.walk``) see what libcst's own visitors see, in the same order."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from statemachine_compiler.analysis.walk import TOKENS, Walker, children, fields_of
from statemachine_compiler.emit.generated import GeneratedCode, GeneratedFunction

ROOT = Path(__file__).parent.parent.parent
SOURCES = sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))


class _Order(cst.CSTVisitor):
    def __init__(self):
        self.seen: list[tuple[str, cst.CSTNode]] = []

    def on_visit(self, node) -> bool:
        self.seen.append(("visit", node))
        return True

    def on_leave(self, node) -> None:
        self.seen.append(("leave", node))


class _FastOrder(Walker):
    """Records every node (a method for each token class too: none is skipped)."""

    def __init__(self):
        self.seen: list[tuple[str, cst.CSTNode]] = []

    def walk(self, node) -> None:
        self.seen.append(("visit", node))
        super().walk(node)
        self.seen.append(("leave", node))


for _token in TOKENS:  # a method for each token class: none is skipped
    setattr(_FastOrder, "visit_" + _token.__name__, lambda self, node: None)


@pytest.mark.parametrize("path", SOURCES, ids=[path.stem for path in SOURCES])
def test_children_are_libcsts_children(path):
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = _Order()
    module.visit(expected)
    for _, node in expected.seen:
        assert [id(c) for c in children(node)] == [id(c) for c in node.children], type(node).__name__


@pytest.mark.parametrize("path", SOURCES, ids=[path.stem for path in SOURCES])
def test_a_walk_visits_and_leaves_as_libcst_does(path):
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected, found = _Order(), _FastOrder()
    module.visit(expected)
    found.walk(module)
    assert [(kind, id(node)) for kind, node in found.seen] == [(kind, id(node)) for kind, node in expected.seen]


def test_a_walk_skips_the_tokens_it_has_no_method_for():
    class Names(Walker):
        def __init__(self):
            self.seen = []

        def walk(self, node):
            self.seen.append(type(node))
            super().walk(node)

    names = Names()
    names.walk(cst.parse_module("x = (a + b)  # comment\n"))
    assert not set(names.seen) & TOKENS
    assert names.seen.count(cst.Name) == 3


def _fields_in_source(cls: type) -> tuple[str, ...]:
    """The fields ``cls._visit_and_replace_children`` names in its ``visit_*`` calls, in source order."""
    source = textwrap.dedent(inspect.getsource(cls._visit_and_replace_children))
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("visit_")
    ]
    calls.sort(key=lambda call: (call.lineno, call.col_offset))
    fields: list[str] = []
    for call in calls:
        assert isinstance(call.args[1], ast.Constant), f"{cls.__name__}: a field not named by a literal"
        if call.args[1].value not in fields:
            fields.append(call.args[1].value)
    return tuple(fields)


NODE_CLASSES = sorted(
    {value for value in vars(cst).values() if isinstance(value, type) and issubclass(value, cst.CSTNode)}
    | {GeneratedCode, GeneratedFunction},
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("cls", NODE_CLASSES, ids=[cls.__name__ for cls in NODE_CLASSES])
def test_the_fields_read_from_the_code_are_those_the_source_visits(cls):
    assert fields_of(cls) == _fields_in_source(cls)
