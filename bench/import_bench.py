"""What a warm import of a compiled module costs, against a plain import.

    python bench/import_bench.py [--n N] [--repeats R] [--check]

Each example in ``examples/`` is copied twice into a temporary directory: one
copy is imported plainly (from its ordinary ``.pyc``), the other through the
import hook (from its ``opt-statemachine`` cache).  Both caches are warmed
first; then each import is timed as ``del sys.modules[name]``,
``importlib.invalidate_caches()``, ``import_module(name)``, N times, and the
best of R rounds is kept.  The budget (issue 6) is 1.2x.  ``--check`` makes
the exit status 1 when a ratio is over it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from statemachine_compiler import CompileError, install_import_hook  # noqa: E402

BUDGET = 1.2
EXAMPLES = ("send_to_server.py", "echo_server.py")

# The worst case for the compiled side: nothing but async functions, each of
# which becomes a class (slower to create than a function).
ASYNC_ONLY = "\n".join(
    f"async def step{i}(x):\n    y = await step{i - 1}(x)\n    return y + {i}\n" for i in range(1, 21)
)
ASYNC_ONLY = "async def step0(x):\n    return x\n\n" + ASYNC_ONLY


def time_imports(name: str, n: int, repeats: int) -> float:
    """Return the best, over ``repeats`` rounds, of the mean time of one import of ``name``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            del sys.modules[name]
            importlib.invalidate_caches()
            importlib.import_module(name)
        best = min(best, (time.perf_counter() - start) / n)
    return best


def measure(example: str, source: str, directory: str, n: int, repeats: int):
    """Return the mean plain and compiled import times of ``source``."""
    stem = os.path.splitext(example)[0]
    plain, compiled = f"plain_{stem}", f"compiled_{stem}"
    for name in (plain, compiled):
        with open(os.path.join(directory, name + ".py"), "w", encoding="utf-8") as file:
            file.write(source)
    importlib.invalidate_caches()
    importlib.import_module(plain)  # writes its .pyc
    with install_import_hook([compiled]):
        module = importlib.import_module(compiled)  # compiles and writes the cache
        assert module.__cached__.endswith(".opt-statemachine1.pyc"), module.__cached__
        plain_time = time_imports(plain, n, repeats)
        compiled_time = time_imports(compiled, n, repeats)
    return plain_time, compiled_time


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="imports per round")
    parser.add_argument("--repeats", type=int, default=5, help="rounds; the best counts")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when over {BUDGET}x")
    args = parser.parse_args()

    sys.dont_write_bytecode = False  # the point is the warm cache
    directory = tempfile.mkdtemp(prefix="import_bench.")
    sys.path.insert(0, directory)
    over = False
    try:
        print(f"warm import, best of {args.repeats} x {args.n} imports (budget {BUDGET}x)")
        print(f"{'module':<20} {'plain':>10} {'compiled':>10} {'ratio':>7}")
        cases = [(name, _read(os.path.join(ROOT, "examples", name))) for name in EXAMPLES]
        cases.append(("async_only", ASYNC_ONLY))
        for example, source in cases:
            try:
                plain, compiled = measure(example, source, directory, args.n, args.repeats)
            except CompileError as error:
                print(f"{example:<20} not compilable yet: {error}")
                continue
            ratio = compiled / plain
            over |= ratio > BUDGET
            verdict = "ok" if ratio <= BUDGET else "OVER BUDGET"
            print(
                f"{example:<20} {plain * 1e6:>8.1f}us {compiled * 1e6:>8.1f}us "
                f"{ratio:>6.2f}x  {verdict}"
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if over and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
