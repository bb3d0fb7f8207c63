"""Native CPython versus compiled: async for, async generators, async comprehensions (issue 5).

Async generator objects are driven by a coroutine written in the test source
(``f``), so the native and the compiled run exercise the protocol with the same
code; the harness then drives ``f`` and throws into / closes it at each of its
suspensions (which include the generator's own awaits).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import textwrap

import pytest

from tests.compiler.test_differential_exceptions import check, check_every_script, code_for

GENERATORS = """
import sys
import textwrap

class CM:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        log.append(("enter", self.name))
        return self.name
    def __exit__(self, typ, value, tb):
        log.append(("exit", self.name, typ and typ.__name__))

class ACM:
    def __init__(self, name):
        self.name = name
    async def __aenter__(self):
        await tick("aenter " + self.name)
        return self.name
    async def __aexit__(self, typ, value, tb):
        log.append(("aexit", self.name, typ and typ.__name__))
        await tick("aexit " + self.name)

class Counter:
    '''A hand-written async iterator: awaits in __anext__.'''
    def __init__(self, n):
        self.n = n
        self.i = 0
    def __aiter__(self):
        log.append("aiter")
        return self
    async def __anext__(self):
        await tick(("anext", self.i))
        if self.i >= self.n:
            raise StopAsyncIteration
        self.i += 1
        return self.i

async def agen(n):
    try:
        for i in range(n):
            log.append(("before yield", i))
            sent = yield i
            log.append(("sent", i, sent))
            await tick(("after yield", i))
    finally:
        log.append("agen finally")
        await tick("agen finally")
        log.append("agen finally end")

async def guarded():
    with CM("sync"):
        async with ACM("async"):
            try:
                yield "in both"
                await tick("between")
                yield "again"
            except ValueError as e:
                log.append(("caught in generator", repr(e)))
                yield "after catching"
            finally:
                log.append("guarded finally")

async def early():
    yield 1
    if True:
        return
    yield 2

async def leaks_stop():
    yield 1
    raise StopAsyncIteration("inside")

async def ignores_close():
    try:
        yield 1
    except GeneratorExit:
        log.append("ignoring close")
        yield 2

async def drain(gen):
    out = []
    try:
        while True:
            out.append(await gen.__anext__())
    except StopAsyncIteration:
        out.append("stop")
    return out
"""


def source(text: str) -> str:
    return GENERATORS + textwrap.dedent(text)


ASYNC_FOR = {
    "async_for_over_iterator_class_break_continue_else": """
        async def f(n, stop):
            total = 0
            async for x in Counter(n):
                if x == 1:
                    continue
                total += await tick(("body", x)) or x
                if x == stop:
                    break
            else:
                log.append("else")
                await tick("else")
            return total
    """,
    "async_for_over_async_generator": """
        async def f(n, stop):
            async for x in agen(n):
                log.append(("got", x))
                if x == stop:
                    break
                await tick(("body", x))
            else:
                log.append("else")
            return "done"
    """,
    "async_for_nested_with_try": """
        async def f(n, stop):
            async for x in agen(n):
                try:
                    async for y in Counter(x):
                        if y == stop:
                            raise KeyError(y)
                        log.append((x, y))
                except KeyError as e:
                    log.append(("caught", repr(e)))
                    await tick("handler")
                    continue
            return "done"
    """,
}


@pytest.mark.parametrize("args", ["2, 99", "3, 2", "0, 0"], ids=["exhausted", "break", "empty"])
@pytest.mark.parametrize("name", sorted(ASYNC_FOR))
def test_async_for_under_every_script(name, args):
    check_every_script(source(ASYNC_FOR[name]), f"f({args})")


PROTOCOL = {
    "asend_values_reach_yield": """
        async def f(k):
            g = agen(3)
            log.append(await g.asend(None))
            log.append(await g.asend("a"))
            log.append(await g.asend("b"))
            try:
                await g.asend("c")
            except StopAsyncIteration as e:
                log.append(("stop", repr(e)))
            log.append(await drain(g))
    """,
    "athrow_at_each_yield": """
        async def f(k):
            g = agen(3)
            for _ in range(k):
                log.append(await g.__anext__())
            try:
                log.append(await g.athrow(ValueError("athrown")))
            except ValueError as e:
                log.append(("athrow raised", repr(e)))
            log.append(await drain(g))
    """,
    "aclose_at_each_yield": """
        async def f(k):
            g = agen(3)
            for _ in range(k):
                log.append(await g.__anext__())
            log.append(await g.aclose())
            log.append(await drain(g))
            log.append(await g.aclose())
    """,
    "athrow_caught_inside_yields_again": """
        async def f(k):
            g = guarded()
            for _ in range(k):
                log.append(await g.__anext__())
            try:
                log.append(await g.athrow(ValueError("athrown")))
            except ValueError as e:
                log.append(("athrow raised", repr(e)))
            log.append(await drain(g))
    """,
    "aclose_inside_with_and_async_with": """
        async def f(k):
            g = guarded()
            for _ in range(k):
                log.append(await g.__anext__())
            await g.aclose()
            log.append(await drain(g))
    """,
    "ag_running_while_awaiting_and_between_steps": """
        async def watch():
            log.append("in body")
            yield 1
            await tick("inside")
            yield 2
        async def f(k):
            g = watch()
            log.append(("before", g.ag_running))
            step = g.__anext__()
            log.append(("created step", g.ag_running))
            log.append(await step)
            log.append(("between", g.ag_running))
            log.append(await g.__anext__())
            log.append(("after", g.ag_running))
    """,
    "return_without_value_ends_iteration": """
        async def f(k):
            log.append(await drain(early()))
    """,
    "stop_async_iteration_inside_becomes_runtime_error": """
        async def f(k):
            g = leaks_stop()
            log.append(await g.__anext__())
            try:
                await g.__anext__()
            except RuntimeError as e:
                log.append(("runtime", repr(e), repr(e.__cause__)))
                raise
    """,
    "aclose_when_generator_yields_again_is_runtime_error": """
        async def f(k):
            g = ignores_close()
            log.append(await g.__anext__())
            await g.aclose()
    """,
    "re_entering_a_running_generator_is_runtime_error": """
        async def f(k):
            g = agen(2)
            log.append(await g.__anext__())
            step = g.asend("first").__await__()
            log.append(("suspended inside", step.send(None), g.ag_running))
            try:
                await g.__anext__()
            except RuntimeError as e:
                log.append(("re-entered", repr(e)))
            try:
                await g.aclose()
            except RuntimeError as e:
                log.append(("re-entered by aclose", repr(e)))
            try:
                step.send(None)
            except StopIteration as stop:
                log.append(("first step done", stop.value))
            log.append(await drain(g))
    """,
    "async_generator_methods_and_yield_in_except": """
        async def catcher():
            try:
                yield "first"
            except KeyError:
                await tick("handler")
                yield sys.exc_info()[0].__name__
                log.append(repr(sys.exc_info()[1]))
        async def f(k):
            g = catcher()
            log.append(await g.__anext__())
            log.append(await g.athrow(KeyError("k")))
            log.append(await drain(g))
    """,
    "aiter_and_anext_builtins": """
        async def f(k):
            g = aiter(agen(2))
            log.append(await anext(g))
            log.append(await anext(g, "default"))
            log.append(await anext(g, "default"))
            log.append(await anext(g, "default"))
            try:
                await anext(g)
            except StopAsyncIteration:
                log.append("stop")
            c = aiter(Counter(1))
            log.append(await anext(c, "d"))
            log.append(await anext(c, "d"))
    """,
}

PROTOCOL_CALLS = {
    "athrow_at_each_yield": ["f(0)", "f(1)", "f(2)", "f(3)"],
    "aclose_at_each_yield": ["f(0)", "f(1)", "f(2)", "f(3)"],
    "athrow_caught_inside_yields_again": ["f(0)", "f(1)", "f(2)"],
    "aclose_inside_with_and_async_with": ["f(0)", "f(1)", "f(2)"],
}
PROTOCOL_CASES = [
    (name, call) for name in sorted(PROTOCOL) for call in PROTOCOL_CALLS.get(name, ["f(0)"])
]


@pytest.mark.parametrize(
    ("name", "call"), PROTOCOL_CASES, ids=[f"{n}-{c}" for n, c in PROTOCOL_CASES]
)
def test_async_generator_protocol_under_every_script(name, call):
    check_every_script(source(PROTOCOL[name]), call)


def test_stop_async_iteration_inside_is_runtime_error_with_cause():
    native = check(source(PROTOCOL["stop_async_iteration_inside_becomes_runtime_error"]), "f(0)")
    assert native[0][-1][1][0] == "RuntimeError", native
    assert native[0][-1][1][2][0] == "StopAsyncIteration", native


def test_aclose_of_generator_that_yields_again_says_ignored_generatorexit():
    native = check(source(PROTOCOL["aclose_when_generator_yields_again_is_runtime_error"]), "f(0)")
    assert native[0][-1][1][:2] == ("RuntimeError", ("'async generator ignored GeneratorExit'",))


ACLOSED = """
    import gc

    async def stubborn():
        try:
            yield 1
        finally:
            log.append("finally runs")
            yield 12
            log.append("after the yield in finally")

    async def outcome(awaitable):
        try:
            return ("value", await awaitable)
        except BaseException as error:
            return ("raised", type(error).__name__, str(error))

    async def f():
        g = stubborn()
        log.append(await g.__anext__())
        log.append(await outcome(g.aclose()))
        log.append(await outcome(g.aclose()))
        log.append(await outcome(g.athrow(KeyError("k"))))
        log.append(await outcome(g.__anext__()))
        log.append(await outcome(g.__anext__()))
        old = sys.get_asyncgen_hooks()
        finalized = []
        sys.set_asyncgen_hooks(firstiter=None, finalizer=lambda gen: finalized.append(gen.__name__))
        try:
            h = stubborn()
            log.append(await h.__anext__())
            log.append(await outcome(h.aclose()))
            del h
            gc.collect()
        finally:
            sys.set_asyncgen_hooks(*old)
        log.append(("the finalizer hook was called for", finalized))
        return "done"
"""


def test_a_generator_aclose_was_used_on_is_closed_for_later_steps_and_its_finalizer():
    """Natively ``aclose()`` marks the generator closed (``ag_closed``) before it throws
    GeneratorExit in, even when the generator yields instead of ending: a later
    aclose() or athrow() raises StopAsyncIteration without running it (asend() still
    runs it), and once collected it is closed there and then, not handed to the
    event loop's finalizer hook (asyncio's aclose() task, which a loop closed
    first never runs: 3.13 then warns that aclose() was never awaited; CPython's
    test_asyncgen aclose_06 and aclose_11)."""
    native = check(source(ACLOSED), "f()")
    assert ("raised", "StopAsyncIteration", "") in native[1], native
    assert ("the finalizer hook was called for", []) in native[1], native


# -- hooks, asyncio, contextlib ----------------------------------------------------------

HOOKS = """
    import gc
    async def unfinished():
        try:
            yield 1
            yield 2
        finally:
            log.append("unfinished finally")
    async def f():
        old = sys.get_asyncgen_hooks()
        kept = []
        def firstiter(gen):
            log.append(("firstiter", gen.__name__))
        def finalizer(gen):
            log.append(("finalizer", gen.__name__))
            kept.append(gen)
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
        try:
            g = unfinished()
            log.append("created")
            log.append(await g.__anext__())
            log.append(await g.__anext__())
            del g
            gc.collect()
            log.append(("finalized", len(kept)))
            done = unfinished()
            log.append(await drain(done))
            del done
            gc.collect()
            log.append(("after finished one", len(kept)))
        finally:
            sys.set_asyncgen_hooks(*old)
        for gen in kept:
            await gen.aclose()
        return len(kept)
"""


def test_asyncgen_hooks_firstiter_and_finalizer():
    hooks = sys.get_asyncgen_hooks()
    native = check(source(HOOKS), "f()")
    assert sys.get_asyncgen_hooks() == hooks
    assert ("firstiter", "unfinished") in native[1] and ("finalizer", "unfinished") in native[1]


ASYNCIO_SHUTDOWN = """
import asyncio

async def ticker():
    try:
        for i in range(10):
            yield i
    finally:
        log.append("ticker finally")
        await asyncio.sleep(0)
        log.append("ticker finally after await")

kept = []

async def main():
    g = ticker()
    kept.append(g)
    log.append(await g.__anext__())
    log.append(await g.__anext__())
    return "main done"
"""


def run_under_asyncio(compiled: bool):
    namespace = {"__name__": "subject"}
    exec(code_for(ASYNCIO_SHUTDOWN, compiled), namespace)
    result = asyncio.run(namespace["main"]())
    logged = list(namespace["log"])
    namespace.clear()
    gc.collect()
    return result, logged


def test_asyncio_run_closes_unfinished_async_generator_on_shutdown():
    native = run_under_asyncio(compiled=False)
    compiled = run_under_asyncio(compiled=True)
    assert native[1][-2:] == ["ticker finally", "ticker finally after await"], native
    assert compiled == native, f"native:   {native}\ncompiled: {compiled}"


CONTEXTLIB = """
    import contextlib
    @contextlib.asynccontextmanager
    async def managed(name, suppress):
        log.append(("enter", name))
        await tick(("enter", name))
        try:
            yield name
        except KeyError as e:
            log.append(("cm caught", repr(e)))
            await tick("cm handler")
            if not suppress:
                raise
        finally:
            log.append(("exit", name))
            await tick(("exit", name))
    async def f(fail, suppress):
        async with managed("m", suppress) as value:
            log.append(("inside", value))
            await tick("inside")
            if fail:
                raise KeyError("inside")
        return "after"
"""


@pytest.mark.parametrize(
    "call",
    ["f(False, False)", "f(True, False)", "f(True, True)"],
    ids=["normal", "raises", "suppressed"],
)
def test_asynccontextmanager_on_compiled_async_generator(call):
    check_every_script(source(CONTEXTLIB), call)


# -- async comprehensions ----------------------------------------------------------------

COMPREHENSIONS = {
    "list_async_for": """
        async def f():
            return [x async for x in agen(3)]
    """,
    "set_and_dict_async_for": """
        async def f():
            s = {x async for x in Counter(3)}
            d = {x: await tick(("value", x)) async for x in Counter(2)}
            return sorted(s), d
    """,
    "await_in_element_and_condition": """
        async def f():
            return [await tick(("elt", x)) for x in range(3) if await ready(x) != 1]
    """,
    "async_generator_expression": """
        async def f():
            gen = (x * 2 async for x in agen(3) if x != 1)
            log.append("created")
            return [y async for y in gen]
    """,
    "nested_async_comprehensions": """
        async def f():
            return [[y async for y in Counter(x)] async for x in agen(3)]
    """,
    "comprehension_inside_async_generator_and_handler": """
        async def numbers():
            try:
                raise KeyError("handled")
            except KeyError:
                yield [await tick(("elt", x)) async for x in agen(2)]
                yield {x async for x in Counter(2) if await ready(x) > 1}
        async def f():
            return [v async for v in numbers()]
    """,
    "await_in_generator_expression_makes_it_async": """
        async def f():
            gen = (await tick(x) for x in range(2))
            return [y async for y in gen]
    """,
}


@pytest.mark.parametrize("name", sorted(COMPREHENSIONS))
def test_async_comprehension_under_every_script(name):
    check_every_script(source(COMPREHENSIONS[name]), "f()")


def test_exception_thrown_into_async_generator_iterated_in_a_handler_has_no_context():
    text = """
        async def gen():
            try:
                yield 0
                await tick("after yield")
            finally:
                await tick("gen finally")
        async def f():
            try:
                raise KeyError("handled")
            except KeyError:
                async for x in gen():
                    pass
    """
    native = check(text, "f()", [("throw", lambda: ValueError("thrown"))])
    assert native[0][-1][1][3] is None, native


def test_unfinished_async_generator_finalized_when_its_coroutine_returns():
    text = source(
        """
        async def f():
            g = agen(3)
            log.append(await g.__anext__())
            return "returned"
        """
    )
    observed = []
    for compiled in (False, True):
        namespace = {"__name__": "subject"}
        exec(code_for(text, compiled), namespace)
        coroutine = namespace["f"]()
        gc.disable()
        try:
            while True:
                try:
                    coroutine.send(None)
                except StopIteration:
                    break
            observed.append(list(namespace["log"]))
        finally:
            gc.enable()
            hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: None
            try:
                del coroutine
                namespace.clear()
                gc.collect()
            finally:
                sys.unraisablehook = hook
    native, compiled = observed
    assert "agen finally" in native, native
    assert compiled == native, f"native:   {native}\ncompiled: {compiled}"


# What an exception thrown into an async generator gets as __context__: what the
# generator itself handles where it is suspended, never what its consumer handles
# (CPython throws through asend/athrow into the generator's own exception state).
THROWN_INTO_GENERATORS = {
    "athrow_from_a_handler_into_a_generator_at_a_plain_yield": """
        async def gen():
            try:
                yield 0
            except ValueError as thrown:
                log.append(repr(thrown.__context__))
                raise
        async def f():
            g = gen()
            await g.asend(None)
            try:
                raise KeyError("f")
            except KeyError:
                await g.athrow(ValueError("athrown"))
    """,
    "athrow_into_a_yield_inside_the_generators_handler": """
        async def gen():
            try:
                raise KeyError("gen")
            except KeyError:
                yield 0
                await tick("after yield")
        async def f():
            g = gen()
            await g.asend(None)
            await g.athrow(ValueError("athrown"))
    """,
    "athrow_from_a_handler_into_a_generator_not_started": """
        async def gen():
            yield 0
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                await g.athrow(ValueError("athrown"))
        g = gen()
    """,
    "athrow_into_a_yield_in_a_finally_with_nothing_pending_from_a_handler": """
        async def gen():
            try:
                log.append("body")
            finally:
                try:
                    yield 1
                except ValueError as e:
                    log.append(repr(e.__context__))
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                g = gen()
                await g.asend(None)
                try:
                    await g.athrow(ValueError("athrown"))
                except StopAsyncIteration:
                    pass
    """,
    "thrown_at_an_await_of_a_generator_iterated_in_a_handler_finally_without_await": """
        async def gen():
            try:
                yield 0
                await tick("after yield")
            finally:
                log.append("gen finally")
        async def f():
            try:
                raise KeyError("handled")
            except KeyError:
                async for x in gen():
                    pass
    """,
    "thrown_at_an_await_inside_the_generators_handler_iterated_in_a_handler": """
        async def gen():
            try:
                raise KeyError("gen")
            except KeyError:
                yield 0
                await tick("in gen's handler")
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                async for x in gen():
                    pass
    """,
}


@pytest.mark.parametrize("name", sorted(THROWN_INTO_GENERATORS))
def test_context_of_exception_thrown_into_async_generator(name):
    check_every_script(source(THROWN_INTO_GENERATORS[name]), "f()")
