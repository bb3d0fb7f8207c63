"""What starting a program costs, compiled against native.

    python bench/startup_bench.py [--processes P] [--functions N] [--imports R] [--tree DIR]

Two programs of N small async functions: ``app``, which asyncio runs once
(``asyncio.run``: the event loop a real program starts too), and ``lib``,
which runs its coroutines by ``send`` with no event loop at all (so that
nothing but the compiled module's own imports tells the two apart).  Each
figure is the median wall time of P fresh processes, the two commands
alternating so that a neighbour's load hits both alike; the imports are
given in CPU time too (user and system), which a loaded machine disturbs
far less than wall time.

1. ``statemachine-compiler run app.py`` against ``python app.py``:
   warm is from the cache ``run`` keeps (an unchanged script: what a user
   pays on every start but the first), cold with an empty cache, compiling
   (one process).  Issue 13's target: warm at most +30 ms over native.
2. A fresh process importing an already compiled module (the output of
   ``statemachine-compiler compile``, a ``.py`` file with its ``.pyc`` warm)
   against one importing the native source: ``python -c "import app"``.
   Issue 13's target: at most +5 ms.
3. A second import in one process (``del sys.modules[name]``, import again,
   both ``.pyc`` warm), compiled against native: the ratio, and the cost of
   each ``async def`` (the difference over N).  A module of nothing but
   async functions is the worst case: a class is made for each, where a
   plain ``def`` makes one function object.  (``import_bench.py`` gives
   the ratio for real modules: issue 13's target there is 1.5x.)

``--counts`` adds what a loaded machine does not disturb, for each pair of
processes of 1 and 2: the modules each imports (``-X importtime``: how
many, and those the compiled one imports that the native one does not) and
the instructions each executes, counted by callgrind (``valgrind``; a fresh
process each, with ``PYTHONHASHSEED=0``; system time is not in them); and
the instructions of one second import of 3, native and compiled, the
difference of a process making 25 and one making 5 (what the module's
previous copy costs the collector is in them, as in the times).

``--tree DIR`` imports the compiler and runtime from another checkout (an
older commit, say), so that two versions can be compared on one machine.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
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


def library(functions: int) -> str:
    """A module of N async functions, run at import by ``send``: no event loop."""
    lines = []
    for index in range(functions):
        lines += [f"async def step{index}(x):", "    return x + 1", ""]
    lines += ["async def main():", "    x = 0"]
    lines += [f"    x = await step{index}(x)" for index in range(functions)]
    lines += [
        "    return x",
        "",
        "",
        "try:",
        "    main().send(None)",
        "except StopIteration as stop:",
    ]
    lines += [f"    assert stop.value == {functions}", ""]
    return "\n".join(lines)


def elapsed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def cpu_time(command: list[str], env: dict) -> float:
    """The CPU time (user and system) of one process running ``command``.

    Discussion: on a machine shared with other jobs a process's wall time
    is mostly its wait for a core, which swamps a difference of a few
    milliseconds; the time it spent on a core does not wait.
    """
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return usage.ru_utime + usage.ru_stime


def imported_modules(command: list[str], env: dict) -> list[str]:
    """The modules a process running ``command`` (a Python one) imports, in order (``-X importtime``)."""
    run = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    names = []
    for line in run.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if line.startswith("import time:") and len(fields) == 3 and fields[0].strip().isdigit():
            names.append(fields[2].strip())
    return names


def instructions(command: list[str], env: dict) -> int:
    """The instructions a fresh process running ``command`` executes (callgrind)."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", *command],
            env=dict(env, PYTHONHASHSEED="0"), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )
    if run.returncode:
        raise RuntimeError(f"{command}: {run.stderr[-2000:]}")
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


# A child process that imports ``name`` once, then ``n`` times more.
SECOND_IMPORTS = """\
import importlib, sys
sys.dont_write_bytecode = False
sys.path[:0] = [{directory!r}, {tree!r}]
importlib.import_module({name!r})
for _ in range({n}):
    del sys.modules[{name!r}]
    importlib.import_module({name!r})
"""


def second_import_instructions(directory: str, tree: str, name: str, env: dict) -> float:
    """The instructions of one second import of ``name`` (callgrind; see SECOND_IMPORTS)."""
    few, many = (
        instructions([sys.executable, "-c", SECOND_IMPORTS.format(
            directory=directory, tree=tree, name=name, n=n)], env)
        for n in (5, 25)
    )
    return (many - few) / 20


def print_counts(what: str, native: list[str], compiled: list[str], env: dict) -> None:
    """Modules imported and instructions executed by the two commands, and what tells them apart."""
    native_modules, compiled_modules = (imported_modules(c, env) for c in (native, compiled))
    extra = [name for name in compiled_modules if name not in set(native_modules)]
    print(
        f"  {what}: modules native {len(native_modules)}, compiled {len(compiled_modules)}"
        f" (+{len(extra)}: {' '.join(extra)})"
    )
    if shutil.which("valgrind") is None:
        print("    (no valgrind: no instruction counts)")
        return
    native_count, compiled_count = (instructions(c, env) for c in (native, compiled))
    print(
        f"    instructions native {native_count / 1e6:.2f}M, compiled {compiled_count / 1e6:.2f}M"
        f"   ({(compiled_count - native_count) / 1e6:+.2f}M)"
    )


def alternating(
    commands: list[list[str]], env: dict, processes: int, measure=elapsed
) -> list[float]:
    """The median time of each command over ``processes`` rounds, the commands alternating."""
    times = [[] for _ in commands]
    for _ in range(processes):
        for command, samples in zip(commands, times, strict=True):
            samples.append(measure(command, env))
    return [statistics.median(samples) for samples in times]


def write_pair(directory: str, stem: str, source: str, env: dict) -> tuple[str, str]:
    """Write ``native_<stem>.py`` and its compiled twin ``compiled_<stem>.py``; warm both .pyc."""
    native, compiled = f"native_{stem}", f"compiled_{stem}"
    native_path = os.path.join(directory, native + ".py")
    with open(native_path, "w") as file:
        file.write(source)
    compiler = [sys.executable, "-m", "statemachine_compiler", "compile"]
    subprocess.run(
        compiler + [native_path, "-o", os.path.join(directory, compiled + ".py")],
        env=env,
        check=True,
    )
    for name in (native, compiled):
        subprocess.run([sys.executable, "-c", f"import {name}"], env=env, cwd=directory, check=True)
    return native, compiled


def second_import(name: str, n: int) -> float:
    """The mean time of one import of ``name`` (already imported once) over ``n`` imports."""
    start = time.perf_counter()
    for _ in range(n):
        del sys.modules[name]
        importlib.import_module(name)
    return (time.perf_counter() - start) / n


def warm_imports(
    directory: str, tree: str, native: str, compiled: str, rounds: int
) -> tuple[float, float, float]:
    """Median time of a second import, native and compiled, and the median ratio of rounds."""
    sys.dont_write_bytecode = False
    sys.path[:0] = [directory, tree]
    for name in (native, compiled):
        importlib.import_module(name)
    natives, compileds = [], []
    for _ in range(rounds):  # short rounds, alternating
        natives.append(second_import(native, 20))
        compileds.append(second_import(compiled, 20))
    ratios = [c / p for p, c in zip(natives, compileds, strict=True)]
    return statistics.median(natives), statistics.median(compileds), statistics.median(ratios)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=21)
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--imports", type=int, default=101, help="rounds of 20 second imports")
    parser.add_argument(
        "--tree", default=ROOT, help="checkout to import the compiler and runtime from"
    )
    parser.add_argument(
        "--counts", action="store_true",
        help="also count modules imported and instructions executed (callgrind)",
    )
    options = parser.parse_args()
    tree = os.path.abspath(options.tree)
    print(f"compiler and runtime from {tree}")
    with tempfile.TemporaryDirectory() as directory:
        # Every process starts in the temporary directory: ``python -c`` and
        # ``-m`` put the working directory first on sys.path, which in a
        # checkout would give its compiler and runtime whatever --tree says.
        os.chdir(directory)
        path = os.path.join(directory, "app.py")
        with open(path, "w") as file:
            file.write(script(options.functions))
        env = dict(os.environ, STATEMACHINE_COMPILER_CACHE=os.path.join(directory, "cache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [tree, env.get("PYTHONPATH")]))
        native = [sys.executable, path]
        compiled = [sys.executable, "-m", "statemachine_compiler", "run", path]
        cold = elapsed(compiled, env)
        elapsed(native, env)  # the script's own .pyc is not written (__main__), but warm the OS
        native_ms, warm_ms = (
            t * 1000 for t in alternating([native, compiled], env, options.processes)
        )
        print(
            f"start-up of a script of {options.functions} async defs, median of {options.processes} processes"
        )
        print(f"  python app.py                      {native_ms:8.1f} ms")
        print(
            f"  statemachine-compiler run, warm    {warm_ms:8.1f} ms   (+{warm_ms - native_ms:.1f} ms; target +30 ms)"
        )
        print(
            f"  statemachine-compiler run, cold    {cold * 1000:8.1f} ms   (compiling, one process)"
        )
        print(
            f"a fresh process importing a compiled module (.pyc warm), median of {options.processes} processes"
        )
        pairs = {
            stem: write_pair(directory, stem, source(options.functions), env)
            for stem, source in (("app", script), ("lib", library))
        }
        import_env = dict(env, PYTHONPATH=directory + os.pathsep + env["PYTHONPATH"])
        for stem, names in pairs.items():
            commands = [[sys.executable, "-c", f"import {name}"] for name in names]
            for measure, what in ((elapsed, "wall"), (cpu_time, "CPU ")):
                native_ms, compiled_ms = (
                    t * 1000 for t in alternating(commands, import_env, options.processes, measure)
                )
                print(
                    f"  import {stem}, {what}: native {native_ms:6.1f} ms, compiled {compiled_ms:6.1f} ms"
                    f"   ({compiled_ms - native_ms:+.1f} ms; target +5 ms)"
                )
        if options.counts:
            print("deterministic counts, one fresh process each")
            print_counts("run app.py / python app.py", native, compiled, env)
            for stem, names in pairs.items():
                commands = [[sys.executable, "-c", f"import {name}"] for name in names]
                print_counts(f"import {stem}", *commands, import_env)
            if shutil.which("valgrind") is not None:
                native_count, compiled_count = (
                    second_import_instructions(directory, tree, name, env) for name in pairs["lib"]
                )
                print(
                    f"  second import of lib: instructions native {native_count / 1e3:.0f}k,"
                    f" compiled {compiled_count / 1e3:.0f}k ({compiled_count / native_count:.2f}x);"
                    f" {(compiled_count - native_count) / options.functions / 1e3:.1f}k per async def"
                )
        native_s, compiled_s, ratio = warm_imports(directory, tree, *pairs["lib"], options.imports)
        per_function = (compiled_s - native_s) / options.functions
        print(
            f"second import of lib ({options.functions} async defs, warm .pyc), median of {options.imports} rounds"
        )
        print(
            f"  native {native_s * 1e6:7.1f} us, compiled {compiled_s * 1e6:7.1f} us   ({ratio:.2f}x)"
            f"; {per_function * 1e6:.1f} us per async def"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
