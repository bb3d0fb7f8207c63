"""Native CPython versus compiled: runtime differences that real libraries' suites found (issue 11).

Each case is the reduction of a test of a real suite that passes natively and
failed compiled (docs/conformance.md, "Real libraries' test suites"): anyio's
(a cycle through an exception's traceback, a repr) and graphql-core's (what
``hasattr`` and ``locals()`` show); all fixed.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.compiler.differential import assert_same, load, no_collector  # noqa: F401 (a fixture)


@pytest.mark.usefixtures("no_collector")
def test_an_exception_an_awaited_exit_raises_again_goes_when_its_except_clause_ends():
    # anyio's TaskGroup.__aexit__ awaits, then raises the exception it was
    # given itself (deleting its own references to it): anyio's
    # TestRefcycles::test_exception_refcycles_propagate_cancellation_error.
    source = """
        class Error(Exception):
            def __del__(self):
                log.append("error freed")

        class Manager:
            async def __aenter__(self):
                return self

            async def __aexit__(self, kind, error, traceback):
                await tick("in __aexit__")
                try:
                    raise error
                finally:
                    del error, traceback

        async def main():
            try:
                async with Manager():
                    raise Error("raised in the body")
            except Error:
                log.append("handled")
            log.append("after the clause")
    """
    assert_same(textwrap.dedent(source), "main()")


def test_repr_of_a_coroutine_one_of_whose_locals_is_itself_does_not_recurse():
    # anyio's TestRefcycles tests print gc.get_referrers(exc) in their assert:
    # the running test's machine, whose locals hold what refers back to it.
    source = """
        holder = []

        async def main():
            me = holder[0]
            await tick("suspended")
            log.append(repr(me).split(" at ")[0])

        def start():
            coroutine = main()
            holder.append(coroutine)
            return coroutine
    """
    assert_same(textwrap.dedent(source), "start()")


ESCAPING = """
    class Error(Exception):
        def __del__(self):
            log.append("error freed")

    class Manager:
        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc_info):
            await tick("in __aexit__")

    class Quick:
        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc_info):
            return None

    async def main():
        try:
            await body()
        except Error:
            log.append("handled")
        log.append("after the clause")
"""

ESCAPING_BODIES = {
    "async_with_whose_exit_suspends": """
        async def body():
            async with Manager():
                raise Error("raised in the body")
    """,
    "async_with_whose_exit_does_not_suspend": """
        async def body():
            async with Quick():
                await tick("in the body")
                raise Error("raised in the body")
    """,
    "except_clause_that_awaits_then_raises": """
        async def body():
            try:
                raise Error("raised in the try")
            except Error:
                await tick("in the clause")
                raise
    """,
}


@pytest.mark.usefixtures("no_collector")
@pytest.mark.parametrize("body", list(ESCAPING_BODIES.values()), ids=list(ESCAPING_BODIES))
def test_an_exception_that_leaves_the_coroutine_through_an_awaiting_handler_goes_when_handled(body):
    # anyio's TestRefcycles::test_exception_refcycles_parent_task: the task's
    # `async with tg: raise _Done` leaves _Done in the finished task's machine.
    source = textwrap.dedent(ESCAPING) + textwrap.dedent(body)
    assert_same(source, "main()")


def _thrown_in_through_await(compiled: bool):
    source = """
        class Error(Exception):
            def __del__(self):
                log.append("error freed")

        async def main():
            try:
                await tick("suspended")
            except Error:
                log.append("handled")
            log.append("after the clause")
    """
    namespace = load(textwrap.dedent(source), compiled)
    # What a native coroutine's `await main()` drives: main().__await__().
    iterator = namespace["main"]().__await__()
    iterator.send(None)
    try:
        iterator.throw(namespace["Error"]("thrown in"))
    except StopIteration:
        namespace["log"].append("returned")
    return namespace["log"]


@pytest.mark.usefixtures("no_collector")
def test_an_exception_thrown_in_through_await_and_handled_goes_when_the_throw_returns():
    # anyio's test runner awaits the compiled test from a native coroutine, so
    # asyncio's cancellation is thrown in this way:
    # TestRefcycles::test_exception_refcycles_propagate_cancellation_error.
    assert _thrown_in_through_await(compiled=True) == _thrown_in_through_await(compiled=False)


@pytest.mark.parametrize(
    "statement",
    [
        "registered: list[int] = [1]",  # trio's _threads.py: task_register: list[...] = [...]
        "registered: list[int] = [await value(1)]",
        "registered: list[int]; registered = [1]",
        "if True: registered: 'list[int]' = [1]",
    ],
    ids=["value", "awaited value", "no value", "one-line block"],
)
def test_an_annotated_local_that_a_closure_shares(statement):
    # trio's test suite could not even import trio compiled: a local with an
    # annotation that a nested function uses is a cell of resume, declared
    # nonlocal there, and Python refuses "annotated name can't be nonlocal".
    # In a function an annotation of a local is never evaluated.
    source = f"""
        async def value(x):
            await tick("value")
            return x

        async def main():
            {statement}
            def register(x):
                registered.append(x)
                return registered
            await tick("before")
            log.append(register(2))
            return register(3)
    """
    assert_same(textwrap.dedent(source), "main()")


def test_an_async_generator_has_no_await_method_and_awaiting_it_fails_as_natively():
    # graphql-core's is_awaitable is ``hasattr(value, "__await__")``: it took
    # a compiled async generator for an awaitable, awaited it and got
    # "'NoneType' object is not callable" (its test_execute_async_iterable_list_field).
    source = """
        import inspect

        namespace = {}
        exec("async def native_await(x):\\n    return await x", namespace)  # not compiled

        async def numbers():
            yield 1

        async def main():
            g = numbers()
            log.append(hasattr(g, "__await__"))
            log.append("__await__" in dir(type(g)))
            log.append(inspect.isawaitable(g))
            for awaiting in (lambda: native_await(g), lambda: awaited(g)):
                try:
                    await awaiting()
                except TypeError as error:
                    log.append(str(error))
            await g.aclose()

        native_await = namespace["native_await"]

        async def awaited(x):
            return await x
    """
    assert_same(textwrap.dedent(source), "main()")


def test_a_plain_function_with_a_closing_async_def_has_no_public_local_of_ours():
    # pytest-describe collects the public functions a describe_ block leaves
    # in its frame's locals as tests: graphql-core's suite got errors from
    # the maker of each async test's resume, a local named make_..._resume
    # (now _make_..._resume: locals() shows it, see docs/conformance.md).
    source = """
        def describe_block():
            data = 1

            async def returns_it():
                return data

            def sync_test():
                pass

            return sorted(name for name in locals() if not name.startswith("_"))

        async def main():
            log.append(describe_block())
    """
    assert_same(textwrap.dedent(source), "main()")
