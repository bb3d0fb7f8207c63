"""pdb over a compiled program does what it does over the native one.

Each session types the same commands into ``python -m pdb script.py`` and
``statemachine-compiler run --pdb script.py``; the two transcripts must be
the same, but for the frames of the debugger's own launcher (pdb's ``main``
and ``<string>``, or ours) and object addresses.
"""

import re
import textwrap

import pytest

from .programs import debug

ASYNCIO = """\
import asyncio

async def inner(x):
    y = x + 1
    await asyncio.sleep(0)
    z = y * 2
    return z

async def outer():
    v = await inner(1)
    w = v + 1
    return w

print(asyncio.run(outer()))
"""

METHODS = """\
import asyncio

class Counter:
    def __init__(self):
        self.count = 0

    async def bump(self, by):
        total = self.count + by
        await asyncio.sleep(0)
        self.count = total
        return self.count

async def main():
    c = Counter()
    for i in range(2):
        await c.bump(i)
    print(c.count)

asyncio.run(main())
"""

RUNTIME = """\
import runtime

async def inner(x):
    y = x + 1
    await runtime.sleep(0)
    return {}[y]

async def outer():
    v = await inner(1)
    return v

runtime.run(outer())
"""

# The exception is raised again by the clause that caught it, after it awaited.
RAISED_AGAIN = """\
import runtime

async def inner(x):
    y = x + 1
    try:
        return {}[y]
    except KeyError:
        await runtime.sleep(0)
        raise

async def outer():
    v = await inner(1)
    return v

runtime.run(outer())
"""

GENERATOR = """\
import asyncio

async def numbers(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i * 10

async def main():
    total = 0
    async for x in numbers(2):
        total += x
    print(total)

asyncio.run(main())
"""

CLOSURE = """\
import asyncio

def make():
    k = 5
    async def f(a):
        await asyncio.sleep(0)
        return a + k
    return f

print(asyncio.run(make()(1)))
"""

CELLS = """\
import asyncio

async def counter(step):
    count = 0
    bump = lambda: count + step
    await asyncio.sleep(0)
    count += 1
    return bump()

print(asyncio.run(counter(2)))
"""

NESTED_COROUTINE = """\
import asyncio

async def outer():
    k = 5
    async def f(a):
        await asyncio.sleep(0)
        return a + k
    r = await f(1)
    return r, k

print(asyncio.run(outer()))
"""

TWO_LEVELS = """\
import asyncio

async def outer(k):
    async def middle(j):
        async def countdown(n):
            if n:
                return [n] + await countdown(n - 1)
            await asyncio.sleep(0)
            return [k, j]
        return await countdown(2)
    return await middle(10)

print(asyncio.run(outer(5)))
"""

LOOP = """\
import asyncio

async def f(n):
    total = 0
    x = 1
    for i in range(n):
        total += i
        await asyncio.sleep(0)
        total += 100
    x = 2
    y = 3
    return total, x, y

print(asyncio.run(f(2)))
"""

SESSIONS = {
    # p x, pp locals(), display, and an assignment the function then sees
    "locals_by_source_names": (ASYNCIO, [
        "b 4", "c", "p x", "pp locals()", "display y", "n", "n", "!y = 10", "n", "p z", "c",
    ]),
    # where/up/down: the awaiting coroutine is the caller, no runtime frames
    "where_up_down_walk_the_awaiting_coroutines": (ASYNCIO, [
        "b 6", "c", "w", "up", "p v", "pp locals()", "down", "p y", "c",
    ]),
    # the stack starts as pdb's: bdb's run(), the "<string>" statement it runs the script with
    "where_at_module_level_shows_the_string_statement": (CLOSURE, ["b 5", "c", "w", "c"]),
    # a breakpoint on the line of an async def stops where the def runs, never in its coroutine's
    # start (its resume, made over cells, reaching its machine) nor in what makes that resume
    "breakpoint_on_the_line_of_a_coroutine_over_cells": (CELLS, ["b 3", "c", "c", "c"]),
    "breakpoint_on_the_line_of_a_nested_coroutine": (NESTED_COROUTINE, ["b 5", "c", "w", "c", "c"]),
    # next over an await that suspends stops at the next line of the function
    "next_over_await_stops_at_the_next_line": (ASYNCIO, [
        "b 4", "c", "n", "n", "n", "n", "n", "n", "n", "c",
    ]),
    # step into an awaited compiled coroutine: --Call--, then its first line
    "step_into_an_awaited_coroutine": (ASYNCIO, [
        "b 10", "c", "s", "s", "s", "s", "w", "c",
    ]),
    "return_and_until": (ASYNCIO, ["b 4", "c", "r", "n", "c", "b 10", "c", "until 12", "p w", "c"]),
    "breakpoints_by_function_name": (ASYNCIO, ["n", "n", "n", "b inner", "b outer", "c", "c", "p x", "c"]),
    "method_breakpoint_and_locals": (METHODS, [
        "n", "n", "n", "n", "b Counter.bump", "c", "p self.count, by", "c", "p by, total", "tbreak 17",
        "c", "p c.count, i", "c",
    ]),
    "free_variables_of_the_enclosing_function": (CLOSURE, ["b 7", "c", "p k", "pp locals()", "c"]),
    # !k = 6 assigns the enclosing function's variable: the function and the enclosing one see it
    # the locals its lambda shares (cells): read, listed and assigned, seen by the lambda
    "locals_a_closure_shares": (CELLS, ["b 7", "c", "p count, step", "pp locals()", "!count = 40", "n", "p bump()", "w", "c"]),
    "assignment_to_a_variable_of_an_enclosing_function": (CLOSURE, ["b 7", "c", "!k = 6", "p k", "n", "c"]),
    "assignment_to_a_variable_of_an_enclosing_coroutine": (NESTED_COROUTINE, [
        "b 7", "c", "p k", "pp locals()", "!k = 6", "n", "c",
    ]),
    # two levels of nesting, recursion: the stack, and both enclosing functions' variables
    "two_levels_of_nested_coroutines_recursing": (TWO_LEVELS, [
        "b 8", "c", "w", "p n, j, k", "pp locals()", "!k = 6", "!j = 11", "n", "n", "c",
    ]),
    # jump back, forward, within a loop and out of it, as natively; into a loop: refused
    "jump_back_over_a_statement": (LOOP, ["b 11", "c", "j 10", "n", "n", "p x, y", "c"]),
    "jump_within_a_loop_and_out_of_it": (LOOP, ["b 9", "c", "j 7", "n", "p total", "j 5", "j 10", "c"]),
    "longlist_here_and_in_the_awaiting_coroutine": (ASYNCIO, ["b 6", "c", "ll", "up", "ll", "l", "c"]),
    # next over a yield goes to the consumer, as natively
    "next_through_an_async_generator": (GENERATOR, ["b 5", "c", "n", "n", "n", "n", "n", "w", "c"]),
    "post_mortem_of_an_exception_on_the_runtime": (RUNTIME, ["c", "w", "p y", "up", "p x", "q"]),
    # its entry is the line that raised it first; the locals are the function's, as it ended
    "post_mortem_of_an_exception_raised_again_after_its_clause_awaited": (
        RAISED_AGAIN, ["c", "w", "p x, y", "up", "p v", "q"],
    ),
}

# The launcher's frames: pdb's main(), or ours.  (The "<string>" statement
# pdb runs a script with is in both.)
LAUNCHER = re.compile(
    r'^(  File "[^"]*(pdb|debugger)\.py", line \d+, in (main|_run_program)\n    .*\n(    [~^ ]+\n)?'
    r"|(\(Pdb\) )?  \S*(pdb|debugger)\.py\(\d+\)(main|_run_program)\(\)\n-> .*\n)",
    re.MULTILINE,
)


# 3.12+ warns of the locals a jump leaves unbound: natively the function's, compiled none are.
UNBOUND_AFTER_JUMP = re.compile(r"\S*pdb\.py:\d+: RuntimeWarning: assigning None to \d+ unbound locals?\n(  .*\n)?")


def normalized(transcript):
    transcript = re.sub(r"0x[0-9a-f]+", "0x...", transcript)
    transcript = UNBOUND_AFTER_JUMP.sub("", transcript)
    return LAUNCHER.sub(lambda m: "(Pdb) " if m.group(0).startswith("(Pdb)") else "", transcript)


@pytest.mark.parametrize("name", SESSIONS)
def test_pdb_session_over_compiled_program_is_the_native_one(tmp_path, name):
    source, commands = SESSIONS[name]
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(source))
    native = debug(script, commands, "native")
    assert "program.py" in native and "***" not in native.replace("*** NameError", ""), native
    compiled = debug(script, commands, "--pdb")
    assert normalized(compiled) == normalized(native)
    assert "runtime/machines" not in compiled and "resume" not in compiled


def test_run_dash_m_pdb_debugs_the_compiled_program(tmp_path):
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(ASYNCIO))
    commands = ["b 6", "c", "p y", "w", "c"]
    transcript = debug(script, commands, "-m pdb")
    assert transcript == debug(script, commands, "--pdb")
    # Compiled: the stack shows the machine's frame as inner(), with the source's locals.
    assert "program.py(6)inner()" in transcript and "(Pdb) 2\n" in transcript


def test_breakpoint_under_run_stops_in_the_compiled_function(tmp_path):
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(ASYNCIO).replace("    z = y * 2\n", "    breakpoint()\n    z = y * 2\n"))
    commands = ["p x, y", "w", "n", "n", "p z", "c"]
    native = debug(script, commands, "native-run")
    assert "(Pdb) (1, 2)" in native, native
    assert normalized(debug(script, commands, "run")) == normalized(native)


MODULE = """\
import asyncio, sys

async def inner(x):
    y = x + 1
    await asyncio.sleep(0)
    return y * 2

async def outer():
    v = await inner(len(sys.argv))
    return v

print(sys.argv, __name__, __package__, asyncio.run(outer()))
"""


@pytest.mark.parametrize("how", ["-m pdb", "--pdb"])
def test_run_dash_m_pdb_dash_m_module_debugs_the_compiled_module(tmp_path, how):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    script = tmp_path / "pkg" / "app.py"
    script.write_text(MODULE)
    commands = ["b 5", "c", "p x, y", "p '_inner' in globals()", "w", "n", "n", "c", "q"]
    program = ["-m", "pkg.app", "A", "B"]
    native = debug(tmp_path / "setup.py", commands, "native", program)
    assert "(Pdb) (3, 4)\n" in native and "['pkg.app', 'A', 'B'] __main__ pkg 8" in native, native
    compiled = debug(tmp_path / "setup.py", commands, how, program)
    # The same session, but the module's machine classes are there: it is compiled.
    assert normalized(compiled) == normalized(native).replace("(Pdb) False", "(Pdb) True")
    assert "(Pdb) True" in compiled


def test_run_dash_m_pdb_without_a_program_is_a_usage_error(capsys):
    from statemachine_compiler.cli import main

    assert main(["run", "-m", "pdb"]) == 2
    assert "usage: -m pdb [-c COMMAND]... (SCRIPT | -m MODULE) [ARGS...]" in capsys.readouterr().err
    assert main(["run", "-m", "pdb", "-m"]) == 2


@pytest.mark.parametrize(
    ("source", "commands", "refusal", "output"),
    [
        # natively: "can't jump into the body of a for loop"
        ("LOOP", ["b 5", "c", "j 7", "c"], "line 7 is in neither", "(201, 2, 3)\n"),
        # natively allowed; compiled, the try's handler state is no block of the frame
        ("TRY", ["b 5", "c", "j 6", "c"], "no jump from inside a 'try' statement (line 4)", "done\n2\n"),
    ],
)
def test_jump_a_compiled_function_cannot_take_is_refused_with_a_reason(tmp_path, source, commands, refusal, output):
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent({"LOOP": LOOP, "TRY": TRY}[source]))
    compiled = debug(script, commands, "--pdb")
    assert "(Pdb) *** Jump failed: in a compiled function, " in compiled and refusal in compiled, compiled
    assert f"(Pdb) {output}The program finished" in compiled, compiled  # it went on, as if not asked


TRY = """\
import asyncio

async def f():
    try:
        x = 1
        x = 2
        await asyncio.sleep(0)
    finally:
        print("done")
    return x

print(asyncio.run(f()))
"""
