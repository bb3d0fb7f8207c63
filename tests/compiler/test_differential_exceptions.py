"""Native CPython versus compiled: exceptions and context managers across awaits (issue 3).

The grid crosses each statement form (try/except, try/finally, try/except/finally,
try/except/else, try/except/else/finally, with, async with) with an await in each of
its clauses (and in all of them at once), and drives every cell with a normal run, an
exception raised inside the body, and a ``throw()`` and a ``close()`` at each
suspension.  The rest are the single bullets of issue 3.

Thrown exceptions are made afresh for each run (``check`` takes factories): the
harness's ``assert_same_under_every_script`` throws one instance into both runs, so
``__context__`` set on it by the native run would survive into the compiled run and
could hide a missing context there.
"""

from __future__ import annotations

import functools
import gc
import sys
import textwrap
import traceback

import pytest

from statemachine_compiler import compile_source
from tests.compiler.differential import PRELUDE, drive, load

# -- driving with fresh exceptions -------------------------------------------------------


@functools.lru_cache(maxsize=None)
def code_for(source: str, compiled: bool):
    """What ``differential.load`` executes, compiled once per source."""
    text = PRELUDE + textwrap.dedent(source)
    if compiled:
        text = compile_source(text, "<subject>").code
    return compile(text, "<subject>", "exec")


def release_tracebacks(script):
    """Thrown exceptions keep the frames they passed through (and their locals) alive.

    When those are finalized is a known, accepted difference; drop the tracebacks so
    that both runs finalize what they left behind in the same place.
    """
    for step in script:
        error, seen = step[1] if step[0] == "throw" else None, 0
        while isinstance(error, BaseException) and seen < 10:
            error.__traceback__ = None
            error, seen = error.__context__, seen + 1


def run(source: str, call: str, script=(), compiled=False):
    """``differential.run`` with the cached code: (trace, log)."""
    namespace = {"__name__": "subject"}
    exec(code_for(source, compiled), namespace)
    coroutine = eval(call, namespace)
    trace = drive(coroutine, script)
    # What is left suspended (a coroutine whose close() met another await, async
    # generators left unfinished) is finalized here, before the log is read: a
    # finished compiled machine keeps its locals until it is collected (see
    # test_differential_asyncgen), and a finalizer running later, while CPython
    # 3.11 builds an AST, raises "SystemError: AST constructor recursion depth
    # mismatch".
    suspended = (
        getattr(coroutine, "cr_frame", None) is not None or getattr(coroutine, "state", -1) > 0
    )
    release_tracebacks(script)
    hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: None
    try:
        del coroutine
        if suspended or "yield" in source:
            gc.collect()
        logged = list(namespace["log"])
        namespace.clear()
    finally:
        sys.unraisablehook = hook
    return trace, logged


def materialize(script):
    """Scripts hold exception factories for throws; build a fresh one per run."""
    return [
        ("throw", step[1]()) if step[0] == "throw" and callable(step[1]) else step
        for step in script
    ]


def check(source: str, call: str, script=()):
    """Native and compiled agree on ``call`` driven by ``script``."""
    saved = sys.exc_info()
    native = run(source, call, materialize(script), compiled=False)
    compiled = run(source, call, materialize(script), compiled=True)
    assert sys.exc_info() == saved
    assert compiled == native, (
        f"compiled differs from native for {call} with script {script!r}\n"
        f"native:   {native}\ncompiled: {compiled}"
    )
    return native


def suspensions(source: str, call: str) -> int:
    trace, _ = run(source, call)
    return sum(1 for event in trace if event[0] == "yield")


def check_every_script(source: str, call: str, exception=lambda: ValueError("thrown")):
    """A plain run, then a throw and a close at each suspension (fresh exceptions)."""
    check(source, call)
    count = suspensions(source, call)
    for point in range(count):
        before = [("send", n) for n in range(point)]
        check(source, call, [*before, ("throw", exception)])
        check(source, call, [*before, ("close",)])
    return count


# -- the grid ----------------------------------------------------------------------------

CONTEXT_MANAGERS = """
import sys

class CM:
    def __init__(self, name, suppress=False):
        self.name = name
        self.suppress = suppress
    def __enter__(self):
        log.append(("enter", self.name))
        return self.name
    def __exit__(self, typ, value, tb):
        log.append(("exit", self.name, typ and typ.__name__, repr(value), repr(sys.exc_info()[1])))
        return self.suppress

class ACM:
    def __init__(self, name, suppress=False):
        self.name = name
        self.suppress = suppress
    async def __aenter__(self):
        log.append(("aenter", self.name))
        await tick("aenter " + self.name)
        return self.name
    async def __aexit__(self, typ, value, tb):
        log.append(("aexit", self.name, typ and typ.__name__, repr(value)))
        await tick("aexit " + self.name)
        log.append(("aexit resumed", self.name))
        return self.suppress
"""

FORMS = {
    "try_except": ("body", "handler"),
    "try_finally": ("body", "finally"),
    "try_except_finally": ("body", "handler", "finally"),
    "try_except_else": ("body", "handler", "else"),
    "try_except_else_finally": ("body", "handler", "else", "finally"),
    "with": ("body",),
    "async_with": ("body",),
}


def grid_source(form: str, awaits: tuple[str, ...]) -> str:
    def maybe(clause, indent):
        pad = "    " * indent
        return (
            f"{pad}log.append(('{clause} resumed', await tick('{clause}')))\n"
            if clause in awaits
            else ""
        )

    body = (
        "        log.append('body')\n"
        + maybe("body", 2)
        + "        if fail:\n"
        + "            raise KeyError('body')\n"
        + "        log.append('body end')\n"
    )
    handler = (
        "    except (KeyError, ValueError) as e:\n"
        "        log.append(('handler', repr(e), repr(sys.exc_info()[1])))\n"
        + maybe("handler", 2)
        + "        log.append(('handler end', repr(sys.exc_info()[1])))\n"
    )
    else_ = (
        "    else:\n        log.append('else')\n"
        + maybe("else", 2)
        + "        log.append('else end')\n"
    )
    finally_ = (
        "    finally:\n"
        "        log.append(('finally', repr(sys.exc_info()[1])))\n"
        + maybe("finally", 2)
        + "        log.append('finally end')\n"
    )
    if form in ("with", "async_with"):
        head = (
            "    with CM('w', suppress) as name:\n"
            if form == "with"
            else "    async with ACM('w', suppress) as name:\n"
        )
        text = head + "        log.append(('as', name))\n" + body
    else:
        text = "    try:\n" + body
        if "except" in form:
            text += handler
        if "else" in form:
            text += else_
        if "finally" in form:
            text += finally_
    return (
        CONTEXT_MANAGERS
        + "async def f(fail, suppress=False):\n"
        + text
        + "    log.append('after')\n    return 'done'\n"
    )


GRID = [
    (form, awaits)
    for form, clauses in FORMS.items()
    for awaits in [(clause,) for clause in clauses] + ([clauses] if len(clauses) > 1 else [])
]


GRID_CASES = [
    (form, awaits, call, thrown)
    for form, awaits in GRID
    for call in (["f(False)", "f(True)"] + (["f(True, True)"] if "with" in form else []))
    for thrown in (ValueError, TypeError)
]
RUNS = {"f(False)": "normal", "f(True)": "body_raises", "f(True, True)": "body_raises_suppressed"}
THROWN = {ValueError: "throw_caught_by_handler", TypeError: "throw_not_caught"}


def grid_id(form, awaits, call, thrown):
    return f"{form}-await_in_{'+'.join(awaits)}-{RUNS[call]}-{THROWN[thrown]}"


def grid_param(form, awaits, call, thrown):
    return pytest.param(form, awaits, call, thrown, id=grid_id(form, awaits, call, thrown))


@pytest.mark.parametrize(("form", "awaits", "call", "thrown"), [grid_param(*c) for c in GRID_CASES])
def test_grid_normal_raise_throw_close_at_every_suspension(form, awaits, call, thrown):
    check_every_script(grid_source(form, awaits), call, lambda: thrown("thrown"))


# -- single bullets ----------------------------------------------------------------------

CASES = {
    # A jump in a one-line body (``if x: return 1``) leaves the try as one on
    # a line of its own: recorded, so the awaiting finally completes it (its
    # value was lost: None returned).
    "jumps_in_one_line_bodies_leave_a_try_whose_finally_awaits": (
        """
        async def f(kind):
            for i in range(3):
                try:
                    if kind == "return": return ("returned", i)  # kept comment
                    if kind == "break": log.append("breaking"); break
                    if kind == "continue": log.append(i); continue
                    while kind == "inner": break
                    if kind == "raise": raise KeyError(i)
                    log.append(("body end", i))
                finally:
                    await tick(("finally", i))
                    log.append(("finally done", i))
            else:
                return "loop ended"
            return "broke out"
        """,
        ["f('return')", "f('break')", "f('continue')", "f('inner')", "f('raise')", "f('none')"],
    ),
    "jumps_in_one_line_bodies_leave_an_async_with_and_a_with_in_it": (
        """
        async def f(kind):
            for i in range(2):
                async with ACM("outer"):
                    with CM("inner"):
                        if kind == "return": x = i; return ("returned", x)
                        if kind == "break": break
                        if kind == "continue": continue
                    await tick(("after with", i))
            return "end"
        """,
        ["f('return')", "f('break')", "f('continue')", "f('none')"],
    ),
    "several_except_clauses_and_tuples": (
        """
        async def f(kind):
            errors = {"k": KeyError, "i": IndexError, "t": TypeError, "z": ZeroDivisionError}
            try:
                await tick("body")
                raise errors[kind](kind)
            except KeyError as e:
                await tick("key")
                log.append(("key", repr(e)))
            except (IndexError, TypeError) as e:
                log.append(("tuple", repr(e)))
                await tick("tuple")
                log.append(("tuple resumed", repr(e)))
            except Exception:
                await tick("exception")
                log.append("exception")
            return kind
        """,
        ["f('k')", "f('i')", "f('t')", "f('z')"],
    ),
    "as_name_unbound_after_handler": (
        """
        async def f():
            try:
                raise KeyError("k")
            except KeyError as e:
                await tick("handler")
                log.append(repr(e))
            try:
                return e
            except UnboundLocalError as error:
                log.append(("unbound", type(error).__name__))
            await tick("after")
            return e
        """,
        ["f()"],
    ),
    "as_name_unbound_even_if_bound_before": (
        """
        async def f():
            e = "before"
            try:
                await tick("body")
                raise KeyError("k")
            except KeyError as e:
                await tick("handler")
            return "e" in locals(), e
        """,
        ["f()"],
    ),
    "as_name_unbound_after_handler_left_by_break": (
        """
        async def f():
            for i in range(2):
                try:
                    raise KeyError(i)
                except KeyError as e:
                    await tick(i)
                    break
            return e
        """,
        ["f()"],
    ),
    "nested_try_depth_three_in_loops": (
        """
        async def f(n):
            total = 0
            for i in range(n):
                j = 0
                while j < 2:
                    j += 1
                    try:
                        try:
                            try:
                                await tick(("inner", i, j))
                                if (i + j) % 3 == 0:
                                    raise KeyError(i)
                                if (i + j) % 3 == 1:
                                    continue
                                total += 1
                            except KeyError as e:
                                await tick(("handler", i, j))
                                if i == 2:
                                    raise ValueError(i) from e
                                total += 10
                            finally:
                                log.append(("inner finally", i, j))
                                await tick(("inner finally", i, j))
                        except ValueError:
                            await tick(("middle", i, j))
                            if j == 2:
                                break
                        else:
                            log.append(("middle else", i, j))
                        finally:
                            await tick(("middle finally", i, j))
                    finally:
                        log.append(("outer finally", i, j))
                        if i == 3 and j == 1:
                            await tick("outer finally")
            return total
        """,
        ["f(4)"],
    ),
    "raise_from_after_await_in_handler": (
        """
        async def f():
            try:
                await tick("body")
                raise KeyError("original")
            except KeyError as e:
                await tick("handler")
                raise ValueError("wrapped") from e
        """,
        ["f()"],
    ),
    "raise_from_none_after_await": (
        """
        async def f():
            try:
                raise KeyError("original")
            except KeyError:
                await tick("handler")
                raise ValueError("no context shown") from None
        """,
        ["f()"],
    ),
    "bare_raise_after_await_in_handler": (
        """
        async def f():
            try:
                await tick("body")
                raise KeyError("original")
            except KeyError:
                await tick("handler")
                log.append(repr(sys.exc_info()[1]))
                raise
        """,
        ["f()"],
    ),
    "bare_raise_after_nested_handler_inside_handler": (
        """
        async def f():
            try:
                raise KeyError("outer")
            except KeyError:
                try:
                    await tick("inner body")
                    raise IndexError("inner")
                except IndexError:
                    await tick("inner handler")
                    log.append(repr(sys.exc_info()[1]))
                log.append(repr(sys.exc_info()[1]))
                await tick("outer handler")
                raise
        """,
        ["f()"],
    ),
    "exc_info_in_handler_after_await": (
        """
        async def f():
            log.append(repr(sys.exc_info()))
            try:
                raise KeyError("handled")
            except KeyError:
                await tick("handler")
                typ, value, tb = sys.exc_info()
                log.append((typ.__name__, repr(value), tb is not None))
                await tick("again")
                log.append(repr(sys.exc_info()[1]))
            log.append(repr(sys.exc_info()))
            return "ok"
        """,
        ["f()"],
    ),
    "exc_info_in_handler_after_awaiting_a_failing_coroutine": (
        """
        async def fails():
            await tick("inner")
            raise IndexError("inner")
        async def f():
            try:
                raise KeyError("handled")
            except KeyError:
                try:
                    await fails()
                except IndexError:
                    log.append(repr(sys.exc_info()[1]))
                log.append(repr(sys.exc_info()[1]))
                await tick("after")
                log.append(repr(sys.exc_info()[1]))
        """,
        ["f()"],
    ),
    "new_exception_in_handler_after_await_has_context": (
        """
        async def f():
            try:
                await tick("body")
                raise KeyError("handled")
            except KeyError:
                await tick("handler")
                raise ValueError("new")
        """,
        ["f()"],
    ),
    "exception_from_awaited_coroutine_in_handler_has_context": (
        """
        async def fails():
            await tick("inner")
            raise IndexError("from callee")
        async def f():
            try:
                raise KeyError("handled")
            except KeyError:
                await fails()
        """,
        ["f()"],
    ),
    "return_through_finally": (
        """
        async def f(await_in_finally):
            try:
                await tick("body")
                return "from body"
            finally:
                log.append("finally")
                if await_in_finally:
                    await tick("finally")
                log.append("finally end")
        """,
        ["f(False)", "f(True)"],
    ),
    "break_and_continue_through_finally": (
        """
        async def f(await_in_finally):
            for i in range(5):
                try:
                    await tick(("body", i))
                    if i == 1:
                        continue
                    if i == 3:
                        break
                    log.append(("body end", i))
                finally:
                    log.append(("finally", i))
                    if await_in_finally:
                        await tick(("finally", i))
            else:
                log.append("else")
            return i
        """,
        ["f(False)", "f(True)"],
    ),
    "return_in_finally_overrides_pending_exception": (
        """
        async def f(await_in_finally):
            try:
                await tick("body")
                raise KeyError("lost")
            finally:
                if await_in_finally:
                    await tick("finally")
                return "finally wins"
        """,
        ["f(False)", "f(True)"],
    ),
    "return_in_finally_overrides_pending_return": (
        """
        async def f(await_in_finally):
            try:
                await tick("body")
                return "body"
            finally:
                if await_in_finally:
                    await tick("finally")
                return "finally"
        """,
        ["f(False)", "f(True)"],
    ),
    "break_in_finally_overrides_pending_exception_and_return": (
        """
        async def f(await_in_finally):
            for i in range(3):
                try:
                    await tick(i)
                    if i == 0:
                        raise KeyError("lost")
                    return "lost return"
                finally:
                    if await_in_finally:
                        await tick(("finally", i))
                    log.append(("break", i))
                    break
            return ("after loop", i)
        """,
        ["f(False)", "f(True)"],
    ),
    "continue_in_finally_overrides_pending_exception": (
        """
        async def f(await_in_finally):
            for i in range(3):
                try:
                    await tick(i)
                    raise KeyError(i)
                finally:
                    if await_in_finally:
                        await tick(("finally", i))
                    continue
            return i
        """,
        ["f(False)", "f(True)"],
    ),
    "exception_in_finally_has_pending_as_context": (
        """
        async def f():
            try:
                await tick("body")
                raise KeyError("pending")
            finally:
                raise ValueError("from finally")
        """,
        ["f()"],
    ),
    "with_several_items_and_as_targets": (
        """
        async def f(fail):
            with CM("a") as a, CM("bc") as (b1, b2), CM("c"):
                log.append((a, b1, b2))
                await tick("inside")
                if fail:
                    raise KeyError("inside")
                x = await tick("inside again")
            log.append(x)
            return a
        """,
        ["f(False)", "f(True)"],
    ),
    "with_exit_returning_true_suppresses": (
        """
        async def f():
            with CM("outer"):
                with CM("inner", suppress=True) as name:
                    await tick("inside")
                    raise KeyError(name)
                log.append("suppressed")
                await tick("after inner")
            return "done"
        """,
        ["f()"],
    ),
    "with_exit_suppressing_thrown_exception_continues": (
        """
        async def f():
            for i in range(2):
                with CM(i, suppress=True):
                    await tick(("first", i))
                    await tick(("second", i))
                log.append(("after with", i))
            return "done"
        """,
        ["f()"],
    ),
    "with_return_break_continue_run_exit": (
        """
        async def f():
            for i in range(4):
                with CM(i):
                    await tick(i)
                    if i == 0:
                        continue
                    if i == 2:
                        break
            with CM("ret"):
                return await tick("return")
        """,
        ["f()"],
    ),
    "async_with_several_items_and_suppression": (
        """
        async def f(fail):
            async with ACM("a") as a, ACM("b", suppress=True) as b:
                log.append((a, b))
                await tick("inside")
                if fail:
                    raise KeyError("inside")
            log.append("after")
            async with ACM("c") as c:
                return c
        """,
        ["f(False)", "f(True)"],
    ),
    "async_with_aexit_suppresses_exception_from_body": (
        """
        async def f():
            async with ACM("s", suppress=True):
                await tick("body")
                raise KeyError("suppressed")
            return "after"
        """,
        ["f()"],
    ),
    "async_with_inside_except_and_finally": (
        """
        async def f():
            try:
                raise KeyError("k")
            except KeyError:
                async with ACM("in handler"):
                    log.append(repr(sys.exc_info()[1]))
                    await tick("handler body")
                log.append(repr(sys.exc_info()[1]))
            finally:
                async with ACM("in finally"):
                    await tick("finally body")
            return "done"
        """,
        ["f()"],
    ),
    "try_in_while_suspends_in_finally_then_continues": (
        """
        async def f():
            i = 0
            while i < 4:
                i += 1
                try:
                    if i % 2:
                        continue
                    await tick(("body", i))
                finally:
                    log.append(("finally", i))
                    await tick(("finally", i))
                    log.append(("finally resumed", i))
                log.append(("after try", i))
            return i
        """,
        ["f()"],
    ),
    "exception_group_except_star": (
        """
        async def f(split):
            try:
                await tick("body")
                if split:
                    raise ExceptionGroup("eg", [KeyError("k"), ValueError("v"), TypeError("t")])
                raise ExceptionGroup("eg", [KeyError("k1"), KeyError("k2")])
            except* KeyError as group:
                log.append(("keys", repr(group.exceptions)))
                await tick("keys")
                log.append(("keys resumed", repr(group.exceptions)))
            except* ValueError as group:
                await tick("values")
                log.append(("values", repr(group.exceptions)))
            return "done"
        """,
        ["f(False)", "f(True)"],
    ),
    "except_star_raising_new_exception_after_await": (
        """
        async def f():
            try:
                await tick("body")
                raise ExceptionGroup("eg", [KeyError("k")])
            except* KeyError:
                await tick("handler")
                raise ValueError("new")
        """,
        ["f()"],
    ),
    "except_star_with_awaits_outside_the_handlers": (
        """
        async def f(split):
            try:
                try:
                    await tick("body")
                    if split:
                        raise ExceptionGroup("eg", [KeyError("k"), ValueError("v"), TypeError("t")])
                    raise ExceptionGroup("eg", [KeyError("k1"), KeyError("k2")])
                except* KeyError as group:
                    log.append(("keys", repr(group.exceptions), repr(sys.exc_info()[1])))
                except* ValueError as group:
                    log.append(("values", repr(group.exceptions)))
                    raise IndexError("from except*")
                finally:
                    await tick("finally")
            except Exception as rest:
                log.append(("rest", repr(rest), repr(rest.__context__)))
                await tick("rest")
            return "done"
        """,
        ["f(False)", "f(True)"],
    ),
    "except_star_naked_exception_is_wrapped": (
        """
        async def f():
            try:
                await tick("body")
                raise KeyError("naked")
            except* KeyError as group:
                await tick("handler")
                log.append(repr(group))
            return "done"
        """,
        ["f()"],
    ),
}

XFAIL_ANY_THROW: dict[tuple[str, str], str] = {}
XFAIL_UNMATCHED_THROW = {}


def case_params(xfails):
    params = []
    for name, (_, calls) in sorted(CASES.items()):
        for call in calls:
            reason = xfails.get((name, call))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(name, call, id=f"{name}-{call}", marks=marks))
    return params


def case_source(name: str) -> str:
    return CONTEXT_MANAGERS + textwrap.dedent(CASES[name][0])


@pytest.mark.parametrize(("name", "call"), case_params(XFAIL_ANY_THROW))
def test_native_and_compiled_agree_under_every_script(name, call):
    check_every_script(case_source(name), call)


@pytest.mark.parametrize(
    ("name", "call"), case_params({**XFAIL_ANY_THROW, **XFAIL_UNMATCHED_THROW})
)
def test_thrown_exception_not_matched_by_any_handler(name, call):
    check_every_script(case_source(name), call, lambda: OSError("not handled anywhere"))


def test_exception_raised_in_finally_after_await_has_pending_as_context():
    source = """
        async def f():
            try:
                await tick("body")
                raise KeyError("pending")
            finally:
                await tick("finally")
                raise ValueError("from finally")
    """
    check_every_script(source, "f()")


def test_exc_info_in_finally_after_await_is_the_pending_exception():
    source = """
        import sys
        async def f():
            try:
                await tick("body")
                raise KeyError("pending")
            finally:
                log.append(repr(sys.exc_info()[1]))
                await tick("finally")
                log.append(repr(sys.exc_info()[1]))
    """
    check_every_script(source, "f()")


def test_exception_raised_in_finally_without_await_has_pending_as_context():
    source = """
        async def f():
            try:
                await tick("body")
                raise KeyError("pending")
            finally:
                log.append("finally")
                raise ValueError("from finally")
    """
    native = check(source, "f()")
    assert native[0][-1][1][3][0] == "KeyError", native


def test_exception_in_finally_after_await_when_no_exception_is_pending_has_no_context():
    source = """
        async def f():
            try:
                await tick("body")
            finally:
                await tick("finally")
                raise ValueError("from finally")
    """
    native = check(source, "f()")
    assert native[0][-1][1][3] is None, native
    check(source, "f()", [("send", 0), ("throw", lambda: KeyError("at the finally's await"))])
    check(source, "f()", [("send", 0), ("close",)])


def test_exc_info_in_coroutine_awaited_inside_a_handler():
    source = """
        import sys
        async def inner():
            log.append(repr(sys.exc_info()[1]))
            await tick("inner")
            log.append(repr(sys.exc_info()[1]))
        async def f():
            try:
                raise KeyError("handled")
            except KeyError:
                await inner()
    """
    check_every_script(source, "f()")


def test_exc_info_in_aexit_when_async_with_exits_with_an_exception():
    source = """
        import sys
        class ACM:
            async def __aenter__(self):
                return self
            async def __aexit__(self, typ, value, tb):
                log.append(repr(sys.exc_info()[1]))
                await tick("aexit")
                log.append(repr(sys.exc_info()[1]))
        async def f():
            async with ACM():
                await tick("body")
                raise KeyError("leaving")
    """
    check_every_script(source, "f()")


def test_close_while_suspended_in_finally_that_awaits_again_is_ignored_generatorexit():
    source = """
        async def f():
            try:
                await tick("body")
            finally:
                log.append("finally")
                await tick("finally 1")
                log.append("finally resumed")
                await tick("finally 2")
    """
    native = check(source, "f()", [("close",)])
    assert native[0][-1][1][:2] == ("RuntimeError", ("'coroutine ignored GeneratorExit'",)), native


def test_close_while_suspended_in_finally_whose_handler_awaits_again_is_ignored_generatorexit():
    source = """
        async def f():
            try:
                await tick("body")
            finally:
                try:
                    await tick("finally")
                except GeneratorExit:
                    log.append("caught in finally")
                    await tick("again")
    """
    native = check(source, "f()", [("send", 0), ("close",)])
    assert native[0][-1][1][:2] == ("RuntimeError", ("'coroutine ignored GeneratorExit'",)), native


def test_close_while_in_handler_that_catches_generatorexit_and_awaits():
    source = """
        async def f():
            try:
                await tick("body")
            except GeneratorExit:
                log.append("caught")
                await tick("handler")
    """
    native = check(source, "f()", [("close",)])
    assert native[0][-1][0] == "raise", native


def test_close_runs_every_pending_finally_and_exit_in_order():
    source = (
        CONTEXT_MANAGERS
        + """
async def f():
    with CM("outer"):
        try:
            try:
                await tick("deep")
            finally:
                log.append("inner finally")
        finally:
            log.append("outer finally")
"""
    )
    native = check(source, "f()", [("close",)])
    assert native[1] == [
        ("enter", "outer"),
        "inner finally",
        "outer finally",
        ("exit", "outer", "GeneratorExit", "GeneratorExit()", "GeneratorExit()"),
    ], native


def test_suspending_inside_try_does_not_run_finally():
    source = """
        async def f():
            try:
                await tick("body")
            finally:
                log.append("finally")
    """
    trace, logged = run(source, "f()", compiled=True)
    assert logged == ["finally"], logged
    namespace = load(source, compiled=True)
    coroutine = namespace["f"]()
    assert coroutine.send(None) == "body"
    assert namespace["log"] == [], "finally ran while suspending"
    coroutine.close()
    assert namespace["log"] == ["finally"]


# -- tracebacks --------------------------------------------------------------------------

TRACEBACK_SOURCE = """
    async def inner():
        await tick("inner")
        raise KeyError("deep")
    async def middle():
        try:
            return await inner()
        finally:
            await tick("middle finally")
    async def f():
        try:
            await middle()
        except KeyError:
            await tick("handler")
            raise
"""


def traceback_frames(compiled: bool):
    namespace = load(TRACEBACK_SOURCE, compiled)
    trace = []
    coroutine = namespace["f"]()
    try:
        while True:
            coroutine.send(None)
    except KeyError as error:
        tb = error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<subject>":
                trace.append(tb.tb_frame)
            tb = tb.tb_next
    return trace


def test_traceback_names_the_compiled_functions_it_passed_through():
    native = [frame.f_code.co_name for frame in traceback_frames(compiled=False)]
    assert native == ["f", "middle", "inner"]
    error = None
    namespace = load(TRACEBACK_SOURCE, compiled=True)
    coroutine = namespace["f"]()
    try:
        while True:
            coroutine.send(None)
    except KeyError as caught:
        error = caught
    names = [
        frame.name
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == "<subject>"
    ]
    assert names == native, f"native: {native}\ncompiled: {names}"


def machine_name(frame):
    owner = frame.f_locals.get("self")
    return getattr(owner, "_name", frame.f_code.co_name)


def test_traceback_has_one_frame_per_compiled_function_it_passed_through():
    native = [frame.f_code.co_name for frame in traceback_frames(compiled=False)]
    compiled = [machine_name(frame) for frame in traceback_frames(compiled=True)]
    assert compiled == native, f"native: {native}\ncompiled: {compiled}"


def test_traceback_includes_a_frame_of_each_compiled_function_in_order():
    native = [frame.f_code.co_name for frame in traceback_frames(compiled=False)]
    compiled = [machine_name(frame) for frame in traceback_frames(compiled=True)]
    collapsed = [name for i, name in enumerate(compiled) if i == 0 or compiled[i - 1] != name]
    assert collapsed == native, f"native: {native}\ncompiled: {compiled}"


# -- __context__ of an exception that crosses an await ------------------------------------
#
# CPython's rule (genobject.c): an exception thrown into a suspended coroutine is
# chained only to what that coroutine itself was handling where it suspended
# (gen_send_ex2 -> _PyErr_ChainStackItem, with the generator's own exception state);
# a throw forwarded to an awaited coroutine does not make the awaiting one's state
# current; and an exception that comes out of awaited code on send is passed on as
# it was raised there.  So every level that the thrown exception leaves while
# suspended inside a handler chains it again, and the outermost such level wins.

CROSSING_CONTEXTS = {
    "thrown_into_three_levels_each_in_a_handler": """
        async def c():
            await tick("c")
        async def b():
            try:
                raise KeyError("b")
            except KeyError:
                await c()
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                await b()
    """,
    "caught_where_thrown_then_new_exception_sees_no_outer_handler": """
        import sys
        async def inner():
            try:
                await tick("inner")
            except ValueError:
                pass
            log.append(repr(sys.exc_info()[1]))
            raise TypeError("new")
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                await inner()
    """,
    "raised_on_send_inside_the_awaited_functions_own_handler": """
        async def c():
            await tick("c")
            try:
                raise KeyError("c")
            except KeyError:
                raise TypeError("from c's handler")
        async def b():
            await c()
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                await b()
    """,
    "raised_on_send_with_context_cleared_by_hand": """
        async def inner():
            await tick("inner")
            error = TypeError("no context")
            try:
                raise error
            finally:
                error.__context__ = None
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                await inner()
    """,
    "thrown_into_a_finally_with_an_exception_pending": """
        async def inner():
            await tick("inner")
        async def f():
            try:
                raise KeyError("pending")
            finally:
                await inner()
    """,
    "thrown_into_a_finally_with_nothing_pending_while_the_caller_handles_one": """
        async def b():
            try:
                log.append("body")
            finally:
                try:
                    await tick("b finally")
                except ValueError as e:
                    log.append(repr(e.__context__))
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                await b()
    """,
    "generator_exit_sees_the_handled_exception": """
        async def f():
            try:
                raise KeyError("f")
            except KeyError:
                try:
                    await tick("in handler")
                except BaseException as thrown:
                    log.append((type(thrown).__name__, repr(thrown.__context__)))
                    raise
    """,
    "handled_exception_keeps_its_own_context_across_resumes": """
        async def gen():
            try:
                raise KeyError("gen")
            except KeyError as handled:
                yield 1
                log.append(repr(handled.__context__))
                await tick("gen")
                log.append(repr(handled.__context__))
                yield 2
        async def f():
            g = gen()
            await g.__anext__()
            try:
                raise OSError("f")
            except OSError:
                await g.__anext__()
            await g.aclose()
    """,
}


@pytest.mark.parametrize("name", sorted(CROSSING_CONTEXTS))
def test_context_of_an_exception_crossing_an_await(name):
    check_every_script(CROSSING_CONTEXTS[name], "f()")


def drive_while_handling(coroutine, action):
    """Step ``coroutine`` once, then throw/close/send from inside an except block."""
    trace = [("yield", repr(coroutine.send(None)))]
    try:
        raise OSError("the driver's")
    except OSError:
        try:
            if action == "throw":
                trace.append(("yield", repr(coroutine.throw(ValueError("thrown")))))
            elif action == "close":
                coroutine.close()
            else:
                trace.append(("yield", repr(coroutine.send(None))))
        except StopIteration as stop:
            trace.append(("return", repr(stop.value)))
        except BaseException as error:  # noqa: BLE001 - everything is observable
            trace.append(("raise", repr(error), repr(error.__context__)))
    return trace


@pytest.mark.parametrize("action", ["throw", "close", "send"])
@pytest.mark.parametrize(
    "body",
    [
        "await tick('plain')",
        "try:\n    await tick('in try')\nexcept ValueError as e:\n    log.append(repr(e.__context__))\n    raise",
        "try:\n    raise KeyError('own')\nexcept KeyError:\n    await tick('in handler')",
        "await tick('first')\nraise TypeError('after')",
    ],
)
def test_caller_handling_an_exception_is_not_the_context_of_what_the_coroutine_raises(body, action):
    # Natively the caller's exception is seen through the exception-state
    # chain by code that raises a new exception, but a thrown one is chained
    # only to the coroutine's own.
    source = "import sys\nasync def f():\n" + textwrap.indent(body, "    ") + "\n"
    observed = []
    for compiled in (False, True):
        namespace = load(source, compiled)
        observed.append((drive_while_handling(namespace["f"](), action), namespace["log"]))
    native, compiled = observed
    assert compiled == native, f"native:   {native}\ncompiled: {compiled}"


# test_contextlib_async's test_async_exit_exception_chaining and
# test_async_exit_exception_explicit_none_context, in small: what AsyncExitStack
# and asynccontextmanager (native code) raise out of an awaited __aexit__ keeps
# the context they gave it.
EXIT_STACKS = {
    "exit_stack_callbacks_chain_their_exceptions": """
        from contextlib import AsyncExitStack
        async def raise_exc(exc):
            await tick(("raise", exc.__name__))
            raise exc
        async def suppress_exc(*details):
            log.append((type(details[1]).__name__, repr(details[1].__context__)))
            return True
        async def f():
            async with AsyncExitStack() as stack:
                stack.push_async_callback(raise_exc, IndexError)
                stack.push_async_callback(raise_exc, KeyError)
                stack.push_async_callback(raise_exc, AttributeError)
                stack.push_async_exit(suppress_exc)
                stack.push_async_callback(raise_exc, ValueError)
                1 / 0
    """,
    "context_cleared_by_a_context_manager_stays_cleared": """
        from contextlib import AsyncExitStack, asynccontextmanager
        class MyException(Exception):
            pass
        @asynccontextmanager
        async def my_cm():
            try:
                yield
            except BaseException:
                await tick("my_cm handler")
                exc = MyException()
                try:
                    raise exc
                finally:
                    exc.__context__ = None
        @asynccontextmanager
        async def my_cm_with_exit_stack():
            async with AsyncExitStack() as stack:
                await stack.enter_async_context(my_cm())
                yield stack
        async def f():
            for cm in (my_cm, my_cm_with_exit_stack):
                try:
                    async with cm():
                        raise IndexError()
                except MyException as exc:
                    log.append(repr(exc.__context__))
    """,
}


@pytest.mark.parametrize("name", sorted(EXIT_STACKS))
def test_exception_out_of_awaited_exit_keeps_its_context(name):
    check_every_script(EXIT_STACKS[name], "f()")


# -- except* with awaits in its clauses ----------------------------------------------------

# What except* builds and changes, compared in depth: the nesting of groups, and the
# context, cause and notes of every part (the harness compares only type and args).
# Each case logs in depth what escapes it from the same coroutine: a coroutine left
# suspended inside another is finalized at once natively, but only by the garbage
# collector when compiled (saved exceptions hold its finished frames).
EXCEPT_STAR_PRELUDE = """
import sys

def deep(e, depth=0):
    if e is None or depth > 8:
        return None
    parts = [deep(x, depth + 1) for x in e.exceptions] if isinstance(e, BaseExceptionGroup) else None
    return (
        type(e).__name__,
        e.message if parts is not None else repr(e.args),
        parts,
        deep(e.__context__, depth + 1),
        deep(e.__cause__, depth + 1),
        e.__suppress_context__,
        getattr(e, "__notes__", None),
    )

"""

EXCEPT_STAR_CASES = {
    "several_clauses_split_a_nested_group": (
        """
        async def f(kind):
            try:
                try:
                    await tick("body")
                    raise ExceptionGroup(
                        "eg", [KeyError(1), ExceptionGroup("inner", [ValueError(2), KeyError(3)]), TypeError(4), OSError(5)]
                    )
                except* KeyError as g:
                    log.append(("K", deep(g), deep(sys.exc_info()[1])))
                    await tick("K")
                    log.append(("K resumed", deep(sys.exc_info()[1]), deep(g)))
                    if kind == "reraise":
                        raise
                    if kind == "new":
                        raise RuntimeError("from K")
                    if kind == "named":
                        raise g
                    if kind == "from":
                        raise RuntimeError("K") from g
                    if kind == "leaf":
                        raise g.exceptions[0]
                except* ValueError:
                    await tick("V")
                    raise IndexError("from V")
                except* TypeError as g:
                    log.append(("T", deep(g), deep(sys.exc_info()[1])))
                log.append(("after", repr(sys.exc_info()[1])))
                return "done"
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f('reraise')", "f('new')", "f('named')", "f('from')", "f('leaf')", "f('pass')"],
    ),
    "every_part_handled_and_nothing_raised": (
        """
        async def f():
            try:
                try:
                    await tick("body")
                    raise ExceptionGroup("eg", [KeyError(1), ValueError(2), KeyError(3)])
                except* KeyError as g:
                    await tick("K")
                    log.append(("K", deep(g)))
                except* (ValueError, TypeError) as g:
                    log.append(("V", deep(g)))
                    await tick("V")
                log.append(("after", repr(sys.exc_info()[1]), "g" in locals()))
                return "done"
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "naked_exception_is_wrapped_for_the_clause_that_matches": (
        """
        async def f(kind, exception):
            try:
                try:
                    await tick("body")
                    raise exception
                except* ValueError:
                    log.append("V")
                    await tick("V")
                except* KeyError as g:
                    log.append(("K", deep(g), g.__traceback__ is None, deep(sys.exc_info()[1])))
                    await tick("K")
                    if kind == "reraise":
                        raise
                    if kind == "new":
                        raise RuntimeError("from K")
                return "done"
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        [
            "f('reraise', KeyError('naked'))",
            "f('new', KeyError('naked'))",
            "f('pass', KeyError('naked'))",
            "f('pass', ValueError('naked'))",
            "f('pass', OSError('not matched'))",
            "f('reraise', KeyboardInterrupt('base'))",
        ],
    ),
    "base_exception_naked_is_wrapped_in_a_base_exception_group": (
        """
        async def f():
            try:
                try:
                    await tick("body")
                    raise KeyboardInterrupt("base")
                except* KeyboardInterrupt as g:
                    log.append(("KI", deep(g), type(g).__name__))
                    await tick("KI")
                    raise
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "no_exception_runs_else_and_finally": (
        """
        async def f(fail):
            try:
                try:
                    await tick("body")
                    if fail:
                        raise ExceptionGroup("eg", [KeyError(1), OSError(2)])
                    log.append("body end")
                except* KeyError:
                    await tick("K")
                    log.append(("K", repr(sys.exc_info()[1])))
                else:
                    log.append("else")
                    await tick("else")
                    log.append("else end")
                finally:
                    log.append(("finally", repr(sys.exc_info()[1])))
                    await tick("finally")
                    log.append("finally end")
                return "done"
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f(False)", "f(True)"],
    ),
    "return_break_and_continue_in_the_body_leave_through_finally": (
        """
        async def f():
            try:
                for i in range(5):
                    try:
                        await tick(("body", i))
                        if i == 1:
                            continue
                        if i == 3:
                            break
                        raise ExceptionGroup("eg", [KeyError(i)])
                    except* KeyError as g:
                        await tick(("K", i))
                        log.append(("K", deep(g)))
                    finally:
                        log.append(("finally", i))
                        await tick(("finally", i))
                try:
                    return await tick("return")
                except* KeyError:
                    await tick("never")
                finally:
                    await tick("return finally")
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "inside_an_except_block_the_handled_exception_is_the_context": (
        """
        async def f(kind):
            try:
                try:
                    raise LookupError("outer")
                except LookupError:
                    await tick("outer")
                    try:
                        await tick("body")
                        raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
                    except* KeyError as g:
                        log.append(("K", deep(g), deep(sys.exc_info()[1])))
                        await tick("K")
                        log.append(("K resumed", deep(sys.exc_info()[1])))
                        if kind == "reraise":
                            raise
                        raise RuntimeError("from K")
                    finally:
                        log.append(("finally", deep(sys.exc_info()[1])))
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f('reraise')", "f('new')"],
    ),
    "group_raised_from_a_nested_handler_keeps_its_context": (
        """
        async def raises():
            try:
                raise LookupError("nested")
            except LookupError:
                await tick("callee")
                raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
        async def f():
            try:
                try:
                    await raises()
                except* KeyError as g:
                    log.append(("K", deep(g)))
                    await tick("K")
                    raise
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "except_star_inside_an_except_star_clause": (
        """
        async def f():
            try:
                try:
                    await tick("outer body")
                    raise ExceptionGroup("outer", [KeyError(1), ValueError(2)])
                except* KeyError as outer:
                    try:
                        await tick("inner body")
                        raise ExceptionGroup("inner", [TypeError(3), OSError(4)])
                    except* TypeError as inner:
                        log.append(("inner", deep(inner), deep(sys.exc_info()[1])))
                        await tick("inner handler")
                        raise RuntimeError("from inner")
                    except* OSError:
                        log.append(("os", deep(sys.exc_info()[1])))
                    log.append(("outer", deep(outer), deep(sys.exc_info()[1])))
                except* ValueError:
                    await tick("V")
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "awaited_coroutine_sees_the_matched_part_as_handled": (
        """
        async def inner():
            log.append(("inner", deep(sys.exc_info()[1])))
            await tick("inner")
            raise IndexError("from inner")
        async def f():
            try:
                try:
                    raise ExceptionGroup("eg", [KeyError(1)])
                except* KeyError:
                    await inner()
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "clause_types_that_except_star_rejects": (
        """
        async def f(second):
            try:
                try:
                    await tick("body")
                    raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
                except* KeyError:
                    await tick("K")
                    raise RuntimeError("lost with the TypeError")
                except* second:
                    log.append("never")
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f(3)", "f(ExceptionGroup)", "f((ValueError, ExceptionGroup))", "f((ValueError, 'x'))"],
    ),
    "clause_types_are_evaluated_in_order_with_the_last_part_matched_handled": (
        """
        def kind(t):
            log.append(("type", getattr(t, "__name__", t), repr(sys.exc_info()[1])))
            return t
        async def f(last):
            try:
                try:
                    await tick("body")
                    raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
                except* kind(KeyError):
                    log.append(("K", repr(sys.exc_info()[1])))
                    await tick("K")
                except* kind(TypeError):
                    log.append("never")
                except* kind(ValueError):
                    await tick("V")
                    log.append(("V", repr(sys.exc_info()[1])))
                except* kind(last):
                    log.append("never")
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f(OSError)", "f(3)"],
    ),
    "type_expression_raising_has_the_last_part_matched_as_context": (
        """
        async def f():
            try:
                try:
                    await tick("body")
                    raise ExceptionGroup("eg", [KeyError(1)])
                except* KeyError:
                    await tick("K")
                    raise RuntimeError("lost with the NameError")
                except* undefined_name:
                    log.append("never")
                finally:
                    log.append(("finally", deep(sys.exc_info()[1])))
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "async_generator_yields_and_awaits_inside_except_star_clauses": (
        """
        async def gen():
            try:
                yield "body"
                raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
            except* KeyError:
                log.append(("K", deep(sys.exc_info()[1])))
                sent = yield "in K"
                log.append(("sent", sent))
                await tick("K")
                raise
            except* ValueError as g:
                yield ("in V", repr(g))
            log.append("after")
        async def f():
            try:
                items = []
                async for item in gen():
                    items.append(item)
                    await tick(item)
                return items
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "clause_with_async_with_and_try_finally_that_await": (
        """
        async def f(fail_in_else):
            try:
                try:
                    await tick("body")
                    if not fail_in_else:
                        raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
                except* KeyError as g:
                    async with ACM("in clause"):
                        log.append(("K", deep(sys.exc_info()[1])))
                        await tick("K")
                    try:
                        await tick("K try")
                        raise IndexError("in K")
                    finally:
                        log.append(("K finally", deep(sys.exc_info()[1])))
                        await tick("K finally")
                except* ValueError:
                    with CM("sync"):
                        await tick("V")
                        raise
                else:
                    await tick("else")
                    raise KeyError("from else: not for the clauses")
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f(False)", "f(True)"],
    ),
    "group_subclass_derives_its_parts": (
        """
        class Tagged(ExceptionGroup):
            def derive(self, excs):
                log.append(("derive", self.message, len(excs)))
                return Tagged(self.message + "+", excs)
        async def f():
            try:
                try:
                    await tick("body")
                    raise Tagged("eg", [KeyError(1), ValueError(2), OSError(3)])
                except* KeyError as g:
                    await tick("K")
                    log.append(("K", deep(g)))
                    raise
                except* ValueError as g:
                    g.add_note("note on the part")
                    await tick("V")
                    raise
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
    "metadata_changed_before_a_bare_raise": (
        """
        async def f(change):
            try:
                try:
                    await tick("body")
                    raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
                except* KeyError as g:
                    await tick("K")
                    if change == "context":
                        g.__context__ = LookupError("changed")
                    if change == "cause":
                        g.__cause__ = None
                    await tick("K again")
                    raise
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f('context')", "f('cause')", "f('nothing')"],
    ),
    "try_except_star_in_a_loop_each_time_afresh": (
        """
        async def f():
            try:
                caught = []
                for i in range(3):
                    try:
                        if i != 1:
                            raise ExceptionGroup("eg", [KeyError(i), ValueError(i)])
                    except* KeyError as g:
                        await tick(("K", i))
                        caught.append(repr(g))
                    except* ValueError as g:
                        caught.append(repr(g))
                        await tick(("V", i))
                return caught, sorted(k for k in locals() if not k.startswith("__"))
            except BaseException as escaped:
                log.append(("escaped", deep(escaped)))
                raise
        """,
        ["f()"],
    ),
}

EXCEPT_STAR_THROWN = {
    "value_error": lambda: ValueError("thrown"),
    "key_error": lambda: KeyError("thrown"),
    "group": lambda: ExceptionGroup("thrown", [KeyError("t"), OSError("u")]),
}


def except_star_params():
    return [
        pytest.param(name, call, thrown, id=f"{name}-{call}-throw_{thrown}")
        for name, (_, calls) in sorted(EXCEPT_STAR_CASES.items())
        for call in calls
        for thrown in EXCEPT_STAR_THROWN
    ]


@pytest.mark.parametrize(("name", "call", "thrown"), except_star_params())
def test_except_star_with_awaits_in_clauses_agrees_with_native(name, call, thrown):
    source = CONTEXT_MANAGERS + EXCEPT_STAR_PRELUDE + textwrap.dedent(EXCEPT_STAR_CASES[name][0])
    check_every_script(source, call, EXCEPT_STAR_THROWN[thrown])


def test_except_star_clause_that_awaits_is_spelled_out_and_the_others_stay_native():
    source = """
        async def f():
            try:
                await tick("body")
            except* KeyError:
                pass
            try:
                await tick("body")
            except* KeyError:
                await tick("handler")
    """
    code = compile_source(textwrap.dedent(source), "<subject>").code
    assert code.count("except* KeyError") == 1, code
    assert "ExceptStar(" in code, code


def test_group_left_by_except_star_whose_finally_awaits_inside_a_handler_has_no_context():
    # Natively the new ExceptionGroup('', ...) has no __context__; resuming the
    # awaiting finally must raise it again without chaining it to LookupError.
    check_every_script(
        """
        async def f():
            log = []
            try:
                try:
                    raise LookupError("P")
                except LookupError:
                    try:
                        await tick("body")
                        raise ExceptionGroup("eg", [KeyError(1), ValueError(2)])
                    except* ValueError as g:
                        raise g.exceptions[0]
                    finally:
                        await tick("finally")
            except BaseException as e:
                log.append((repr(e), repr(e.__context__)))
            return log
        """,
        "f()",
    )


# -- async with: what __aenter__ and __aexit__ return must be awaitable ------------------

ASYNC_WITH_RESULTS = """
    import types

    @types.coroutine
    def generator_based():
        yield "generator-based"
        return "entered"

    class Manager:
        def __init__(self, enter, exit_):
            self.enter, self.exit_ = enter, exit_
        def __aenter__(self):
            return self.enter()
        def __aexit__(self, *exc_info):
            return self.exit_()

    async def use(enter, exit_):
        async with Manager(enter, exit_) as entered:
            log.append(entered)
            await tick("body")
        return "after"
"""


@pytest.mark.parametrize(
    "call",
    [
        "use(lambda: 1, lambda: ready(False))",
        "use(lambda: ready('entered'), lambda: None)",
        "use(generator_based, generator_based)",
        "use(lambda: ready('entered'), lambda: ready(True))",
    ],
)
def test_async_with_checks_what_its_methods_return(call):
    check(ASYNC_WITH_RESULTS, call)
