"""CPython's own coroutine tests, run natively and compiled: ``make conformance``.

    python tests/cpython/conformance.py [--strict] [MODULE...]

Each of ``test_coroutines``, ``test_asyncgen`` and ``test_contextlib_async`` is
copied from this interpreter's ``Lib/test`` into a temporary directory; the
only edit is the relaxation ``RELAXED`` describes.  Each is run twice by
``unit_driver.py``: natively, and through ``statemachine-compiler run
--include MODULE``, which compiles it on import.  The report gives the pass
counts, and every test that passes natively but not compiled.  A module the
compiler cannot compile is reported as such, with the compiler's error: there
is no per-function fallback.

Tests listed in ``docs/conformance.md`` (lines ``- `test id`: reason``) are
deliberate differences.  ``--strict`` makes the exit status 1 when any other
test passes natively and not compiled.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODULES = ("test_coroutines", "test_asyncgen", "test_contextlib_async")
DIFFERENCES = os.path.join(ROOT, "docs", "conformance.md")

# The driver helpers assert that the object is a built-in coroutine; a compiled
# one is a StateMachine (DESIGN.md section 5).  Nothing else is edited.
RELAXED = {
    "test_coroutines": [
        (
            "def run_async(coro):\n    assert coro.__class__ in {types.GeneratorType, types.CoroutineType}\n",
            "def run_async(coro):\n    assert coro.__class__ in {types.GeneratorType, types.CoroutineType}"
            ' or hasattr(coro, "cr_await")\n',
        ),
        (
            "def run_async__await__(coro):\n    assert coro.__class__ is types.CoroutineType\n",
            "def run_async__await__(coro):\n    assert coro.__class__ is types.CoroutineType"
            ' or hasattr(coro, "cr_await")\n',
        ),
    ],
}


def cpython_test_directory():
    import test

    return os.path.dirname(test.__file__)


def copy_relaxed(name, directory):
    with open(os.path.join(cpython_test_directory(), name + ".py"), encoding="utf-8") as file:
        text = file.read()
    for before, after in RELAXED.get(name, []):
        if text.count(before) != 1:
            raise SystemExit(f"{name}: the driver helper to relax is not there as expected")
        text = text.replace(before, after)
    with open(os.path.join(directory, name + ".py"), "w", encoding="utf-8") as file:
        file.write(text)


def run_driver(name, directory, compiled):
    output = os.path.join(directory, f"{name}.{'compiled' if compiled else 'native'}.json")
    driver = os.path.join(directory, "unit_driver.py")
    command = [sys.executable, driver, name, output]
    if compiled:
        command = [sys.executable, "-m", "statemachine_compiler", "run", "--include", name, *command[1:]]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=1800)
    if not os.path.exists(output):
        return {"import_error": f"driver exited {done.returncode}: {done.stderr.strip()[-2000:]}"}
    with open(output, encoding="utf-8") as file:
        return json.load(file)


def deliberate_differences():
    if not os.path.exists(DIFFERENCES):
        return {}
    with open(DIFFERENCES, encoding="utf-8") as file:
        return dict(re.findall(r"^- `([\w.]+)`: (.+)$", file.read(), re.MULTILINE))


def passed(report):
    return {test for test, outcome in report.get("outcomes", {}).items() if outcome == "pass"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 on an unlisted difference")
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    args = parser.parse_args()

    differences = deliberate_differences()
    unexplained = 0
    directory = tempfile.mkdtemp(prefix="conformance.")
    try:
        shutil.copy(os.path.join(HERE, "unit_driver.py"), directory)
        print(f"CPython {sys.version.split()[0]} tests from {cpython_test_directory()}")
        print(f"{'module':<24} {'native':>14} {'compiled':>14}")
        details = []
        for name in args.modules:
            copy_relaxed(name, directory)
            native = run_driver(name, directory, compiled=False)
            compiled = run_driver(name, directory, compiled=True)
            total = len(native.get("outcomes", {}))
            native_column = f"{len(passed(native))}/{total}"
            if "import_error" in compiled:
                compiled_column = "not compilable"
                details.append(f"{name}: module not compilable: {compiled['import_error']}")
                missing = passed(native)
            else:
                compiled_column = f"{len(passed(compiled))}/{len(compiled['outcomes'])}"
                missing = passed(native) - passed(compiled)
            listed = {test for test in missing if test.split(".")[-1] in differences or test in differences}
            unexplained += len(missing - listed)
            print(f"{name:<24} {native_column:>14} {compiled_column:>14}")
            if "import_error" in native:
                details.append(f"{name}: native run failed: {native['import_error']}")
            for test in sorted(missing - listed):
                if "import_error" not in compiled:
                    details.append(f"{name}: passes natively, not compiled ({compiled['outcomes'].get(test, 'missing')}): {test}")
            for test in sorted(listed):
                details.append(f"{name}: listed in docs/conformance.md, not compiled: {test}")
        print()
        for line in details:
            print(line)
        print(f"\n{unexplained} natively passing tests fail compiled and are not listed in docs/conformance.md")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if args.strict and unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
