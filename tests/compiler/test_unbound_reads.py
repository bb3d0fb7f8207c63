"""Reading a local before it is bound: native == compiled, and which machines pay for it.

Only a machine whose class has a ``__getattr__`` turns the read of an unset
slot into CPython's ``UnboundLocalError`` (``NameError`` from a nested
function); the compiler gives one only to the functions its definite
assignment analysis (``statemachine_compiler.analysis.assignment``) cannot
clear.  The cases below are the shapes where a local really is read unbound
on some path: each must still give CPython's error, so each must be flagged.
"""

import textwrap

import pytest

from statemachine_compiler import compile_source
from tests.compiler.differential import assert_same_under_every_script

UNBOUND_ON_SOME_PATH = {
    "read_before_assignment": """
        async def f():
            await tick()
            print(x)
            x = 1
        """,
    "only_one_branch_binds": """
        async def f(flag=False):
            if flag:
                x = await tick()
            return x
        """,
    "loop_body_may_not_run": """
        async def f():
            for i in ():
                await tick(i)
            return i
        """,
    "bound_later_in_the_loop_body": """
        async def f():
            for i in range(2):
                if i:
                    return y
                await tick(i)
                del i
                y = 1
        """,
    "a_suppressing_context_manager": """
        import contextlib

        async def f():
            with contextlib.suppress(ZeroDivisionError):
                await tick()
                x = 1 / 0
            return x
        """,
    "an_except_clause_reads_what_the_try_binds": """
        async def f():
            try:
                await tick()
                raise KeyError
                x = 1
            except KeyError:
                return x
        """,
    "except_as_is_deleted_at_the_end_of_the_clause": """
        async def f():
            try:
                await tick()
                raise KeyError
            except KeyError as e:
                pass
            return e
        """,
    "deleted_then_read": """
        async def f():
            x = await tick()
            del x
            return x
        """,
    "walrus_on_the_right_of_or": """
        async def f():
            if True or (x := await tick()):
                pass
            return x
        """,
    "a_closure_of_a_deleted_local": """
        async def f():
            x = 1
            g = lambda: x
            await tick()
            del x
            return g()
        """,
    "caught_inside_the_function": """
        async def f():
            await tick()
            try:
                x += 1
            except UnboundLocalError as e:
                log.append(str(e))
            x = 2
            return x
        """,
    "finally_after_an_early_exception": """
        async def f():
            try:
                await tick()
                1 / 0
                x = 1
            finally:
                log.append(x)
        """,
}


@pytest.mark.parametrize("name", sorted(UNBOUND_ON_SOME_PATH))
def test_native_and_compiled_agree(name):
    assert_same_under_every_script(UNBOUND_ON_SOME_PATH[name], "f()")


@pytest.mark.parametrize("name", sorted(UNBOUND_ON_SOME_PATH))
def test_the_machine_reads_unbound_locals_through_getattr(name):
    assert "_may_read_unbound = True" in compiled(UNBOUND_ON_SOME_PATH[name])


# A local only a nested function reads before it is bound is a cell: the
# closure's read raises CPython's own NameError, with no __getattr__.
UNBOUND_IN_A_CELL = {
    "a_closure_called_before_the_binding": """
        async def f():
            def g():
                return x
            await tick()
            try:
                g()
            except NameError as e:
                log.append(str(e))
            x = 1
            return g()
        """,
}


@pytest.mark.parametrize("name", sorted(UNBOUND_IN_A_CELL))
def test_a_cell_read_unbound_agrees_without_getattr(name):
    assert_same_under_every_script(UNBOUND_IN_A_CELL[name], "f()")
    assert "_may_read_unbound" not in compiled(UNBOUND_IN_A_CELL[name])


# What the analysis clears: these machines have no __getattr__ (3.11 specialises their reads).
ALWAYS_BOUND = {
    "parameters_only": """
        async def f(a, b=1):
            return await g(a) + b
        """,
    "assigned_then_read_in_a_loop": """
        async def f(n):
            total = 0
            for i in range(n):
                total += await g(i)
            return total
        """,
    "both_branches_bind": """
        async def f(flag):
            if flag:
                x = await g(1)
            else:
                x = 2
            return x
        """,
    "an_except_clause_that_binds_or_leaves": """
        async def f(d):
            try:
                x = await g(d)
            except KeyError:
                x = None
            except ValueError:
                raise
            return x
        """,
    "inside_async_with_and_try_finally": """
        async def f(pool, stats):
            stats["n"] += 1
            try:
                async with pool as connection:
                    a, b = await g(connection)
                    total = a + b
                    return total + connection.size
            finally:
                stats["n"] -= 1
        """,
    "a_walrus_in_an_if": """
        async def f(text):
            if (m := await g(text)) is not None:
                return m
            return text
        """,
    "a_comprehension_of_bound_locals": """
        async def f(items):
            scale = await g(2)
            return [i * scale for i in items]
        """,
    # The name a nested def or class binds is no read of it (it was counted as one).
    "a_nested_def_that_rebinds_a_cell": """
        async def f(step):
            count = 0
            def bump():
                nonlocal count
                count += step
                return count
            await g(1)
            return bump
        """,
    "a_nested_class_and_def_used_after": """
        async def f(x):
            class Box:
                pass
            def make():
                return Box()
            await g(x)
            return make()
        """,
}


@pytest.mark.parametrize("name", sorted(ALWAYS_BOUND))
def test_the_machine_has_no_getattr(name):
    assert "_may_read_unbound" not in compiled(ALWAYS_BOUND[name])


def compiled(source):
    return compile_source(textwrap.dedent(source), "<subject>").code
