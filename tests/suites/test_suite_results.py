"""The real suites' harness reads results right, on a tiny fake suite (no network, no libraries)."""

import os
import subprocess
import sys
import textwrap

from . import suite_results

HERE = os.path.dirname(os.path.abspath(__file__))

FAKE_SUITE = """
import os

COMPILED = os.environ.get("FAKE_COMPILED") == "1"


async def work():
    return 1


def test_passes():
    assert 1 + 1 == 2


def test_fails():
    assert False


def test_passes_natively_only():
    assert not COMPILED


def test_creates_a_coroutine_it_never_awaits():
    if COMPILED:
        work()  # what a runner does to an async test it takes for a plain function


def test_leaves_an_unawaited_coroutine_in_a_cycle():
    if COMPILED:
        holder = {"coroutine": work()}
        holder["self"] = holder  # freed only by the collector


def test_skipped():
    import pytest

    pytest.skip("not here")
"""

BROKEN_WHEN_COMPILED = """
import os

if os.environ.get("FAKE_COMPILED") == "1":
    raise ImportError("cannot compile this module")


def test_in_a_module_that_fails_to_import():
    pass
"""


def run_fake_suite(directory, compiled):
    record = os.path.join(directory, f"record-{compiled}.jsonl")
    env = dict(
        os.environ,
        SUITE_RECORD=record,
        FAKE_COMPILED="1" if compiled else "0",
        PYTHONPATH=HERE,
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "suite_recorder",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            ".",
        ],
        cwd=directory,
        env=env,
        capture_output=True,
        check=False,
    )
    return suite_results.read_run(record)


def write_fake_suite(tmp_path):
    (tmp_path / "test_fake.py").write_text(textwrap.dedent(FAKE_SUITE))
    (tmp_path / "test_broken.py").write_text(textwrap.dedent(BROKEN_WHEN_COMPILED))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")


def test_outcomes_and_never_awaited_tests_are_read_per_test(tmp_path):
    write_fake_suite(tmp_path)
    native = run_fake_suite(str(tmp_path), compiled=False)
    compiled = run_fake_suite(str(tmp_path), compiled=True)

    assert native.outcomes == {
        "test_broken.py::test_in_a_module_that_fails_to_import": "passed",
        "test_fake.py::test_passes": "passed",
        "test_fake.py::test_fails": "failed",
        "test_fake.py::test_passes_natively_only": "passed",
        "test_fake.py::test_creates_a_coroutine_it_never_awaits": "passed",
        "test_fake.py::test_leaves_an_unawaited_coroutine_in_a_cycle": "passed",
        "test_fake.py::test_skipped": "skipped",
    }
    assert compiled.outcomes["test_fake.py::test_creates_a_coroutine_it_never_awaits"] == (
        suite_results.NEVER_AWAITED
    )
    assert compiled.outcomes["test_fake.py::test_leaves_an_unawaited_coroutine_in_a_cycle"] == (
        suite_results.NEVER_AWAITED
    )
    assert compiled.passed == {"test_fake.py::test_passes"}


def test_lost_lists_what_passes_natively_only_and_why(tmp_path):
    write_fake_suite(tmp_path)
    native = run_fake_suite(str(tmp_path), compiled=False)
    compiled = run_fake_suite(str(tmp_path), compiled=True)

    lost = suite_results.lost(native, compiled)

    assert sorted(lost) == [
        "test_broken.py::test_in_a_module_that_fails_to_import",
        "test_fake.py::test_creates_a_coroutine_it_never_awaits",
        "test_fake.py::test_leaves_an_unawaited_coroutine_in_a_cycle",
        "test_fake.py::test_passes_natively_only",
    ]
    assert lost["test_fake.py::test_passes_natively_only"] == ("failed: call: assert not True")
    assert lost["test_fake.py::test_creates_a_coroutine_it_never_awaits"].startswith(
        "never awaited: coroutine 'work' was never awaited"
    )
    assert lost["test_broken.py::test_in_a_module_that_fails_to_import"].startswith(
        "not collected:"
    )
    assert (
        "cannot compile this module"
        in lost["test_broken.py::test_in_a_module_that_fails_to_import"]
    )


def test_a_run_cut_short_keeps_what_it_recorded(tmp_path):
    record = tmp_path / "record.jsonl"
    record.write_text('{"test": "t.py::a", "outcome": "passed"}\n{"test": "t.py::b", "outc')

    run = suite_results.read_run(str(record))

    assert run.outcomes == {"t.py::a": "passed"}
    assert suite_results.lost(run, suite_results.read_run(str(tmp_path / "missing")))[
        "t.py::a"
    ] == ("not run")


def test_commonest_groups_reasons_without_their_details():
    lost = {
        "a": "failed: call: NameError: name '_x' is not defined",
        "b": "failed: call: NameError: name '_y' is not defined",
        "c": "failed: call: Failed: Timeout (>10.0s) from pytest-timeout.",
    }

    assert suite_results.commonest(lost) == [
        ("failed: call: NameError: name '...' is not defined", 2),
        ("failed: call: Failed: Timeout (>Ns) from pytest-timeout.", 1),
    ]
