"""A source file compiled for showing: its functions' graphs, and where each state is written.

``explore_source`` compiles the module as ``compile`` does (black-formatted),
and for each compiled function keeps its state graph (from the lowered form,
``flow``), its lines in the source and in the generated code, and which of
those lines belong to which state: in the source, the line of the await; in
the generated code, where ``resume`` suspends (``self.state = k``, or
``value = self.run_now(awaitable, k)``) and where it goes on (``elif
self.state == k:``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from statemachine_compiler.explore.flow import build_graph
from statemachine_compiler.explore.model import FunctionGraph
from statemachine_compiler.pipeline import Options, compile_source

__all__ = ["ExploredFunction", "Exploration", "explore_source"]


@dataclass
class ExploredFunction:
    graph: FunctionGraph
    class_name: str
    source_span: tuple[int, int]  # first and last line of the async def, decorators included
    generated_span: tuple[int, int]  # of its machine class and its stub in the generated code
    source_states: dict[int, list[int]] = field(default_factory=dict)  # line -> states
    generated_states: dict[int, list[int]] = field(default_factory=dict)

    @property
    def qualname(self) -> str:
        return self.graph.qualname


@dataclass
class Exploration:
    filename: str
    source: str
    generated: str
    functions: list[ExploredFunction]


def explore_source(text: str, filename: str) -> Exploration:
    """Compile ``text`` and describe each compiled function (raises ``CompileError``)."""
    lowered = []
    result = compile_source(text, filename, Options(format=True), on_lowered=lowered.append)
    source_lines = text.splitlines()
    # Built now, from the tree as lowering left it, the graphs are what the emitter was given.
    graphs = [(function, build_graph(function, source_lines)) for function in lowered]
    definitions = _async_defs(ast.parse(text))
    generated_tree = ast.parse(result.code)
    functions = []
    for function, graph in graphs:
        source_span = definitions.get(function.line, (function.line, function.line))
        name = function.qualname.rsplit(".", 1)[-1]
        generated_span = _machine_span(generated_tree, function.class_name, name)
        explored = ExploredFunction(graph, function.class_name, source_span, generated_span)
        for state in graph.states:
            explored.source_states.setdefault(state.line, []).append(state.number)
        functions.append(explored)
    for explored in functions:
        # The machine of an async def nested in this one stands inside its class: its states are its own.
        nested = [f.generated_span for f in functions if _inside(f.generated_span, explored.generated_span)]
        explored.generated_states = _state_lines(result.code, explored.generated_span, nested)
    functions.sort(key=lambda f: f.source_span)
    return Exploration(filename, text, result.code, functions)


def _async_defs(tree: ast.Module) -> dict[int, tuple[int, int]]:
    """Each ``async def``'s span, under the lines the compiler may give as its start."""
    spans = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            span = (first, node.end_lineno)
            for line in range(first, node.lineno + 1):
                spans.setdefault(line, span)
    return spans


def _machine_span(tree: ast.Module, class_name: str, name: str) -> tuple[int, int]:
    """The lines of the machine class, and of the stub right after it (a method's is in its class).

    A nested async def that shares its enclosing function's cells has its
    resume written where they are, in the enclosing resume (the function the
    class names in ``_resume_maker``): its states are there, so that is its span.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            maker = _resume_maker(tree, node)
            if maker is not None:
                return maker.lineno, maker.end_lineno
            end = node.end_lineno
            following = _siblings_after(tree, node)[:1]
            if following and isinstance(following[0], ast.FunctionDef) and following[0].name == name:
                end = following[0].end_lineno
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            return first, end
    return 1, 0  # pragma: no cover - every compiled function has its class


def _resume_maker(tree: ast.Module, machine: ast.ClassDef) -> ast.FunctionDef | None:
    """The function that makes the machine's resume, where the class says one does."""
    for statement in machine.body:
        if (
            isinstance(statement, ast.Assign)
            and [getattr(t, "id", None) for t in statement.targets] == ["_resume_maker"]
            and isinstance(statement.value, ast.Constant)
        ):
            maker = statement.value.value
            return next(
                (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == maker), None
            )
    return None


def _siblings_after(tree: ast.Module, target: ast.stmt):
    for parent in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(parent, name, None)
            if isinstance(statements, list) and target in statements:
                return statements[statements.index(target) + 1 :]
    return []


STATE_LINE = re.compile(r"\b\w+\.state (?:== (\d+)\b|= (\d+)\b)")


def _inside(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    return inner != outer and outer[0] <= inner[0] and inner[1] <= outer[1]


def _state_lines(code: str, span: tuple[int, int], skipped: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Generated lines (1-based) in ``span``, not in ``skipped``, that suspend at or resume from a state."""
    lines = code.splitlines()
    found: dict[int, list[int]] = {}
    for number in range(span[0], span[1] + 1):
        if any(first <= number <= last for first, last in skipped):
            continue
        match = STATE_LINE.search(lines[number - 1])
        state = int(match.group(1) or match.group(2)) if match else _run_now_state(lines, number - 1)
        if state:  # state 0 is "running", not a state of the graph
            found.setdefault(number, []).append(state)
    return found


_RUN_NOW = re.compile(r"\.run_now\((.*), (\d+)\)$")
_LAST_ARGUMENT = re.compile(r"(?:^|, )(\d+),?$")


def _run_now_state(lines: list[str], index: int) -> int | None:
    """The state of ``value = self.run_now(awaitable, k)`` starting on ``lines[index]``, or None.

    Black may wrap the call: ``k`` is then its last argument, on the line
    before the one that closes it, at the call's own indentation.
    """
    line = lines[index]
    if ".run_now(" not in line:
        return None
    match = _RUN_NOW.search(line)
    if match:
        return int(match.group(2))
    indent = len(line) - len(line.lstrip())
    for following in range(index + 1, len(lines)):
        text = lines[following]
        if text.strip() == ")" and len(text) - len(text.lstrip()) == indent:
            last = _LAST_ARGUMENT.search(lines[following - 1].strip())
            return int(last.group(1)) if last else None
    return None
