"""run(), spawn(), tasks, gather, sleep: the kernel's basic contract."""

import collections.abc
import time
import types

import pytest

import runtime
from runtime.loop.kernel import running_kernel


def test_run_returns_the_result_of_a_plain_native_coroutine():
    async def main():
        await runtime.sleep(0)
        return "result"

    assert runtime.run(main()) == "result"


def test_run_raises_the_main_coroutines_exception():
    async def main():
        await runtime.sleep(0.001)
        raise ValueError("from main")

    with pytest.raises(ValueError, match="from main"):
        runtime.run(main())


def test_sleep_orders_tasks_by_deadline():
    order = []

    async def sleeper(delay):
        await runtime.sleep(delay)
        order.append(delay)

    async def main():
        tasks = [runtime.spawn(sleeper(d)) for d in (0.03, 0.01, 0.02, 0)]
        for task in tasks:
            await task

    runtime.run(main())
    assert order == [0, 0.01, 0.02, 0.03]


def test_sleep_waits_at_least_the_time_asked():
    async def main():
        start = time.monotonic()
        await runtime.sleep(0.02)
        return time.monotonic() - start

    assert runtime.run(main()) >= 0.02


def test_sleep_zero_lets_other_ready_tasks_run():
    log = []

    async def other():
        log.append("other")

    async def main():
        runtime.spawn(other())
        log.append("before")
        await runtime.sleep(0)
        log.append("after")

    runtime.run(main())
    assert log == ["before", "other", "after"]


def test_awaiting_a_task_returns_its_result_or_raises_its_exception():
    async def ok():
        await runtime.sleep(0.001)
        return 7

    async def bad():
        await runtime.sleep(0.001)
        raise KeyError("bad")

    async def main():
        good, failing = runtime.spawn(ok()), runtime.spawn(bad())
        assert await good == 7
        with pytest.raises(KeyError):
            await failing
        assert good.done() and good.result() == 7
        assert isinstance(failing.exception(), KeyError)
        return "checked"

    assert runtime.run(main()) == "checked"


def test_result_of_an_unfinished_task_is_an_error():
    async def main():
        task = runtime.spawn(runtime.sleep(1))
        with pytest.raises(RuntimeError, match="not done"):
            task.result()
        task.cancel()

    runtime.run(main())


def test_task_repr_shows_its_state():
    async def child():
        await runtime.sleep(10)

    async def main():
        task = runtime.spawn(child())
        assert "ready" in repr(task)
        await runtime.sleep(0)
        assert "blocked on sleep" in repr(task)
        assert "running" in repr(runtime.current_task())
        task.cancel()
        with pytest.raises(runtime.Cancelled):
            await task
        assert "done exception=Cancelled" in repr(task)

    runtime.run(main())


def test_many_tasks_can_await_the_same_task():
    async def slow():
        await runtime.sleep(0.01)
        return "shared"

    async def waiter(task):
        return await task

    async def main():
        task = runtime.spawn(slow())
        return await runtime.gather(*(waiter(task) for _ in range(5)))

    assert runtime.run(main()) == ["shared"] * 5


def test_gather_returns_results_in_argument_order():
    async def value(v, delay):
        await runtime.sleep(delay)
        return v

    async def main():
        done_task = runtime.spawn(value("task", 0))
        return await runtime.gather(value("a", 0.02), value("b", 0.0), done_task)

    assert runtime.run(main()) == ["a", "b", "task"]


def test_gather_raises_the_first_failure_and_cancels_the_rest():
    cleaned = []

    async def slow():
        try:
            await runtime.sleep(10)
        finally:
            cleaned.append("slow")

    async def fails():
        await runtime.sleep(0.01)
        raise OSError("boom")

    async def main():
        start = time.monotonic()
        with pytest.raises(OSError, match="boom"):
            await runtime.gather(slow(), fails())
        await runtime.sleep(0)
        return time.monotonic() - start

    assert runtime.run(main()) < 5
    assert cleaned == ["slow"]


def test_gather_return_exceptions_puts_exceptions_in_place():
    async def fails():
        raise ValueError("x")

    async def ok():
        return 1

    async def main():
        return await runtime.gather(ok(), fails(), return_exceptions=True)

    result = runtime.run(main())
    assert result[0] == 1 and isinstance(result[1], ValueError)


def test_spawn_outside_a_running_loop_is_an_error():
    async def nothing():
        pass

    coro = nothing()
    with pytest.raises(RuntimeError, match="running loop"):
        runtime.spawn(coro)
    coro.close()


def test_run_inside_run_is_an_error():
    async def inner():
        pass

    async def main():
        coro = inner()
        try:
            runtime.run(coro)
        finally:
            coro.close()

    with pytest.raises(RuntimeError, match="while a loop is running"):
        runtime.run(main())


def test_leftover_tasks_are_cancelled_and_finished_after_main_returns():
    cleaned = []
    tasks = []

    async def forever(i):
        try:
            await runtime.sleep(100)
        finally:
            await runtime.sleep(0)  # a finally may still await during shutdown
            cleaned.append(i)

    async def main():
        tasks.extend(runtime.spawn(forever(i)) for i in range(3))
        await runtime.sleep(0.001)
        return "main done"

    start = time.monotonic()
    assert runtime.run(main()) == "main done"
    assert time.monotonic() - start < 5
    assert sorted(cleaned) == [0, 1, 2]
    assert all(t.done() and t.cancelled() for t in tasks)


def test_no_task_is_left_pending_after_run():
    kernels = []

    async def child():
        await runtime.sleep(10)

    async def main():
        kernels.append(running_kernel())
        for _ in range(10):
            runtime.spawn(child())
        await runtime.sleep(0)

    runtime.run(main())
    kernel = kernels[0]
    assert not kernel.tasks and not kernel.ready and kernel.closed


def test_run_leaves_no_file_descriptor_open(no_fd_leak):
    async def main():
        server = await runtime.start_server(lambda stream: stream.read(1), "127.0.0.1", 0)
        stream = await runtime.open_connection("127.0.0.1", server.port)
        await stream.write(b"x")
        await runtime.sleep(0.01)
        return server.port  # server and stream left open on purpose

    assert runtime.run(main()) > 0


class Countdown:
    """A coroutine written by hand, as compiled state machines are: no ``async def``.

    It awaits ``runtime.sleep`` *n* times by driving the awaitable's iterator
    itself (the PEP 380 protocol), then returns *n*.
    """

    def __init__(self, n):
        self.n = n
        self.done = 0
        self.inner = None

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        return self.send(None)

    def send(self, value):
        while True:
            if self.inner is None:
                if self.done == self.n:
                    raise StopIteration(self.n)
                awaitable = runtime.sleep(0.001)
                self.inner = (awaitable if isinstance(awaitable, types.GeneratorType)
                              else awaitable.__await__())
                value = None
            try:
                return self.inner.send(value)
            except StopIteration:
                self.inner = None
                self.done += 1

    def throw(self, typ, val=None, tb=None):
        if self.inner is None:
            raise typ if val is None else val
        return self.inner.throw(typ if val is None else val)

    def close(self):
        if self.inner is not None:
            self.inner.close()


collections.abc.Coroutine.register(Countdown)


def test_a_hand_written_coroutine_object_runs_as_a_task():
    async def main():
        direct = await Countdown(3)
        task = runtime.spawn(Countdown(2))
        return direct, await task, repr(task)

    assert not isinstance(Countdown(1), types.CoroutineType)
    direct, spawned, text = runtime.run(main())
    assert (direct, spawned) == (3, 2)
    assert "Countdown" in text


def test_a_hand_written_coroutine_runs_as_main_and_can_be_cancelled():
    assert runtime.run(Countdown(4)) == 4

    async def main():
        task = runtime.spawn(Countdown(1000))
        await runtime.sleep(0.005)
        task.cancel()
        with pytest.raises(runtime.Cancelled):
            await task
        return task.cancelled()

    assert runtime.run(main()) is True
