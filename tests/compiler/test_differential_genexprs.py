"""Native CPython versus compiled: asynchronous generator expressions (issue 11, item 21).

An asynchronous generator expression in an ``async def`` is compiled into a
hidden async generator machine named ``<genexpr>``
(``statemachine_compiler/lower/genexprs.py``).  Each case is driven under
every script (a plain run, then a throw and a close at each suspension), and
compared with the native run: values, side effects in order, exceptions and
when they happen (the first iterable is evaluated where the expression stands,
the others as the generator runs).
"""

from __future__ import annotations

import textwrap

import pytest

from statemachine_compiler import compile_source
from tests.compiler.test_differential_asyncgen import source
from tests.compiler.test_differential_exceptions import check, check_every_script

ITERABLES = """
class Logged:
    '''An iterable whose __iter__ (and its iterator's) are logged.'''
    def __init__(self, label, items):
        self.label = label
        self.items = items
    def __iter__(self):
        log.append(("iter", self.label))
        return LoggedIterator(self.label, self.items)

class LoggedIterator:
    def __init__(self, label, items):
        self.label = label
        self.items = list(items)
    def __iter__(self):
        log.append(("iter again", self.label))
        return self
    def __next__(self):
        if not self.items:
            raise StopIteration
        return self.items.pop(0)

def iterable(label, items):
    log.append(("evaluated", label))
    return Logged(label, items)

class NotAnIterator:
    def __aiter__(self):
        return 3

class Box:
    pass
"""

CASES = {
    "await_in_element": """
        async def f():
            gen = (await tick(("elt", x)) for x in range(3))
            log.append("created")
            return [y async for y in gen]
    """,
    "async_for_with_awaiting_condition": """
        async def f():
            gen = (x * 2 async for x in Counter(3) if await ready(x) != 2)
            log.append("created")
            return [y async for y in gen]
    """,
    "first_iterable_eager_the_others_lazy": """
        async def f():
            gen = (
                (x, y, await tick((x, y)))
                for x in iterable("first", [1, 2])
                if log.append(("if", x)) is None
                for y in iterable(("second", x), "ab")
            )
            log.append("created")
            out = [await gen.__anext__()]
            log.append("one taken")
            out += [v async for v in gen]
            return out
    """,
    "async_iterator_asked_once": """
        async def f():
            counter = Counter(2)
            gen = (x async for x in counter)
            log.append("created")
            return [y async for y in gen], counter.i
    """,
    "first_iterable_not_iterable_raises_at_creation": """
        async def f():
            try:
                (await tick(x) for x in 5)
            except TypeError as e:
                log.append(("sync", str(e)))
            try:
                (x async for x in 5)
            except TypeError as e:
                log.append(("async", str(e)))
            try:
                (x async for x in NotAnIterator())
            except TypeError as e:
                log.append(("aiter", str(e)))
            return "done"
    """,
    "later_iterable_fails_when_reached": """
        async def f():
            gen = (y async for x in agen(2) for y in x)
            log.append("created")
            try:
                return [v async for v in gen]
            except TypeError as e:
                return str(e)
    """,
    "names_of_the_generator": """
        async def f():
            gen = (x async for x in agen(1))
            async def inner():
                return (await tick(y) for y in "a")
            nested = await inner()
            return gen.__name__, gen.__qualname__, nested.__name__, nested.__qualname__
    """,
    "closure_reads_outer_locals_when_it_runs": """
        async def f():
            k = 10
            gen = (x + k + await ready(0) async for x in Counter(2))
            k = 100
            out = [await gen.__anext__()]
            k = 1000
            out.append(await gen.__anext__())
            return out
    """,
    "outer_local_deleted_or_not_yet_bound": """
        async def f():
            k = 1
            gen = (x + k async for x in Counter(2))
            del k
            try:
                out = [v async for v in gen]
            except NameError as e:
                out = [repr(e)]
            early = (x + j async for x in Counter(2))
            try:
                out.append(await early.__anext__())
            except NameError as e:
                out.append(repr(e))
            j = 5
            return out
    """,
    "aclose_while_suspended": """
        async def f():
            gen = (await tick(("elt", x)) for x in range(3))
            first = await gen.__anext__()
            await gen.aclose()
            try:
                await gen.__anext__()
            except StopAsyncIteration:
                log.append("stopped")
            return first, gen.ag_running, gen.ag_frame is None
    """,
    "athrow_into_it": """
        async def f():
            gen = (x async for x in Counter(3))
            first = await gen.__anext__()
            try:
                await gen.athrow(ValueError("into the genexpr"))
            except ValueError as e:
                log.append(("out", repr(e)))
            fresh = (x async for x in agen(3))
            try:
                await fresh.athrow(KeyError("before start"))
            except KeyError as e:
                log.append(("unstarted", repr(e)))
            return first
    """,
    "asend_value_is_ignored": """
        async def f():
            gen = (x async for x in agen(2))
            return [await gen.asend(None), await gen.asend("sent")]
    """,
    "nested_generator_expressions": """
        async def f():
            first = (x async for x in (y * 2 async for y in agen(3)))
            inner = ([z async for z in (w async for w in Counter(x))] async for x in agen(3))
            later = (z async for x in range(2) for z in (await tick(v) for v in range(x + 1)))
            return [v async for v in first], [v async for v in inner], [v async for v in later]
    """,
    "in_statement_headers": """
        async def f():
            out = []
            n = 0
            while [x async for x in (y async for y in agen(n))] != [0, 1]:
                n += 1
            if False:
                pass
            elif await (x async for x in agen(3)).__anext__() == 0:
                out.append("elif")
            for g in [(x async for x in agen(2))]:
                out.append([v async for v in g])
            return n, out
    """,
    "one_line_body_await_in_first_iterable_match_guard_lambda_default": """
        async def one(): return (x async for x in agen(2))
        async def made():
            return Counter(2)
        async def f():
            out = [[v async for v in await one()]]
            out.append([v async for v in (x + 1 async for x in await made())])
            match 1:
                case 1 if [v async for v in (x async for x in agen(1))] == [0]:
                    out.append("matched")
            out.append((lambda g=(x async for x in agen(1)): g.__qualname__)())
            return out
    """,
    "in_nested_scopes_left_alone": """
        async def f(xs):
            make = lambda n: (x async for x in agen(n))
            lists = [(x async for x in agen(n)) for n in xs]
            return [v async for v in make(2)], [[v async for v in g] for g in lists]
    """,
    "targets": """
        async def f():
            box = Box()
            pairs = ((a, b, await ready(a)) for a, (b, *c) in [(1, (2, 3)), (4, (5,))])
            attrs = (box.x + await ready(0) for box.x in range(3))
            return [p async for p in pairs], [v async for v in attrs], box.x
    """,
    "error_in_element": """
        async def f():
            gen = (1 / (x - 1) + await ready(0) for x in range(3))
            out = []
            try:
                async for v in gen:
                    out.append(v)
            except ZeroDivisionError as e:
                out.append(repr(e))
            return out, [v async for v in gen]
    """,
    "in_a_method": """
        class K:
            def __init__(self):
                self.__secret = 7
            async def m(self):
                gen = (self.__secret + x + await ready(0) async for x in agen(2))
                names = (gen.__name__, gen.__qualname__)
                try:
                    [v async for v in (super().__init__() or x async for x in Counter(1))]
                except TypeError as e:
                    names += (str(e),)
                return [v async for v in gen], names, __class__.__name__
        async def f():
            return await K().m()
    """,
    # Unpacking the target calls the item's __iter__: what it raises, even
    # StopAsyncIteration / StopIteration, is not the end of the loop
    # (CPython's own test_for_assign_raising_stop_async_iteration_2).
    "unpacking_the_target_raises_the_loops_stop": """
        class Bad:
            def __init__(self, error):
                self.error = error
            def __iter__(self):
                raise self.error(42)
        async def bad_items(error):
            yield Bad(error)
        async def f():
            out = []
            for error in (StopAsyncIteration, StopIteration, ValueError):
                gen = (0 async for i, j in bad_items(error))
                try:
                    out.append(await gen.asend(None))
                except BaseException as e:
                    out.append((type(e).__name__, repr(e.__cause__)))
                gen = (0 for i, j in [Bad(error)] if await ready(0) is None)
                try:
                    out.append(await gen.asend(None))
                except BaseException as e:
                    out.append((type(e).__name__, repr(e.__cause__)))
            return out
    """,
    "in_an_async_generator": """
        async def numbers():
            yield [v async for v in (await tick(x) for x in range(2))]
            yield (x async for x in agen(2)).__qualname__
        async def f():
            return [v async for v in numbers()]
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_async_generator_expression_under_every_script(name):
    text = source(ITERABLES + textwrap.dedent(CASES[name]))
    check_every_script(text, "f([1, 2])" if "(xs)" in CASES[name] else "f()")


def test_async_generator_expression_is_a_compiled_machine():
    text = source(
        """
        async def f():
            gen = (await tick(x) for x in range(2))
            return type(gen).__mro__[1].__name__, sorted(gen.ag_frame.f_locals)
        """
    )
    namespace = {"__name__": "subject"}
    exec(compile(compile_source(text, "<subject>").code, "<subject>", "exec"), namespace)
    coroutine = namespace["f"]()
    try:
        coroutine.send(None)
    except StopIteration as stop:
        result = stop.value
    assert result == ("AsyncGeneratorMachine", [".0"])


def test_hidden_function_is_not_a_local():
    text = """
        async def f():
            gen = (await tick(x) for x in range(2))
            del gen
            return sorted(locals())
    """
    check(source(text), "f()")
