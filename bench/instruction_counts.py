"""Instructions per operation of each bench case, native and compiled, counted by callgrind.

    python bench/instruction_counts.py [--case CASE ...] [--source FILE]

On a shared machine wall-clock times are noise; the number of instructions
a case executes is not.  Each case of ``compiler_bench.py`` (await, suspend,
chain, create, create_closure, create_nested) and ``program_bench.py``'s program (per request) is run in a
fresh ``valgrind --tool=callgrind`` process twice, with a small and a larger
count of operations; the difference of the two totals divided by the
difference of the counts is the cost of one operation in steady state
(start-up, imports and warm-up cancel out).  The compiled code is compiled
once, here, and the child processes exec it: libcst is never run under
valgrind.  ``--compiled FILE`` counts a hand-edited compiled module (as
``--dump DIR`` writes them) in place of what the compiler emits: how a
design is measured before the compiler emits it.  Figures move by a percent
or two with nothing but the heap's layout changed (a module edited).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, ROOT)

MICRO_CASES = ("await", "suspend", "chain", "create", "create_closure", "create_nested")
CASES = MICRO_CASES + ("program",)
# As compiler_bench.py runs them (not imported from there: it imports the
# compiler, which is not to be loaded under valgrind).
MICRO_ENTRY_POINTS = {"await": "await_leaf", "suspend": "suspend_loop", "chain": "chain_loop",
                      "create": "nothing", "create_closure": "closure",
                      "create_nested": "nested_over_cells"}
PROGRAM_TASKS = 20
# case -> (small count, large count) of operations per run
COUNTS = {"await": (200, 2200), "suspend": (200, 2200), "chain": (200, 2200),
          "create": (200, 2200), "create_closure": (200, 2200), "create_nested": (200, 2200),
          "program": (10, 60)}


def child(case, path, n):
    """Run ``case`` n times from the module in ``path`` (in a process under valgrind)."""
    import gc

    namespace = {"__name__": "bench_counted"}
    with open(path) as file:
        exec(compile(file.read(), path, "exec"), namespace)
    if case == "program":
        import asyncio

        asyncio.run(namespace["main"](PROGRAM_TASKS, n))
        return
    gc.disable()
    function = namespace[MICRO_ENTRY_POINTS[case]]
    if case.startswith("create"):
        for _ in range(n):
            coro = function()
            try:
                coro.send(None)
            except StopIteration:
                pass
        return
    coro = function(n)
    try:
        while True:
            coro.send(None)
    except StopIteration:
        pass


def sources():
    """{(kind, module): source}: the two bench modules, native and compiled."""
    import compiler_bench
    import program_bench

    from statemachine_compiler import compile_source

    table = {}
    for module, source in (("micro", compiler_bench.SOURCE), ("program", program_bench.SOURCE)):
        table["native", module] = source
        table["compiled", module] = compile_source(source, f"<{module}>").code
    return table


def counted(case, path, n):
    """Instructions of one child run."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}",
             sys.executable, __file__, "--child", case, path, str(n)],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    if run.returncode:
        raise RuntimeError(f"{case} {path} {n}: {run.stderr[-2000:]}")
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def per_operation(case, path):
    small, large = COUNTS[case]
    scale = PROGRAM_TASKS if case == "program" else 1
    return (counted(case, path, large) - counted(case, path, small)) / ((large - small) * scale)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("CASE", "PATH", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--case", action="append", choices=CASES)
    parser.add_argument("--compiled", help="a file of compiled code to count in place of the compiler's")
    parser.add_argument("--dump", metavar="DIR", help="write the four modules to DIR and stop")
    parser.add_argument("--no-native", action="store_true", help="count the compiled code only")
    args = parser.parse_args(argv)
    if args.child:
        case, path, n = args.child
        child(case, path, int(n))
        return 0
    table = sources()
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.dump or scratch
        os.makedirs(directory, exist_ok=True)
        paths = {}
        for (kind, module), source in table.items():
            paths[kind, module] = os.path.join(directory, f"{kind}_{module}.py")
            with open(paths[kind, module], "w") as file:
                file.write(source)
        if args.dump:
            print("\n".join(sorted(paths.values())))
            return 0
        print(f"instructions per operation (callgrind), Python {sys.version.split()[0]}")
        print(f"{'case':<9}{'native':>12}{'compiled':>12}{'ratio':>8}")
        for case in args.case or CASES:
            module = "program" if case == "program" else "micro"
            compiled_path = args.compiled or paths["compiled", module]
            compiled = per_operation(case, compiled_path)
            if args.no_native:
                print(f"{case:<9}{'':>12}{compiled:>12.0f}", flush=True)
                continue
            native = per_operation(case, paths["native", module])
            print(f"{case:<9}{native:>12.0f}{compiled:>12.0f}{compiled / native:>7.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
