"""A module-level stub is kept as its text (``emit.generated.GeneratedFunction``), and maps as its nodes did."""

from __future__ import annotations

from statemachine_compiler.emit.generated import GeneratedFunction
from statemachine_compiler.pipeline import Options, compile_source

SOURCE = '''import sys

if sys.version_info >= (3, 8):
    async def fetch(x):
        return await x
else:
    async def fetch(x):
        return (
            await x
        )


x = 1
'''


def test_the_lines_after_a_stub_in_an_if_map_to_its_def():
    """The stub ends where its def would (commit 64a5be8 had it end a line later: the blank lines after it mapped to the last line of the if)."""
    result = compile_source(SOURCE, "m.py", Options(format=False))
    lines = result.code.split("\n")
    stub = max(i for i, line in enumerate(lines) if line.startswith("    def fetch"))
    after = [result.linemap[i] for i in range(stub + 2, len(lines)) if not lines[i].strip()][:2]
    assert [result.linemap[stub], result.linemap[stub + 1]] == [7, 7]
    assert after == [7, 7], (after, result.code)
    assert result.linemap[lines.index("x = 1")] == 13


def test_the_stub_keeps_the_name_it_binds():
    stub = GeneratedFunction("def f():\n    return _f()\n", name=None)
    renamed = stub.with_changes(name="g")
    assert isinstance(renamed, GeneratedFunction) and renamed.code == stub.code
