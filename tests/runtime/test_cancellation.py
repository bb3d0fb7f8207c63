"""Cancellation and timeouts: delivered at a blocking await, finally blocks run."""

import time

import pytest

import runtime


def test_cancelled_is_a_base_exception():
    assert issubclass(runtime.Cancelled, BaseException)
    assert not issubclass(runtime.Cancelled, Exception)


def test_cancelling_a_blocked_task_raises_at_its_await_and_runs_finally():
    log = []

    async def child():
        try:
            await runtime.sleep(10)
        except runtime.Cancelled:
            log.append("cancelled at await")
            raise
        finally:
            log.append("finally")

    async def main():
        task = runtime.spawn(child())
        await runtime.sleep(0.001)
        assert task.cancel() is True
        with pytest.raises(runtime.Cancelled):
            await task
        assert task.cancel() is False  # already done

    start = time.monotonic()
    runtime.run(main())
    assert time.monotonic() - start < 5
    assert log == ["cancelled at await", "finally"]


def test_cancelling_a_ready_task_waits_for_its_next_blocking_await():
    log = []

    async def child():
        log.append("started")
        x = sum(range(10))  # no await here: cancellation cannot land
        log.append(x)
        await runtime.sleep(10)
        log.append("not reached")

    async def main():
        task = runtime.spawn(child())
        task.cancel()  # still ready: it has not run yet
        with pytest.raises(runtime.Cancelled):
            await task

    runtime.run(main())
    assert log == ["started", 45]


def test_a_task_can_cancel_itself():
    async def main():
        runtime.current_task().cancel()
        await runtime.sleep(0)

    with pytest.raises(runtime.Cancelled):
        runtime.run(main())


def test_a_woken_task_keeps_what_it_was_given_when_cancelled_after():
    async def main():
        queue = runtime.Queue()
        getter = runtime.spawn(queue.get())
        await runtime.sleep(0)
        queue.put_nowait("item")   # wakes the getter with the item
        getter.cancel()            # arrives after the wake-up
        return await getter

    assert runtime.run(main()) == "item"


def test_timeout_raises_timeout_error_on_expiry():
    async def main():
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            async with runtime.timeout(0.01):
                await runtime.sleep(10)
        return time.monotonic() - start

    assert runtime.run(main()) < 5


def test_timeout_that_does_not_expire_changes_nothing():
    async def main():
        async with runtime.timeout(1) as scope:
            await runtime.sleep(0.001)
        await runtime.sleep(0.001)  # the old deadline must not fire later
        return scope.expired

    assert runtime.run(main()) is False


def test_timeout_none_never_expires():
    async def main():
        async with runtime.timeout(None):
            await runtime.sleep(0.001)
        return "ok"

    assert runtime.run(main()) == "ok"


def test_inner_timeout_expiring_is_caught_by_the_inner_scope():
    async def main():
        async with runtime.timeout(5) as outer:
            with pytest.raises(TimeoutError):
                async with runtime.timeout(0.01):
                    await runtime.sleep(10)
            await runtime.sleep(0.001)
        return outer.expired

    assert runtime.run(main()) is False


def test_outer_timeout_expiring_passes_through_the_inner_scope():
    log = []

    async def main():
        with pytest.raises(TimeoutError):
            async with runtime.timeout(0.01):
                try:
                    async with runtime.timeout(5):
                        await runtime.sleep(10)
                except TimeoutError:
                    log.append("inner scope claimed it")
                    raise
        return "outer raised"

    assert runtime.run(main()) == "outer raised"
    assert log == []


def test_timeout_also_interrupts_io_waits():
    import socket

    async def main():
        a, b = socket.socketpair()
        a.setblocking(False)
        try:
            with pytest.raises(TimeoutError):
                async with runtime.timeout(0.01):
                    await runtime.sock_recv(a, 10)
            b.send(b"later")  # the fd is usable again afterwards
            return await runtime.sock_recv(a, 10)
        finally:
            runtime.close_socket(a)
            b.close()

    assert runtime.run(main()) == b"later"


def test_cancelling_a_task_blocked_in_gather_cancels_its_children():
    cleaned = []

    async def child(i):
        try:
            await runtime.sleep(10)
        finally:
            cleaned.append(i)

    async def main():
        task = runtime.spawn(runtime.gather(child(1), child(2)))
        await runtime.sleep(0.001)
        task.cancel()
        with pytest.raises(runtime.Cancelled):
            await task
        await runtime.sleep(0)

    runtime.run(main())
    assert sorted(cleaned) == [1, 2]


def test_cancel_after_a_wake_up_with_an_error_is_not_lost():
    import socket

    log = []

    async def reader(sock):
        try:
            await runtime.sock_recv(sock, 10)
        except runtime.ClosedResourceError:
            log.append("closed")
        await runtime.sleep(10)  # the cancellation must land here
        log.append("not reached")

    async def main():
        a, b = socket.socketpair()
        a.setblocking(False)
        with b:
            task = runtime.spawn(reader(a))
            await runtime.sleep(0)
            runtime.close_socket(a)   # wakes the reader with an error
            task.cancel()             # arrives while that error is queued
            async with runtime.timeout(5):
                with pytest.raises(runtime.Cancelled):
                    await task

    runtime.run(main())
    assert log == ["closed"]


def test_cancelling_twice_delivers_one_cancellation():
    log = []

    async def child():
        try:
            await runtime.sleep(10)
        finally:
            await runtime.sleep(0)  # a second Cancelled would interrupt this cleanup
            log.append("cleanup finished")

    async def main():
        task = runtime.spawn(child())
        await runtime.sleep(0)
        task.cancel()
        task.cancel()
        with pytest.raises(runtime.Cancelled):
            await task

    runtime.run(main())
    assert log == ["cleanup finished"]
