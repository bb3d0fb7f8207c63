"""Random async functions with closures over their locals, run natively and compiled.

The strategy builds ``async def f()`` whose locals ``a``, ``b``, ``c`` are
shared with nested definitions (issue 4):

- plain ``def`` readers and ``nonlocal`` writers (assignment and augmented
  assignment), also a ``def`` nested two deep that writes with ``nonlocal``;
- lambdas that read the locals, and lambdas that capture a value with a
  default (``lambda x=a: ...``), also made in a loop (``lambda i=i: ...``);
- nested ``async def`` that awaits and then reads or ``nonlocal``-writes the
  outer locals (their awaits suspend ``f`` through delegation);
- comprehensions, generator expressions and class bodies reading the locals.

Half of the functions return their first closures, which ``main()`` calls
after ``f`` returned, twice: what they read and write are cells that
outlive the coroutine (issue 11).

Closures are defined right after the locals are initialised and sometimes again
later in the body (after awaits, redefining the same name).  The body then
mixes awaits, assignments, closure calls with awaited arguments, ``log``
side effects, ``if``, bounded ``for``/``while`` loops, so that reads and writes
from both sides interleave with suspensions.

A random driver script sends integers at the first suspensions and may end with
a ``throw`` or a ``close`` at a random one.

Profiles as in ``test_generated.py``: ``default`` runs 200 derandomized
examples; ``HYPOTHESIS_PROFILE=thorough`` runs 2000 with a fresh seed.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compiler.differential import run_both

PROFILES = {
    "default": settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
    "thorough": settings(
        max_examples=2000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
}
PROFILE_SETTINGS = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "default"), PROFILES["default"])

VARIABLES = ("a", "b", "c")
MAX_DEPTH = 2


class Builder:
    """Draws one function; ``draw`` is hypothesis's."""

    def __init__(self, draw):
        self.draw = draw
        self.labels = 0
        self.counters = 0
        # name -> kind; kinds: "reader" (no argument), "writer" (one int argument),
        # "async_reader" (no argument, awaited), "async_writer" (one int argument, awaited)
        self.closures: dict[str, str] = {}

    def label(self) -> str:
        self.labels += 1
        return f"s{self.labels}"

    def choice(self, options):
        return self.draw(st.sampled_from(list(options)))

    def integer(self, low=0, high=3) -> int:
        return self.draw(st.integers(low, high))

    def variable(self) -> str:
        return self.choice(VARIABLES)

    # -- closures ----------------------------------------------------------------------

    def closure(self, indent: int, name: str | None = None) -> list[str]:
        """Define one closure; its name may reuse an existing one of the same kind."""
        pad = "    " * indent
        kind = self.choice(
            [
                "def_reader",
                "def_writer",
                "def_augmenter",
                "lambda_reader",
                "lambda_default",
                "nested_writer",
                "async_reader",
                "async_writer",
                "comprehension_reader",
                "class_reader",
            ]
        )
        v, w = self.variable(), self.variable()
        runtime_kind = {
            "def_reader": "reader",
            "lambda_reader": "reader",
            "lambda_default": "reader",
            "comprehension_reader": "reader",
            "class_reader": "reader",
            "def_writer": "writer",
            "def_augmenter": "writer",
            "nested_writer": "writer",
            "async_reader": "async_reader",
            "async_writer": "async_writer",
        }[kind]
        existing = [n for n, k in self.closures.items() if k == runtime_kind]
        if name is None:
            if existing and self.draw(st.booleans()):
                name = self.choice(existing)  # redefine: later calls see the new one
            else:
                name = f"h{len(self.closures) + 1}"
        self.closures[name] = runtime_kind
        if kind == "def_reader":
            return [f"{pad}def {name}():", f"{pad}    return ({v}, {w})"]
        if kind == "lambda_reader":
            return [f"{pad}{name} = lambda: {v} - {w}"]
        if kind == "lambda_default":
            return [f"{pad}{name} = lambda x={v}: (x, {w})"]
        if kind == "comprehension_reader":
            return [f"{pad}{name} = lambda: [{v} + i for i in range(2)] + list({w} * i for i in range(2))"]
        if kind == "class_reader":
            return [
                f"{pad}def {name}():",
                f"{pad}    class K:",
                f"{pad}        first = {v}",
                f"{pad}        both = [{v}, {w}]",
                f"{pad}    return K.first, K.both",
            ]
        if kind == "def_writer":
            return [
                f"{pad}def {name}(value):",
                f"{pad}    nonlocal {v}",
                f"{pad}    {v} = value",
                f"{pad}    return {v}",
            ]
        if kind == "def_augmenter":
            return [
                f"{pad}def {name}(value):",
                f"{pad}    nonlocal {v}",
                f"{pad}    {v} += value",
                f"{pad}    return ({v}, {w})",
            ]
        if kind == "nested_writer":
            return [
                f"{pad}def {name}(value):",
                f"{pad}    def inner():",
                f"{pad}        nonlocal {v}",
                f"{pad}        {v} = {v} + value",
                f"{pad}        return {w}",
                f"{pad}    return inner()",
            ]
        if kind == "async_reader":
            return [
                f"{pad}async def {name}():",
                f"{pad}    before = {v}",
                f"{pad}    got = await tick('{self.label()}')",
                f"{pad}    return (before, {v}, {w}, got)",
            ]
        return [
            f"{pad}async def {name}(value):",
            f"{pad}    nonlocal {v}",
            f"{pad}    {v} = {v} + value",
            f"{pad}    got = await tick('{self.label()}')",
            f"{pad}    {v} = {v} + got",
            f"{pad}    return {w}",
        ]

    def call(self) -> str:
        """An expression that calls a defined closure (awaiting it if it is async)."""
        name = self.choice(sorted(self.closures))
        kind = self.closures[name]
        if kind == "reader":
            return f"{name}()"
        if kind == "writer":
            return f"{name}({self.argument()})"
        if kind == "async_reader":
            return f"(await {name}())"
        return f"(await {name}({self.argument()}))"

    # -- expressions -------------------------------------------------------------------

    def argument(self) -> str:
        kind = self.choice(["int", "tick", "tick", "ready", "var_len"])
        if kind == "int":
            return str(self.integer(0, 5))
        if kind == "tick":
            return f"(await tick('{self.label()}'))"
        if kind == "ready":
            return f"(await ready({self.integer(0, 5)}))"
        return f"len(repr({self.variable()}))"

    def expression(self) -> str:
        kind = self.choice(["var", "call", "call", "tick", "pair"])
        if kind == "var":
            return self.variable()
        if kind == "call":
            return self.call()
        if kind == "tick":
            return f"(await tick('{self.label()}'))"
        return f"({self.call()}, {self.variable()})"

    # -- statements --------------------------------------------------------------------

    def block(self, indent: int, depth: int) -> list[str]:
        lines = []
        for _ in range(self.integer(2, 5) if depth == 0 else self.integer(1, 2)):
            lines += self.statement(indent, depth)
        return lines

    def statement(self, indent: int, depth: int) -> list[str]:
        pad = "    " * indent
        kinds = ["assign", "assign", "log", "log", "call", "await", "await", "closure"]
        if depth < MAX_DEPTH:
            kinds += ["if", "for", "while", "lambda_loop"]
        kind = self.choice(kinds)
        if kind == "assign":
            # Mostly keep the locals integers (writers add to them); sometimes any value.
            target, value = self.variable(), self.expression()
            if self.integer(0, 3):
                value = f"len(repr({value})) + {target}"
            return [f"{pad}{target} = {value}"]
        if kind == "log":
            return [f"{pad}log.append(('{self.label()}', {self.expression()}))"]
        if kind == "call":
            return [f"{pad}{self.call()}"]
        if kind == "await":
            return [f"{pad}log.append(('{self.label()}', await tick(({', '.join(VARIABLES)}))))"]
        if kind == "closure":
            return self.closure(indent)
        if kind == "if":
            lines = [f"{pad}if {self.expression()}:"]
            lines += self.block(indent + 1, depth + 1)
            if self.draw(st.booleans()):
                lines += [f"{pad}else:", *self.block(indent + 1, depth + 1)]
            return lines
        if kind == "for":
            target = self.choice(["i", self.variable()])
            lines = [f"{pad}for {target} in range({self.integer(0, 3)}):"]
            return lines + self.block(indent + 1, depth + 1)
        if kind == "while":
            self.counters += 1
            counter = f"w{self.counters}"
            lines = [
                f"{pad}{counter} = 0",
                f"{pad}while {counter} < {self.integer(1, 3)}:",
                f"{pad}    {counter} += 1",
            ]
            return lines + self.block(indent + 1, depth + 1)
        # Closures made in a loop: early binding through a default, late binding without.
        var = self.variable()
        return [
            f"{pad}made = []",
            f"{pad}for i in range({self.integer(1, 3)}):",
            f"{pad}    made.append(lambda i=i: (i, {var}))",
            f"{pad}    made.append(lambda: (i, {var}))",
            f"{pad}    {var} = await tick('{self.label()}')",
            f"{pad}log.append(('{self.label()}', [m() for m in made]))",
        ]


@st.composite
def async_functions(draw) -> str:
    """``async def f()``; sometimes also ``main()``, which calls the closures ``f`` returned, after it returned."""
    builder = Builder(draw)
    # Sometimes annotated (``a: int = 2``): trio's ``task_register: list[...] = [...]``.
    note = st.sampled_from(["", ": int", ": 'list[int]'"])
    lines = [f"    {name}{draw(note)} = {draw(st.integers(0, 3))}" for name in VARIABLES]
    for _ in range(draw(st.integers(1, 3))):
        lines += builder.closure(1)
    returned = sorted(builder.closures)  # defined before the body: bound when it returns
    body = builder.block(1, 0)
    counters = [f"    w{n} = 0" for n in range(1, builder.counters + 1)]
    if not draw(st.booleans()):
        return "\n".join(["async def f():", *lines, *counters, *body, "    return (a, b, c)", ""])
    # Closures used after return (issue 11): their cells outlive the coroutine.
    calls = []
    for round_ in range(2):
        for name in returned:
            kind = builder.closures[name]
            call = f"{name}()" if kind.endswith("reader") else f"{name}({round_ + 1})"
            if kind.startswith("async"):
                call = f"await {call}"
            calls.append(f"    log.append(('after {round_}', '{name}', {call}))")
    main = [
        "async def main():",
        f"    result, ({', '.join(returned)},) = await f()",
        *calls,
        "    return result",
    ]
    ending = f"    return (a, b, c), ({', '.join(returned)},)"
    return "\n".join(["async def f():", *lines, *counters, *body, ending, "", *main, ""])


@st.composite
def driver_scripts(draw):
    """Sends at the first suspensions, then maybe a throw or a close at the next one."""
    sends = draw(st.lists(st.integers(-2, 9), max_size=5))
    script = [("send", value) for value in sends]
    ending = draw(st.sampled_from(["none", "none", "throw", "close"]))
    if ending == "throw":
        script.append(("throw", ValueError("thrown by the driver")))
    elif ending == "close":
        script.append(("close",))
    return script


@PROFILE_SETTINGS
@given(source=async_functions(), script=driver_scripts())
def test_random_closures_native_equals_compiled(source, script):
    native, compiled = run_both(source, "main()" if "async def main" in source else "f()", script)
    assert compiled == native, (
        f"compiled differs from native with script {script!r}\n"
        f"source:\n{source}\nnative:   {native}\ncompiled: {compiled}"
    )
