"""What a warm import of a compiled module costs, against a plain import.

    python bench/import_bench.py [--n N] [--rounds R] [--processes P] [--check] [--tree DIR]

Each example in ``examples/`` (and a module of nothing but async functions) is
copied twice into a temporary directory: one copy is imported plainly (from
its ordinary ``.pyc``), the other through the import hook (from its
``opt-statemachine`` cache).  Both caches are warmed first.  Two figures:

1. Second import (issue 13, budget 1.5x): one import is ``del sys.modules[name]``,
   ``importlib.invalidate_caches()``, ``import_module(name)``.  The plain copy
   is imported with the hook *not* installed, as a program without the
   compiler would; the compiled copy with it installed.  Short rounds of N
   imports alternate between the two, so that a neighbour's load hits both
   alike; the figures are the medians over R rounds, the ratio the median of
   the rounds' ratios.  A third column, "hooked", is the
   plain copy imported while the hook is installed: what the hook costs the
   modules it does not compile (it looks each one up, and reads its first
   lines for the marker comment).  The last column is what each ``async def``
   of the module costs: compiled minus plain, over their number (each is a
   class: a type made at import, where a plain ``def`` makes a function).
2. First import in a fresh process, with both caches warm: what a program
   pays, in milliseconds, from its first line to having the module, once
   plainly (``import name``) and once through the hook (importing the hook,
   installing it, ``import name``).  This is where fixed costs show: the
   compiler package, the runtime, asyncio's marker on 3.11.  Median of P
   processes each.

``--check`` makes the exit status 1 when a second-import ratio is over the
budget.  ``--tree DIR`` imports the compiler and runtime from another checkout
(an older commit, say), so that two versions can be compared in one run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BUDGET = 1.5  # issue 13: one class per async def is the design
EXAMPLES = ("send_to_server.py", "echo_server.py")

# async_only.py, the worst case for the compiled side: nothing but 21 async
# functions, each of which becomes a class (slower to create than a function).
ASYNC_ONLY = "\n".join(
    f"async def step{i}(x):\n    y = await step{i - 1}(x)\n    return y + {i}\n"
    for i in range(1, 21)
)
ASYNC_ONLY = "async def step0(x):\n    return x\n\n" + ASYNC_ONLY

# What the child process runs: the time from its first line to having the module.
FRESH = """\
import sys, time
sys.path[:0] = [{directory!r}, {tree!r}]
start = time.perf_counter()
{hook}import {name}
print(time.perf_counter() - start)
"""
HOOK = "from statemachine_compiler.importhook import install_import_hook\ninstall_import_hook([{name!r}])\n"


def import_round(name: str, n: int) -> float:
    """Return the mean time of one import of ``name`` over ``n`` imports."""
    start = time.perf_counter()
    for _ in range(n):
        del sys.modules[name]
        importlib.invalidate_caches()
        importlib.import_module(name)
    return (time.perf_counter() - start) / n


def second_import(plain: str, compiled: str, n: int, rounds: int, install_import_hook):
    """Return the median plain, hooked and compiled times and the median ratio, rounds alternating."""
    plain_times, hooked_times, compiled_times = [], [], []
    for _ in range(rounds):
        plain_times.append(import_round(plain, n))
        with install_import_hook([compiled]):
            compiled_times.append(import_round(compiled, n))
            hooked_times.append(import_round(plain, n))
    ratios = [c / p for p, c in zip(plain_times, compiled_times, strict=True)]
    return (
        statistics.median(plain_times),
        statistics.median(hooked_times),
        statistics.median(compiled_times),
        statistics.median(ratios),
    )


def fresh_process(plain: str, compiled: str, directory: str, tree: str, rounds: int):
    """Return the median time, plain and compiled, of a fresh process's first import."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    times = {plain: [], compiled: []}
    for _ in range(rounds + 1):  # the first writes any .pyc still missing, and is dropped
        for name, hook in ((plain, ""), (compiled, HOOK.format(name=compiled))):
            script = FRESH.format(directory=directory, tree=tree, hook=hook, name=name)
            output = subprocess.run(
                [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
            ).stdout
            times[name].append(float(output))
    return statistics.median(times[plain][1:]), statistics.median(times[compiled][1:])


def write_case(example: str, source: str, directory: str, install_import_hook) -> tuple[str, str]:
    """Write both copies of ``source`` and warm their caches; return their module names."""
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
    return plain, compiled


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="imports per round")
    parser.add_argument("--rounds", type=int, default=41, help="rounds; medians count")
    parser.add_argument("--processes", type=int, default=9, help="fresh processes; medians count")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when over {BUDGET}x")
    parser.add_argument(
        "--tree", default=ROOT, help="checkout to import the compiler and runtime from"
    )
    args = parser.parse_args()

    tree = os.path.abspath(args.tree)
    sys.path.insert(0, tree)
    from statemachine_compiler import CompileError, compile_source
    from statemachine_compiler.importhook import install_import_hook

    sys.dont_write_bytecode = False  # the point is the warm cache
    directory = tempfile.mkdtemp(prefix="import_bench.")
    sys.path.insert(0, directory)
    over = False
    cases = [(name, _read(os.path.join(ROOT, "examples", name))) for name in EXAMPLES]
    cases.append(("async_only.py", ASYNC_ONLY))
    try:
        print(f"compiler and runtime from {tree}")
        print(
            f"second import, median of {args.rounds} rounds x {args.n} imports (budget {BUDGET}x)"
        )
        print(
            f"{'module':<22} {'plain':>9} {'hooked':>9} {'compiled':>9} {'ratio':>7}"
            f"{'':13} {'per async def':>13}"
        )
        written = []
        for example, source in cases:
            try:
                plain, compiled = write_case(example, source, directory, install_import_hook)
            except CompileError as error:
                print(f"{example:<22} not compilable yet: {error}")
                continue
            written.append((example, plain, compiled))
            async_defs = len(compile_source(source).functions)
            plain_time, hooked_time, compiled_time, ratio = second_import(
                plain, compiled, args.n, args.rounds, install_import_hook
            )
            over |= ratio > BUDGET
            verdict = "ok" if ratio <= BUDGET else "OVER BUDGET"
            print(
                f"{example:<22} {plain_time * 1e6:>7.1f}us {hooked_time * 1e6:>7.1f}us "
                f"{compiled_time * 1e6:>7.1f}us "
                f"{ratio:>6.2f}x  {verdict:<11} "
                f"{(compiled_time - plain_time) / async_defs * 1e6:>9.1f}us"
                f" ({async_defs})"
            )
        print(f"first import in a fresh process, warm caches, median of {args.processes} processes")
        print(f"{'module':<22} {'plain':>9} {'compiled':>9} {'extra':>9}")
        for example, plain, compiled in written:
            plain_time, compiled_time = fresh_process(
                plain, compiled, directory, tree, args.processes
            )
            print(
                f"{example:<22} {plain_time * 1e3:>7.2f}ms {compiled_time * 1e3:>7.2f}ms "
                f"{(compiled_time - plain_time) * 1e3:>7.2f}ms"
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if over and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
