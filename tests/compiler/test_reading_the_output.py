"""The generated code as a teaching text (issue 16): what a reader can count on.

Comments kept, state comments on lines of their own, resume's names plain
unless the function spells them too, a method's comments left in its class,
and the "reading the output" page pointing at golden files that exist.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from pathlib import Path

import pytest

from statemachine_compiler import compile_source
from statemachine_compiler.pipeline import Options

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "compiler" / "golden"
MARKER = "\n# output\n"


def inputs() -> dict[str, str]:
    found = {}
    for path in sorted(GOLDEN.glob("*.py")):
        found[f"golden/{path.stem}"] = path.read_text(encoding="utf-8").partition(MARKER)[0].rstrip("\n") + "\n"
    for path in sorted((ROOT / "examples").glob("*.py")):
        found[f"examples/{path.stem}"] = path.read_text(encoding="utf-8")
    return found


INPUTS = inputs()


def compiled(name: str, source: str) -> str:
    return compile_source(source, f"{name.replace('/', '_')}.py", Options(format=True)).code


def comments(text: str) -> Counter:
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return Counter(token.string for token in tokens if token.type == tokenize.COMMENT)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_user_comment_is_kept_once(name):
    source = INPUTS[name]
    output = comments(compiled(name, source))
    for comment, count in comments(source).items():
        assert output[comment] == count, f"{name}: {comment!r} is in the output {output[comment]} times, not {count}"


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_no_state_assignment_is_wrapped_by_black(name):
    output = compiled(name, INPUTS[name])
    wrapped = [line for line in output.splitlines() if re.search(r"\.state = \($", line)]
    assert not wrapped, f"{name}: {wrapped}"


def test_the_request_handler_stays_as_short_as_measured():
    # Issue 16's handler: 244 lines before, 159, then 138 with the two-line await (tools/output_ratio.py).
    name = "golden/request_handler_with_try_for_and_async_with"
    lines = compiled(name, INPUTS[name]).count("\n")
    assert lines <= 140, f"the request handler grew to {lines} lines"


def resume_header(source: str) -> str:
    output = compile_source(source, "m.py", Options(format=True)).code
    return next(line.strip() for line in output.splitlines() if "def resume(" in line)


def test_resume_keeps_its_names_next_to_attributes_keywords_and_locals_called_so():
    source = (
        "async def f(box, pick):\n"
        "    error = box.value\n"
        "    awaitable = await pick(value=1, error=error)\n"
        "    return awaitable.value\n"
    )
    assert resume_header(source) == "def resume(self, value, error):"


def test_resume_renames_a_name_the_function_spells_plainly():
    source = "async def f(x):\n    import json as value\n    return await x(value)\n"
    assert resume_header(source) == "def resume(self, value1, error):"


def test_a_methods_comments_stay_above_it_in_its_class():
    source = (
        "class Client:\n"
        "    # Fetch one path.\n"
        "    async def get(self, path):\n"
        "        return await fetch(path)\n"
    )
    output = compile_source(source, "m.py", Options(format=True)).code
    user_class = output[output.index("class Client:") :]
    assert "    # Fetch one path.\n    @coroutine_function\n    def get(self, path):" in user_class, output


def test_reading_the_output_names_golden_files_that_exist_and_the_readme_links_it():
    page = (ROOT / "docs" / "reading-the-output.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+)`", page)) & {path.stem for path in GOLDEN.glob("*.py")}
    assert len(named) >= 8, named
    for golden in re.findall(r"Golden files?: ([^\n]+(?:\n[^\n]+)*?)\.\n", page):
        for stem in re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", golden)):  # (`f`): a function in it
            assert (GOLDEN / f"{stem}.py").exists(), f"docs/reading-the-output.md names a missing golden file {stem}"
    assert "docs/reading-the-output.md" in (ROOT / "README.md").read_text(encoding="utf-8")
