"""Native CPython versus compiled: how long a coroutine's locals live (issue 11, items 1, 2, 18).

A local lives exactly as long as CPython keeps it: what a closure captured
outlives the coroutine (a cell); everything else goes when the coroutine
returns, is closed, or its exception is let go of, at once, with no cycle
left for the garbage collector.  Each case runs with the collector off and
logs when a ``Tracked`` object is finalized, so the order of the log says
whether it went when CPython lets it go.
"""

from __future__ import annotations

import os
import textwrap

import pytest

from tests.compiler.differential import assert_same, no_collector  # noqa: F401 (a fixture)

TRACKED = """
import weakref


class Tracked:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        log.append(("freed", self.name))

"""


# Every case runs with only reference counting to free anything.
pytestmark = pytest.mark.usefixtures("no_collector")


def check(source: str, call: str = "main()", script=(), mapped=False):
    assert_same(TRACKED + textwrap.dedent(source), call, script, mapped=mapped)


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


def test_a_closed_coroutine_is_freed_with_its_last_reference():
    # close() once kept the GeneratorExit it threw in, whose traceback holds
    # close's own frame and those of resume: a cycle holding the machine.
    check(
        """
        async def wait():
            await tick()

        async def main():
            coro = wait()
            coro.send(None)
            coro.close()
            ref = weakref.ref(coro, lambda _: log.append("coroutine freed"))
            del coro
            log.append("deleted")
        """
    )


def test_a_coroutine_that_returns_when_closed_is_freed_with_its_last_reference():
    check(
        """
        async def wait():
            try:
                await tick()
            except GeneratorExit:
                log.append("closing")
                return 5

        async def main():
            coro = wait()
            coro.send(None)
            coro.close()
            ref = weakref.ref(coro, lambda _: log.append("coroutine freed"))
            del coro
            log.append("deleted")
        """
    )


@pytest.mark.parametrize("clause", ["finally", "except KeyError"])
def test_a_coroutine_dropped_while_an_awaiting_clause_handles_a_thrown_exception_is_closed_at_once(clause):
    # The exception the clause keeps has in its traceback the finished frame
    # of resume, whose f_back is the machinery's frames, which held the machine.
    check(
        f"""
        async def wait():
            try:
                await tick()
            {clause}:
                try:
                    await tick()
                finally:
                    log.append("clause left")

        async def main():
            coro = wait()
            coro.send(None)
            coro.throw(KeyError("k"))
            del coro  # closed now: "clause left" comes first
            log.append("deleted")
        """
    )


@pytest.mark.parametrize("awaited", ["fails", "fails_later"])
def test_a_coroutine_dropped_while_an_awaiting_clause_handles_an_awaited_exception_is_closed_at_once(awaited):
    check(
        f"""
        async def fails():
            raise KeyError("k")

        async def fails_later():
            await tick()
            raise KeyError("k")

        async def wait():
            try:
                await {awaited}()
            except KeyError:
                try:
                    await tick()
                finally:
                    log.append("clause left")

        async def main():
            coro = wait()
            coro.send(None)
            if {awaited!r} == "fails_later":
                coro.send(None)
            del coro  # closed now: "clause left" comes first
            log.append("deleted")
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


def test_a_native_coroutine_a_local_held_warns_never_awaited_when_released():
    """C code run by what the release frees finds the builtins in the releasing frame's globals.

    A native coroutine (``asyncio.sleep``'s, not compiled) warns "never
    awaited" when freed: ``_PyErr_WarnUnawaitedCoroutine`` imports
    ``warnings`` with ``PyImport_Import``, which reads ``__builtins__`` from
    the running frame's globals (as does any C code that imports).  Freed by
    ``_release_locals`` or ``_move_locals`` at return or at an escaping
    exception, that frame is the runtime's.  (Where the warning points is the
    runtime's line, the difference documented for what an exception unwinds.)
    """
    check(
        """
        import asyncio
        import warnings

        async def hold():
            pending = asyncio.sleep(0)
            await tick()
            return "returned"

        async def raise_holding():
            pending = asyncio.sleep(0)
            await tick()
            raise KeyError("k")

        async def main():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                log.append(await hold())
                try:
                    await raise_holding()
                except KeyError as error:
                    log.append(repr(error))
                    del error
            log.append([(type(w.message).__name__, str(w.message)) for w in caught])
        """
    )


def test_what_the_release_frees_warns_at_the_runtime_function_that_stands_for_it():
    # Not at line 2 of the runtime's file (the generated _release_locals is
    # made from a string): at StateMachine._release_locals, which it stands for.
    import linecache
    import warnings

    from tests.compiler.differential import load

    namespace = load(
        textwrap.dedent(
            """
            import asyncio

            async def hold():
                pending = asyncio.sleep(0)
                await asyncio.sleep(0)
                return "returned"
            """
        ),
        compiled=True,
    )
    coroutine = namespace["hold"]()
    coroutine.send(None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(StopIteration):
            coroutine.send(None)
    (warning,) = caught
    assert str(warning.message) == "coroutine 'sleep' was never awaited"
    assert warning.filename.endswith(os.path.join("runtime", "machines", "statemachine.py"))
    assert linecache.getline(warning.filename, warning.lineno).strip() == "def _release_locals(self):"


# -- item 2: what a statement keeps goes when the statement ends ----------------------------
#
# Natively ``with``/``async with`` keep the bound ``__exit__`` (and through it the
# manager) on the stack, ``for`` its iterator, an expression the values it has
# evaluated so far: popped when the statement (or expression) ends, or when an
# exception leaves it for a handler.  Compiled, they are slots of the machine.

MANAGERS = """
class Manager(Tracked):
    def __init__(self, name, suppress=False):
        super().__init__(name)
        self.suppress = suppress

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return self.suppress

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await tick("exit")
        return self.suppress


class Entered(Tracked):
    async def __aenter__(self):
        raise KeyError("enter")

    async def __aexit__(self, *exc_info):
        return False


class Numbers(Tracked):
    def __iter__(self):
        return iter(range(3))

"""


def check_statement(body: str, script=()):
    check(MANAGERS + textwrap.dedent(body), script=script)


WITH_ENDINGS = {
    "normal_end": """
        async def main():
            async with Manager("m") as t:
                pass
            del t
            log.append("after the statement")
            await tick()
            log.append("end")
        """,
    "awaits_inside": """
        async def main():
            async with Manager("m") as t:
                await tick()
            del t
            log.append("after the statement")
            await tick()
            log.append("end")
        """,
    "sync_with_awaiting_inside": """
        async def main():
            with Manager("m") as t:
                await tick()
            del t
            log.append("after the statement")
            await tick()
            log.append("end")
        """,
    "sync_with_not_awaiting_inside": """
        async def main():
            await tick()
            with Manager("m") as t:
                log.append("inside")
            del t
            log.append("after the statement")
            await tick()
        """,
    "break": """
        async def main():
            for i in range(2):
                async with Manager(f"m{i}") as t:
                    await tick()
                    break
            del t
            log.append("after the loop")
            await tick()
        """,
    "continue": """
        async def main():
            for i in range(2):
                with Manager(f"m{i}") as t:
                    await tick()
                    continue
                log.append("not reached")
            del t
            log.append("after the loop")
            await tick()
        """,
    "return_through_a_finally": """
        async def leave():
            try:
                async with Manager("m"):
                    await tick()
                    return "left"
            finally:
                log.append("finally")
                await tick()

        async def main():
            log.append(await leave())
        """,
    "suppressed_exception": """
        async def main():
            async with Manager("m", suppress=True) as t:
                await tick()
                raise KeyError("suppressed")
            del t
            log.append("after the statement")
            await tick()
        """,
    "propagating_exception": """
        async def main():
            try:
                with Manager("m"):
                    await tick()
                    raise KeyError("out")
            except KeyError:
                log.append("caught")
            log.append("after")
            await tick()
        """,
    "failing_enter": """
        async def main():
            try:
                async with Entered("m"):
                    await tick()
            except KeyError:
                log.append("caught")
            log.append("after")
            await tick()
        """,
    "method": """
        class Service:
            async def run(self):
                async with Manager("m") as t:
                    await tick()
                del t
                log.append("after the statement")
                await tick()

        async def main():
            await Service().run()
        """,
    "async_generator": """
        async def numbers():
            async with Manager("m") as t:
                yield 1
            del t
            log.append("after the statement")
            yield 2

        async def main():
            async for n in numbers():
                log.append(n)
        """,
}


@pytest.mark.parametrize("body", WITH_ENDINGS.values(), ids=WITH_ENDINGS.keys())
def test_with_lets_go_of_its_manager_where_the_statement_ends(body):
    check_statement(body)


def test_with_lets_go_of_its_manager_when_thrown_into():
    check_statement(
        """
        async def main():
            try:
                async with Manager("m"):
                    await tick()
            except ValueError:
                log.append("caught")
            log.append("after")
            await tick()
        """,
        script=[("throw", ValueError("thrown"))],
    )


def test_for_lets_go_of_its_iterator_when_an_exception_leaves_it():
    check_statement(
        """
        class Items(Tracked):
            def __init__(self):
                super().__init__("iterator")
                self.left = 2

            def __iter__(self):
                return self

            def __next__(self):
                self.left -= 1
                if self.left < 0:
                    raise StopIteration
                return self.left

        async def main():
            try:
                for i in Items():
                    await tick()
                    raise KeyError(i)
            except KeyError:
                log.append("caught")
            log.append("after")
            await tick()
        """
    )


def test_async_for_lets_go_of_its_iterator_when_an_exception_leaves_it():
    check_statement(
        """
        class Items(Tracked):
            def __aiter__(self):
                return self

            async def __anext__(self):
                await tick()
                return 1

        async def main():
            try:
                async for i in Items("iterator"):
                    raise KeyError(i)
            except KeyError:
                log.append("caught")
            log.append("after")
            await tick()
        """
    )


def test_values_an_expression_evaluated_before_an_await_go_with_the_statement():
    check_statement(
        """
        def pair(first, second):
            return len(first.name) + second

        async def main():
            size = pair(Tracked("argument"), await tick())
            log.append(("after the statement", size))
            await tick()
        """
    )


def test_a_list_built_by_an_async_comprehension_goes_with_its_last_reference():
    check_statement(
        """
        async def names():
            for i in range(2):
                await tick()
                yield Tracked(f"item{i}")

        async def main():
            items = [item async for item in names()]
            del items
            log.append("after del")
            await tick()
        """
    )


def test_values_an_expression_evaluated_go_when_an_exception_leaves_it():
    check_statement(
        """
        async def fail():
            await tick()
            raise KeyError("k")

        def pair(first, second):
            return first, second

        async def main():
            try:
                pair(Tracked("argument"), await fail())
            except KeyError:
                log.append("caught")
            log.append("after")
            await tick()
        """
    )


# What the stack held when an exception left a statement is popped innermost
# first, at the line that raised, before the handler is entered: ``Unwound``
# logs the order and the line.  (Natively no exception is being handled yet
# while the stack unwinds; Python code can only run there inside a clause,
# which handles it: ``sys.exc_info()`` in such a ``__del__`` is the one
# difference left, docs/conformance.md.)
UNWOUND = """
import sys


class Unwound(Tracked):
    def __iter__(self):
        return self

    def __next__(self):
        return 1

    def __del__(self):
        if WHERE:
            log.append(("freed", self.name, sys._getframe(1).f_lineno))
        else:
            log.append(("freed", self.name))


WHERE = True


async def fail():
    await tick()
    raise KeyError("k")


async def fail_in_a_group():
    await tick()
    raise ExceptionGroup("group", [KeyError("k")])


def pair(first, second):
    return first, second

"""

UNWINDING = {
    "into_an_except_clause": """
        async def main():
            try:
                for i in Unwound("iterator"):
                    pair(Unwound("argument"), await fail())
            except KeyError:
                log.append("caught")
            log.append("after")
    """,
    "into_an_except_clause_that_awaits": """
        async def main():
            try:
                for i in Unwound("iterator"):
                    pair(Unwound("argument"), await fail())
            except KeyError:
                await tick()
                log.append("caught")
            log.append("after")
    """,
    "into_an_awaiting_finally": """
        async def main():
            try:
                try:
                    for i in Unwound("iterator"):
                        pair(Unwound("argument"), await fail())
                finally:
                    await tick()
                    log.append("finally")
            except KeyError:
                log.append("caught")
    """,
    # Out of the coroutine, they are let go of by the machinery, once resume's
    # frame has finished (``StateMachine._raised_out``): in the right order,
    # but in a frame of the runtime (docs/conformance.md).
    "out_of_the_coroutine": """
        WHERE = False

        async def inner():
            for i in Unwound("iterator"):
                pair(Unwound("argument"), await fail())

        async def main():
            try:
                await inner()
            except KeyError:
                log.append("caught")
    """,
    "into_a_finally": """
        async def main():
            try:
                try:
                    for i in Unwound("iterator"):
                        pair(Unwound("argument"), await fail())
                finally:
                    log.append("finally")
            except KeyError:
                log.append("caught")
    """,
    # Before the finally, as natively; at the loop's line, not the return's
    # (a loop's iterator is let go of at the line of the statement that made
    # it: docs/conformance.md).
    "returning_through_a_finally": """
        WHERE = False

        async def main():
            try:
                for i in Unwound("iterator"):
                    await tick()
                    return i
            finally:
                log.append("finally")
    """,
    "into_an_except_star_clause": """
        async def main():
            try:
                pair(Unwound("argument"), await fail_in_a_group())
            except* KeyError:
                await tick()
                log.append("caught")
    """,
    "into_an_async_with_exit": """
        class Suppressing:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                log.append("exit")
                return True

        async def main():
            async with Suppressing():
                pair(Unwound("argument"), await fail())
            log.append("after")
    """,
    "two_statements_second_raising": """
        async def main():
            try:
                pair(Unwound("first"), await tick())
                pair(Unwound("second"), await fail())
            except KeyError:
                log.append("caught")
    """,
}


@pytest.mark.parametrize("body", UNWINDING)
def test_what_a_raising_statement_held_goes_innermost_first_at_its_line(body):
    check(UNWOUND + textwrap.dedent(UNWINDING[body]), mapped=True)


def test_a_coroutine_made_before_a_raising_await_warns_at_its_line():
    # The "never awaited" warning points at the frame the coroutine is freed in.
    check(
        """
        import warnings

        async def fail():
            await tick()
            raise KeyError("k")

        async def make():
            pass

        def pair(first, second):
            return first, second

        async def main():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    pair(make(), await fail())
                except KeyError:
                    log.append("caught")
            log.append([(str(w.message), w.lineno) for w in caught])
        """,
        mapped=True,
    )


def test_exception_in_flight_through_an_awaiting_finally_goes_when_handled():
    check_statement(
        """
        async def main():
            try:
                try:
                    raise KeyError(Tracked("error"))
                finally:
                    await tick()
            except KeyError:
                log.append("caught")
            log.append("after the handler")
            await tick()
        """
    )


def test_exception_group_handled_by_awaiting_except_star_goes_with_the_statement():
    check_statement(
        """
        class Failure(Exception):
            def __init__(self, name):
                super().__init__(name)
                self.guard = Tracked(name)

        async def main():
            try:
                raise ExceptionGroup("group", [Failure("error")])
            except* Failure:
                await tick()
                log.append("handled")
            log.append("after the statement")
            await tick()
        """
    )


AWAITING_CLAUSES = {
    "ends": """
        async def main():
            try:
                raise KeyError(Tracked("error"))
            except KeyError:
                await tick()
                log.append("handled")
            log.append("after the statement")
            await tick()
        """,
    "raises_out": """
        async def main():
            try:
                try:
                    raise KeyError(Tracked("first"))
                except KeyError:
                    await tick()
                    raise ValueError("second")
            except ValueError:
                log.append("caught the second")
            log.append("after the statement")
            await tick()
        """,
    "in_a_loop": """
        async def main():
            for name in ("a", "b"):
                try:
                    raise KeyError(Tracked(name))
                except KeyError:
                    await tick()
                log.append(("after", name))
            await tick()
        """,
    "left_by_break": """
        async def main():
            for name in ("a", "b"):
                try:
                    raise KeyError(Tracked(name))
                except KeyError:
                    await tick()
                    break
            log.append("after the loop")
            await tick()
        """,
    "left_by_continue": """
        async def main():
            for name in ("a", "b"):
                try:
                    raise KeyError(Tracked(name))
                except KeyError:
                    await tick()
                    continue
            log.append("after the loop")
            await tick()
        """,
}


@pytest.mark.parametrize("body", AWAITING_CLAUSES.values(), ids=AWAITING_CLAUSES.keys())
def test_exception_kept_by_an_awaiting_except_clause_goes_when_the_clause_ends(body):
    check_statement(body)


# -- a loop left by return lets go of its iterator before the finally runs -----------------

COUNTER = """
class Counter(Tracked):
    \"\"\"An iterator of 0, 1, 2 that logs when it is freed.\"\"\"

    def __iter__(self):
        self.next = 0
        return self

    def __next__(self):
        if self.next == 3:
            raise StopIteration
        self.next += 1
        return self.next - 1

"""


RETURNING_LOOPS = {
    "awaiting_finally": """
        async def main():
            try:
                for i in Counter("iterator"):
                    await tick()
                    return i
            finally:
                log.append("finally")
                await tick()
        """,
    "plain_finally": """
        async def main():
            try:
                for i in Counter("iterator"):
                    await tick()
                    return i
            finally:
                log.append("finally")
        """,
    "nested_loops": """
        async def main():
            try:
                for i in Counter("outer"):
                    for j in Counter("inner"):
                        await tick()
                        if j:
                            return i, j
            finally:
                log.append("finally")
                await tick()
        """,
    "await_in_finally": """
        async def ready():
            return "ready"

        async def main():
            try:
                await Pause()
            finally:
                print(await ready())
        """,
    "async_for": """
        class Items(Tracked):
            def __aiter__(self):
                return self

            async def __anext__(self):
                await tick()
                return 1

        async def main():
            try:
                async for i in Items("iterator"):
                    return i
            finally:
                log.append("finally")
        """,
    "with_exit": """
        async def main():
            async with Manager("manager"):
                for i in Counter("iterator"):
                    await tick()
                    return i
        """,
    "exception_to_the_finally": """
        async def main():
            try:
                try:
                    for i in Counter("iterator"):
                        await tick()
                        raise KeyError(i)
                finally:
                    log.append("finally")
            except KeyError:
                log.append("caught")
        """,
    "exception_past_a_handler": """
        async def main():
            try:
                try:
                    for i in Counter("iterator"):
                        await tick()
                        raise KeyError(i)
                except ValueError:
                    pass
                finally:
                    log.append("finally")
            except KeyError:
                log.append("caught")
        """,
    "return_in_a_finally_inside_the_loop": """
        async def main():
            try:
                for i in Counter("iterator"):
                    try:
                        await tick()
                        return i
                    finally:
                        log.append("inner finally")
            finally:
                log.append("outer finally")
        """,
    "async_generator": """
        async def rows():
            try:
                for i in Counter("iterator"):
                    yield i
                    return
            finally:
                log.append("finally")
                await tick()

        async def main():
            async for row in rows():
                log.append(row)
            log.append("after the loop")
        """,
    "method_left_by_break_of_an_outer_loop": """
        class Reader:
            async def read(self):
                for attempt in range(2):
                    try:
                        for i in Counter(f"iterator{attempt}"):
                            await tick()
                            if attempt:
                                return i
                            break
                    finally:
                        log.append(("finally", attempt))
                        await tick()

        async def main():
            log.append(await Reader().read())
        """,
    "else_clause": """
        async def main():
            for i in Counter("iterator"):
                await tick()
            else:
                log.append("else")
                await tick()
            log.append("after")
        """,
}


@pytest.mark.parametrize("body", RETURNING_LOOPS.values(), ids=RETURNING_LOOPS.keys())
def test_a_loop_left_lets_go_of_its_iterator_before_what_runs_next(body):
    check_statement(COUNTER + textwrap.dedent(body))


# -- only the loop variable holds the loop's item -----------------------------------------

LOOP_ITEMS = {
    "rebound": """
        async def main():
            for item in made("first", "second"):
                item = None
                log.append("rebound")
                await ready(0)
                log.append("after the await")
            await tick()
        """,
    "deleted": """
        async def main():
            for item in made("first"):
                del item
                log.append("deleted")
                await ready(0)
            await tick()
        """,
    "unpacked": """
        class Pair(Tracked):
            def __iter__(self):
                return iter((1, 2))

        async def main():
            for a, b in (Pair(name) for name in ["pair"]):
                log.append((a, b))
                await ready(0)
                log.append("after the await")
            await tick()
        """,
}


@pytest.mark.parametrize("body", LOOP_ITEMS.values(), ids=LOOP_ITEMS.keys())
def test_only_the_loop_variable_holds_the_item(body):
    made = """
    def made(*names):
        for name in names:
            yield Tracked(name)
    """
    check_statement(textwrap.dedent(made) + textwrap.dedent(body))


# -- an exception a finally swallows by a jump goes at once -------------------------------

SWALLOWING_FINALLY = {
    "break": """
        async def main():
            for name in ("a", "b"):
                try:
                    raise KeyError(Tracked(name))
                finally:
                    await tick()
                    break
            log.append("after the loop")
            await tick()
        """,
    "continue": """
        async def main():
            for name in ("a", "b"):
                try:
                    raise KeyError(Tracked(name))
                finally:
                    await tick()
                    continue
                log.append("never")
            log.append("after the loop")
            await tick()
        """,
    "return_into_an_outer_finally": """
        async def main():
            try:
                try:
                    raise KeyError(Tracked("error"))
                finally:
                    await tick()
                    return len("ab")
            finally:
                log.append("outer finally")
                await tick()
        """,
    "break_in_an_awaited_coroutine": """
        async def inner():
            for name in ("a",):
                try:
                    raise KeyError(Tracked(name))
                finally:
                    await tick()
                    break
            log.append("after the loop")
            await tick()

        async def main():
            await inner()
            log.append("after inner")
        """,
    "not_swallowed_but_raised_to_the_awaiter": """
        async def inner():
            try:
                raise KeyError(Tracked("error"))
            finally:
                await tick()

        async def main():
            try:
                await inner()
            except KeyError:
                log.append("caught")
            log.append("after")
            await tick()
        """,
}


@pytest.mark.parametrize("body", SWALLOWING_FINALLY.values(), ids=SWALLOWING_FINALLY.keys())
def test_an_exception_a_finally_swallows_goes_at_once(body):
    check_statement(body)


def test_only_the_async_loop_variables_hold_the_unpacked_item():
    check_statement(
        """
        class Pair(Tracked):
            def __iter__(self):
                return iter((1, 2))

        async def pairs():
            yield Pair("pair")
            await tick()

        async def main():
            async for a, b in pairs():
                log.append((a, b))
            log.append("after the loop")
        """
    )



def test_a_with_left_by_return_lets_go_of_its_manager_before_the_finally_around_it():
    check_statement(
        """
        async def main():
            try:
                async with Manager("manager"):
                    await tick()
                    return 1
            finally:
                log.append("finally")
                await tick()
        """
    )


# The statement that takes an await's result raises: natively the result was
# only on the value stack, which the unwinding pops; resume's ``value`` must
# not keep it (trio's ``return (await _async_yield(...)).unwrap()``: its
# outcome.Error holds the Cancelled whose traceback holds the frame, a cycle).
RESULT_USED_BY_A_RAISING_STATEMENT = {
    "return_of_a_method_of_it": "return (await give(Boxed())).unwrap()",
    "call_with_it": "check(await give(Boxed()))",
    "store_into_a_subscript": "failing[0] = await give(Boxed())",
    "augmented_assignment": "total = 0; total += await give(Boxed())",
    "raise_it": "raise (await give(Boxed())).error",
}


@pytest.mark.parametrize(
    "statement", RESULT_USED_BY_A_RAISING_STATEMENT.values(), ids=RESULT_USED_BY_A_RAISING_STATEMENT.keys()
)
def test_an_awaits_result_goes_when_the_statement_taking_it_raises(statement):
    check_statement(
        """
        class Boxed:  # as outcome.Error: it holds the exception it raises
            def __init__(self):
                self.held = Tracked("result")
                self.error = KeyError("k")

            def unwrap(self):
                error = self.error
                del self
                raise error

            def __radd__(self, other):
                error = self.error
                del self
                raise error

        def check(result):
            error = result.error
            del result
            raise error

        class Failing:
            def __setitem__(self, key, result):
                error = result.error
                del self, result
                raise error

        failing = Failing()

        async def give(result):
            await tick()
            return result

        async def inner():
            STATEMENT

        async def main():
            try:
                await inner()
            except KeyError:
                log.append("caught")
            log.append("after")
            await tick()
        """.replace("STATEMENT", statement)
    )


# -- closures keep their cells, not the coroutine ------------------------------------------
#
# Natively a nested function, lambda or class holds only the cells of the
# variables it uses, not the coroutine: not its other locals, not the
# coroutine itself, which is closed when whoever ran it lets go of it.

def test_a_closure_keeps_only_its_cells_after_an_exception_escaped():
    check(
        """
        async def make(box):
            big = Tracked("big")
            count = 0
            def bump():
                nonlocal count
                count += 1
                return count
            box.append(bump)
            await tick()
            raise ValueError("boom")

        async def main():
            box = []
            try:
                await make(box)
            except ValueError:
                log.append("caught")
            log.append("after")
            log.append(box[0]())
            del box
            log.append("closure gone")
        """
    )


def test_an_abandoned_coroutine_is_closed_while_its_closure_lives():
    check(
        """
        async def make(box):
            count = 0
            box.append(lambda: count)
            try:
                await tick()
            finally:
                log.append("finally")

        async def main():
            box = []
            coro = make(box)
            coro.send(None)
            del coro
            log.append("dropped")
            log.append(box[0]())
        """
    )


def test_a_closure_keeps_what_it_captured_and_nothing_another_closure_captured():
    check(
        """
        async def make():
            a = Tracked("a")
            b = Tracked("b")
            read_a = lambda: a.name
            read_b = lambda: b.name
            await tick()
            return read_a, read_b

        async def main():
            read_a, read_b = await make()
            del read_b
            log.append("read_b gone")
            log.append(read_a())
        """
    )


def test_a_closures_free_variables_are_the_captured_locals():
    check(
        """
        async def make():
            count = 0
            scale = 2
            def bump():
                nonlocal count
                count += scale
                return count
            await tick()
            return bump

        async def main():
            bump = await make()
            log.append(bump.__code__.co_freevars)
            log.append([cell.cell_contents for cell in bump.__closure__])
            log.append(bump())
        """
    )


def test_a_closure_keeps_its_variable_but_not_the_others_after_close():
    check(
        """
        async def make(box):
            big = Tracked("big")
            count = Tracked("count")
            box.append(lambda: count.name)
            await tick()

        async def main():
            box = []
            coro = make(box)
            coro.send(None)
            coro.close()
            log.append("closed")
            log.append(box[0]())
            del box
            log.append("closure gone")
        """
    )


def test_a_stored_closure_goes_with_its_cell_when_its_holder_lets_go():
    check(
        """
        async def make(box):
            kept = Tracked("kept")
            other = Tracked("other")
            box.append(lambda: kept.name)
            await tick()
            return "made"

        async def main():
            box = []
            log.append(await make(box))
            log.append(box[0]())
            box.clear()
            log.append("cleared")
        """
    )


def test_closures_handed_on_run_after_their_creator_was_dropped_mid_await():
    check(
        """
        async def make(callbacks):
            count = 0
            def bump():
                nonlocal count
                count += 1
                return count
            callbacks.append(bump)
            callbacks.append(lambda: ("read", count))
            await tick()
            log.append(("never", count))

        async def main():
            callbacks = []
            coro = make(callbacks)
            coro.send(None)
            del coro
            log.append([callback() for callback in callbacks])
            log.append([callback() for callback in callbacks])
        """
    )


def test_a_generator_expression_started_before_an_await_finishes_after_return():
    check(
        """
        async def make():
            k = Tracked("k")
            numbers = (len(k.name) * x for x in range(3))
            first = next(numbers)
            await tick()
            return first, numbers

        async def main():
            first, numbers = await make()
            log.append((first, list(numbers)))
            del numbers
            log.append("numbers gone")
        """
    )


def test_a_class_body_and_its_methods_read_the_locals_after_return():
    check(
        """
        async def make():
            label = "x"
            big = Tracked("big")
            await tick()
            class Local:
                name = label * 2
                def get(self):
                    return label, Local.name
            return Local

        async def main():
            Local = await make()
            log.append("made")
            log.append(Local().get())
            log.append(Local.get.__code__.co_freevars)
        """
    )


def test_a_nonlocal_rebinding_by_a_closure_is_seen_by_the_coroutine_after_its_next_await():
    check(
        """
        async def make(box):
            count = 0
            def bump(by):
                nonlocal count
                count += by
            box.append(bump)
            bump(1)
            await tick()
            log.append(("after first", count))
            count *= 10
            await tick()
            log.append(("after second", count))
            return count

        async def main():
            box = []
            coro = make(box)
            coro.send(None)
            box[0](5)
            coro.send(None)
            box[0](7)
            try:
                coro.send(None)
            except StopIteration as stop:
                log.append(("returned", stop.value))
        """
    )


def test_the_frame_and_locals_show_the_captured_variables():
    check(
        """
        async def make(first, step, last=0):
            count = step
            bump = lambda: count + step
            await tick()
            log.append(list(locals()))  # in the frame's order: the parameters first
            count += 1
            await tick()
            return bump()

        async def main():
            coro = make(1, 2)
            coro.send(None)
            log.append([(k, v) for k, v in coro.cr_frame.f_locals.items() if k != "bump"])
            coro.send(None)
            log.append([(k, v) for k, v in coro.cr_frame.f_locals.items() if k != "bump"])
            try:
                coro.send(None)
            except StopIteration as stop:
                log.append(stop.value)
            log.append(coro.cr_frame)
        """
    )


def test_closures_made_in_a_comprehension_read_its_variable_and_the_coroutines():
    # 3.12 inlines the comprehension into the function (PEP 709): its
    # variable becomes a cell of the coroutine's frame there, not on 3.11.
    check(
        """
        async def make():
            k = 10
            readers = [lambda: x + k for x in range(3)]
            await tick()
            k = 20
            squares = [y * y for y in range(k // 10)]
            return readers, squares

        async def main():
            readers, squares = await make()
            log.append([read() for read in readers])
            log.append(squares)
            log.append(readers[0].__code__.co_freevars)
        """
    )


def test_a_method_with_a_closure_still_calls_super_and_reads_class():
    check(
        """
        class Base:
            async def get(self):
                return "base"

        class Child(Base):
            async def get(self):
                seen = []
                note = lambda item: seen.append(item)
                note(await super().get())
                await tick()
                note(__class__.__name__)
                return seen, (lambda: seen)()

        async def main():
            log.append(await Child().get())
        """
    )


def test_an_async_generators_closure_keeps_its_cell_after_aclose():
    check(
        """
        async def numbers(box):
            count = 0
            box.append(lambda: count)
            while True:
                count += 1
                yield count

        async def main():
            box = []
            generator = numbers(box)
            log.append(await generator.__anext__())
            log.append(await generator.__anext__())
            await generator.aclose()
            log.append(("closed", box[0]()))
            del generator
            log.append("generator gone")
            log.append(box[0]())
        """
    )


def test_a_closure_over_cells_alone_keeps_no_slot_of_the_same_name_as_its_attributes():
    check(
        """
        class Holder:
            big = "the holder's"

        async def make(box):
            holder = Holder()
            big = Tracked("big")
            box.append(lambda: holder.big)
            await tick()

        async def main():
            box = []
            coroutine = make(box)
            await coroutine  # held on: its locals go as it returns, not with it
            log.append("returned")
            log.append(box[0]())
            del coroutine
            log.append("coroutine gone")
        """
    )


def test_a_coroutine_over_cells_in_a_cycle_is_closed_by_the_collector():
    # The collector clears weak references before it finalizes: resume,
    # which reaches its machine through one, must still find it.
    check(
        """
        import gc

        async def make(holder, box):
            count = 1
            box.append(lambda: count)
            try:
                await tick()
            finally:
                count += 1
                log.append(("finally", count, box[0]()))

        async def main():
            holder, box = [], []
            coroutine = make(holder, box)
            coroutine.send(None)
            holder.append(coroutine)  # a cycle: the coroutine holds the list that holds it
            del coroutine, holder
            gc.collect()
            log.append("collected")
            log.append(box[0]())
        """
    )


def test_a_copied_coroutine_has_its_own_cells():
    # Compiled only (a native coroutine cannot be copied): a copy is a second
    # coroutine, its assignments its own; a closure made before the copy
    # keeps the original's variable.
    import copy
    import textwrap

    from tests.compiler.differential import load
    from tests.durable.corpus import PAUSE

    namespace = load(
        PAUSE  # the durable corpus's copyable awaitable
        + textwrap.dedent(
            """
        async def make():
            count = 0
            read = lambda: count
            while True:
                count += await Pause()
                yield_ = (count, read())
                if count > 1000:
                    return yield_
        """
        ),
        compiled=True,
    )
    original = namespace["make"]()
    original.send(None)
    original.send(1)
    twin = copy.copy(original)
    twin.send(10)
    original.send(100)
    assert original.cr_frame.f_locals["count"] == 101
    assert twin.cr_frame.f_locals["count"] == 11
    assert twin.cr_frame.f_locals["read"]() == 101  # the original's cell


# A nested async def's class is made once, as an attribute of the enclosing
# machine's class; its resume is made where the async def stands, over the
# enclosing call's cells (emit.machine.write_resume_maker): it holds them,
# not the enclosing machine.


def test_a_finished_coroutine_kept_by_its_caller_lets_go_of_the_cells_its_nested_coroutine_used():
    # Natively the frame is cleared on return: the cell of big goes with it
    # (no closure is left), while the coroutine object itself lives on.
    check(
        """
        async def spawn():
            big = Tracked("big")
            async def later():
                return big.name
            return await later()

        async def main():
            coro = spawn()
            log.append(await coro)
            log.append("returned")
            del coro
        """
    )


def test_a_nested_coroutine_keeps_only_its_cells_after_the_enclosing_one_raised():
    check(
        """
        async def spawn(box):
            big = Tracked("big")
            name = "inner"
            async def later():
                return name
            box.append(later)
            await tick()
            raise ValueError("boom")

        async def main():
            box = []
            try:
                await spawn(box)
            except ValueError:
                log.append("caught")
            log.append(await box[0]())
        """
    )


def test_an_abandoned_coroutine_is_closed_while_a_nested_coroutine_lives():
    check(
        """
        async def spawn(box):
            name = "inner"
            async def later():
                return name
            box.append(later())
            try:
                await tick()
            finally:
                log.append("finally")

        async def main():
            box = []
            coro = spawn(box)
            coro.send(None)
            del coro
            log.append("dropped")
            log.append(await box[0])
        """
    )


# -- a copy that fails partway leaves nothing to close or warn about ------------------------


@pytest.mark.parametrize(
    "how, started",
    [("copy", True), ("deepcopy", True), ("deepcopy", False)],
    ids=["copy-suspended", "deepcopy-suspended", "deepcopy-not-started"],
)
def test_a_copy_that_fails_partway_leaves_no_half_built_machine(how, started):
    # Compiled only (a native coroutine cannot be copied): the half-built
    # copy is dropped, and its __del__ must neither fail ("Exception
    # ignored") nor warn that it was never awaited.
    import copy
    import sys
    import warnings

    from runtime.machines.durable import CannotSave
    from tests.compiler.differential import load

    namespace = load(
        textwrap.dedent(
            """
            class Uncopyable:
                def __deepcopy__(self, memo):
                    raise ValueError("no deep copy")

            class Opaque:
                def __await__(self):  # a generator: cannot be copied
                    yield

            async def main(kept):
                await Opaque()
            """
        ),
        compiled=True,
    )
    original = namespace["main"](namespace["Uncopyable"]())
    if started:
        original.send(None)
    reported = []
    hook, sys.unraisablehook = sys.unraisablehook, reported.append
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            with pytest.raises(CannotSave):
                getattr(copy, how)(original)
    finally:
        sys.unraisablehook = hook
    assert [r.exc_value for r in reported] == []
    assert [str(w.message) for w in warned] == []
    original.close()


# -- a module's global coroutine closed as the interpreter exits ----------------------------

AT_EXIT = {
    "async_with": """
        @contextlib.asynccontextmanager
        async def manager():
            try:
                yield
            finally:
                print("manager's finally")

        async def main():
            async with manager():
                await Pause()
        """,
    "await_in_except": """
        async def main():
            try:
                raise KeyError("handled")
            except KeyError:
                await Pause()
            finally:
                print("finally")
        """,
    "finally_around_a_compiled_await": """
        async def inner():
            try:
                await Pause()
            finally:
                print("inner's finally")

        async def main():
            try:
                await inner()
            finally:
                print("finally")
        """,
    "await_in_finally": RETURNING_LOOPS["await_in_finally"],
    "async_for": """
        async def numbers():
            try:
                yield 1
                await Pause()
            finally:
                print("generator's finally")

        async def main():
            async for n in numbers():
                await Pause()
        """,
}


@pytest.mark.parametrize("case", AT_EXIT)
def test_a_global_suspended_coroutine_is_closed_quietly_at_exit(tmp_path, case):
    # Natively the module's globals are cleared at exit and the coroutine is
    # closed, its finally run, nothing else printed: imports no longer work then.
    import subprocess
    import sys
    from pathlib import Path

    from statemachine_compiler import compile_source

    source = textwrap.dedent(
        """
        import contextlib

        class Pause:
            def __await__(self):
                yield
        """
    ) + textwrap.dedent(AT_EXIT[case]) + "\nrunning = main()\nrunning.send(None)\nprint('end')\n"
    native = tmp_path / "native.py"
    native.write_text(source)
    compiled = tmp_path / "compiled.py"
    compiled.write_text(compile_source(source, str(native)).code)
    root = str(Path(__file__).resolve().parents[2])

    def run(path):
        result = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, timeout=60,
            env={"PYTHONPATH": root, "PATH": "/usr/bin:/bin"},
        )
        return result.returncode, result.stdout, result.stderr

    assert run(compiled) == run(native)


# -- aclose() lets go of an async generator's locals before its await returns -----------------

ACLOSED = {
    "suspended in try/finally": """
        async def numbers(kept):
            local = Tracked("local")
            try:
                yield 1
            finally:
                log.append("finally")
        """,
    "a finally that awaits": """
        async def numbers(kept):
            local = Tracked("local")
            try:
                yield 1
            finally:
                await tick("in finally")
                log.append("finally")
        """,
    "in async with": """
        class Manager:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                await tick("in __aexit__")
                log.append(("exit", exc_info[0].__name__))

        async def numbers(kept):
            local = Tracked("local")
            async with Manager():
                yield 1
        """,
    "in async with and try/finally": """
        class Manager:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                await tick("in __aexit__")

        async def numbers(kept):
            local = Tracked("local")
            try:
                async with Manager():
                    yield 1
            finally:
                await tick("in finally")
        """,
    "never started": """
        async def numbers(kept):
            local = Tracked("local")
            yield 1
        """,
    "after athrow": """
        async def numbers(kept):
            local = Tracked("local")
            try:
                yield 1
            except ValueError:
                await tick("in except")
            try:
                yield 2
            finally:
                await tick("in finally")
        """,
    "suspended in an except clause": """
        async def numbers(kept):
            local = Tracked("local")
            try:
                raise KeyError("handled")
            except KeyError:
                yield 1
                await tick("in except")
        """,
}


@pytest.mark.parametrize("case", ACLOSED)
def test_aclose_lets_go_of_the_generators_locals_before_its_await_returns(case):
    started = case != "never started"
    check(
        ACLOSED[case]
        + f"""
        async def main():
            generator = numbers(Tracked("argument"))
            # The generator itself goes with its last reference too: no cycle.
            watch = weakref.ref(generator, lambda _: log.append("generator freed"))
            if {started}:
                log.append(await generator.__anext__())
            if {case == "after athrow"}:
                log.append(await generator.athrow(ValueError))
            await generator.aclose()
            log.append("closed")
            del generator
            log.append("dropped")
        """
    )


# Natively the arguments live as long as the thrown exception's traceback
# holds the coroutine's frame, not as long as the coroutine (3.11 raises a
# RuntimeError for a StopIteration, from its cause).
@pytest.mark.parametrize("how", ["close", "throw", "throw StopIteration"])
def test_a_coroutine_closed_or_thrown_into_before_it_started_lets_go_of_its_arguments(how):
    check(
        f"""
        async def work(kept):
            await tick()

        async def main():
            coroutine = work(Tracked("argument"))
            watch = weakref.ref(coroutine, lambda _: log.append("coroutine freed"))
            try:
                if {how == "close"}:
                    coroutine.close()
                else:
                    coroutine.throw({"StopIteration" if "Stop" in how else 'KeyError("thrown")'})
            except (KeyError, StopIteration, RuntimeError):
                log.append("raised")
            log.append("{how} done")
            del coroutine
            log.append("dropped")
        """
    )


def test_athrow_into_an_async_generator_that_never_started():
    check(
        """
        async def numbers(kept):
            yield 1

        async def main():
            generator = numbers(Tracked("argument"))
            try:
                await generator.athrow(KeyError("thrown"))
            except KeyError:
                log.append("raised")
            log.append("thrown")
            del generator
            log.append("dropped")
        """
    )


# -- the same class elsewhere: other entry points ------------------------------------------


UNSTARTED_STEPS = ("asend", "anext", "aclose", "athrow", "throw into a coroutine")


@pytest.mark.parametrize("step", UNSTARTED_STEPS)
def test_a_step_into_what_never_started_keeps_the_arguments_as_long_as_natively(step):
    # The exception is kept past the drop of the generator and the coroutine:
    # what holds the arguments then is its traceback's frame, natively.
    check(
        f"""
        async def numbers(kept):
            yield 1

        async def work(kept):
            await tick()

        async def main():
            generator = numbers(Tracked("generator's argument"))
            coroutine = work(Tracked("coroutine's argument"))
            saved = None
            try:
                if {step!r} == "asend":
                    log.append(await generator.asend(None))
                elif {step!r} == "anext":
                    log.append(await generator.__anext__())
                elif {step!r} == "aclose":
                    await generator.aclose()
                elif {step!r} == "athrow":
                    await generator.athrow(KeyError("thrown"))
                else:
                    coroutine.throw(KeyError("thrown"))
            except KeyError as error:
                saved = error
            log.append("stepped")
            del generator, coroutine
            log.append("dropped")
            saved = None
            log.append("exception dropped")
        """
    )


def test_the_frame_of_a_coroutine_thrown_into_before_it_started_is_the_functions():
    check(
        """
        async def work(kept, *rest, option=2):
            await tick()

        async def main():
            coroutine = work(1, 2)
            try:
                coroutine.throw(KeyError("thrown"))
            except KeyError as error:
                frame = error.__traceback__.tb_next.tb_frame
                log.append((frame.f_code.co_name, error.__traceback__.tb_next.tb_lineno - frame.f_code.co_firstlineno))
                log.append(sorted(frame.f_locals.items()))
                log.append(error.__traceback__.tb_next.tb_next)
        """
    )


@pytest.mark.parametrize("step", ["drop", "asend", "anext"])
def test_an_async_generator_suspended_at_a_yield_in_an_except_clause_goes_with_its_last_reference(step):
    # The exception the clause handles holds, through its traceback, the
    # frames of the step that raised it; they held the generator: a cycle.
    # (No weak reference watches the generator: its callback runs after
    # __del__, natively before the generator's frame is finalized.)
    check(
        f"""
        async def numbers(kept):
            local = Tracked("local")
            try:
                raise KeyError("handled")
            except KeyError:
                try:
                    yield 1
                    await tick("in except")
                    yield 2
                finally:
                    log.append("clause left")

        async def main():
            generator = numbers(Tracked("argument"))
            log.append(await generator.__anext__())
            if {step!r} == "asend":
                log.append(await generator.asend(5))
            elif {step!r} == "anext":
                log.append(await generator.__anext__())
            del generator
            log.append("dropped")
        """
    )


def test_an_exception_thrown_into_an_awaiting_finally_leaves_no_cycle():
    # _HandlingIterator.throw held the exception that came out of it, whose
    # traceback holds its frame (the f_back of the awaited code's frames).
    check(
        """
        async def work(kept):
            local = Tracked("local")
            try:
                await tick()
            finally:
                other = Tracked("in finally")
                await tick("in finally")

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            coroutine.throw(KeyError("first"))
            try:
                coroutine.throw(ValueError("second"))
            except ValueError:
                del coroutine
                log.append("dropped in the clause")
            log.append("after the clause")
        """
    )


def test_a_coroutine_closed_in_an_awaiting_async_with_exit_is_freed_with_its_last_reference():
    # __aexit__ has the GeneratorExit's traceback among its arguments; close()'s
    # frame, the f_back of resume's there, held the coroutine: a cycle.
    check(
        """
        class Manager:
            def __init__(self):
                self.held = Tracked("manager")

            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                await tick("in __aexit__")

        async def work(kept):
            local = Tracked("local")
            async with Manager():
                await tick()

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.close()
            except RuntimeError as error:
                log.append(repr(error))
            log.append("closed")
            del coroutine
            log.append("dropped")
        """
    )


ESCAPING_WHILE_HELD = {
    "raised": """
        async def work(kept):
            local = Tracked("local")
            await tick()
            raise KeyError("k")

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.send(None)
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "through an async with": """
        class Manager:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                await tick("in __aexit__")

        async def work(kept):
            local = Tracked("local")
            async with Manager():
                await tick()
                raise KeyError("k")

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.send(None)
                coroutine.send(None)
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "athrow at a yield": """
        async def numbers(kept):
            local = Tracked("local")
            yield 1

        async def main():
            generator = numbers(Tracked("argument"))
            log.append(await generator.__anext__())
            try:
                await generator.athrow(KeyError("k"))
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del generator
            log.append("dropped")
        """,
    "raised from an async generator's body": """
        async def numbers(kept):
            local = Tracked("local")
            yield 1
            raise KeyError("k")

        async def main():
            generator = numbers(Tracked("argument"))
            log.append(await generator.__anext__())
            try:
                await generator.__anext__()
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del generator
            log.append("dropped")
        """,
    "thrown in and not caught": """
        async def work(kept):
            local = Tracked("local")
            await tick()

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.throw(KeyError("k"))
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "close() raising from a finally": """
        async def work(kept):
            local = Tracked("local")
            try:
                await tick()
            finally:
                raise KeyError("k")

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.close()
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "aclose() raising from a finally": """
        async def numbers(kept):
            local = Tracked("local")
            try:
                yield 1
            finally:
                raise KeyError("k")

        async def main():
            generator = numbers(Tracked("argument"))
            log.append(await generator.__anext__())
            try:
                await generator.aclose()
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del generator
            log.append("dropped")
        """,
    "raised again by a finally that awaited": """
        async def work(kept):
            local = Tracked("local")
            try:
                raise KeyError("k")
            finally:
                await tick("in finally")

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.send(None)
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "raised again by an except clause that awaited": """
        async def work(kept):
            local = Tracked("local")
            try:
                raise KeyError("k")
            except KeyError:
                await tick("in except")
                raise

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.send(None)
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "raised again by an except clause that awaited twice": """
        async def work(kept):
            local = Tracked("local")
            try:
                raise KeyError("k")
            except KeyError:
                await tick("in except")
                await tick("in except again")
                raise

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            coroutine.send(None)
            try:
                coroutine.send(None)
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "raised again by an async generator's except clause that awaited": """
        async def numbers(kept):
            local = Tracked("local")
            try:
                yield 1
                raise KeyError("k")
            except KeyError:
                await tick("in except")
                raise

        async def main():
            generator = numbers(Tracked("argument"))
            log.append(await generator.__anext__())
            try:
                await generator.__anext__()
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del generator
            log.append("dropped")
        """,
    "StopIteration turned into RuntimeError": """
        async def work(kept):
            local = Tracked("local")
            await tick()
            raise StopIteration("s")

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.send(None)
            except RuntimeError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "StopAsyncIteration turned into RuntimeError": """
        async def numbers(kept):
            local = Tracked("local")
            yield 1
            raise StopAsyncIteration("s")

        async def main():
            generator = numbers(Tracked("argument"))
            log.append(await generator.__anext__())
            try:
                await generator.__anext__()
            except RuntimeError:
                log.append("raised")
            log.append("after the clause")
            del generator
            log.append("dropped")
        """,
    "raised by a generator-based __await__": """
        class Failing:
            def __await__(self):
                yield "failing"
                raise KeyError("k")

        async def work(kept):
            local = Tracked("local")
            await Failing()

        async def main():
            coroutine = work(Tracked("argument"))
            coroutine.send(None)
            try:
                coroutine.send(None)
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "awaited while held, raising at once": """
        async def work(kept):
            local = Tracked("local")
            raise KeyError("k")

        async def main():
            coroutine = work(Tracked("argument"))
            try:
                await coroutine
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "awaited while held, raising after a suspension": """
        async def work(kept):
            local = Tracked("local")
            await tick()
            raise KeyError("k")

        async def main():
            coroutine = work(Tracked("argument"))
            try:
                await coroutine
            except KeyError:
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "awaited while held, the awaiting clause awaiting": """
        async def work(kept):
            local = Tracked("local")
            await tick()
            raise KeyError("k")

        async def main():
            coroutine = work(Tracked("argument"))
            try:
                await coroutine
            except KeyError:
                await tick("in the clause")
                log.append("raised")
            log.append("after the clause")
            del coroutine
            log.append("dropped")
        """,
    "driven by an asyncio task": """
        import asyncio

        async def work(kept):
            local = Tracked("local")
            await asyncio.sleep(0)
            raise KeyError("k")

        async def watch(coroutine):
            task = asyncio.ensure_future(coroutine)
            try:
                await task
            except KeyError:
                log.append("raised")
            del task
            log.append("after the clause")

        async def main():
            coroutine = work(Tracked("argument"))
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(watch(coroutine))
            finally:
                loop.close()
            log.append("loop closed")
            del coroutine
            log.append("dropped")
        """,
}


@pytest.mark.parametrize("case", ESCAPING_WHILE_HELD)
def test_the_locals_of_a_coroutine_still_held_go_with_the_exception_that_left_it(case):
    """Natively a coroutine an exception left has no frame: holding it (a list given to
    gather, a task's coroutine) keeps none of its locals, which go with the exception
    (async-lru's test_alru_exception_reference_cleanup, with the library compiled)."""
    check(ESCAPING_WHILE_HELD[case])


def test_an_exception_raised_again_after_its_clause_awaited_keeps_the_line_it_was_raised_at():
    """Its traceback's entry for the function is where it was raised, the clause's
    awaits between (each call of resume gives the entry its own frame: entered_except)."""
    check(
        """
        import traceback

        async def work():
            try:
                raise KeyError("k")
            except KeyError:
                await tick("in except")
                await tick("in except again")
                raise

        async def main():
            coroutine = work()
            coroutine.send(None)
            coroutine.send(None)
            try:
                coroutine.send(None)
            except KeyError as error:
                entries = traceback.extract_tb(error.__traceback__)
                log.append([(entry.name, entry.lineno, entry.line) for entry in entries[1:]])
                log.append(traceback.format_exception_only(error))
        """,
        mapped=True,
    )
