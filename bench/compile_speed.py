"""How fast the compiler compiles: lines per second, and how that scales.

    python bench/compile_speed.py [--handlers N] [--scale K] [--repeats R]
                                  [--no-format] [--write FILE] [--profile]

The input is a module of N ordinary request handlers (``handler_module``),
20 lines each: a ``try``/``except``/``finally``, a ``for`` loop with an
await, an ``async with``; N = 100 is a 2,001-line module (issue 12: under 1 s
of CPU with formatting, at least 2,000 lines/s, 5,000 the aim).  The same
module with K times the handlers shows whether the cost is linear in the
file's size: the scaling ratio is (CPU for K x N) / (CPU for N) / K, about
1.0 when it is.  Peak memory (tracemalloc) is given for the large one.

Those are compiles in this process, after one that paid the imports and
formatted the lines every function has (black's lines are kept for the rest
of a process).  The command a user runs pays both: ``statemachine-compiler
compile`` of the small module in a fresh process is timed too (its CPU time,
the least and the median of ``--repeats``), as issue 12 counts it: cold (an
empty cache directory, as on a first run ever: black imported, its lines
formatted and stored) and warm (what the runs before stored: black's lines
read back, black not imported; ``statemachine_compiler.format.store``).  The
peak memory (RSS) of the command on the large module is given too.  The
children run with ``PYTHONDONTWRITEBYTECODE`` unset, as a user's would.

Figures, not assertions.  ``--write FILE`` writes the module and stops (to
try it with ``statemachine-compiler compile``); ``--profile`` prints where
the time goes (cProfile) for one compile of the N-handler module.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from statemachine_compiler.pipeline import Options, compile_source  # noqa: E402

HANDLER = '''
async def handle_{i}(request, db, log):
    """Answer request {i}: look up each item, in one transaction."""
    results = []
    try:
        async with db.transaction() as tx:
            for item in request.items:
                row = await tx.fetch(item.key, timeout={i})
                if row is None:
                    continue
                results.append(row)
            await tx.commit()
    except KeyError as error:
        log.warning("handler {i}: missing key %s", error)
    except Exception:
        log.exception("handler {i} failed")
        raise
    finally:
        await log.flush()
    return results
'''


def handler_module(handlers: int) -> str:
    """A module of ``handlers`` request handlers, 20 lines each and one line on top."""
    return '"""Request handlers."""\n' + "".join(HANDLER.format(i=i) for i in range(handlers))


def _reference_work() -> int:
    """A fixed pure-Python workload (dicts, tuples, strings, a loop): what the compiler's time is made of."""
    total = 0
    items: dict[int, tuple[int, str]] = {}
    for i in range(200_000):
        items[i & 1023] = (i, str(i))
        total += len(items[i & 1023][1])
    return total


def reference_seconds(repeats: int = 5) -> float:
    """The least CPU time of ``_reference_work``: the speed of this machine and interpreter.

    Discussion: the same compile took 0.9 s on one machine of this kind and
    2.4 s on another, three times slower at everything: the figures are only
    comparable across machines in units of this.
    """
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        _reference_work()
        best = min(best, time.process_time() - start)
    return best


def cpu_seconds(text: str, options: Options, repeats: int) -> float:
    """The least process CPU time of ``repeats`` compiles of ``text``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        compile_source(text, "<bench>", options)
        best = min(best, time.process_time() - start)
    return best


# Runs the command given as its arguments; prints its CPU seconds and peak RSS (KiB).
MEASURED = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)"
)


def command_seconds(text: str, options: Options, repeats: int, warm: bool) -> list[tuple[float, int]]:
    """CPU time and peak RSS (bytes) of each of ``repeats`` runs of ``statemachine-compiler compile`` on ``text``.

    Fresh processes; each with an empty cache directory unless ``warm``
    (then one run fills it first, not counted).
    """
    with tempfile.TemporaryDirectory() as directory:
        source = os.path.join(directory, "handlers.py")
        with open(source, "w", encoding="utf-8") as file:
            file.write(text)
        command = [sys.executable, "-m", "statemachine_compiler", "compile", source, "-o", source + ".out"]
        if not options.format:
            command.append("--no-format")
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        measured = []
        for run in range(repeats + warm):
            cache = os.path.join(directory, "cache" if warm else f"cache{run}")
            # Through a small process of its own: a child's peak RSS starts at
            # its parent's (this one's, large after the compiles above).
            report = subprocess.run(
                [sys.executable, "-c", MEASURED, *command],
                env=dict(environment, STATEMACHINE_COMPILER_CACHE=cache),
                check=True, capture_output=True, text=True, cwd=directory,
            ).stdout.split()
            if run or not warm:
                measured.append((float(report[0]), int(report[1]) * 1024))
        return measured


def peak_memory(text: str, options: Options) -> int:
    """Bytes allocated at the peak of one compile of ``text`` (tracemalloc)."""
    tracemalloc.start()
    try:
        compile_source(text, "<bench>", options)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def profile(text: str, options: Options) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(compile_source, text, "<bench>", options)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handlers", type=int, default=100, help="handlers in the small module")
    parser.add_argument("--scale", type=int, default=10, help="the large module has this many times more")
    parser.add_argument("--repeats", type=int, default=3, help="compiles of the small module; least CPU kept")
    parser.add_argument("--no-format", action="store_true", help="compile without black")
    parser.add_argument("--write", metavar="FILE", help="write the small module to FILE and stop")
    parser.add_argument("--profile", action="store_true", help="cProfile one compile of the small module")
    args = parser.parse_args(argv)

    small = handler_module(args.handlers)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as file:
            file.write(small)
        return 0
    options = Options(format=not args.no_format)
    if args.profile:
        profile(small, options)
        return 0

    large = handler_module(args.handlers * args.scale)
    compile_source(small, "<bench>", options)  # imports (black, libcst's parser) paid here
    small_cpu = cpu_seconds(small, options, args.repeats)
    large_cpu = cpu_seconds(large, options, 1)
    large_peak = peak_memory(large, options)
    cold = [seconds for seconds, _ in command_seconds(small, options, args.repeats, warm=False)]
    warm = [seconds for seconds, _ in command_seconds(small, options, args.repeats, warm=True)]
    (large_command, large_rss), = command_seconds(large, options, 1, warm=True)
    small_lines = small.count("\n")
    large_lines = large.count("\n")
    formatting = "without black" if args.no_format else "with black"
    print(f"compile_speed: Python {platform.python_version()}, {formatting}, CPU time (process_time)")
    print(f"  {args.handlers:>6,} handlers {small_lines:>7,} lines  {small_cpu:7.2f} s"
          f"  {small_lines / small_cpu:8,.0f} lines/s   (target >= 2,000, aim 5,000)")
    print(f"  {args.handlers * args.scale:>6,} handlers {large_lines:>7,} lines  {large_cpu:7.2f} s"
          f"  {large_lines / large_cpu:8,.0f} lines/s   peak memory {large_peak / 2**20:,.0f} MB")
    for name, command in (("cold", cold), ("warm", warm)):
        print(f"  the compile command, a fresh process, {name} cache: {min(command):.2f} s least,"
              f" {statistics.median(command):.2f} s median of {len(command)} (target < 1 s)")
    print(f"  the compile command on the large module: {large_command:.2f} s,"
          f" peak RSS {large_rss / 2**20:,.0f} MB (target < 200 MB)")
    reference = reference_seconds()
    print(f"  this machine: the reference workload (bench/compile_speed.py, _reference_work) takes"
          f" {reference * 1000:.0f} ms; the small module's compile is {small_cpu / reference:.1f} of it,"
          f" the cold command {min(cold) / reference:.1f}")
    ratio = large_cpu / small_cpu / args.scale
    print(f"  scaling: {args.scale}x the handlers costs {large_cpu / small_cpu:.1f}x"
          f" (ratio {ratio:.2f}; 1.00 is linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
