"""The state graph of one compiled function.

A node is a state of the machine: where ``resume`` stops and, on the next
call, goes on (an ``await``, or a ``yield`` of an async generator), plus two
ends: ``START`` (the first call of ``resume``) and ``FINISH`` (the function
returns, or raises out of its body).  An edge is a way control moves from one
state to the next one it reaches, through the code between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EDGE_KINDS", "FINISH", "START", "Edge", "FunctionGraph", "State"]

START = "start"
FINISH = "finish"

EDGE_KINDS = (
    "flow",  # straight on, or into a branch (then ``label`` is its condition)
    "loop",  # back to the top of a loop
    "exception",  # an exception, into an ``except`` clause or a ``finally``
    "return",  # ``return`` (or falling off the end of the body)
    "raise",  # a ``raise`` statement that leaves the function
)


@dataclass(frozen=True)
class State:
    number: int
    line: int  # of the source
    text: str  # the await (or yield) it waits at, as written
    kind: str = "await"  # or "yield"


@dataclass(frozen=True)
class Edge:
    source: int | str  # a state's number, or START
    target: int | str  # a state's number, or FINISH
    kind: str = "flow"
    label: str = ""

    def __post_init__(self):
        assert self.kind in EDGE_KINDS, self.kind


@dataclass
class FunctionGraph:
    qualname: str
    line: int  # of the def
    generator: bool = False
    states: list[State] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def state(self, number: int) -> State:
        return next(s for s in self.states if s.number == number)

    def add_edge(self, edge: Edge) -> None:
        if edge not in self.edges:
            self.edges.append(edge)
