"""Event, Lock, Semaphore and Queue."""

import pytest

import runtime


def test_event_wakes_every_waiter():
    async def waiter(event, log, i):
        await event.wait()
        log.append(i)

    async def main():
        event, log = runtime.Event(), []
        tasks = [runtime.spawn(waiter(event, log, i)) for i in range(3)]
        await runtime.sleep(0.001)
        assert log == [] and not event.is_set()
        event.set()
        await runtime.gather(*tasks)
        assert await event.wait() is True  # already set: no wait
        event.clear()
        return log, event.is_set()

    assert runtime.run(main()) == ([0, 1, 2], False)


def test_lock_gives_mutual_exclusion_in_arrival_order():
    async def worker(lock, log, i):
        async with lock:
            log.append(("in", i))
            await runtime.sleep(0.001)
            log.append(("out", i))

    async def main():
        lock, log = runtime.Lock(), []
        await runtime.gather(*(worker(lock, log, i) for i in range(3)))
        return log, lock.locked()

    log, locked = runtime.run(main())
    assert log == [("in", 0), ("out", 0), ("in", 1), ("out", 1), ("in", 2), ("out", 2)]
    assert not locked


def test_lock_release_when_unlocked_is_an_error():
    with pytest.raises(RuntimeError):
        runtime.Lock().release()


def test_a_cancelled_lock_waiter_does_not_take_the_lock():
    async def main():
        lock = runtime.Lock()
        await lock.acquire()
        waiter = runtime.spawn(lock.acquire())
        await runtime.sleep(0)
        waiter.cancel()
        with pytest.raises(runtime.Cancelled):
            await waiter
        lock.release()
        return lock.locked()

    assert runtime.run(main()) is False


def test_semaphore_limits_concurrency():
    running = []
    peak = []

    async def worker(semaphore):
        async with semaphore:
            running.append(1)
            peak.append(len(running))
            await runtime.sleep(0.001)
            running.pop()

    async def main():
        semaphore = runtime.Semaphore(2)
        await runtime.gather(*(worker(semaphore) for _ in range(6)))
        return semaphore.locked()

    assert runtime.run(main()) is False
    assert max(peak) == 2


def test_queue_is_fifo_and_get_waits_for_put():
    async def consumer(queue, out):
        for _ in range(3):
            out.append(await queue.get())
            queue.task_done()

    async def main():
        queue, out = runtime.Queue(), []
        task = runtime.spawn(consumer(queue, out))
        await runtime.sleep(0.001)
        for item in "abc":
            await queue.put(item)
        await queue.join()
        await task
        return out

    assert runtime.run(main()) == ["a", "b", "c"]


def test_bounded_queue_put_waits_for_room():
    async def main():
        queue = runtime.Queue(maxsize=1)
        await queue.put(1)
        assert queue.full()
        with pytest.raises(runtime.QueueFull):
            queue.put_nowait(2)
        putter = runtime.spawn(queue.put(2))
        await runtime.sleep(0.001)
        assert not putter.done()
        assert queue.get_nowait() == 1
        await putter
        assert queue.qsize() == 1
        assert await queue.get() == 2
        with pytest.raises(runtime.QueueEmpty):
            queue.get_nowait()
        return queue.empty()

    assert runtime.run(main()) is True


def test_a_cancelled_getter_loses_no_item():
    async def main():
        queue = runtime.Queue()
        getter = runtime.spawn(queue.get())
        await runtime.sleep(0)
        getter.cancel()
        with pytest.raises(runtime.Cancelled):
            await getter
        queue.put_nowait("kept")
        return queue.get_nowait()

    assert runtime.run(main()) == "kept"
