"""Native CPython versus compiled: how long a coroutine's locals live (issue 11, items 1, 2, 18).

A local lives exactly as long as CPython keeps it: what a closure captured
outlives the coroutine (a cell); everything else goes when the coroutine
returns, is closed, or its exception is let go of, at once, with no cycle
left for the garbage collector.  Each case runs with the collector off and
logs when a ``Tracked`` object is finalized, so the order of the log says
whether it went when CPython lets it go.
"""

from __future__ import annotations

import gc
import textwrap

import pytest

from tests.compiler.differential import assert_same

TRACKED = """
import weakref


class Tracked:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        log.append(("freed", self.name))

"""


@pytest.fixture(autouse=True)
def no_collector():
    """Only reference counting frees anything: a cycle shows as a missing or late "freed"."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def check(source: str, call: str = "main()", script=()):
    assert_same(TRACKED + textwrap.dedent(source), call, script)


# -- item 1: what closures captured outlives the coroutine --------------------------------


def test_closure_assigning_a_local_works_after_return():
    check(
        """
        async def make_counter():
            count = 0
            def bump():
                nonlocal count
                count += 1
                return count
            await tick()
            return bump

        async def main():
            bump = await make_counter()
            log.append(bump())
            log.append(bump())
        """
    )


def test_lambda_genexpr_and_class_read_locals_after_return():
    check(
        """
        async def make():
            base = 10
            items = [1, 2]
            await tick()
            class K:
                def get(self):
                    return base
            return (lambda: base + 1), (x + base for x in items), K

        async def main():
            read, numbers, K = await make()
            log.append(read())
            log.append(list(numbers))
            log.append(K().get())
        """
    )


def test_nested_coroutine_outlives_its_creator():
    check(
        """
        async def spawn():
            name = "inner"
            async def later():
                await tick()
                return name
            return later()

        async def main():
            coro = await spawn()
            log.append(await coro)
        """
    )


def test_captured_local_lives_on_while_others_are_freed_at_return():
    check(
        """
        async def make():
            kept = Tracked("kept")
            dropped = Tracked("dropped")
            await tick()
            return lambda: kept.name

        async def main():
            read = await make()
            log.append("returned")
            log.append(read())
            del read
            log.append("closure gone")
        """
    )


# -- item 2: freed at once after close() and after an exception ---------------------------


def test_locals_freed_when_an_escaping_exception_is_let_go():
    check(
        """
        async def fail():
            x = Tracked("x")
            await tick()
            raise ValueError("boom")

        async def main():
            try:
                await fail()
            except ValueError:
                log.append("caught")
            log.append("after")
        """
    )


def test_locals_freed_when_an_exception_thrown_in_escapes():
    check(
        """
        async def wait():
            x = Tracked("x")
            await tick()

        async def main():
            try:
                await wait()
            except ValueError:
                log.append("caught")
            log.append("after")
        """,
        script=[("throw", ValueError("thrown"))],
    )


def test_a_coroutine_that_raised_at_once_leaves_no_cycle_where_it_was_caught():
    """The fast path of await (run_now): the exception is caught in the awaiting resume."""
    check(
        """
        async def fail():
            raise KeyError(Tracked("error"))

        async def caller():
            try:
                await fail()
            except KeyError:
                log.append("caught")

        async def main():
            await caller()
            log.append("after the caller")
        """
    )


def test_locals_freed_when_an_awaited_exception_passes_through():
    check(
        """
        async def fail():
            await tick()
            raise KeyError("k")

        async def middle():
            y = Tracked("y")
            await fail()

        async def main():
            try:
                await middle()
            except KeyError:
                log.append("caught")
            log.append("after")
        """
    )


def test_locals_freed_at_close():
    check(
        """
        async def wait():
            x = Tracked("x")
            try:
                await tick()
            finally:
                log.append("finally")

        async def main():
            coro = wait()
            coro.send(None)
            coro.close()
            log.append("closed")
            await tick()
            log.append("after")
        """
    )


def test_async_generator_left_by_break_is_finalized_at_once():
    check(
        """
        async def numbers():
            guard = Tracked("generator's local")
            try:
                for i in range(5):
                    yield i
            finally:
                log.append("generator finally")

        async def main():
            async for n in numbers():
                if n == 1:
                    break
            log.append("after the loop")
            await tick()
            log.append("end")
        """
    )


# -- item 18: the awaited result is not kept alive by the machine -------------------------


def test_awaited_result_freed_when_the_local_is_deleted():
    check(
        """
        async def make():
            return Tracked("result")

        async def main():
            r = await make()
            ref = weakref.ref(r)
            del r
            log.append(ref() is None)
            await tick()
        """
    )


def test_awaited_result_after_a_suspension_freed_when_rebound():
    check(
        """
        async def make(name):
            await tick()
            return Tracked(name)

        async def main():
            r = await make("first")
            r = None
            log.append("rebound")
            r = await make("second")
            log.append("end")
        """
    )


def test_awaited_result_taken_by_an_expression_freed_after_its_statement():
    check(
        """
        async def make(name):
            if name == "later":
                await tick()
            return Tracked(name)

        async def main():
            size = len([await make("at once")])
            log.append(size)
            size = len([await make("later")])
            log.append(size)
            await tick()
        """
    )


def test_locals_freed_at_return_of_a_coroutine_run_at_once_that_something_else_holds():
    """run_now lets go of the locals itself only when the machine outlives the await."""
    check(
        """
        held = []

        def keep(coroutine):
            held.append(coroutine)
            return coroutine

        async def make(name):
            x = Tracked(name)
            return len(x.name)

        async def main():
            log.append(await keep(make("held")))
            log.append("returned")
            log.append(await make("not held"))
            log.append("returned again")
            held.clear()
            log.append("cleared")
        """
    )
