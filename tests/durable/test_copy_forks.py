"""copy.deepcopy at each suspension: two independent coroutines, driven differently.

Each fork is checked against a fresh run of the program given the same
actions from the start: what it does from the fork on must be exactly that.
"""

import contextlib
import copy
import gc
import io
import sys

import pytest

from statemachine_compiler import install_import_hook
from tests.durable.corpus import PRELUDE, PROGRAMS
from tests.durable.replay import drive


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    import importlib
    import sys

    directory = tmp_path_factory.mktemp("forks")
    for name, source in PROGRAMS.items():
        (directory / f"durable_fork_{name}.py").write_text(PRELUDE + source, encoding="utf-8")
    sys.path.insert(0, str(directory))
    meta_path = list(sys.meta_path)
    install_import_hook(include=["durable_fork_*"], quiet=True)
    try:
        yield {name: importlib.import_module(f"durable_fork_{name}") for name in PROGRAMS}
    finally:
        sys.meta_path[:] = meta_path
        sys.path.remove(str(directory))
        for name in PROGRAMS:
            sys.modules.pop(f"durable_fork_{name}", None)


def straight(module, script):
    events = []
    drive(module.main(), script, -1, events)
    return events


def suspend_at(module, script, point):
    """The coroutine at suspension ``point``, and the events so far."""
    coroutine, events = module.main(), []
    action = ("send", None)
    from tests.durable.replay import action_at, step

    for n in range(point + 1):
        assert step(coroutine, action, events)
        action = action_at(script, n)
    return coroutine, len(events)


def collect_leftovers():
    """Finalize what earlier runs left to the cycle collector, away from the next run's output.

    Discussion: a coroutine that ends with an exception is kept, with the
    async generator it was iterating, by that exception's traceback; when the
    collector frees them, the generator's ``finally`` prints.  Collected in
    the middle of a later run, that would be part of its output.  A program
    whose ``__aexit__`` awaits, closed and left suspended, ignores
    GeneratorExit again when collected, as natively ("Exception ignored").
    """
    hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            gc.collect()
    finally:
        sys.unraisablehook = hook


FORKS = {
    "sends other values": lambda point: {p: ("send", 1000 + p) for p in range(point, point + 50)},
    "throws at the fork": lambda point: {point: ("throw", ValueError("fork"))},
    "closes at the fork": lambda point: {point: ("close",)},
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_deep_copies_forked_at_every_suspension_run_independently(programs, name):
    module = programs[name]
    script = getattr(module, "SCRIPT", {})
    suspensions = sum(1 for event in straight(module, script) if event[0] == "yield")
    gc.disable()  # nothing collected in the middle of a run
    try:
        fork_at_every_suspension(module, name, script, suspensions)
    finally:
        collect_leftovers()
        gc.enable()


def fork_at_every_suspension(module, name, script, suspensions):
    for point in range(suspensions):
        for fork, change in FORKS.items():
            other = {**script, **change(point)}
            original, index = suspend_at(module, script, point)
            twin = copy.deepcopy(original)
            # Driven one after the other, each as its own reference says.
            forked = []
            drive(twin, other, point, forked)
            kept = []
            drive(original, script, point, kept)
            assert kept == straight(module, script)[index:], (
                f"{name}: the original, forked at {point} ({fork}), was changed by its copy"
            )
            assert forked == straight(module, other)[index:], (
                f"{name}: the copy forked at {point} ({fork}) differs from a run with its actions"
            )


def test_copy_copy_shares_the_locals_and_copies_the_chain(programs):
    module = programs["chain_of_three"]
    original, _ = suspend_at(module, {}, 0)
    twin = copy.copy(original)
    assert twin is not original and twin.state == original.state
    assert twin.cr_frame.f_locals["results"] is original.cr_frame.f_locals["results"]
    assert twin.cr_await is not original.cr_await  # middle(1): copied, not shared
    assert twin.cr_await.cr_await is not original.cr_await.cr_await  # leaf(1)
    assert twin.cr_await.cr_frame.f_locals == original.cr_await.cr_frame.f_locals
    # Driving the copy moves what they share: the list of results.
    forked = []
    drive(twin, {}, 0, forked)
    assert original.cr_frame.f_locals["results"] == [204, 726]
    original.close()


def test_an_async_generator_deep_copies_and_copies(programs):
    module = programs["async_for_over_generator"]
    generator = module.numbers(3)
    with pytest.raises(StopIteration):  # to its first yield
        generator.asend(None).send(None)
    twin = copy.deepcopy(generator)
    shallow = copy.copy(generator)
    yielded = []
    for agen, sent in ((generator, "a"), (twin, "b"), (shallow, "c")):
        step = agen.asend(sent)
        assert step.send(None) == ("generator awaits", 0)
        with pytest.raises(StopIteration) as stop:
            step.send(None)
        yielded.append(stop.value.value)
    # The shallow copy shares the loop's range iterator with the original.
    assert yielded == [1, 1, 2]
    for agen in (generator, twin, shallow):
        with pytest.raises(StopIteration):
            agen.aclose().send(None)
        assert agen.ag_frame is None
