"""Start-up of ``statemachine-compiler run script.py`` against ``python script.py``.

    python bench/startup_bench.py [--processes P]

A small asyncio program (``SCRIPT`` below: one task, a few awaits) is written
to a temporary directory and run P times each way, in fresh processes,
alternating so that a neighbour's load hits both alike: plainly with
``python script.py``, and compiled with ``python -m statemachine_compiler run
script.py``, its cache warmed first (an unchanged script is run from the
cache, without importing the compiler).  The figures are the medians of the
wall times, and the difference is what ``run`` adds to start-up.  Target: at
most +30 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = """\
import asyncio


async def double(x):
    await asyncio.sleep(0)
    return 2 * x


async def main():
    return sum([await double(i) for i in range(10)])


asyncio.run(main())
"""


def wall_time(command, env) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=15, help="runs of each, median kept")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the cache is what is measured
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as directory:
        script = os.path.join(directory, "script.py")
        with open(script, "w") as file:
            file.write(SCRIPT)
        plain = [sys.executable, script]
        compiled = [sys.executable, "-m", "statemachine_compiler", "run", script]
        wall_time(plain, env)
        wall_time(compiled, env)  # compiles, and writes the cache
        times = {"python script.py": [], "statemachine-compiler run": []}
        for _ in range(args.processes):
            times["python script.py"].append(wall_time(plain, env))
            times["statemachine-compiler run"].append(wall_time(compiled, env))
    medians = {kind: statistics.median(t) * 1e3 for kind, t in times.items()}
    print(f"startup_bench: Python {sys.version.split()[0]}, median of {args.processes} fresh processes")
    for kind, median in medians.items():
        print(f"  {kind:<27} {median:7.1f} ms")
    extra = medians["statemachine-compiler run"] - medians["python script.py"]
    print(f"  run adds {extra:+.1f} ms   (target <= +30 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
