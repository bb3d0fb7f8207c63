"""What starting a program costs: ``statemachine-compiler run app.py`` against ``python app.py``.

    python bench/startup_bench.py [--processes P] [--functions N]

The program is a script of N small async functions that asyncio runs once
(``asyncio.run``: the event loop a real program starts too).  Each figure is
the median wall time of P fresh processes, the two commands alternating so
that a neighbour's load hits both alike:

- ``python app.py``: the script run natively;
- ``run app.py``, warm: the script compiled, from the cache ``run`` keeps of it
  (an unchanged script: what a user pays on every start but the first);
- ``run app.py``, cold: the same with an empty cache, compiling (one process).

Issue 13's target is warm minus native at most +30 ms.
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


def script(functions: int) -> str:
    lines = ["import asyncio", ""]
    for index in range(functions):
        lines += [
            f"async def step{index}(x):",
            "    await asyncio.sleep(0)",
            "    return x + 1",
            "",
        ]
    lines += ["async def main():", "    x = 0"]
    lines += [f"    x = await step{index}(x)" for index in range(functions)]
    lines += ["    return x", "", "assert asyncio.run(main()) == %d" % functions, ""]
    return "\n".join(lines)


def elapsed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=21)
    parser.add_argument("--functions", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "app.py")
        with open(path, "w") as file:
            file.write(script(options.functions))
        env = dict(os.environ, STATEMACHINE_COMPILER_CACHE=os.path.join(directory, "cache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
        native = [sys.executable, path]
        compiled = [sys.executable, "-m", "statemachine_compiler", "run", path]
        cold = elapsed(compiled, env)
        elapsed(native, env)  # the script's own .pyc is not written (__main__), but warm the OS
        natives, warms = [], []
        for _ in range(options.processes):
            natives.append(elapsed(native, env))
            warms.append(elapsed(compiled, env))
    native_ms = statistics.median(natives) * 1000
    warm_ms = statistics.median(warms) * 1000
    print(f"start-up of a script of {options.functions} async defs, median of {options.processes} processes")
    print(f"  python app.py                      {native_ms:8.1f} ms")
    print(f"  statemachine-compiler run, warm    {warm_ms:8.1f} ms   (+{warm_ms - native_ms:.1f} ms; target +30 ms)")
    print(f"  statemachine-compiler run, cold    {cold * 1000:8.1f} ms   (compiling, one process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
