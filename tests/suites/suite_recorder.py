"""A pytest plugin that records each test's outcome as it runs: ``-p suite_recorder``.

real_suites.py loads it into every run of a real project's suite, native and
compiled alike.  The file the environment variable ``SUITE_RECORD`` names gets
one JSON object a line, written as soon as it is known, so that a run stopped
by its time limit still tells what it did:

    {"test": NODEID, "outcome": "passed" | "failed" | "error" | "skipped" | "xfailed" | "xpassed",
     "message": THE FIRST FAILURE'S MESSAGE (if it failed)}
    {"test": NODEID, "never_awaited": MESSAGE}
    {"collect_error": NODEID, "message": TEXT}

The second kind says that a coroutine was created and never awaited while
the test ran: suite_results.py counts such a test as failed, whatever its
outcome, since a test runner that did not await an async test reports it as
passed.

Discussion: a "was never awaited" warning is issued when the coroutine is
freed.  A native coroutine is freed at once; one caught in a reference cycle
only by the collector, possibly during a later test.  A full collection after
each test (inside the test's warning capture) charges the warning to the test
that made the coroutine.  What collection made (modules, the test items,
those deselected too: pytest's terminal keeps them) is frozen out of the
collector's scans once collection ends (``gc.freeze``), so a collection
costs what the test left; without it asyncclick's 1,870 tests, with 61,000
stress tests deselected, took 70 ms to 0.5 s each in ``gc.collect`` alone.
"""

import gc
import json
import os

import pytest

NEVER_AWAITED = "was never awaited"


class Recorder:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8", buffering=1)
        self.outcomes = {}
        self.messages = {}  # node id -> the first failure's message

    def write(self, **record):
        self.file.write(json.dumps(record) + "\n")

    def pytest_collection_finish(self, session):
        gc.collect()
        gc.freeze()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item):
        try:
            return (yield)
        finally:
            gc.collect()

    def pytest_runtest_logreport(self, report):
        outcome = _phase_outcome(report)
        earlier = self.outcomes.get(report.nodeid)
        if earlier is None or _worse(outcome, earlier):
            self.outcomes[report.nodeid] = outcome
        if report.failed:
            self.messages.setdefault(report.nodeid, _failure_message(report))
        if report.when == "teardown":
            record = dict(test=report.nodeid, outcome=self.outcomes.pop(report.nodeid))
            if report.nodeid in self.messages:
                record["message"] = self.messages.pop(report.nodeid)
            self.write(**record)

    def pytest_collectreport(self, report):
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            self.write(collect_error=report.nodeid, message=text[-1][:300] if text else "")

    def pytest_warning_recorded(self, warning_message, when, nodeid, location):
        text = str(warning_message.message)
        if NEVER_AWAITED in text:
            self.write(test=nodeid, never_awaited=text.splitlines()[0][:300])

    def pytest_unconfigure(self, config):
        self.file.close()


# From least to most telling: a later phase's outcome replaces an earlier one
# only when it says more (a teardown error after a pass makes the test an error).
_ORDER = ("passed", "xpassed", "skipped", "xfailed", "failed", "error")


def _worse(outcome, than):
    return _ORDER.index(outcome) > _ORDER.index(than)


def _phase_outcome(report):
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.passed:
        return "passed"
    if report.skipped:
        return "skipped"
    return "failed" if report.when == "call" else "error"


def _failure_message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = text.strip().splitlines()
    return f"{report.when}: {lines[0][:300] if lines else ''}"


def pytest_configure(config):
    path = os.environ.get("SUITE_RECORD")
    if path:
        config.pluginmanager.register(Recorder(path), "suite_recorder_instance")
