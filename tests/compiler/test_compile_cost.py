"""The compiler's cost grows with the module's size, not with its square (issue 12).

No timings here (``bench/compile_speed.py`` measures those): these tests count
the work that made compiling a module quadratic, printing the whole module
once per function.
"""

from __future__ import annotations

import libcst as cst
import pytest

from statemachine_compiler import compile_source
from statemachine_compiler.pipeline import Options

FUNCTION = '''
async def handle_{i}(request, log):
    """Answer request {i}."""
    try:
        row = await request.fetch({i})
    finally:
        await log.flush()
    return f"{{row!r}} {{request=}}"
'''


def module_of(functions: int) -> str:
    return "".join(FUNCTION.format(i=i) for i in range(functions))


@pytest.fixture
def whole_module_prints(monkeypatch):
    """How often a module with at least ``big`` statements is printed, as ``counts[big]``."""
    counts = {"prints": 0, "big": 0}
    code = cst.Module.code

    def counting(module):
        if len(module.body) >= counts["big"]:
            counts["prints"] += 1
        return code.fget(module)

    monkeypatch.setattr(cst.Module, "code", property(counting))
    return counts


@pytest.mark.parametrize("formatting", [True, False], ids=["black", "no-format"])
def test_the_whole_module_is_printed_a_fixed_number_of_times(whole_module_prints, formatting):
    printed = []
    for functions in (5, 20):
        whole_module_prints.update(prints=0, big=functions)
        compile_source(module_of(functions), "handlers.py", Options(format=formatting))
        printed.append(whole_module_prints["prints"])
    assert printed[0] == printed[1] and printed[0] <= 5


def test_what_is_kept_about_a_function_is_dropped_once_it_is_compiled(monkeypatch):
    """The origins of rebuilt nodes (the line map's) do not pile up, function after function."""
    from statemachine_compiler import linemap, pipeline

    maps = []

    class RecordedLineMap(linemap.LineMap):
        def __init__(self, positions):
            super().__init__(positions)
            maps.append(self)

    monkeypatch.setattr(pipeline, "LineMap", RecordedLineMap)
    for formatting in (True, False):
        kept = []
        for functions in (5, 20):
            maps.clear()
            compile_source(module_of(functions), "handlers.py", Options(format=formatting))
            kept.append(len(maps[0].origins))
        # Only the stubs' few nodes, which the module keeps anyway (it was
        # some 135 per function: every node of every function, rebuilt).
        assert kept[1] - kept[0] <= 3 * 15


def test_the_collectors_thresholds_are_restored_after_a_compile():
    import gc

    before = gc.get_threshold()
    compile_source(module_of(2), "handlers.py", Options(format=False))
    assert gc.get_threshold() == before
    with pytest.raises(SyntaxError):
        compile_source("async def f(:\n", "broken.py")
    assert gc.get_threshold() == before
