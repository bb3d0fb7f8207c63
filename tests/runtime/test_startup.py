"""What a compiled program imports at start-up: the machines, and nothing dear besides.

Each test runs a fresh interpreter (``-I``: no user site, no PYTHON*
variables), so that what the test process already imported does not hide
an import.  The modules named here are those a program of compiled code
needs only when it uses them (the event loop, the debugging and stack walk
helpers, durable coroutines): importing them with every compiled module is
start-up time that every program pays (issue 13).
"""

import opcode
import subprocess
import sys
import textwrap

import pytest

from runtime.machines import statemachine
from statemachine_compiler import compile_source

ROOT = str(__import__("pathlib").Path(__file__).resolve().parents[2])

# Not loaded when Python starts, and not needed by a compiled program
# that does not use them itself.
DEAR = [
    "asyncio", "inspect", "traceback", "weakref", "opcode", "dis", "collections.abc",
    "pickle", "copy", "runtime.loop", "runtime.machines.durable", "libcst",
    "statemachine_compiler", "logging", "typing", "ast",
]  # fmt: skip

PROGRAM = """\
import contextlib


class Resource:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return False


async def ticks(n):
    for i in range(n):
        yield i


async def step(x):
    try:
        async with Resource():
            return x + 1
    finally:
        pass


async def main():
    total = 0
    async for i in ticks(3):
        total += await step(i)
    return total


coroutine = main()
try:
    coroutine.send(None)
except StopIteration as stop:
    assert stop.value == 6, stop.value
"""


def imported_by(directory, statement):
    """The modules a fresh interpreter has imported after ``statement``, of those in DEAR."""
    check = textwrap.dedent(f"""\
        import sys
        sys.path[:0] = [{str(directory)!r}, {ROOT!r}]
        {statement}
        print(" ".join(name for name in {DEAR!r} if name in sys.modules))
    """)
    result = subprocess.run(
        [sys.executable, "-I", "-c", check], capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_a_compiled_program_imports_none_of_what_it_does_not_use(tmp_path):
    (tmp_path / "program.py").write_text(compile_source(PROGRAM).code)
    interpreter = imported_by(tmp_path, "pass")  # none of them, unless a .pth imports one
    assert imported_by(tmp_path, "import program") == interpreter


def test_import_runtime_gives_the_loop_lazily(tmp_path):
    assert imported_by(tmp_path, "import runtime") == imported_by(tmp_path, "pass")
    assert "runtime.loop" in imported_by(tmp_path, "import runtime; runtime.run")


def test_a_program_on_the_loop_does_not_import_what_saving_or_logging_needs(tmp_path):
    # Durable coroutines (pickle, copy) and the log of a failed task nobody
    # awaited (logging, traceback) are imported when they are used.
    interpreter = imported_by(tmp_path, "pass")
    loaded = imported_by(tmp_path, "import runtime; runtime.run; runtime.Event; runtime.timeout")
    assert "runtime.loop" in loaded
    unused = ["pickle", "copy", "runtime.machines.durable", "logging", "traceback"]
    assert [m for m in loaded if m in unused and m not in interpreter] == []


def test_a_warm_import_through_the_hook_imports_neither_the_compiler_nor_ast_or_typing(tmp_path):
    (tmp_path / "program.py").write_text(PROGRAM)
    hooked = "import statemachine_compiler; statemachine_compiler.install_import_hook(['program']); import program"
    assert "libcst" in imported_by(tmp_path, hooked)  # compiles, and writes the cache
    interpreter = imported_by(tmp_path, "pass")
    loaded = imported_by(tmp_path, hooked)
    assert [m for m in loaded if m not in interpreter] == ["statemachine_compiler"]


def test_a_compiled_program_compiles_nothing_as_it_runs(tmp_path):
    # The first compile() of a process sets up the ast module's types (a few
    # milliseconds): a compiled program that returns from its coroutines,
    # closes an async generator and leaves an async with must not pay it.
    # (The import system compiles the program's own source, when its .pyc
    # is not written yet: that one is left out.)
    (tmp_path / "program.py").write_text(compile_source(PROGRAM).code)
    spy = (
        "import builtins; compiled = []; real = builtins.compile\n"
        "builtins.compile = lambda *a, **k: compiled.append(a[1]) or real(*a, **k)\n"
        "import program\n"
        "print([name for name in compiled if name != program.__file__])"
    )
    check = f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {ROOT!r}]\n{spy}"
    result = subprocess.run(
        [sys.executable, "-I", "-c", check], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["[]"]


@pytest.mark.parametrize("name", ["DELETE_ATTR", "GET_YIELD_FROM_ITER"])
def test_opcode_numbers_are_this_pythons(name):
    assert getattr(statemachine, "_" + name) == opcode.opmap[name]


@pytest.mark.filterwarnings("ignore:coroutine 'f' was never awaited")
def test_a_frame_stand_in_is_the_same_each_time_and_does_not_keep_its_coroutine():
    namespace = {}
    exec(compile_source("async def f():\n    await g()\n\nasync def g():\n    pass\n").code, namespace)
    coroutine = namespace["f"]()
    frame = coroutine.cr_frame
    assert coroutine.cr_frame is frame
    assert frame.f_code.co_name == "f"
    del coroutine
    assert frame.f_locals == {}
