"""Golden files: each construct's source next to exactly what the compiler makes of it.

Every ``golden/*.py`` holds the input, a line ``# output``, then the expected
compiler output (black's ``tests/data/cases`` style).  For each case the test

1. compiles the input (with the case name as the file name) and compares the
   text with the expectation, showing a unified diff on mismatch;
2. checks that the output is valid Python (``compile``);
3. checks that compiling the output again changes nothing (it has no
   ``async def`` left, so the compiler must leave it exactly as it is).

To rewrite the expectations after a deliberate change of the output::

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/compiler/test_golden.py

WARNING: this blesses whatever the compiler prints now.  Read the diff
(``git diff tests/compiler/golden``) line by line before committing it: a
golden file is only worth something if a person checked that its output is
right.

The inputs are written black-formatted, so the whole output must be too:
``test_output_is_black_formatted`` checks that black leaves it unchanged.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from statemachine_compiler import compile_source
from statemachine_compiler.pipeline import Options

GOLDEN = Path(__file__).parent / "golden"
MARKER = "# output\n"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

CASES = sorted(path.stem for path in GOLDEN.glob("*.py"))

# Cases whose output black would still change: the runtime import takes the
# blank lines of the first statement when that statement is compiled (the
# output starts with blank lines and the import is glued to the class), and a
# machine class generated inside a function or class body leaves a
# whitespace-only line and no blank lines around it.
LAYOUT_BUG: set[str] = set()  # cases whose output black would still change


def read_case(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    before, marker, after = text.partition("\n" + MARKER)
    assert marker, f"{path.name}: no '# output' line separating input from expected output"
    return before.rstrip("\n") + "\n", after


def compile_case(name: str, source: str) -> str:
    return compile_source(source, f"{name}.py", Options(format=True)).code


def test_there_are_golden_cases():
    assert len(CASES) >= 20, f"expected the golden cases in {GOLDEN}, found {CASES}"


@pytest.mark.parametrize("name", CASES)
def test_golden(name):
    path = GOLDEN / f"{name}.py"
    source, expected = read_case(path)
    actual = compile_case(name, source)
    if UPDATE and actual != expected:
        path.write_text(source + "\n" + MARKER + actual, encoding="utf-8")
        expected = actual
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{name}.py (expected)",
                tofile=f"{name}.py (compiler output)",
            )
        )
        pytest.fail(f"compiler output differs from golden/{name}.py:\n{diff}", pytrace=False)
    try:
        compile(actual, f"{name}.py (output)", "exec")
    except SyntaxError as error:
        pytest.fail(f"the output of golden/{name}.py is not valid Python: {error}", pytrace=False)
    again = compile_case(name, actual)
    assert again == actual, (
        f"compiling the output of golden/{name}.py again changed it:\n"
        + "".join(difflib.unified_diff(actual.splitlines(True), again.splitlines(True)))
    )


def _black_case(name):
    mark = pytest.mark.xfail(
        strict=True,
        reason="compiler bug: blank lines around the runtime import / nested machine class",
    )
    return pytest.param(name, marks=mark) if name in LAYOUT_BUG else name


@pytest.mark.parametrize("name", [_black_case(name) for name in CASES])
def test_output_is_black_formatted(name):
    import black

    source, _ = read_case(GOLDEN / f"{name}.py")
    actual = compile_case(name, source)
    formatted = black.format_str(actual, mode=black.Mode())
    assert formatted == actual, (
        f"black would still change the output of golden/{name}.py:\n"
        + "".join(difflib.unified_diff(actual.splitlines(True), formatted.splitlines(True)))
    )
