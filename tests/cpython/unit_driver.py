"""Run one CPython test module with unittest; write each test's outcome as JSON.

    python unit_driver.py MODULE OUTPUT.json

The module is imported from the current directory (or, dotted, from the
standard library: ``test.test_asyncio.test_tasks``).  Run through
``statemachine-compiler run --include MODULE`` it is compiled on import.

A test that left a coroutine never awaited (the warning, outside the test's own
``catch_warnings``) is recorded as ``unawaited``, not ``pass``: a runner that
took a compiled async test for a plain function would call it, never await
it, and see it pass.  A full collection after each test charges a coroutine
freed by the collector to the test that made it.
"""

import gc
import importlib
import json
import os
import sys
import traceback
import unittest
import warnings


class RecordingResult(unittest.TestResult):
    """Keep the outcome of every test by its id: pass, fail, error, skip, xfail, xpass, unawaited."""

    def __init__(self):
        super().__init__()
        self.outcomes = {}
        self.unawaited = set()
        self.running = None

    def startTest(self, test):
        super().startTest(test)
        self.running = test.id()

    def stopTest(self, test):
        gc.collect()
        if test.id() in self.unawaited and self.outcomes.get(test.id()) == "pass":
            self.outcomes[test.id()] = "unawaited"
        self.running = None
        super().stopTest(test)

    def warned(self, message):
        if self.running is not None and "was never awaited" in str(message):
            self.unawaited.add(self.running)

    def addSuccess(self, test):
        self.outcomes[test.id()] = "pass"

    def addFailure(self, test, err):
        self.outcomes[test.id()] = "fail"

    def addError(self, test, err):
        self.outcomes[test.id()] = "error"

    def addSkip(self, test, reason):
        self.outcomes[test.id()] = "skip"

    def addExpectedFailure(self, test, err):
        self.outcomes[test.id()] = "xfail"

    def addUnexpectedSuccess(self, test):
        self.outcomes[test.id()] = "xpass"

    def addSubTest(self, test, subtest, outcome):
        if outcome is not None:
            failed = issubclass(outcome[0], test.failureException)
            self.outcomes[test.id()] = "fail" if failed else "error"


def compiled_modules():
    """The modules the import hook compiled (their loader is its loader, by class name:
    natively the compiler is not imported at all)."""
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if any(kind.__name__ == "StateMachineLoader" for kind in type(getattr(module, "__loader__", None)).__mro__)
    )


def watch_unawaited(result):
    show = warnings.showwarning

    def showwarning(message, *rest, **options):
        result.warned(message)
        show(message, *rest, **options)

    warnings.showwarning = showwarning
    # Every time, not once per place: each test that leaves one is charged.
    warnings.filterwarnings("always", message=".*was never awaited", category=RuntimeWarning)


def main():
    name, output = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.getcwd())
    report = {"module": name}
    try:
        module = importlib.import_module(name)
    except BaseException as error:  # noqa: BLE001 - a module that cannot load is the report
        report["import_error"] = "".join(traceback.format_exception_only(error)).strip()
    else:
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        result = RecordingResult()
        watch_unawaited(result)
        suite.run(result)
        for test, _ in result.errors:  # class/module fixtures that failed
            result.outcomes.setdefault(test.id(), "error")
        report["outcomes"] = result.outcomes
    report["compiled_modules"] = compiled_modules()
    with open(output, "w", encoding="utf-8") as file:
        json.dump(report, file, indent=1)


if __name__ == "__main__":
    main()
