"""A module parsed in pieces (``statemachine_compiler.parsing``) is the tree libcst makes of it whole."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from statemachine_compiler import compile_source, parsing

ROOT = Path(__file__).parent.parent.parent
SOURCES = sorted((ROOT / "examples").glob("*.py")) + sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py"))

# Lines where a cut would fall inside a statement, or change what the empty lines belong to.
TRICKY = {
    "a string with empty lines": 'x = 1\n\ns = """\n\nnot code\n\ndef f():\n"""\n\ny = 2\n',
    "brackets with empty lines": "x = [\n\n1,\n\n]\n\ny = 2\n",
    "a decorator, an empty line, its def": "x = 1\n\n@d\n\ndef f():\n    pass\n\ny = 2\n",
    "else after empty lines": "if x:\n    pass\n\nelse:\n    pass\n\ny = 2\n",
    "comments around empty lines": "def f():\n    pass\n    # f's?\n\n# g's\n\ndef g():\n    pass\n\n\n# the end\n",
    "an indented blank line": "def f():\n    pass\n    \n\ndef g():\n    pass\n",
    "two-space indentation after a piece without": "x = 1\n\ny = 2\n\ndef f():\n  pass\n\nz = 3\n",
    "tab indentation": "def f():\n\tpass\n\ndef g():\n\tpass\n",
    "no newline at the end": "x = 1\n\ndef f():\n    pass\n\ny = 2",
    "windows newlines": "x = 1\r\n\r\ndef f():\r\n    pass\r\n\r\ny = 2\r\n",
    "a backslash": "x = 1 + \\\n    2\n\ny = 3\n",
    "a header comment": "# coding: utf-8\n# about\n\nx = 1\n\ny = 2\n",
    "async defs": "async def f():\n    await g()\n\n\nasync def g():\n    return 1\n\n\nclass C:\n    async def m(self):\n        pass\n",
}


@pytest.fixture
def cut_everywhere(monkeypatch):
    """Pieces as small as they can be, so that every place a cut may fall is one."""
    monkeypatch.setattr(parsing, "PIECE_LINES", 1)


def _sources():
    yield from ((name, text) for name, text in TRICKY.items())
    for path in SOURCES:
        yield path.stem, path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "text"), list(_sources()), ids=[name for name, _ in _sources()])
def test_the_pieces_make_the_tree_of_the_whole(cut_everywhere, name, text):
    whole = cst.parse_module(text)
    pieced = parsing.parse_module(text)
    assert pieced.deep_equals(whole)
    assert pieced.code == text
    for attribute in ("encoding", "default_indent", "default_newline", "has_trailing_newline"):
        assert getattr(pieced, attribute) == getattr(whole, attribute), attribute


def test_a_large_module_is_cut(cut_everywhere):
    text = "".join(f"async def f{i}():\n    return await g({i})\n\n\n" for i in range(10))
    assert len(parsing._cuts(text.split("\n"))) == 9


def test_the_output_is_the_same_in_pieces(cut_everywhere, monkeypatch):
    texts = [path.read_text(encoding="utf-8").split("# output\n")[0] for path in SOURCES]
    pieced = [compile_source(text, "m.py").code for text in texts]
    monkeypatch.setattr(parsing, "PIECE_LINES", 10**9)
    assert [compile_source(text, "m.py").code for text in texts] == pieced


def test_a_syntax_error_libcst_finds_is_reported_at_its_place(cut_everywhere):
    # libcst rejects what CPython accepts here only where it lags; any piece failing means the whole decides.
    text = "x = 1\n\ny = (\n\n"
    with pytest.raises(cst.ParserSyntaxError) as pieced:
        parsing.parse_module(text)
    with pytest.raises(cst.ParserSyntaxError) as whole:
        cst.parse_module(text)
    assert (pieced.value.raw_line, pieced.value.raw_column) == (whole.value.raw_line, whole.value.raw_column)
