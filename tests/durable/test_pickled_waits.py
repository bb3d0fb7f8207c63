"""A coroutine pickled (or copied) while it waits on the runtime, not by a checkpoint."""

import copy
import pickle

import pytest

import runtime
import runtime.loop.sync  # noqa: F401 - imported here: the modules fixture forgets what a test imports
from runtime.loop.traps import SLEEP
from runtime.machines.durable import innermost_awaited

SLEEPER = '''
import runtime


async def sleeper(seconds):
    slept = await runtime.sleep(seconds)
    return "woke", slept
'''


def saved_while_sleeping(module, save):
    """Run ``sleeper(30)`` as a task, ``save`` its coroutine while it sleeps, and cancel it."""

    async def main():
        task = runtime.spawn(module.sleeper(30))
        await runtime.sleep(0)
        saved = save(task.coro)
        task.cancel()
        return saved

    return runtime.run(main())


def run_restored(coroutine):
    """Run ``coroutine`` as a task for a moment: whether it finished meanwhile, and what."""

    async def main():
        task = runtime.spawn(coroutine)
        await runtime.sleep(0.05)
        done = task.done()
        task.cancel()
        return done, (task.result() if done else None)

    return runtime.run(main())


@pytest.mark.parametrize("save, load", [
    (pickle.dumps, pickle.loads),
    (copy.deepcopy, lambda twin: twin),
    (copy.copy, lambda twin: twin),
], ids=["pickle", "deepcopy", "copy"])
def test_a_coroutine_saved_while_it_sleeps_on_the_loop_sleeps_the_rest(compiled, save, load):
    module = compiled(SLEEPER)
    restored = load(saved_while_sleeping(module, save))
    code, remaining = innermost_awaited(restored).reissue
    assert code == SLEEP and 20 < remaining <= 30  # the wall time left, asked of its next loop
    assert run_restored(restored) == (False, None)  # still asleep: its sleep did not just end


def test_a_coroutine_pickled_while_it_sleeps_off_the_loop_ends_its_sleep_with_what_is_sent(compiled):
    module = compiled(SLEEPER)
    coroutine = module.sleeper(30)
    assert coroutine.send(None) == (SLEEP, 30)  # driven by hand: the driver is its loop
    restored = pickle.loads(pickle.dumps(coroutine))
    with pytest.raises(StopIteration) as done:
        restored.send("sent")
    assert done.value.value == ("woke", "sent")
    coroutine.close()


def test_a_sleep_that_had_ended_is_not_slept_again(compiled):
    module = compiled(SLEEPER)

    async def main():
        task = runtime.spawn(module.sleeper(0))
        await runtime.sleep(0)  # its sleep(0) ends: it is ready, not asleep
        saved = pickle.dumps(task.coro)
        task.cancel()
        return saved

    assert run_restored(pickle.loads(runtime.run(main()))) == (True, ("woke", None))


WAITER = '''
import runtime


async def waiter(event):
    got = await event.wait()
    return "set", got
'''


@pytest.mark.parametrize("save, load", [
    (pickle.dumps, pickle.loads),
    (copy.deepcopy, lambda twin: twin),
], ids=["pickle", "deepcopy"])
def test_a_coroutine_saved_while_its_task_waits_on_an_event_waits_again(compiled, save, load):
    module = compiled(WAITER)

    async def saving():
        task = runtime.spawn(module.waiter(runtime.Event()))
        await runtime.sleep(0)
        saved = save(task.coro)
        task.cancel()
        return saved

    restored = load(runtime.run(saving()))
    event = restored.cr_frame.f_locals["event"]

    async def main():
        task = runtime.spawn(restored)
        await runtime.sleep(0.05)
        waited = not task.done()  # parked again on the restored event, not woken by its start
        event.set()
        return waited, await task

    assert runtime.run(main()) == (True, ("set", True))


def test_a_coroutine_pickled_while_waiting_on_an_event_off_the_loop_ends_with_what_is_sent(compiled):
    module = compiled(WAITER)
    coroutine = module.waiter(runtime.Event())
    coroutine.send(None)  # driven by hand: parked, by nobody's loop
    restored = pickle.loads(pickle.dumps(coroutine))
    with pytest.raises(StopIteration) as done:
        restored.send(None)  # what a waker's send would be: wait() returns True
    assert done.value.value == ("set", True)
    coroutine.close()
