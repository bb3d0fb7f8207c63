"""What ``graph`` and ``explain`` write: a source file read, compiled and shown.

The command line (``cli``) parses the arguments and reports errors; these
return the bytes to write, or raise (``CompileError``, ``OSError``,
``render.DotMissing``, ``NoSuchFunction``).
"""

from __future__ import annotations

import os

from statemachine_compiler.decoding import decode_source
from statemachine_compiler.explore.dot import to_dot_all
from statemachine_compiler.explore.explored import Exploration, explore_source
from statemachine_compiler.explore.page import explorer_page
from statemachine_compiler.explore.render import FORMATS, render, require_dot

__all__ = ["NoSuchFunction", "explain_bytes", "graph_bytes", "graph_format"]


class NoSuchFunction(Exception):
    """Raised by ``graph_bytes`` for a ``--function`` the file does not compile."""


def graph_format(output: str | None) -> str:
    """``svg`` or ``png`` from the output's extension; ``dot`` for anything else."""
    extension = os.path.splitext(output or "")[1].lower().lstrip(".")
    return extension if extension in FORMATS else "dot"


def graph_bytes(path: str, function: str | None, output: str | None) -> bytes:
    format = graph_format(output)
    exploration = _explore(path)  # the source's errors first, as a compiler's
    if format != "dot":
        require_dot()  # before anything is written
    graphs = [f.graph for f in exploration.functions]
    if function is not None:
        chosen = [g for g in graphs if function in (g.qualname, g.qualname.rsplit(".", 1)[-1])]
        if not chosen:
            names = ", ".join(g.qualname for g in graphs) or "none"
            raise NoSuchFunction(f"no compiled function named {function!r} (there are: {names})")
        graphs = chosen
    dot = to_dot_all(graphs, title=os.path.basename(path))
    return dot.encode("utf-8") if format == "dot" else render(dot, format)


def explain_bytes(path: str) -> bytes:
    exploration = _explore(path)  # the source's errors first, as a compiler's
    require_dot()
    return explorer_page(exploration).encode("utf-8")


def _explore(path: str) -> Exploration:
    with open(path, "rb") as file:
        data = file.read()
    return explore_source(decode_source(data, path).text, path)
