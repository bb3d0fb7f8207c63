"""``linemap.positioned_code``: libcst's positions from one printing, for every node anything asks about."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from statemachine_compiler.linemap import _UNPOSITIONED, positioned_code

ROOT = Path(__file__).parent.parent.parent
SOURCES = sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))
SMALL = [
    "from m import (a, b)\nfrom n import *\nx = f'{y=}'\r\ns = '''a\rb'''\n",
    "if x:\n    async def f():\n        return await (g)\n",
    # (counted from tokens, not token by token: linemap._CountingState)
    "def f():\n\tx = 1 + \\\n\t\t2\n\treturn (x)",  # tabs, a continuation, no final newline
    "résumé = 'é'; ｘ = résumé\nif ｘ:\n    y = f'{ｘ!r:>{résumé}}'  # é\n",
    "x = 1\f+ 2\n\n# the end\n\n",
]


def _assert_libcst_positions(text: str) -> None:
    module = cst.parse_module(text)
    code, positions = positioned_code([module], indent=module.default_indent, newline=module.default_newline)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert code == text
    for node, where in expected.items():
        if node.__class__ in _UNPOSITIONED:
            continue
        assert positions[node] == where, node


@pytest.mark.parametrize("path", SOURCES, ids=[path.stem for path in SOURCES])
def test_the_positions_libcst_gives(path):
    _assert_libcst_positions(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", SMALL)
def test_the_positions_of_imports_in_brackets_fields_and_other_newlines(text):
    _assert_libcst_positions(text)
