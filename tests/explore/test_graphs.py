"""State graphs of golden inputs: the DOT text, the graph's states and edges, and dot drawing it.

Each ``golden/NAME.py`` is an input and ``golden/NAME.dot`` what ``graph``
prints for it.  The DOT is compared as text (rewrite the expectations with
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/explore/test_graphs.py``,
then read the diff), and the graph itself is checked against the states and
edges written out below: which states exist, and which ways lead between them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from statemachine_compiler.explore.dot import to_dot_all
from statemachine_compiler.explore.explored import explore_source
from tests.explore.conftest import DOT, needs_dot

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CASES = sorted(path.stem for path in GOLDEN.glob("*.py"))

# For each case: its states as (number, line, text), then its edges as
# (from, to, kind), "start" and "finish" being the ends.
EXPECTED = {
    "while_loop_with_break_and_continue": (
        [(1, 4, "await source.next()"), (2, 9, "await source.ack(item)")],
        {
            ("start", 1, "flow"),
            (1, 2, "flow"),
            (2, 1, "loop"),  # round the loop
            (1, 1, "loop"),  # continue
            ("start", "finish", "return"),  # the loop never runs
            (2, "finish", "return"),
            (1, "finish", "return"),  # break
        },
    ),
    "if_elif_else_with_awaits": (
        [(1, 5, "await fetch(request)"), (2, 7, "await post(request)"), (3, 10, "await log(request)")],
        {
            ("start", 1, "flow"),
            ("start", 2, "flow"),
            ("start", 3, "flow"),  # the else: no await
            (1, 3, "flow"),
            (2, 3, "flow"),
            ("start", "finish", "return"),  # return request.cache
            (3, "finish", "return"),
        },
    ),
    "try_except_else_finally_awaiting_in_each_clause": (
        [
            (1, 3, "await db.begin()"),
            (2, 5, "await db.reconnect()"),
            (3, 8, "await db.debit(amount)"),
            (4, 10, "await db.close()"),
        ],
        {
            ("start", 1, "flow"),
            (1, 2, "exception"),  # except ConnectionError
            (1, 3, "flow"),  # else
            (3, 4, "flow"),  # finally, on the way out
            (1, 4, "exception"),  # finally, with the exception no clause caught
            (2, 4, "exception"),
            (3, 4, "exception"),
            (2, 4, "return"),  # return False, through the finally
            (4, "finish", "return"),
            (4, "finish", "raise"),  # the exception goes on after the finally
        },
    ),
    "async_for_with_else": (
        [(1, 2, "async for line in lines: __anext__"), (2, 5, "await report(line)"), (3, 7, 'await report("no errors")')],
        {
            ("start", 1, "flow"),
            (1, 2, "flow"),
            (2, 1, "loop"),
            (1, 3, "flow"),  # StopAsyncIteration: the else
            (3, "finish", "return"),
            (1, "finish", "return"),  # break, then return line
        },
    ),
    "async_generator_yields_in_a_loop": (
        [(1, 3, "await clock.sleep(1)"), (2, 4, "yield n"), (3, 5, 'yield "done"')],
        {
            ("start", 1, "flow"),
            (1, 2, "flow"),
            (2, 1, "loop"),
            ("start", 3, "flow"),
            (2, 3, "flow"),
            (3, "finish", "return"),
        },
    ),
    "async_with_and_raise": (
        [
            (1, 2, "async with lock: __aenter__"),
            (2, 5, "await record.save()"),
            (3, 2, "async with lock: __aexit__"),
            (4, 2, "async with lock: __aexit__"),
        ],
        {
            ("start", 1, "flow"),  # __aenter__
            (1, 2, "flow"),
            (1, 3, "exception"),  # raise ValueError: __aexit__ with it
            (2, 3, "exception"),
            (2, 4, "flow"),  # __aexit__(None, None, None)
            (4, "finish", "return"),
            (3, "finish", "return"),  # __aexit__ swallowed it
            (3, "finish", "raise"),  # or not
        },
    ),
}


def explored(case: str):
    path = GOLDEN / f"{case}.py"
    return explore_source(path.read_text(encoding="utf-8"), path.name)


def test_every_case_has_expectations():
    assert sorted(EXPECTED) == CASES


@pytest.mark.parametrize("case", CASES)
def test_dot_text_matches_golden(case):
    exploration = explored(case)
    dot = to_dot_all([f.graph for f in exploration.functions], f"{case}.py")
    expected_path = GOLDEN / f"{case}.dot"
    if UPDATE:
        expected_path.write_text(dot, encoding="utf-8")
    assert dot == expected_path.read_text(encoding="utf-8"), (
        f"{case}: the DOT differs from golden/{case}.dot (UPDATE_GOLDEN=1 rewrites it; read the diff)"
    )


@pytest.mark.parametrize("case", CASES)
def test_graph_has_the_expected_states_and_edges(case):
    (function,) = explored(case).functions
    states, edges = EXPECTED[case]
    found_states = [(s.number, s.line, s.text) for s in function.graph.states]
    assert found_states == states
    found_edges = {(e.source, e.target, e.kind) for e in function.graph.edges}
    assert found_edges == edges, (
        f"missing: {sorted(map(str, edges - found_edges))}; unexpected: {sorted(map(str, found_edges - edges))}"
    )


def test_branches_are_labelled_with_the_conditions_source():
    (function,) = explored("if_elif_else_with_awaits").functions
    labels = {(e.source, e.target): e.label for e in function.graph.edges}
    assert labels["start", 1] == 'request.method == "GET"'
    assert labels["start", "finish"] == "request.cached"
    assert labels[1, 3] == ""  # after the if, whichever way


def test_async_generator_states_are_yields_and_awaits():
    (function,) = explored("async_generator_yields_in_a_loop").functions
    assert function.graph.generator
    assert [s.kind for s in function.graph.states] == ["await", "yield", "yield"]


@needs_dot
@pytest.mark.parametrize("case", CASES)
def test_dot_renders_with_dot(case):
    dot = (GOLDEN / f"{case}.dot").read_text(encoding="utf-8")
    drawn = subprocess.run([DOT, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
    assert drawn.returncode == 0, drawn.stderr
    states, _ = EXPECTED[case]
    for number, _, _ in states:
        assert f'id="s{number}"' in drawn.stdout
    assert drawn.stdout.rstrip().endswith("</svg>")
