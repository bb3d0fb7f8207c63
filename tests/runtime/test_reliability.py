"""No lost exceptions, clean shutdown, KeyboardInterrupt, async generators."""

import gc
import logging
import os
import signal
import sys
import threading
import time

import pytest

import runtime


def test_a_failed_task_nobody_awaits_is_logged_with_its_traceback(caplog):
    async def doomed():
        await runtime.sleep(0)
        raise ValueError("lost?")

    async def main():
        runtime.spawn(doomed())
        await runtime.sleep(0.01)
        # The task has ended and nobody holds it: it is reported by now.
        return [r for r in caplog.records if r.levelno == logging.ERROR]

    with caplog.at_level(logging.ERROR, logger="runtime"):
        reported_before_exit = runtime.run(main())
    assert len(reported_before_exit) == 1
    record = reported_before_exit[0]
    assert "doomed" in record.getMessage()
    assert record.exc_info[0] is ValueError
    assert "raise ValueError" in caplog.text  # the traceback is in the log


def test_a_failed_task_still_held_is_reported_at_shutdown(caplog):
    held = []

    async def doomed():
        raise KeyError("held")

    async def main():
        held.append(runtime.spawn(doomed()))
        await runtime.sleep(0.001)

    with caplog.at_level(logging.ERROR, logger="runtime"):
        runtime.run(main())
    assert "KeyError" in caplog.text
    assert held[0].done()


def test_an_awaited_failure_is_not_reported(caplog):
    async def fails():
        raise ValueError("seen")

    async def main():
        task = runtime.spawn(fails())
        await runtime.sleep(0.001)  # it fails before anyone awaits it
        with pytest.raises(ValueError):
            await task

    with caplog.at_level(logging.ERROR, logger="runtime"):
        runtime.run(main())
        gc.collect()
    assert caplog.records == []


def test_a_cancelled_task_is_not_reported(caplog):
    async def main():
        runtime.spawn(runtime.sleep(10)).cancel()
        await runtime.sleep(0.001)

    with caplog.at_level(logging.ERROR, logger="runtime"):
        runtime.run(main())
    assert caplog.records == []


@pytest.fixture
def interruptible():
    """SIGINT raising KeyboardInterrupt, as Python sets it up from a terminal: run from a
    background job (``make test &``) the process inherits it ignored, and the signal
    the test sends itself would be lost."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _interrupt_soon(delay=0.05):
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_keyboard_interrupt_while_waiting_cancels_tasks_runs_finally_and_reraises(interruptible):
    log = []

    async def child():
        try:
            await runtime.sleep(100)
        finally:
            log.append("child finally")

    timers = []

    async def main():
        runtime.spawn(child())
        await runtime.sleep(0)  # the child is waiting too
        try:
            # Started here, not before run(): on a loaded machine the signal
            # can come while Thread.start() still waits for the timer thread,
            # which must be inside the code under test.
            timers.append(_interrupt_soon())
            await runtime.sleep(100)
        finally:
            await runtime.sleep(0)
            log.append("main finally")

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        runtime.run(main())
    timers[0].join()
    assert time.monotonic() - start < 50
    assert sorted(log) == ["child finally", "main finally"]


def test_keyboard_interrupt_inside_a_task_cancels_the_others_and_reraises():
    log = []

    async def interrupted():
        await runtime.sleep(0.001)
        raise KeyboardInterrupt

    async def main():
        runtime.spawn(interrupted())
        try:
            await runtime.sleep(100)
        finally:
            log.append("main finally")

    with pytest.raises(KeyboardInterrupt):
        runtime.run(main())
    assert log == ["main finally"]


def test_unfinished_async_generators_are_closed_on_shutdown():
    log = []

    async def ticks():
        try:
            for i in range(100):
                yield i
                await runtime.sleep(0)
        finally:
            await runtime.sleep(0)  # aclose() runs on the loop, so this may await
            log.append("generator closed")

    generators = []

    async def main():
        agen = ticks()
        generators.append(agen)  # still referenced: only shutdown can close it
        assert await agen.__anext__() == 0
        assert await agen.__anext__() == 1

    runtime.run(main())
    assert log == ["generator closed"]


def test_async_generator_hooks_are_restored_after_run():
    def firstiter(agen):
        pass

    def finalizer(agen):
        pass

    previous = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter, finalizer)
    try:
        async def main():
            return sys.get_asyncgen_hooks().firstiter

        inside = runtime.run(main())
        assert inside is not firstiter
        assert sys.get_asyncgen_hooks() == (firstiter, finalizer)
    finally:
        sys.set_asyncgen_hooks(*previous)
