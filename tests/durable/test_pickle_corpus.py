"""Each program of the corpus, run straight and pickled + restored in a new process at every suspension.

Two child processes in all: one records every program straight through and
pickles it at each of its suspensions; the other loads every pickle and
drives it on.  What a restored coroutine does from its suspension on must be
exactly what the straight run did from there.
"""

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from tests.durable.corpus import PRELUDE, PROGRAMS
from tests.importhook.conftest import subprocess_env

REPLAY = Path(__file__).with_name("replay.py")


def run_replay(*args):
    done = subprocess.run(
        [sys.executable, str(REPLAY), *map(str, args)],
        env=subprocess_env(STATEMACHINE_COMPILER_QUIET="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("corpus")
    for name, source in PROGRAMS.items():
        (directory / f"durable_{name}.py").write_text(PRELUDE + source, encoding="utf-8")
    names = [f"durable_{name}" for name in PROGRAMS]
    (directory / "corpus_names.py").write_text(f"NAMES = {names!r}\n", encoding="utf-8")
    run_replay("record", directory, directory / "recorded.pickle")
    run_replay("restore", directory, directory / "recorded.pickle", directory / "restored.pickle")
    recorded = pickle.loads((directory / "recorded.pickle").read_bytes())
    restored = pickle.loads((directory / "restored.pickle").read_bytes())
    return recorded, restored


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_restored_in_a_new_process_continues_as_the_straight_run(observed, name):
    recorded, restored = observed
    events, snapshots = recorded[f"durable_{name}"]
    assert snapshots, "the program never suspended"
    assert events[-1][0] in ("return", "raise", "closed")
    for (point, index, _blob), resumed in zip(snapshots, restored[f"durable_{name}"], strict=True):
        assert resumed == events[index:], (
            f"{name} restored at suspension {point} differs from the straight run\n"
            f"straight: {events[index:]}\nrestored: {resumed}"
        )
