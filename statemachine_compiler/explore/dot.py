"""A state graph as Graphviz DOT text.

One node per state (``state 3``, its line, the await), a start point and a
finish; an edge's look says its kind: a loop's way back is blue, an
exception's way into a handler or a ``finally`` is dashed red, a ``return``
and a ``raise`` end at the finish.  Node ids are ``s<k>`` (and ``start``,
``finish``), so that the explorer page can find them in the SVG.
"""

from __future__ import annotations

from statemachine_compiler.explore.model import FINISH, START, FunctionGraph

__all__ = ["to_dot", "to_dot_all"]

FONT = "Helvetica"
EDGE_STYLE = {
    "flow": 'color="#444444"',
    "loop": 'color="#2b6cb0", fontcolor="#2b6cb0"',
    "exception": 'color="#c53030", fontcolor="#c53030", style=dashed',
    "return": 'color="#2f855a", fontcolor="#2f855a"',
    "raise": 'color="#c53030", fontcolor="#c53030"',
}


def to_dot(graph: FunctionGraph, prefix: str = "") -> str:
    """The DOT text of ``graph``: a ``digraph`` named after the function.

    ``prefix`` goes before every node's name and id (``f2_s1``): for pages
    that show several graphs.
    """
    lines = [f"digraph {_quote(graph.qualname)} {{", *HEADER]
    lines += _graph_lines(graph, prefix=prefix, indent="  ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot_all(graphs: list[FunctionGraph], title: str) -> str:
    """One ``digraph`` for a module: each function's graph in a cluster of its own."""
    if len(graphs) == 1:
        return to_dot(graphs[0])
    lines = [f"digraph {_quote(title)} {{", *HEADER]
    if not graphs:
        lines.append('  label="no async def here"; none [label="no async def here", shape=plaintext];')
    for index, graph in enumerate(graphs, start=1):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f'    label={_quote(graph.qualname)}; fontsize=13; color="#cbd5e0"; style=rounded;')
        lines += _graph_lines(graph, prefix=f"f{index}_", indent="    ")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


HEADER = [
    f'  graph [rankdir=TB, fontname="{FONT}", nodesep=0.3, ranksep=0.35];',
    f'  node [fontname="{FONT}", fontsize=11, shape=box, style="rounded,filled", '
    'fillcolor="#f7fafc", color="#4a5568"];',
    f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
]


def _graph_lines(graph: FunctionGraph, prefix: str, indent: str) -> list[str]:
    def name(node: int | str) -> str:
        return prefix + (f"s{node}" if isinstance(node, int) else node)

    ends = 'shape=circle, fillcolor="#e2e8f0", fontsize=9'
    lines = [f'{name(START)} [id="{name(START)}", class="{START}", label="start", {ends}];']
    for state in graph.states:
        keyword = "yield" if state.kind == "yield" else "await"
        label = f"state {state.number}  (line {state.line})\\n{_escape(state.text)}"
        lines.append(
            f'{name(state.number)} [id="{name(state.number)}", class="state {keyword}",'
            f' label="{label}", tooltip="state {state.number}: line {state.line}"];'
        )
    finish = "end (StopAsyncIteration)" if graph.generator else "finish"
    style = ends.replace("circle", "doublecircle")
    if not any(edge.target == FINISH for edge in graph.edges):
        finish, style = "never\\nfinishes", style + ', style="dashed,filled"'
    lines.append(f'{name(FINISH)} [id="{name(FINISH)}", class="{FINISH}", label="{finish}", {style}];')
    for edge in graph.edges:
        attributes = [EDGE_STYLE[edge.kind], f'class="{edge.kind}"']
        if edge.label:
            attributes.append(f'label="{_escape(edge.label)}"')
        lines.append(f"{name(edge.source)} -> {name(edge.target)} [{', '.join(attributes)}];")
    return [indent + line for line in lines]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'
