"""Random async functions with nested try/except/else/finally and with, native == compiled.

The strategy builds the body of ``async def f()`` from: ``log.append`` side
effects, awaits (``tick``, ``ready``, and ``sub()``, an async function that
suspends), ``raise`` of a few exception types (also ``raise ... from``), bare
``raise`` inside handlers, ``try`` with one or two ``except`` clauses (single
types, tuples, ``as e``), optional ``else`` and ``finally``, ``with CM(...)``
(a context manager that logs enter and exit and may suppress), bounded loops
with ``break``/``continue``, and ``return`` — with an await allowed in every
clause.  Handlers log ``sys.exc_info()`` after their awaits.

A random driver script sends values at the first suspensions, then throws (a
fresh exception: one the handlers catch, or one they do not) or closes at a
random one.

Profiles: ``default`` runs 200 examples, derandomized; ``thorough`` (chosen by
``HYPOTHESIS_PROFILE=thorough``) runs 2000.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compiler.test_differential_exceptions import materialize, run

settings.register_profile(
    "exceptions-default",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "exceptions-thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = "thorough" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "default"
PROFILE_SETTINGS = settings.get_profile(f"exceptions-{PROFILE}")

MAX_DEPTH = 3
ERRORS = ("KeyError", "ValueError", "IndexError")

HELPERS = """
import sys

class CM:
    def __init__(self, name, suppress):
        self.name = name
        self.suppress = suppress
    def __enter__(self):
        log.append(("enter", self.name))
        return self.name
    def __exit__(self, typ, value, tb):
        log.append(("exit", self.name, typ and typ.__name__, repr(sys.exc_info()[1])))
        return self.suppress

async def sub(label):
    log.append(("sub", label))
    return await tick(label)
"""


class Builder:
    def __init__(self, draw):
        self.draw = draw
        self.labels = 0
        self.counters = 0

    def label(self) -> str:
        self.labels += 1
        return f"s{self.labels}"

    def choice(self, options):
        return self.draw(st.sampled_from(options))

    def awaited(self) -> str:
        kind = self.choice(["tick", "tick", "ready", "sub"])
        if kind == "tick":
            return f"await tick('{self.label()}')"
        if kind == "sub":
            return f"await sub('{self.label()}')"
        return f"await ready({self.draw(st.integers(0, 3))})"

    def block(self, indent, depth, in_loop, in_handler) -> list[str]:
        lines = []
        for _ in range(self.draw(st.integers(1, 3 if depth == 0 else 2))):
            lines += self.statement(indent, depth, in_loop, in_handler)
        return lines

    def statement(self, indent, depth, in_loop, in_handler) -> list[str]:
        pad = "    " * indent
        kinds = ["await", "await", "log"]
        if depth < MAX_DEPTH:
            kinds += ["try", "try", "with", "loop"]
        if depth > 0:
            kinds += ["raise", "return"]
        if in_loop:
            kinds += ["break", "continue"]
        if in_handler:
            kinds += ["reraise", "exc_info"]
        kind = self.choice(kinds)
        if kind == "await":
            return [f"{pad}log.append(('{self.label()}', {self.awaited()}))"]
        if kind == "log":
            return [f"{pad}log.append('{self.label()}')"]
        if kind == "raise":
            error = self.choice(ERRORS)
            if self.draw(st.booleans()):
                return [f"{pad}raise {error}('{self.label()}')"]
            return [f"{pad}raise {error}('{self.label()}') from {self.choice(ERRORS)}('cause')"]
        if kind == "return":
            return [f"{pad}return ('{self.label()}', {self.awaited()})"]
        if kind in ("break", "continue"):
            return [f"{pad}{kind}"]
        if kind == "reraise":
            return [f"{pad}raise"]
        if kind == "exc_info":
            return [f"{pad}log.append(('{self.label()}', repr(sys.exc_info()[1])))"]
        if kind == "with":
            suppress = self.choice(["True", "False", "False"])
            lines = [f"{pad}with CM('{self.label()}', {suppress}):"]
            return lines + self.block(indent + 1, depth + 1, in_loop, in_handler)
        if kind == "loop":
            self.counters += 1
            counter = f"i{self.counters}"
            lines = [f"{pad}for {counter} in range({self.draw(st.integers(1, 2))}):"]
            return lines + self.block(indent + 1, depth + 1, True, in_handler)
        return self.try_statement(indent, depth, in_loop, in_handler)

    def try_statement(self, indent, depth, in_loop, in_handler) -> list[str]:
        pad = "    " * indent
        lines = [f"{pad}try:"] + self.block(indent + 1, depth + 1, in_loop, in_handler)
        handlers = self.draw(st.integers(0, 2))
        for _ in range(handlers):
            caught = self.choice([*ERRORS, "(KeyError, ValueError)", "Exception"])
            name = self.choice(["", " as e"])
            lines.append(f"{pad}except {caught}{name}:")
            if name:
                lines.append(f"{pad}    log.append(('caught', repr(e)))")
            lines += self.block(indent + 1, depth + 1, in_loop, True)
        if handlers and self.draw(st.booleans()):
            lines.append(f"{pad}else:")
            lines += self.block(indent + 1, depth + 1, in_loop, in_handler)
        if not handlers or self.draw(st.booleans()):
            lines.append(f"{pad}finally:")
            lines.append(f"{pad}    log.append(('finally', repr(sys.exc_info()[1])))")
            lines += self.block(indent + 1, depth + 1, in_loop, in_handler)
        return lines


@st.composite
def async_functions(draw) -> str:
    builder = Builder(draw)
    body = builder.block(1, 0, in_loop=False, in_handler=False)
    return "\n".join([HELPERS, "async def f():", *body, "    return 'end'", ""])


@st.composite
def driver_scripts(draw):
    """Sends at the first suspensions, then maybe a throw or a close at the next one."""
    sends = draw(st.lists(st.integers(0, 9), max_size=5))
    script = [("send", value) for value in sends]
    ending = draw(st.sampled_from(["none", "throw_caught", "throw_uncaught", "close"]))
    if ending == "throw_caught":
        error = draw(st.sampled_from(ERRORS))
        script.append(
            (
                "throw",
                lambda: {"KeyError": KeyError, "ValueError": ValueError, "IndexError": IndexError}[
                    error
                ]("thrown"),
            )
        )
    elif ending == "throw_uncaught":
        script.append(("throw", lambda: OSError("thrown, never caught")))
    elif ending == "close":
        script.append(("close",))
    return script


@PROFILE_SETTINGS
@given(source=async_functions(), script=driver_scripts())
def test_random_try_with_function_native_equals_compiled(source, script):
    native = run(source, "f()", materialize(script), compiled=False)
    compiled = run(source, "f()", materialize(script), compiled=True)
    assert compiled == native, (
        f"compiled differs from native with script {script!r}\n"
        f"source:\n{source}\nnative:   {native}\ncompiled: {compiled}"
    )
