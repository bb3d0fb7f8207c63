"""Random async functions, run natively and compiled: the two must agree.

The strategy builds the body of ``async def f()`` from the constructs of
issue 2: nested ``if``/``elif``/``else``, ``while`` loops (bounded by a counter,
sometimes with an await in the test), ``for`` over small ranges and lists,
``break``/``continue``/``return`` (also inside loops with ``else``), ``match``,
private names, in a module-level function or a method of a class named with
a leading underscore,
augmented assignments, ``log.append(...)`` side effects, and awaits inside
binary operators, calls with several arguments, comparisons, ``and``/``or``,
conditional expressions, f-strings (also with ``=`` fields) and list/dict
displays; simple statements joined by ``;`` (an import used by the next
statement of its line), also as one-line ``if`` suites.

Generated code is valid and terminates by construction: every variable is
assigned at the top of the function, each ``while`` increments its own counter
as the first statement of its body (so ``continue`` cannot skip it), and every
``for`` runs over at most three items.  Constructs the compiler does not
handle yet (await inside ``try``/``with``, ``async for``/``async with``, async
generators, await in a case guard) are not generated.

A random driver script sends values at the suspensions and may end with a
``throw(ValueError)`` or a ``close()`` at a random one.

Profiles (registered here, chosen by the ``HYPOTHESIS_PROFILE`` variable):
``default`` runs 200 examples, derandomized so that CI runs are repeatable;
``thorough`` runs 2000 with a fresh seed, for slow runs such as
``HYPOTHESIS_PROFILE=thorough make test-all``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compiler.differential import run_both

settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
PROFILE_SETTINGS = settings.get_profile(PROFILE if PROFILE in ("default", "thorough") else "default")

VARIABLES = ("a", "b", "c", "d")
MAX_DEPTH = 2  # compound statements nest at most this deep

HELPERS = '''
def g(*args, **kwargs):
    log.append(("g", args, sorted(kwargs.items())))
    return sum(args) + sum(kwargs.values())
'''


class Builder:
    """Draws one function body; ``draw`` is hypothesis's."""

    def __init__(self, draw):
        self.draw = draw
        self.labels = 0  # each await site gets its own label
        self.counters = 0  # one counter variable per while loop

    def label(self) -> str:
        self.labels += 1
        return f"s{self.labels}"

    def choice(self, options):
        return self.draw(st.sampled_from(options))

    def integer(self, low=0, high=3) -> int:
        return self.draw(st.integers(low, high))

    # -- expressions -------------------------------------------------------------------

    def expression(self, depth: int = 0, in_fstring: bool = False) -> str:
        # Strings inside expressions use single quotes and f-strings do not
        # nest: a replacement field may not reuse its f-string's quote (3.11).
        if depth >= 2 or self.draw(st.integers(0, 9)) < 6:
            return self.leaf()
        kinds = [
            "binary",
            "call",
            "compare",
            "chained",
            "boolean",
            "conditional",
            "fstring",
            "list",
            "dict",
            "star_call",
        ]
        kind = self.choice([k for k in kinds if not (in_fstring and k == "fstring")])

        def e():
            return self.expression(depth + 1, in_fstring or kind == "fstring")

        if kind == "binary":
            return f"({e()} {self.choice(['+', '-', '^', '&'])} {e()})"
        if kind == "call":
            return f"g({e()}, {e()}, k={e()})"
        if kind == "star_call":
            return f"g(*[{e()}, {e()}], {e()}, **{{'m': {e()}}})"
        if kind == "compare":
            return f"({e()} {self.choice(['<', '<=', '==', '!=', '>'])} {e()})"
        if kind == "chained":
            return f"({e()} < {e()} <= {e()})"
        if kind == "boolean":
            return f"({e()} {self.choice(['and', 'or'])} {e()})"
        if kind == "conditional":
            return f"({e()} if {e()} else {e()})"
        if kind == "fstring":
            # Parenthesised fields: a field starting with "{" would read as "{{".
            return f'len(f"{{({e()})}}-{{({e()})!r}}")'
        if kind == "list":
            return f"[{e()}, *[{e()}], {e()}][{self.integer(0, 2)}]"
        return f"{{'x': {e()}, 'y': {e()}}}['{self.choice(['x', 'y'])}']"

    def leaf(self) -> str:
        kind = self.choice(["int", "var", "tick", "var", "tick", "ready", "tick"])
        if kind == "int":
            return str(self.integer(0, 5))
        if kind == "var":
            return self.choice(VARIABLES)
        if kind == "tick":
            return f"(await tick('{self.label()}'))"
        inner = self.choice([str(self.integer(0, 5)), self.choice(VARIABLES)])
        return f"(await ready({inner}))"

    # -- statements --------------------------------------------------------------------

    def block(self, indent: int, depth: int, in_loop: bool) -> list[str]:
        count = self.draw(st.integers(1, 3 if depth == 0 else 2))
        lines = []
        for _ in range(count):
            lines += self.statement(indent, depth, in_loop)
        return lines

    def statement(self, indent: int, depth: int, in_loop: bool) -> list[str]:
        pad = "    " * indent
        kinds = ["assign", "augmented", "log", "log", "joined", "log_fstring"]
        if depth < MAX_DEPTH:
            kinds += ["if", "if", "while", "for", "match"]
        if in_loop:
            kinds += ["break", "continue"]
        if depth > 0:
            kinds += ["return"]  # at the top level it would cut the function short
        kind = self.choice(kinds)
        if kind == "assign":
            return [f"{pad}{self.choice(VARIABLES)} = {self.expression()}"]
        if kind == "augmented":
            return [f"{pad}{self.choice(VARIABLES)} {self.choice(['+=', '-=', '^='])} {self.expression()}"]
        if kind == "log":
            return [f"{pad}log.append(('{self.label()}', {self.expression()}))"]
        if kind == "log_fstring":
            return [f"{pad}{self.fstring_log()}"]
        if kind == "joined":
            return [f"{pad}{self.joined_statements()}"]
        if kind == "break":
            return [f"{pad}break"]
        if kind == "continue":
            return [f"{pad}continue"]
        if kind == "return":
            return [f"{pad}return {self.expression()}"]
        if kind == "if":
            return self.if_statement(indent, depth, in_loop)
        if kind == "while":
            return self.while_statement(indent, depth, in_loop)
        if kind == "for":
            return self.for_statement(indent, depth, in_loop)
        return self.match_statement(indent, depth, in_loop)

    def simple_statement(self) -> str:
        kind = self.choice(["assign", "augmented", "log", "import", "fstring"])
        if kind == "assign":
            return f"{self.choice(VARIABLES)} = {self.expression()}"
        if kind == "augmented":
            return f"{self.choice(VARIABLES)} += {self.expression()}"
        if kind == "import":  # what it binds is used by the next statement of the line
            return f"import json; log.append(json.dumps({self.expression()}))"
        if kind == "fstring":
            return self.fstring_log()
        return f"log.append(('{self.label()}', {self.expression()}))"

    def joined_statements(self) -> str:
        """Simple statements on one line, joined by ``;``, sometimes as an ``if``'s suite."""
        line = "; ".join(self.simple_statement() for _ in range(self.integer(2, 3)))
        if self.draw(st.booleans()):
            line = f"if {self.expression()}: {line}"
        return line

    def fstring_log(self) -> str:
        """An f-string with ``=`` fields: their text is the source text, spaces and all."""
        def field():
            spaced = self.choice(["{}=", "{} = ", " {}=", "{} ="])
            suffix = self.choice(["", "!r", "!s", ":>4", "!r:>6"])
            return "{" + spaced.format(f"({self.expression(1, in_fstring=True)})") + suffix + "}"

        variable = self.choice(VARIABLES)
        quote = self.choice(["'", '"'])
        text = f"{{{variable}=}}|" + "|".join(field() for _ in range(self.integer(1, 2)))
        if quote == "'":  # strings inside the fields use single quotes
            text = text.replace("'", '"')
        return f"log.append(f{quote}{text}{quote})"

    def if_statement(self, indent, depth, in_loop):
        pad = "    " * indent
        lines = [f"{pad}if {self.expression()}:"]
        lines += self.block(indent + 1, depth + 1, in_loop)
        for _ in range(self.integer(0, 2)):
            lines.append(f"{pad}elif {self.expression()}:")
            lines += self.block(indent + 1, depth + 1, in_loop)
        if self.draw(st.booleans()):
            lines.append(f"{pad}else:")
            lines += self.block(indent + 1, depth + 1, in_loop)
        return lines

    def while_statement(self, indent, depth, in_loop):
        pad = "    " * indent
        self.counters += 1
        counter = f"w{self.counters}"
        limit = self.integer(1, 3)
        test = self.choice(
            [
                f"{counter} < {limit}",
                f"(await ready({counter})) < {limit}",
                f"{counter} < {limit} and (await tick('{self.label()}')) >= 0",
            ]
        )
        lines = [f"{pad}{counter} = 0", f"{pad}while {test}:", f"{pad}    {counter} += 1"]
        lines += self.block(indent + 1, depth + 1, in_loop=True)
        if self.draw(st.booleans()):
            lines.append(f"{pad}else:")
            lines += self.block(indent + 1, depth + 1, in_loop)  # else: the outer loop's
        return lines

    def for_statement(self, indent, depth, in_loop):
        pad = "    " * indent
        iterable = self.choice(
            [
                f"range({self.integer(0, 3)})",
                f"[{', '.join(str(self.integer(0, 5)) for _ in range(self.integer(0, 3)))}]",
                f"range((await tick('{self.label()}')) % 3)",
            ]
        )
        lines = [f"{pad}for {self.choice(VARIABLES)} in {iterable}:"]
        lines += self.block(indent + 1, depth + 1, in_loop=True)
        if self.draw(st.booleans()):
            lines.append(f"{pad}else:")
            lines += self.block(indent + 1, depth + 1, in_loop)  # else: the outer loop's
        return lines

    def match_statement(self, indent, depth, in_loop):
        pad = "    " * indent
        # No capture pattern with a guard: see test_match_capture_bound_before_a_failing_guard.
        last = self.choice(["_", self.choice(VARIABLES)])
        lines = [f"{pad}match {self.expression()}:"]
        for pattern in ["0", "1 | 2", f"int() if {self.choice(VARIABLES)} > 2", last]:
            if pattern != last and not self.draw(st.booleans()):
                continue
            lines.append(f"{pad}    case {pattern}:")
            lines += self.block(indent + 2, depth + 1, in_loop)
        return lines


# Where ``f``'s body stands: a module-level function, or a method of a class
# whose name starts with "_" (issue 11: the machinery's names must not be
# mangled with it), reading a private attribute; each time with a private local.
HOSTS = ("module", "_Mixin", "__X", "Plain")


@st.composite
def async_functions(draw) -> str:
    builder = Builder(draw)
    host = draw(st.sampled_from(HOSTS))
    indent = 1 if host == "module" else 2
    pad = "    " * indent
    body = builder.block(indent, 0, in_loop=False)
    counters = [f"w{n}" for n in range(1, builder.counters + 1)]
    initial = [f"{pad}{name} = {draw(st.integers(0, 3))}" for name in VARIABLES]
    initial += [f"{pad}{name} = 0" for name in counters]
    initial.append(f"{pad}__private = a")
    if host == "module":
        function = ["async def f():", *initial, *body, f"{pad}return (a, b, c, d, __private)"]
    else:
        function = [
            f"class {host}:",
            "    __secret = 7",
            "    async def method(self):",
            *initial,
            *body,
            f"{pad}return (a, b, c, d, __private, self.__secret)",
            "def f():",
            f"    return {host}().method()",
        ]
    return "\n".join([HELPERS, *function, ""])


@st.composite
def driver_scripts(draw):
    """Sends at the first suspensions, then maybe a throw or a close at the next one."""
    sends = draw(st.lists(st.integers(-2, 9), max_size=4))  # short: throw/close often land
    script = [("send", value) for value in sends]
    ending = draw(st.sampled_from(["none", "none", "throw", "close"]))
    if ending == "throw":
        script.append(("throw", ValueError("thrown by the driver")))
    elif ending == "close":
        script.append(("close",))
    return script


@PROFILE_SETTINGS
@given(source=async_functions(), script=driver_scripts())
def test_random_async_function_native_equals_compiled(source, script):
    native, compiled = run_both(source, "f()", script)
    assert compiled == native, (
        f"compiled differs from native with script {script!r}\n"
        f"source:\n{source}\nnative:   {native}\ncompiled: {compiled}"
    )


def test_match_capture_bound_before_a_failing_guard():
    """Found by the strategy above; kept out of it until fixed."""
    source = """
        async def f(v):
            x = 0
            match v:
                case int(x) if x > 5:
                    pass
                case _:
                    pass
            await tick("after match")
            return x
    """
    native, compiled = run_both(source, "f(2)")
    assert compiled == native, f"native: {native}\ncompiled: {compiled}"
