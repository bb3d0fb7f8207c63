"""Native CPython versus compiled: an ``async def`` nested in a compiled ``async def`` (issue 11, item 2).

Its machine class is made once, not at each call of the enclosing function:
a class is always in a reference cycle, so a class made per call is
garbage for the cycle collector (``gc.DEBUG_SAVEALL`` shows it, natively
there is none), and making one costs tens of microseconds.  What the nested
function closes over, the enclosing machine, is handed to it by the stub.
Each case below runs natively and compiled; what it logs must be the same.
"""

from __future__ import annotations

import gc
import textwrap

import pytest

from tests.compiler.differential import assert_same, assert_same_under_every_script

GARBAGE = """
import gc


async def garbage_of(make):
    '''What the cycle collector finds unreachable after ``await make()``, by type name.'''
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        log.append(await make())
        gc.collect()
        log.append(sorted(type(o).__name__ for o in gc.garbage))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()

"""


@pytest.fixture(autouse=True)
def collected():
    gc.collect()
    yield
    gc.set_debug(0)
    gc.garbage.clear()


def check_garbage(source: str):
    assert_same(GARBAGE + textwrap.dedent(source), "garbage_of(main)")


def check(source: str, call: str = "main()", script=()):
    assert_same(textwrap.dedent(source), call, script)


# -- no class per call: no cyclic garbage -------------------------------------------------


def test_a_nested_coroutine_leaves_no_cyclic_garbage():
    check_garbage(
        """
        async def main(k=1):
            async def inner(j):
                return j + k
            return await inner(1)
        """
    )


def test_a_nested_coroutine_that_suspends_leaves_no_cyclic_garbage():
    check_garbage(
        """
        async def main(k=1):
            async def inner(j):
                await Ready(None)
                return j + k + await ready(2)
            return await inner(1)
        """
    )


def test_a_nested_async_generator_leaves_no_cyclic_garbage():
    check_garbage(
        """
        async def main(k=1):
            async def numbers(n):
                for i in range(n):
                    yield i + k
            return [x async for x in numbers(3)]
        """
    )


def test_a_coroutine_nested_in_a_method_leaves_no_cyclic_garbage():
    check_garbage(
        """
        class Worker:
            def __init__(self):
                self.base = 10

            async def run(self, k):
                async def inner(j):
                    return self.base + j + k
                return await inner(1)

        async def main():
            return await Worker().run(2)
        """
    )


def test_two_levels_of_nesting_leave_no_cyclic_garbage():
    check_garbage(
        """
        async def main(k=1):
            async def middle(j):
                async def innermost(i):
                    return i + j + k
                return await innermost(j * 10)
            return await middle(2)
        """
    )


def test_a_coroutine_in_a_plain_function_reading_none_of_its_variables_leaves_no_cyclic_garbage():
    check_garbage(
        """
        def make(k):
            async def inner(j):
                return j + await ready(1)
            class Local:
                async def get(self):
                    return 2
            return inner, Local

        async def main():
            inner, Local = make(1)
            return await inner(1), await Local().get()
        """
    )


def test_a_method_of_a_class_in_an_async_def_leaves_only_the_garbage_of_that_class():
    check_garbage(
        """
        async def main():
            class Local:
                async def get(self):
                    return 2
            return await Local().get()
        """
    )


def test_a_coroutine_closing_over_a_plain_functions_variable_leaves_no_cyclic_garbage():
    check_garbage(
        """
        def make(k):
            async def inner(j):
                return j + k
            return inner

        async def main():
            return await make(1)(1)
        """
    )


def test_a_nested_coroutine_calling_itself_over_the_enclosing_cells_suspends_and_returns():
    # Its machine's resume is made over the enclosing call's cells, the
    # cell of its own stub among them (emit.machine.write_resume_maker).
    check(
        """
        async def outer(k):
            async def countdown(n):
                if n:
                    return [n] + await countdown(n - 1)
                await tick("bottom")
                return [k]
            first, second = countdown(0), countdown(1)
            same = type(first) is type(second)
            first.close()
            second.close()
            return await countdown(2), same

        async def main():
            return await outer(5)
        """
    )


def test_a_nested_coroutine_reads_an_enclosing_cell_and_an_enclosing_slot():
    # x may be read unbound (a del): a slot, reached through the enclosing
    # machine (frame.outer.x); y is a cell the nested resume closes over.
    check(
        """
        async def outer(flag):
            x = 1
            y = 10
            if flag:
                del x
            async def inner():
                nonlocal y
                y += 1
                await tick("inner")
                try:
                    return x + y
                except NameError as error:
                    return str(error), y
            return await inner(), y

        async def main():
            return await outer(False), await outer(True)
        """
    )


def test_enclosing_cells_are_shared_by_sibling_nested_coroutines():
    check(
        """
        async def outer():
            count = 0
            async def bump():
                nonlocal count
                await tick("bump")
                count += 1
                return count
            async def read():
                await tick(0)
                return count
            first = await bump()
            reader = read()
            await bump()
            return first, await reader, count

        async def main():
            return await outer()
        """
    )


def test_a_nested_coroutine_is_of_one_type_at_every_call():
    check(
        """
        async def make():
            async def inner():
                return 1
            coroutine = inner()
            coroutine.close()
            return type(coroutine)

        async def main():
            return await make() is await make()
        """
    )


# -- what the nested function sees -----------------------------------------------------


def test_a_nested_coroutine_reads_and_assigns_the_enclosing_locals():
    assert_same_under_every_script(
        textwrap.dedent(
            """
            async def main(k=5):
                total = 1

                async def add(y):
                    nonlocal total
                    total += y + await tick(("add", total))
                    return total

                first = await add(k)
                total += await tick(("main", total))
                return first, total, await add(100)
            """
        ),
        "main()",
    )


def test_two_levels_read_and_assign_every_enclosing_function():
    assert_same_under_every_script(
        textwrap.dedent(
            """
            async def main(k=1):
                seen = []

                async def middle(j):
                    async def innermost(i):
                        nonlocal j
                        j += i
                        seen.append((i, j, k, await tick("innermost")))
                        return [i + j + k for _ in range(1)]
                    result = await innermost(j * 10)
                    return result, j, await tick("middle")
                return await middle(2), seen, k
            """
        ),
        "main()",
    )


def test_a_recursive_nested_coroutine():
    check(
        """
        async def main(depth):
            async def countdown(n):
                if n == 0:
                    return [await tick("bottom")]
                return [n] + await countdown(n - 1)
            return await countdown(depth)
        """,
        "main(3)",
    )


def test_a_nested_coroutine_called_after_the_enclosing_one_returned():
    check(
        """
        async def make(k):
            count = 0
            async def bump(by):
                nonlocal count
                count += by + k
                await tick(count)
                return count
            return bump

        async def main():
            bump = await make(100)
            other = await make(1000)
            return await bump(1), await bump(2), await other(3), await bump(4)
        """
    )


def test_the_stub_is_made_per_call_with_decorators_defaults_and_annotations_evaluated_there():
    check(
        """
        def traced(label):
            log.append(("decorator", label))
            def wrap(function):
                log.append(("wrap", function.__name__, function.__qualname__))
                return function
            return wrap

        def default(value):
            log.append(("default", value))
            return value

        async def main():
            stubs = []
            for n in range(2):
                @traced(n)
                async def inner(x=default(n)) -> default("annotation"):
                    return x * 2
                stubs.append(inner)
                log.append(await inner())
            return stubs[0] is stubs[1], stubs[0].__defaults__, stubs[1].__defaults__
        """
    )


def test_names_and_reprs_of_a_nested_coroutine_are_as_natively():
    check(
        """
        async def main():
            async def inner():
                await tick()
            async def numbers():
                yield 1
            coroutine, generator = inner(), numbers()
            names = (
                inner.__name__, inner.__qualname__, numbers.__qualname__,
                coroutine.__name__, coroutine.__qualname__,
                generator.__name__, generator.__qualname__,
            )
            coroutine.close()
            await generator.aclose()
            return names
        """
    )


def test_a_nested_coroutine_in_a_method_with_super_and_private_names():
    check(
        """
        class Base:
            async def run(self, k):
                return ("base", k)

        class Worker(Base):
            def __init__(self):
                self.__secret = 3

            async def run(self, k):
                async def inner():
                    return await super(Worker, self).run(self.__secret + k), __class__.__name__
                async def with_super():
                    return await super().run(k)
                return await inner(), await with_super()

        async def main():
            return await Worker().run(10)
        """
    )


def test_an_unbound_enclosing_local_read_by_a_nested_coroutine():
    check(
        """
        async def main():
            async def inner():
                return late
            try:
                await inner()
            except NameError as error:
                log.append(str(error))
            late = 1
            return await inner()
        """
    )


def test_locals_of_a_nested_coroutine_list_its_free_variables():
    check(
        """
        async def main(k=1):
            other = 2
            async def inner(j):
                await tick()
                return sorted(locals().items()), k
            return await inner(3)
        """
    )


def test_a_nested_coroutine_inside_a_plain_function_inside_an_async_def():
    check(
        """
        async def main(k=1):
            def make(j):
                async def inner(i):
                    return i + j + k + await tick()
                return inner
            return await make(10)(100)
        """
    )


def test_a_nested_coroutine_reading_a_class_body_inside_an_async_def():
    check(
        """
        async def main(k=1):
            class Local:
                n = 5
                async def get(self):
                    return self.n + k + await tick()
            return await Local().get(), Local.get.__qualname__
        """
    )


def test_a_nested_coroutine_shadowing_the_enclosing_machines_name():
    check(
        """
        async def main(self=1, frame=2, outer=3):
            async def inner(frame=20, outer=30):
                return self + frame + outer + await tick()
            return await inner(), self, frame, outer
        """
    )


def test_a_private_nested_coroutine_in_a_method_of_a_private_class():
    check(
        """
        class _Mixin:
            __scale = 2

            async def run(self, k):
                async def __helper(j):
                    return j * self.__scale + k + await tick()
                return await __helper(1), __helper.__name__, __helper.__qualname__

        async def main():
            return await _Mixin().run(3)
        """
    )


def test_a_nested_coroutine_in_an_async_generator():
    assert_same_under_every_script(
        textwrap.dedent(
            """
            async def numbers(k):
                async def double(x):
                    return 2 * x + k + await tick(("double", x))
                for i in range(2):
                    yield await double(i)

            async def main():
                return [x async for x in numbers(10)]
            """
        ),
        "main()",
    )


def test_a_nested_async_generator_kept_after_the_enclosing_coroutine_returned():
    check(
        """
        async def make(k):
            async def numbers(n):
                for i in range(n):
                    yield i + k + await tick(i)
            return numbers

        async def main():
            numbers = await make(10)
            return [x async for x in numbers(2)], [x async for x in numbers(1)]
        """
    )


# -- an async def in a plain function that uses its variables: one class, the calls' cells ------


def test_a_factory_called_twice_makes_coroutines_of_one_class_with_separate_cells():
    check(
        """
        def make(base):
            count = 0
            async def bump(step):
                nonlocal count
                count += step + await tick()
                return base + count
            return bump

        async def main():
            first, second = make(100), make(200)
            a, b = first(1), second(2)
            same = type(a) is type(b)
            results = await a, await b, await first(10), await second(20)
            return same, results
        """
    )


def test_an_async_generator_in_a_plain_function_reads_its_variables():
    assert_same_under_every_script(
        textwrap.dedent(
            """
            def make(limit):
                seen = []
                async def numbers(start):
                    for i in range(start, limit):
                        seen.append(i)
                        yield i + await tick()
                return numbers, seen

            async def main():
                numbers, seen = make(4)
                got = [x async for x in numbers(1)]
                return got, seen, type(numbers(0)) is type(make(2)[0](0))
            """
        ),
        "main()",
    )


def test_a_coroutine_in_a_method_reads_self():
    check(
        """
        class Account:
            def __init__(self, x):
                self.x = x

            def reader(self):
                async def inner():
                    return self.x + await tick()
                return inner

        async def main():
            one, two = Account(1).reader(), Account(2).reader()
            return await one(), await two(), one.__qualname__
        """
    )


def test_a_method_of_a_class_in_a_plain_function_reads_the_functions_variables():
    check(
        """
        def make(k):
            class Local:
                async def get(self, j):
                    return k + j + await tick()
            return Local

        async def main():
            first, second = make(1), make(2)
            return await first().get(10), await second().get(20), first.get.__qualname__
        """
    )


def test_a_decorated_coroutine_in_a_plain_function():
    check(
        """
        import functools

        def logged(label):
            def decorate(function):
                @functools.wraps(function)
                async def wrapper(*args):
                    log.append((label, function.__qualname__))
                    return await function(*args)
                return wrapper
            return decorate

        def make(k):
            @logged("outer")
            @logged("inner")
            async def add(j):
                return j + k + await tick()
            return add

        async def main():
            add = make(5)
            return await add(1), add.__qualname__, add.__wrapped__.__qualname__
        """
    )


def test_a_coroutine_reads_a_variable_the_function_assigns_after_defining_it():
    check(
        """
        def make():
            async def read():
                await tick()
                return late
            coroutine = read()
            late = "bound later"
            return coroutine, read

        async def main():
            coroutine, read = make()
            return await coroutine
        """
    )


def test_a_coroutine_reads_an_unbound_variable_of_the_function():
    check(
        """
        def make():
            async def read():
                return never
            if False:
                never = 1
            return read

        async def main():
            try:
                await make()()
            except NameError as error:
                return type(error).__name__, str(error)
        """
    )


def test_nonlocal_writes_of_a_coroutine_are_seen_by_the_functions_other_closures():
    check(
        """
        def make():
            total = 0
            async def add(n):
                nonlocal total
                total += await tick(n) or n
                return total
            def read():
                return total
            def reset():
                nonlocal total
                total = 0
            return add, read, reset

        async def main():
            add, read, reset = make()
            await add(1)
            await add(2)
            before = read()
            reset()
            return before, read(), await add(5), read()
        """
    )


def test_a_coroutine_in_a_plain_function_has_native_names_and_reprs():
    check(
        """
        import inspect

        def make(k):
            async def inner():
                return k
            async def numbers():
                yield k
            return inner, numbers

        async def main():
            inner, numbers = make(1)
            coroutine, generator = inner(), numbers()
            found = (
                inner.__name__, inner.__qualname__, numbers.__qualname__,
                coroutine.__name__, coroutine.__qualname__, type(coroutine).__name__,
                generator.__qualname__, type(generator).__name__,
                inspect.iscoroutinefunction(inner), inspect.isasyncgenfunction(numbers),
                repr(coroutine).split(" at ")[0], coroutine.cr_code.co_name, coroutine.cr_code.co_qualname,
            )
            coroutine.close()
            await generator.aclose()
            return found
        """
    )


def test_a_coroutine_in_a_plain_function_shows_its_name_in_tracebacks_and_locals():
    check(
        """
        import traceback

        def make(k):
            def helper():
                return k
            async def failing(j):
                value = j + await tick()
                log.append(sorted(locals()))
                raise KeyError(value + helper())
            return failing

        async def main():
            try:
                await make(1)(2)
            except KeyError as error:
                frames = traceback.extract_tb(error.__traceback__)
                return [(f.name, f.line) for f in frames if f.name != "main"]
        """
    )


def test_a_coroutine_in_a_plain_function_inside_an_async_def_reads_both():
    check(
        """
        async def main(k=1):
            total = 0
            def make(j):
                async def inner(i):
                    nonlocal total
                    total += i
                    return i + j + k + total + await tick()
                return inner
            a, b = make(10), make(20)
            return await a(1), await b(2), total, type(a(0)) is type(b(0))
        """
    )


def test_a_never_awaited_coroutine_of_a_plain_function_warns_at_the_users_line():
    # Through the import hook's compile, which keeps the source's positions.
    import warnings

    from statemachine_compiler.modulecode import module_code

    source = textwrap.dedent(
        """
        def make(k):
            async def inner():
                return k
            return inner

        def create():
            inner = make(1)
            inner()
        """
    )
    found = []
    for code in (compile(source, "<subject>", "exec"), module_code(source, "<subject>")):
        namespace = {"__name__": "subject"}
        exec(code, namespace)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            namespace["create"]()
            gc.collect()
        found.append([(str(w.message), w.lineno) for w in caught])
    assert found[1] == found[0]


def test_coroutines_nested_in_a_coroutine_in_a_plain_function_read_the_functions_variables():
    # The classes of all of them stand at module level: each resume that
    # reads the function's variables is made where its async def stands.
    check(
        """
        def make(k):
            async def outer(j):
                total = j
                async def reads_both():
                    return k + total + await tick()
                async def reads_the_function_only():
                    return k
                async def middle():
                    async def innermost():
                        return k * 100 + await tick()
                    return await innermost()
                class Local:
                    async def get(self):
                        return k + j
                return (
                    await reads_both(), await reads_the_function_only(), await middle(), await Local().get()
                )
            return outer

        async def main():
            return await make(1)(2), await make(3)(4)
        """
    )


@pytest.mark.parametrize("enclosing", ["def", "async def"])
def test_a_nested_coroutine_reads_an_enclosing_variable_named_resume(enclosing):
    check(
        f"""
        {enclosing} make():
            resume = "the user's"
            async def inner():
                await tick("inner")
                return resume
            return inner

        async def main():
            inner = make() if {enclosing == "def"} else await make()
            return await inner()
        """
    )


def test_a_coroutine_whose_own_local_resume_a_closure_shares_reads_it_unbound_as_natively():
    # make_resume's def of the generated resume would bind the user's cell.
    check(
        """
        import sys

        async def main():
            def read():
                return resume
            try:
                read()
            except NameError as error:
                log.append(str(error))
            resume = "the user's"
            await tick("main")
            return read(), sys._getframe().f_code.co_name

        log = []

        async def run_main():
            return await main(), log
        """,
        call="run_main()",
    )


def test_a_nested_async_generator_reads_an_enclosing_variable_named_resume_and_is_named_as_natively():
    check(
        """
        import sys

        def make(resume):
            async def items():
                await tick("items")
                yield resume, sys._getframe().f_code.co_name, sys._getframe().f_code.co_qualname
            return items

        async def main():
            return [item async for item in make("the user's")()]
        """
    )
