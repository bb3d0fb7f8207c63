"""What one run of a suite did, read from suite_recorder's file, and two runs compared."""

import json
import re
from dataclasses import dataclass, field

NEVER_AWAITED = "never awaited"  # the outcome of a test that passed without awaiting a coroutine


@dataclass
class Run:
    outcomes: dict = field(default_factory=dict)  # node id -> outcome
    collect_errors: dict = field(default_factory=dict)  # node id of a module -> message
    never_awaited: dict = field(default_factory=dict)  # node id -> the warning's first line
    messages: dict = field(default_factory=dict)  # node id -> why it failed

    @property
    def passed(self):
        return {test for test, outcome in self.outcomes.items() if outcome == "passed"}


def read_run(path):
    """Read a record file; a test that passed but left a coroutine never awaited has failed."""
    run = Run()
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except FileNotFoundError:
        return run
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the last line of a run killed while writing it
        if "collect_error" in record:
            run.collect_errors[record["collect_error"]] = record["message"]
        elif "never_awaited" in record:
            run.never_awaited.setdefault(record["test"], record["never_awaited"])
        elif "outcome" in record:
            run.outcomes[record["test"]] = record["outcome"]
            if "message" in record:
                run.messages[record["test"]] = record["message"]
    for test in run.never_awaited:
        if run.outcomes.get(test) in ("passed", "xpassed"):
            run.outcomes[test] = NEVER_AWAITED
    return run


def lost(native, compiled):
    """The tests that pass natively and not compiled: ``{node id: what happened compiled}``."""
    return {
        test: _what_happened(test, compiled) for test in sorted(native.passed - compiled.passed)
    }


def _what_happened(test, run):
    if test in run.outcomes:
        outcome = run.outcomes[test]
        if outcome == NEVER_AWAITED:
            return f"{NEVER_AWAITED}: {run.never_awaited[test]}"
        if test in run.messages:
            return f"{outcome}: {run.messages[test]}"
        return outcome
    for module, message in run.collect_errors.items():
        if test.startswith(module + "::") or not module:
            return f"not collected: {message}"
    return "not run"


def commonest(lost, top=12):
    """The commonest reasons in ``lost`` (``[(reason, count)]``), a test's own details left out."""
    counts = {}
    for what in lost.values():
        reason = _generic(what)
        counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])[:top]


def _generic(what):
    # Quoted names, addresses and numbers differ from test to test; the cause does not.
    what = re.sub(r"'[^']*'|\"[^\"]*\"", "'...'", what)
    what = re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?", "N", what)
    return what[:160]
