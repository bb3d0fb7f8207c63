"""CPython's own coroutine and asyncio tests, run natively and compiled: ``make conformance``.

    python tests/cpython/conformance.py [--strict] [MODULE...]

Each of ``test_coroutines``, ``test_asyncgen`` and ``test_contextlib_async`` is
copied, unedited, from this interpreter's ``Lib/test`` into a temporary
directory.  Each is run twice by
``unit_driver.py``: natively, and through ``statemachine-compiler run
--include MODULE``, which compiles it on import.

Then every module of the ``test.test_asyncio`` package (``MODULE`` may name one,
as ``test.test_asyncio.test_tasks``) is run from the standard library, unedited,
three times: natively; with the package's modules compiled
(``--include 'test.test_asyncio.*'``); and with asyncio itself compiled too
(``--include 'asyncio.*'``), so that asyncio's own coroutines (tasks, streams,
locks, queues, ...) are state machines driving its event loop.

The report gives the pass counts, and every test that passes natively but not
compiled.  A module the compiler cannot compile is reported as such, with the
compiler's error: there is no per-function fallback.

Tests listed in ``docs/conformance.md`` (lines ``- `test id`: reason``) are
deliberate differences.  ``--strict`` makes the exit status 1 when any other
test passes natively and not compiled.
"""

import argparse
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODULES = ("test_coroutines", "test_asyncgen", "test_contextlib_async")
ASYNCIO_TESTS = "test.test_asyncio"
# How each kind of module is run compiled: what the hook compiles, per column.
COPIED_MODES = {"compiled": ["{name}"]}
PACKAGE_MODES = {
    "tests compiled": [ASYNCIO_TESTS + ".*"],
    "asyncio compiled too": [ASYNCIO_TESTS + ".*", "asyncio.*"],
}
DIFFERENCES = os.path.join(ROOT, "docs", "conformance.md")

def cpython_test_directory():
    import test

    return os.path.dirname(test.__file__)


def copy_module(name, directory):
    shutil.copyfile(os.path.join(cpython_test_directory(), name + ".py"), os.path.join(directory, name + ".py"))


def asyncio_test_modules():
    package = os.path.join(cpython_test_directory(), "test_asyncio")
    names = sorted(entry[: -len(".py")] for entry in os.listdir(package) if re.fullmatch(r"test_\w+\.py", entry))
    return [f"{ASYNCIO_TESTS}.{name}" for name in names]


def run_driver(name, directory, include):
    """Run NAME's tests natively (INCLUDE empty) or with the modules INCLUDE selects compiled."""
    output = os.path.join(directory, f"{name}.{len(include)}.json")
    driver = os.path.join(directory, "unit_driver.py")
    command = [sys.executable, driver, name, output]
    if include:
        selected = [option for pattern in include for option in ("--include", pattern)]
        command = [sys.executable, "-m", "statemachine_compiler", "run", *selected, *command[1:]]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    done = subprocess.run(
        command, cwd=directory, env=env, capture_output=True, text=True, timeout=1800, preexec_fn=_interruptible
    )
    if not os.path.exists(output):
        return {"import_error": f"driver exited {done.returncode}: {done.stderr.strip()[-2000:]}", "compiled_modules": []}
    with open(output, encoding="utf-8") as file:
        return json.load(file)


def _interruptible():
    """SIGINT as from a terminal, whatever this was started from (a background job
    inherits it ignored, and asyncio's Ctrl-C tests would see no KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def deliberate_differences():
    if not os.path.exists(DIFFERENCES):
        return {}
    with open(DIFFERENCES, encoding="utf-8") as file:
        return dict(re.findall(r"^- `([\w.]+)`: (.+)$", file.read(), re.MULTILINE))


def passed(report):
    return {test for test, outcome in report.get("outcomes", {}).items() if outcome == "pass"}


def compare(name, directory, modes, differences):
    """Run NAME natively and in each of MODES; return its row's columns, its details, and
    how many natively passing tests fail in some mode without being listed."""
    native = run_driver(name, directory, [])
    columns = [f"{len(passed(native))}/{len(native.get('outcomes', {}))}"]
    details = [f"{name}: native run failed: {native['import_error']}"] if "import_error" in native else []
    unexplained = set()
    for mode, include in modes.items():
        patterns = [pattern.format(name=name) for pattern in include]
        compiled = run_driver(name, directory, patterns)
        for pattern in patterns:
            if not any(fnmatch.fnmatchcase(module, pattern) for module in compiled["compiled_modules"]):
                details.append(f"{name}: {mode}: no module matching {pattern} was compiled")
                unexplained.add(f"{mode}: {pattern}")
        if "import_error" in compiled:
            columns.append("not compilable")
            details.append(f"{name}: {mode}: module not compilable: {compiled['import_error']}")
            continue
        columns.append(f"{len(passed(compiled))}/{len(compiled['outcomes'])}")
        missing = passed(native) - passed(compiled)
        listed = {test for test in missing if test.split(".")[-1] in differences or test in differences}
        unexplained |= missing - listed
        for test in sorted(missing - listed):
            details.append(f"{name}: {mode}: passes natively, not compiled ({compiled['outcomes'].get(test, 'missing')}): {test}")
        for test in sorted(listed):
            details.append(f"{name}: {mode}: listed in docs/conformance.md, not compiled: {test}")
    return columns, details, len(unexplained)


def report(title, names, modes, directory, differences):
    """Print one table (a row per module); return its details and unexplained count."""
    headings = ["native", *modes]
    print(f"\n{title:<40}" + "".join(f"{heading:>22}" for heading in headings))
    details, unexplained = [], 0
    for name in names:
        if name in MODULES:
            copy_module(name, directory)
        columns, more, missing = compare(name, directory, modes, differences)
        print(f"{name.removeprefix(ASYNCIO_TESTS + '.'):<40}" + "".join(f"{column:>22}" for column in columns), flush=True)
        details += more
        unexplained += missing
    return details, unexplained


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 on an unlisted difference")
    parser.add_argument("modules", nargs="*", help="modules to run (default: all)")
    args = parser.parse_args()
    copied = [name for name in args.modules or MODULES if name in MODULES]
    packaged = [name for name in args.modules or asyncio_test_modules() if name not in MODULES]

    differences = deliberate_differences()
    directory = tempfile.mkdtemp(prefix="conformance.")
    try:
        shutil.copy(os.path.join(HERE, "unit_driver.py"), directory)
        print(f"CPython {sys.version.split()[0]} tests from {cpython_test_directory()}")
        details, unexplained = report("module (copied)", copied, COPIED_MODES, directory, differences)
        if packaged:
            more, missing = report(f"{ASYNCIO_TESTS} module", packaged, PACKAGE_MODES, directory, differences)
            details, unexplained = details + more, unexplained + missing
        print()
        for line in details:
            print(line)
        print(f"\n{unexplained} natively passing tests fail compiled and are not listed in docs/conformance.md")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if args.strict and unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
