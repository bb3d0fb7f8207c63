"""Compiled coroutines against native ones: the cost of ``await`` and of a suspension.

    python bench/compiler_bench.py [--n N] [--repeats R] [--json] [--profile CASE]

One small module (``SOURCE`` below) is run twice in the same process: as
CPython compiles it (native coroutines) and as ``compile_source`` turns it into
state machines (exec'd in memory, nothing written).  No event loop: each case
is driven by calling ``coro.send(None)`` until ``StopIteration``, so what is
timed is the coroutine machinery alone.

await     ``await leaf(i)`` where ``leaf`` returns at once, N times in a loop
          inside one outer coroutine (one send drives the whole loop).
suspend   the outer coroutine awaits an awaitable whose ``__await__`` yields
          once, N times; a plain loop sends None N + 1 times.
chain     the same suspension through three coroutines: outer awaits mid,
          which awaits inner, which yields N times; every send goes down the
          whole chain and back.
create    call a coroutine function that does nothing and send None to it
          until it finishes, N times.
create_closure  the same for one that returns a lambda over its local
          (a cell: its resume is made per coroutine, over it).
create_nested  the same for one that awaits a nested async def reading its
          local (both resumes made per coroutine: the nested one's in the
          enclosing resume, over the enclosing cell).

Each case is timed with ``time.perf_counter`` (garbage collector off, as
timeit does), the best of R repeats is kept, and the table gives ns per
operation and the ratio compiled / native.  Targets (for later work, not
asserted here): await <= 1.5x native, suspension <= 1.0x native.
"""

import argparse
import gc
import json
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from statemachine_compiler import compile_source  # noqa: E402

SOURCE = '''\
class Suspend:
    """An awaitable that suspends exactly once."""

    __slots__ = ()

    def __await__(self):
        return (yield)


SUSPEND = Suspend()


async def leaf(x):
    return x


async def await_leaf(n):
    total = 0
    for i in range(n):
        total += await leaf(i)
    return total


async def suspend_loop(n):
    for _ in range(n):
        await SUSPEND
    return n


async def inner(n):
    for _ in range(n):
        await SUSPEND
    return n


async def mid(n):
    return await inner(n)


async def chain_loop(n):
    return await mid(n)


async def nothing():
    pass


async def closure():
    count = 0
    return lambda: count


async def nested_over_cells():
    count = 1

    async def inner():
        return count

    return await inner()
'''

# case -> (entry point in SOURCE, what one operation is, target ratio or None)
CASES = {
    "await": ("await_leaf", "await of a coroutine that returns at once", 1.5),
    "suspend": ("suspend_loop", "one suspension round trip", 1.0),
    "chain": ("chain_loop", "one suspension round trip through 3 coroutines", None),
    "create": ("nothing", "create a coroutine and run it to the end", None),
    "create_closure": ("closure", "the same, its local in a cell that a lambda it returns reads", None),
    "create_nested": ("nested_over_cells", "the same, awaiting a nested async def that reads its local", None),
}


def load_modules():
    """Return the namespaces of SOURCE run natively and compiled."""
    native = {"__name__": "bench_native"}
    exec(compile(SOURCE, "<bench native>", "exec"), native)
    code = compile_source(SOURCE, "<bench compiled>").code
    compiled = {"__name__": "bench_compiled"}
    exec(compile(code, "<bench compiled>", "exec"), compiled)
    return native, compiled, code


def run_to_end(coro):
    """Drive a coroutine with send(None) until it returns; return (result, sends)."""
    send = coro.send
    sends = 0
    try:
        while True:
            send(None)
            sends += 1
    except StopIteration as stop:
        return stop.value, sends + 1


def make_runner(namespace, case, n):
    """Return a function that performs the case's n operations and returns a check value."""
    function = namespace[CASES[case][0]]
    if case in ("create", "create_closure", "create_nested"):

        def run():
            for _ in range(n):
                coro = function()
                try:
                    coro.send(None)
                except StopIteration:
                    pass
            return n

        return run

    def run():
        return run_to_end(function(n))

    return run


def best_time(run, repeats):
    """Best wall time of ``repeats`` calls of ``run``, with the collector off."""
    best = float("inf")
    result = None
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            result = run()
            elapsed = time.perf_counter() - start
            best = min(best, elapsed)
    finally:
        if enabled:
            gc.enable()
    return best, result


def measure(n, repeats, cases):
    native, compiled, _ = load_modules()
    rows = []
    for case in cases:
        runners = {
            "native": make_runner(native, case, n),
            "compiled": make_runner(compiled, case, n),
        }
        # Warm up both (and check they agree) before timing either.
        expected = runners["native"]()
        got = runners["compiled"]()
        if got != expected:
            raise AssertionError(f"{case}: compiled gave {got!r}, native {expected!r}")
        times = {}
        for kind, run in runners.items():
            seconds, _ = best_time(run, repeats)
            times[kind] = seconds / n * 1e9
        target = CASES[case][2]
        rows.append(
            {
                "case": case,
                "what": CASES[case][1],
                "native_ns": times["native"],
                "compiled_ns": times["compiled"],
                "ratio": times["compiled"] / times["native"],
                "target": target,
            }
        )
    return rows


def print_table(rows, n, repeats):
    print(
        f"compiler_bench: Python {platform.python_version()} ({platform.python_implementation()}),"
        f" N={n:,}, best of {repeats}, no event loop"
    )
    header = f"{'case':<14} {'native ns/op':>13} {'compiled ns/op':>15} {'ratio':>7}  {'target':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        target = f"<= {row['target']:.1f}x" if row["target"] is not None else ""
        line = (
            f"{row['case']:<14} {row['native_ns']:>13.1f} {row['compiled_ns']:>15.1f}"
            f" {row['ratio']:>6.2f}x  {target:>7}"
        )
        print(line.rstrip())
    print()
    for row in rows:
        print(f"  {row['case']:<14} {row['what']}")
    print(
        "Targets for later work (not asserted): await <= 1.5x native,"
        " suspension <= 1.0x native."
    )


def profile(case, n):
    """cProfile the compiled version of one case and print where the time goes."""
    import cProfile
    import pstats

    _, compiled, _ = load_modules()
    run = make_runner(compiled, case, n)
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(15)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="operations per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case; best kept")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--case", action="append", choices=list(CASES), help="run only this case (repeatable)"
    )
    parser.add_argument(
        "--profile", choices=list(CASES), help="cProfile the compiled version of one case"
    )
    parser.add_argument("--show-code", action="store_true", help="print the compiled module")
    args = parser.parse_args(argv)

    if args.show_code:
        print(load_modules()[2])
        return 0
    if args.profile:
        profile(args.profile, args.n)
        return 0
    cases = args.case or list(CASES)
    rows = measure(args.n, args.repeats, cases)
    if args.json:
        report = {
            "benchmark": "compiler",
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "n": args.n,
            "repeats": args.repeats,
            "cases": rows,
        }
        print(json.dumps(report, indent=2))
    else:
        print_table(rows, args.n, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
