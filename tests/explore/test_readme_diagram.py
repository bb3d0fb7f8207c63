"""The README's diagram (``docs/send_to_server_states.svg``) is what ``make diagrams`` makes now.

Discussion: the SVG's coordinates depend on the Graphviz version that drew
it, so it is not compared as text.  The DOT it is drawn from is
(``docs/send_to_server_states.dot``, written by the same make target), and
the SVG is checked to draw exactly that DOT's nodes, labels and edges.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from statemachine_compiler.explore.dot import to_dot
from statemachine_compiler.explore.explored import explore_source

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "two_servers.py"
DOCS = ROOT / "docs"
REMAKE = "run `make diagrams` and commit docs/send_to_server_states.*"


def current_graph():
    exploration = explore_source(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE.relative_to(ROOT)))
    (function,) = [f for f in exploration.functions if f.qualname == "send_to_server"]
    return function.graph


def test_committed_dot_is_current():
    committed = (DOCS / "send_to_server_states.dot").read_text(encoding="utf-8")
    assert committed == to_dot(current_graph()), f"docs/send_to_server_states.dot is stale: {REMAKE}"


def test_committed_svg_draws_the_current_graph():
    svg = (DOCS / "send_to_server_states.svg").read_text(encoding="utf-8")
    graph = current_graph()
    nodes = set(re.findall(r'<g id="(\w+)" class="node', svg))
    assert nodes == {"start", "finish"} | {f"s{s.number}" for s in graph.states}, REMAKE
    # Graphviz writes a run of spaces as spaces and no-break spaces: compare words.
    texts = [" ".join(unescape(t).split()) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    for state in graph.states:
        assert f"state {state.number} (line {state.line})" in texts, REMAKE
        assert " ".join(state.text.split()) in texts, REMAKE
    edges = set(re.findall(r'<g id="\w+" class="edge[^"]*">\s*<title>([^<]*)</title>', svg))
    expected = {f"{_name(e.source)}&#45;&gt;{_name(e.target)}" for e in graph.edges}
    assert edges == expected, REMAKE


def _name(node) -> str:
    return f"s{node}" if isinstance(node, int) else node
