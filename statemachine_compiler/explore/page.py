"""The explorer page: for each function, its state diagram above its source and generated code.

One self-contained HTML file (styles, script and SVG inline; nothing is
fetched).  Every element that stands for a state carries ``data-states``:
the diagram's node, the source line of its await, and the generated lines
where ``resume`` suspends there (``self.state = k``) and goes on from it
(``if self.state == k:``).  Pointing at one lights up all of them in its
section; a click keeps them lit and scrolls both panes to them.
"""

from __future__ import annotations

import html
import re

from statemachine_compiler.explore.dot import to_dot
from statemachine_compiler.explore.explored import Exploration, ExploredFunction
from statemachine_compiler.explore.render import render_svgs

__all__ = ["explorer_page"]


def explorer_page(exploration: Exploration) -> str:
    """The whole page for a compiled module."""
    functions = exploration.functions
    svgs = render_svgs([to_dot(f.graph, f"f{i}_") for i, f in enumerate(functions, start=1)])
    sections = [
        _section(exploration, function, index, svg)
        for index, (function, svg) in enumerate(zip(functions, svgs, strict=True), start=1)
    ]
    title = html.escape(exploration.filename)
    if not sections:
        sections = ['<p class="empty">This file has no <code>async def</code>: nothing is compiled.</p>']
    return PAGE.format(
        title=title,
        contents=_contents(exploration.functions),
        legend=LEGEND,
        sections="\n".join(sections),
        style=STYLE,
        script=SCRIPT,
    )


def _contents(functions: list[ExploredFunction]) -> str:
    items = []
    for index, function in enumerate(functions, start=1):
        count = len(function.graph.states)
        states = f"{count} state{'s' if count != 1 else ''}"
        items.append(
            f'<li><a href="#f{index}"><code>{html.escape(function.qualname)}</code></a>'
            f' <span class="muted">line {function.source_span[0]}, {states}</span></li>'
        )
    return "<ol>" + "".join(items) + "</ol>" if items else ""


def _section(exploration: Exploration, function: ExploredFunction, index: int, svg: str) -> str:
    svg = _inline_svg(svg, f"f{index}_")
    source = _pane_lines(exploration.source, function.source_span, function.source_states)
    generated = _pane_lines(exploration.generated, function.generated_span, function.generated_states)
    count = len(function.graph.states)
    kind = "async generator" if function.graph.generator else "coroutine"
    return SECTION.format(
        index=index,
        name=html.escape(function.qualname),
        line=function.source_span[0],
        kind=kind,
        count=count,
        plural="s" if count != 1 else "",
        class_name=html.escape(function.class_name),
        svg=svg,
        source=source,
        generated=generated,
    )


def _pane_lines(text: str, span: tuple[int, int], states: dict[int, list[int]]) -> str:
    lines = text.splitlines()
    first, last = span
    rows = []
    for number in range(first, min(last, len(lines)) + 1):
        marked = states.get(number, [])
        code = html.escape(lines[number - 1]) or " "
        if marked:
            numbers = " ".join(str(s) for s in dict.fromkeys(marked))
            badges = "".join(f'<b data-states="{s}">{s}</b>' for s in dict.fromkeys(marked))
            rows.append(
                f'<span class="line state" data-states="{numbers}"><i>{number}</i>'
                f"<u>{badges}</u>{code}</span>"
            )
        else:
            rows.append(f'<span class="line"><i>{number}</i><u></u>{code}</span>')
    return "".join(rows)


_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_AUTOMATIC_ID = re.compile(r'\bid="((?:graph|node|edge)\d+)"')
_STATE_NODE = re.compile(r'<g id="(\w+?_s(\d+))" class="node')


def _inline_svg(svg: str, prefix: str) -> str:
    """Graphviz's SVG, fit to go in a page: no XML prologue, ids unique, states marked."""
    svg = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    svg = _AUTOMATIC_ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = _STATE_NODE.sub(lambda m: f'<g data-states="{m.group(2)}" id="{m.group(1)}" class="node', svg)
    return svg.replace("<svg ", '<svg role="img" ', 1)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: its state machines</title>
<style>{style}</style>
</head>
<body>
<header>
<h1><code>{title}</code>: its state machines</h1>
<p>Each <code>async def</code> became a class whose <code>resume</code> method runs the function
up to its next <code>await</code>, saves which one in <code>self.state</code>, and returns; the
next call goes on from there. Point at a state (in the diagram, or at a numbered line) to see it
everywhere; click to keep it.</p>
{legend}
<nav>{contents}</nav>
</header>
<main>
{sections}
</main>
<script>{script}</script>
</body>
</html>
"""

LEGEND = """<p class="legend">
<span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" stroke="#444"/></svg>next</span>
<span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" stroke="#2b6cb0"/></svg>round a loop</span>
<span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" stroke="#c53030" stroke-dasharray="4 3"/></svg>an exception, into <code>except</code> or <code>finally</code></span>
<span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" stroke="#2f855a"/></svg>return</span>
<span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" stroke="#c53030"/></svg>raise</span>
</p>"""

SECTION = """<section class="function" id="f{index}">
<h2><code>{name}</code> <span class="muted">line {line} &middot; {kind} &middot; {count} state{plural}</span></h2>
<div class="diagram">{svg}</div>
<div class="panes">
<div class="pane"><h3>Source</h3><pre class="code source">{source}</pre></div>
<div class="pane"><h3>Generated: <code>class {class_name}</code></h3><pre class="code generated">{generated}</pre></div>
</div>
</section>"""

STYLE = """
:root { --ink: #1a202c; --muted: #718096; --rule: #e2e8f0; --lit: #fefcbf; --lit-edge: #d69e2e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: var(--ink); background: #fff; }
header, main { max-width: 1400px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 16px; border-bottom: 1px solid var(--rule); }
h1 { font-size: 22px; margin: 8px 0; }
h2 { font-size: 18px; margin: 0 0 8px; }
h3 { font-size: 13px; font-weight: 600; margin: 0; padding: 6px 10px; color: #4a5568;
  background: #f7fafc; border-bottom: 1px solid var(--rule); }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.93em; }
.muted { color: var(--muted); font-weight: normal; font-size: 14px; }
nav ol { columns: 3 18em; margin: 8px 0 16px; padding-left: 24px; }
.legend { display: flex; flex-wrap: wrap; gap: 18px; font-size: 13px; color: #4a5568; }
.legend svg { margin-right: 6px; vertical-align: middle; }
section.function { padding: 20px 0 28px; border-bottom: 1px solid var(--rule);
  content-visibility: auto; contain-intrinsic-size: auto 900px; }  /* off screen: not laid out yet */
.diagram { text-align: center; overflow-x: auto; margin-bottom: 12px; }
.diagram svg { max-width: 100%; height: auto; max-height: 480px; }
.diagram g.node[data-states] { cursor: pointer; }
.diagram g.node.lit path, .diagram g.node.lit polygon { fill: var(--lit); stroke: var(--lit-edge); stroke-width: 2; }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.pane { border: 1px solid var(--rule); border-radius: 6px; overflow: hidden; min-width: 0; }
pre.code { margin: 0; padding: 6px 0; max-height: 460px; overflow: auto; font-size: 12.5px; line-height: 1.45;
  font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.line { display: block; white-space: pre; padding-right: 12px; }
.line i { display: inline-block; width: 3.2em; padding-right: 0.8em; text-align: right; color: #a0aec0;
  font-style: normal; user-select: none; }
.line u { display: inline-block; width: 2.6em; text-decoration: none; user-select: none; }
.line u b { display: inline-block; min-width: 1.5em; margin-right: 2px; padding: 0 3px; border-radius: 8px;
  background: #ebf4ff; color: #2b6cb0; font-size: 11px; font-weight: 600; text-align: center; cursor: pointer; }
.line.state { background: #f7fbff; cursor: pointer; }
.line.lit { background: var(--lit); box-shadow: inset 3px 0 var(--lit-edge); }
.line.lit u b { background: var(--lit-edge); color: #fff; }
.empty { padding: 24px 0; }
@media (max-width: 900px) { .panes { grid-template-columns: 1fr; } }
"""

SCRIPT = """
(function () {
  "use strict";
  function statesOf(element) { return element.getAttribute("data-states").split(" "); }
  function light(section, states) {
    section.querySelectorAll(".lit").forEach(function (e) { e.classList.remove("lit"); });
    if (!states) return;
    section.querySelectorAll("[data-states]").forEach(function (e) {
      if (statesOf(e).some(function (s) { return states.indexOf(s) >= 0; })) {
        (e.tagName === "B" ? e.closest(".line") : e).classList.add("lit");
      }
    });
  }
  function reveal(section) {
    section.querySelectorAll("pre.code").forEach(function (pane) {
      var line = pane.querySelector(".line.lit");
      if (!line) return;
      var top = line.offsetTop - pane.offsetTop;
      if (top < pane.scrollTop || top > pane.scrollTop + pane.clientHeight - line.offsetHeight) {
        pane.scrollTop = Math.max(0, top - pane.clientHeight / 3);
      }
    });
  }
  document.querySelectorAll("section.function").forEach(function (section) {
    var kept = null;
    section.addEventListener("mouseover", function (event) {
      var target = event.target.closest("[data-states]");
      if (target && section.contains(target)) light(section, statesOf(target));
    });
    section.addEventListener("mouseout", function (event) {
      var target = event.target.closest("[data-states]");
      if (target && !target.contains(event.relatedTarget)) light(section, kept);
    });
    section.addEventListener("click", function (event) {
      var target = event.target.closest("[data-states]");
      if (!target) return;
      var states = statesOf(target);
      kept = kept && kept.join(" ") === states.join(" ") ? null : states;
      light(section, kept);
      reveal(section);
    });
  });
})();
"""
