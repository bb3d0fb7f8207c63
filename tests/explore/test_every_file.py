"""``graph`` and ``explain`` on every example and every golden input of the compiler."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from statemachine_compiler.explore.dot import to_dot_all
from statemachine_compiler.explore.explored import explore_source
from statemachine_compiler.explore.model import FINISH, START
from statemachine_compiler.explore.page import explorer_page
from tests.explore.conftest import DOT, needs_dot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
GOLDEN_INPUTS = sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py"))
MARKER = "\n# output\n"


def source_of(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text.partition(MARKER)[0] + "\n" if path.parent.name == "golden" else text


FILES = [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in EXAMPLES + GOLDEN_INPUTS]


@pytest.mark.parametrize("path", FILES)
def test_graph_of_every_state_is_connected(path):
    exploration = explore_source(source_of(path), path.name)
    for function in exploration.functions:
        graph = function.graph
        numbers = [s.number for s in graph.states]
        assert numbers == list(range(1, len(numbers) + 1)), f"{graph.qualname}: states {numbers}"
        ends = set(numbers) | {START, FINISH}
        for edge in graph.edges:
            assert edge.source in ends and edge.target in ends, edge
        reached = {e.target for e in graph.edges}
        unreached = set(numbers) - reached
        assert not unreached, f"{graph.qualname}: no way into states {sorted(unreached)}"


@needs_dot
@pytest.mark.parametrize("path", FILES)
def test_graph_and_explain_work(path):
    exploration = explore_source(source_of(path), path.name)
    dot = to_dot_all([f.graph for f in exploration.functions], path.name)
    drawn = subprocess.run([DOT, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
    assert drawn.returncode == 0, drawn.stderr
    page = explorer_page(exploration)
    assert page.count('<section class="function"') == len(exploration.functions)
    for function in exploration.functions:
        for line in function.source_states:
            assert function.source_span[0] <= line <= function.source_span[1]
        generated = {s for states in function.generated_states.values() for s in states}
        assert generated == {s.number for s in function.graph.states}, (
            f"{function.qualname}: generated code marks states {sorted(generated)}"
        )


def test_every_await_of_the_request_handler_is_found_where_it_suspends_and_resumes():
    # Each await suspends at ``value = self.run_now(awaitable, k)`` (black may
    # wrap it, the state then on a line of its own) and resumes at ``elif self.state == k:``.
    path = ROOT / "tests" / "compiler" / "golden" / "request_handler_with_try_for_and_async_with.py"
    exploration = explore_source(source_of(path), str(path))
    (function,) = exploration.functions
    code = exploration.generated.splitlines()
    for state in range(1, 7):
        lines = [code[line - 1].strip() for line, states in function.generated_states.items() if state in states]
        assert any(line.startswith("value = self.run_now(") for line in lines), (state, lines)
        assert f"elif self.state == {state}:" in lines, (state, lines)
