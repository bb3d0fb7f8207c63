"""Run one CPython test module with unittest; write each test's outcome as JSON.

    python unit_driver.py MODULE OUTPUT.json

The module is imported from the current directory.  Run through
``statemachine-compiler run --include MODULE`` it is compiled on import.
"""

import importlib
import json
import os
import sys
import traceback
import unittest


class RecordingResult(unittest.TestResult):
    """Keep the outcome of every test by its id: pass, fail, error, skip, xfail, xpass."""

    def __init__(self):
        super().__init__()
        self.outcomes = {}

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
        suite.run(result)
        for test, _ in result.errors:  # class/module fixtures that failed
            result.outcomes.setdefault(test.id(), "error")
        report["outcomes"] = result.outcomes
    with open(output, "w", encoding="utf-8") as file:
        json.dump(report, file, indent=1)


if __name__ == "__main__":
    main()
