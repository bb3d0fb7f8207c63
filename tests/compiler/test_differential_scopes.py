"""Native CPython versus compiled, for scopes and definitions (issue 4).

Every case runs the same source natively and through the compiler and compares
what is observable (see ``differential.py``); behaviour cases are also run with
a throw and a close at each suspension.  Metadata cases (``__name__``,
``__defaults__``, ``inspect.signature`` ...) load the source both ways as a
module with the same ``__name__`` and compare attribute by attribute.

Cases that expose a compiler bug are kept, marked ``xfail(strict=True)`` with
the reason, so that they start failing loudly when the bug is fixed.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import textwrap

import pytest

from statemachine_compiler import compile_source
from tests.compiler.differential import (
    PRELUDE,
    assert_same,
    assert_same_under_every_script,
    drive,
    run_both,
)

# -- behaviour: (source, call), each run under every throw/close script -------------------

CASES = {
    # Nested functions, lambdas, comprehensions and class bodies read the locals.
    "nested_def_reads_local_after_each_await": (
        """
        async def f(a):
            x = a
            def get():
                return x, a
            log.append(get())
            x = await tick("one")
            log.append(get())
            a = await tick("two")
            return get()
        """,
        "f(1)",
    ),
    "lambda_reads_local_after_await": (
        """
        async def f():
            k = 2
            times = lambda v: v * k
            k = await tick("k")
            return times(3), (lambda: k + 1)()
        """,
        "f()",
    ),
    "comprehensions_read_locals_after_await": (
        """
        async def f(n):
            base = await tick("base")
            lst = [base + i for i in range(n)]
            st = {base * i for i in range(n)}
            dc = {i: base for i in range(n)}
            gen = list(base - i for i in range(n) if i != base)
            nested = [[base + i + j for j in range(i)] for i in range(n)]
            return lst, sorted(st), dc, gen, nested
        """,
        "f(3)",
    ),
    "comprehension_variable_shadows_a_local": (
        """
        async def f():
            x = await tick("x")
            i = "outer i"
            squares = [x * x for x in range(4)]
            pairs = {i: x for i in range(2)}
            return x, i, squares, pairs
        """,
        "f()",
    ),
    "comprehension_walrus_binds_the_async_functions_local": (
        """
        async def f():
            last = None
            total = await tick("start")
            seen = [last := total + i for i in range(3)]
            await tick(last)
            return last, seen
        """,
        "f()",
    ),
    "comprehension_with_await_reads_locals": (
        """
        async def f():
            k = await tick("k")
            return [await ready(k + i) for i in range(3)]
        """,
        "f()",
    ),
    "generator_expression_created_before_await_runs_after": (
        """
        async def f():
            x = 1
            gen = (x + i for i in range(2))
            x = await tick("x")
            return list(gen)
        """,
        "f()",
    ),
    "class_body_reads_local_after_await": (
        """
        async def f():
            x = await tick("x")
            class K:
                attr = x
                doubled = [x * 2 for _ in range(1)]
                def method(self):
                    return x
            x = await tick("again")
            return K.attr, K.doubled, K().method(), K.__name__
        """,
        "f()",
    ),
    "nested_def_parameter_shadows_a_local": (
        """
        async def f():
            x = await tick("x")
            def g(x):
                return x * 10
            h = lambda x, y=x: (x, y)
            return g(2), h(3), x
        """,
        "f()",
    ),
    "nested_def_local_shadows_a_local": (
        """
        async def f():
            x = await tick("x")
            def g():
                x = "inner"
                return x
            return g(), x
        """,
        "f()",
    ),
    "nested_def_global_shadows_a_local": (
        """
        x = "global x"
        async def f():
            x = await tick("x")
            def g():
                global x
                r = x
                x = "set by g"
                return r
            r = g()
            return r, x, globals()["x"]
        """,
        "f()",
    ),
    "doubly_nested_function_reads_local": (
        """
        async def f():
            x = await tick("x")
            def outer():
                def inner():
                    return x
                return inner
            getter = outer()
            x = await tick("y")
            return getter()
        """,
        "f()",
    ),
    # nonlocal both ways
    "nonlocal_assignment_seen_by_the_async_function": (
        """
        async def f():
            count = 0
            def bump(k):
                nonlocal count
                count += k
                return count
            bump(await tick("a"))
            log.append(count)
            count = count * 10
            log.append(bump(1))
            await tick(count)
            return count
        """,
        "f()",
    ),
    "nonlocal_in_doubly_nested_function": (
        """
        async def f():
            v = 0
            def outer():
                def inner():
                    nonlocal v
                    v += 1
                inner()
                return v
            log.append(outer())
            v = await tick(v)
            return outer(), v
        """,
        "f()",
    ),
    "nonlocal_del_from_nested_function": (
        """
        async def f():
            v = await tick("v")
            def drop():
                nonlocal v
                del v
            drop()
            try:
                return v
            except NameError as e:
                return type(e).__name__, str(e)
        """,
        "f()",
    ),
    "closure_created_before_await_sees_later_assignment_to_parameter": (
        """
        async def f(p):
            get = lambda: p
            p = await tick("p")
            return get()
        """,
        "f(5)",
    ),
    # Lambdas in loops
    "lambdas_in_a_loop_with_default_capture": (
        """
        async def f():
            fs = []
            for i in range(3):
                await tick(i)
                fs.append(lambda i=i: i * 10)
            late = [lambda: i for i in range(2)]
            loop_late = []
            for j in range(3):
                loop_late.append(lambda: j)
                await tick(j)
            return [g() for g in fs], [g() for g in late], [g() for g in loop_late]
        """,
        "f()",
    ),
    "nested_defs_in_a_loop_capture_the_shared_cell": (
        """
        async def f():
            out = []
            n = 0
            while n < 3:
                n += 1
                def show(k=n):
                    return k, n
                out.append(show)
                await tick(n)
            return [g() for g in out]
        """,
        "f()",
    ),
    # Nested async def
    "nested_async_def_closes_over_outer_locals": (
        """
        async def f():
            x = await tick("x")
            async def inner(y):
                z = await tick("inner")
                return x + y + z
            r = await inner(await ready(1))
            x = 100
            return r, await inner(2)
        """,
        "f()",
    ),
    "nested_async_def_nonlocal_assigns_outer_local": (
        """
        async def f():
            total = 0
            async def add(k):
                nonlocal total
                total += await tick(k)
                return total
            await add("a")
            log.append(total)
            total *= 2
            await add("b")
            return total
        """,
        "f()",
    ),
    "nested_async_def_reads_outer_local_assigned_after_its_await": (
        """
        async def f():
            x = "before"
            async def inner():
                await tick("inner")
                return x
            coro = inner()
            x = await tick("outer")
            return await coro
        """,
        "f()",
    ),
    "nested_async_lambda_style_chain": (
        """
        async def f():
            level = 1
            async def a():
                nonlocal level
                level += 1
                async def b():
                    nonlocal level
                    level += await tick(level)
                    return level
                return await b()
            return await a(), level
        """,
        "f()",
    ),
    # The names the compiler writes in a nested machine (what an await
    # returns, the exception caught, an iterator's item...) are not the
    # enclosing compiled function's locals of the same names, which the
    # nested function never mentions (trio's test_serve_listeners_basic:
    # `async with ... as nursery` got the outer local `value`).
    "nested_async_def_beside_outer_locals_named_like_the_machinery": (
        """
        class Manager:
            async def __aenter__(self):
                return await tick("enter")
            async def __aexit__(self, *exc_info):
                log.append(("exit", exc_info[0]))
                await tick("exit")

        async def f():
            value = "outer value"
            error = "outer error"
            item = "outer item"
            caught = "outer caught"
            awaitable = "outer awaitable"
            yielded = "outer yielded"
            matched = "outer matched"
            async def inner():
                async with Manager() as entered:
                    log.append(entered)
                for n in [1, 2]:
                    log.append(await tick(n))
                try:
                    await tick("try")
                    raise KeyError("inner")
                except KeyError as e:
                    log.append(repr(e))
                match await tick("match"):
                    case 7:
                        log.append("seven")
                    case _:
                        log.append("other")
                return await ready("inner's result")
            result = await inner()
            return result, value, error, item, caught, awaitable, yielded, matched
        """,
        "f()",
    ),
    # global / nonlocal declared by the async function itself
    "global_declaration_in_the_async_function": (
        """
        counter = 10
        async def f():
            global counter
            counter += await tick("c")
            log.append(counter)
            del counter
            counter = "recreated"
            return counter
        """,
        "f()",
    ),
    "nonlocal_declaration_in_the_async_function": (
        """
        def make():
            n = 0
            async def step():
                nonlocal n
                n += await tick(n)
                return n
            def peek():
                return n
            return step, peek
        step, peek = make()
        async def f():
            a = await step()
            log.append(peek())
            b = await step()
            return a, b, peek()
        """,
        "f()",
    ),
    "async_def_in_plain_def_reads_enclosing_locals": (
        """
        def make(base):
            scale = 2
            async def worker(x):
                y = await tick(x)
                return base + y * scale
            return worker
        async def f():
            return await make(100)(3)
        """,
        "f()",
    ),
    # Methods
    "static_and_class_methods": (
        """
        class C:
            tag = "C"
            @staticmethod
            async def s(v):
                return await tick(v), v
            @classmethod
            async def c(cls, v):
                w = await tick(v)
                return cls.tag, w
        class D(C):
            tag = "D"
        async def f():
            return await C.s(1), await D.c(2), await D().c(3), await D().s(4)
        """,
        "f()",
    ),
    "property_returning_a_coroutine": (
        """
        class C:
            def __init__(self):
                self.n = 1
            @property
            async def value(self):
                v = await tick("prop")
                return self.n + v
        async def f():
            c = C()
            return await c.value, await c.value
        """,
        "f()",
    ),
    "zero_argument_super_after_awaits": (
        """
        class A:
            async def m(self, x):
                return "A", await tick(x)
            @classmethod
            async def c(cls, x):
                return "A.c", cls.__name__, await tick(x)
        class B(A):
            async def m(self, x):
                y = await tick("before super")
                r = await super().m(x + y)
                s = super()
                return "B", r, await s.m(0), type(s).__name__
            @classmethod
            async def c(cls, x):
                await tick("c")
                return ("B.c", await super().c(x))
        class C(B):
            pass
        async def f():
            return await C().m(1), await C.c(2), await B.c(3)
        """,
        "f()",
    ),
    "super_after_its_first_argument_is_deleted": (
        # Natively "super(): arg[0] deleted"; 3.12+'s super().attr reads the
        # argument as a local: UnboundLocalError.
        """
        class A:
            def who(self):
                return "A"
        class B(A):
            async def m(self):
                await tick("m")
                del self
                out = []
                try:
                    super().who()
                except Exception as e:
                    out.append(repr(e))
                try:
                    super()
                except Exception as e:
                    out.append(repr(e))
                def nested(me):
                    del me
                    try:
                        return super()
                    except Exception as e:
                        return repr(e)
                out.append(nested(1))
                return out
        async def f():
            return await B().m()
        """,
        "f()",
    ),
    "super_in_a_nested_function_and_lambda_in_a_method": (
        """
        class A:
            def who(self):
                return "A"
        class B(A):
            def who(self):
                return "B"
            async def m(self):
                await tick("m")
                get = lambda: super(B, self).who()
                return get(), __class__.__name__
        async def f():
            return await B().m()
        """,
        "f()",
    ),
    "dunder_class_in_a_method": (
        """
        class A:
            async def m(self):
                await tick("m")
                return __class__.__name__, type(self).__name__
            @staticmethod
            async def s():
                await tick("s")
                return __class__.__qualname__
        class B(A):
            pass
        async def f():
            return await B().m(), await B.s()
        """,
        "f()",
    ),
    "private_names_mangled_after_awaits": (
        """
        class Account:
            __rate = 3
            def __init__(self):
                self.__balance = 10
            async def __private(self, k):
                return self.__balance * await tick(k)
            def __helper(self):
                return "helper"
            async def m(self):
                self.__balance += await tick("b")
                r = await self.__private("p")
                __local = r + self.__rate
                return r, __local, self.__helper(), sorted(k for k in vars(self))
        async def f():
            return await Account().m()
        """,
        "f()",
    ),
    # The machine class of _Conn.get must not be spelled __Conn_get: the stub,
    # inside the class body, would read a mangled name (_Conn__Conn_get).
    "method_of_a_class_named_with_an_underscore": (
        """
        class _Conn:
            async def get(self, k):
                return await tick(k)
            class __Inner:
                async def m(self):
                    return await tick("inner")
            async def inner(self):
                return await self.__Inner().m()
        async def f():
            c = _Conn()
            return await c.get("g"), await c.inner()
        """,
        "f()",
    ),
    "closure_reads_a_parameter_after_the_coroutine_returned": (
        """
        async def serve(handler):
            async def serve_one(x):
                return await handler(x)
            return serve_one
        async def double(x):
            return 2 * await tick(x)
        async def f():
            one = await serve(double)
            return await one(21)
        """,
        "f()",
    ),
    "private_names_in_nested_class_and_lambda": (
        """
        class Outer:
            __x = "outer x"
            async def m(self):
                await tick("m")
                class Inner:
                    __y = "inner y"
                    def get(self):
                        return self.__y
                get = lambda: self.__x
                return Inner().get(), get(), sorted(n for n in vars(Inner) if "y" in n)
        async def f():
            return await Outer().m()
        """,
        "f()",
    ),
    "methods_of_a_class_defined_in_a_function": (
        """
        def make():
            secret = "s"
            class Local:
                async def m(self):
                    await tick("m")
                    return secret, __class__.__qualname__
            return Local
        async def f():
            return await make()().m()
        """,
        "f()",
    ),
    # Decorators
    "decorators_apply_in_order_and_see_the_stub": (
        """
        import functools
        def deco(tag):
            def apply(fn):
                log.append((tag, fn.__name__, fn.__qualname__, type(fn).__name__))
                @functools.wraps(fn)
                async def wrapper(*args, **kwargs):
                    log.append(("enter", tag))
                    r = await fn(*args, **kwargs)
                    log.append(("leave", tag))
                    return tag, r
                return wrapper
            return apply
        @deco("outer")
        @deco("inner")
        async def g(x):
            "doc of g"
            return await tick(x)
        async def f():
            log.append((g.__name__, g.__doc__, g.__wrapped__.__name__))
            return await g(1)
        """,
        "f()",
    ),
    "decorator_expressions_evaluated_before_the_function": (
        """
        def make(tag):
            log.append(("make", tag))
            def apply(fn):
                log.append(("apply", tag))
                return fn
            return apply
        @make("a")
        @make("b")
        async def g():
            return await tick("g")
        async def f():
            return await g()
        """,
        "f()",
    ),
    "plain_wrapper_with_functools_wraps": (
        """
        import functools
        def counted(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                log.append(("call", fn.__name__))
                return fn(*args, **kwargs)
            return wrapper
        @counted
        async def g(a, *, b=2):
            return a + b + await tick("g")
        async def f():
            return await g(1), await g(1, b=5), g.__wrapped__.__name__
        """,
        "f()",
    ),
    # Defaults
    "defaults_evaluated_once_at_definition": (
        """
        def default(tag):
            log.append(("default", tag))
            return []
        async def g(a=default("a"), *, k=default("k")):
            a.append(await tick("a"))
            k.append(len(a))
            return list(a), list(k)
        log.append("defined")
        async def f():
            return await g(), await g(), await g([]), await g(k=[])
        """,
        "f()",
    ),
    # Parameter kinds
    "positional_only_keyword_only_star_args_kwargs": (
        """
        async def g(a, b=2, /, c=3, *args, d, e=5, **kwargs):
            x = await tick("g")
            return a, b, c, args, d, e, sorted(kwargs.items()), x
        async def f():
            r1 = await g(1, d=4)
            r2 = await g(1, 2, 3, 4, 5, d=6, e=7, z=8, a=9, b=10)
            coroutine = g(1, 2, d=3)
            return r1, r2, await coroutine
        """,
        "f()",
    ),
    "keyword_only_without_default_missing_is_a_typeerror": (
        """
        async def g(*, k):
            return await tick(k)
        async def f():
            try:
                g()
            except TypeError as e:
                return str(e)
        """,
        "f()",
    ),
    "string_and_forward_annotations": (
        """
        async def g(a: "Later", b: int = 1, *args: "Later", k: "list[Later]" = None, **kw: str) -> "Later":
            return Later(await tick(a))
        class Later:
            def __init__(self, v):
                self.v = v
            def __repr__(self):
                return f"Later({self.v!r})"
        async def f():
            return await g(1), g.__annotations__["a"], g.__annotations__["return"]
        """,
        "f()",
    ),
    # Names that the machine uses itself
    "parameters_named_like_the_machine": (
        """
        async def g(self, state, resume, send, throw, close, value, error, item=1, *, bind=2, assign=3,
                    cr_await=4, _awaiting=5, saved_locals=6):
            got = await tick(state)
            return (self, state, resume, send, throw, close, value, error, item, bind, assign, cr_await,
                    _awaiting, saved_locals, got)
        async def f():
            return await g("self", "state", "resume", "send", "throw", "close", "value", "error")
        """,
        "f()",
    ),
    "locals_named_like_the_machine": (
        """
        async def f():
            self = await tick("self")
            state = await tick("state")
            resume = send = throw = close = "x"
            value = error = item = bind = assign = cr_await = _awaiting = saved_locals = await tick("many")
            frame = "frame"
            _class = "_class"
            getter = lambda: (state, value, _awaiting, frame, self)
            await tick("after")
            return (self, state, resume, send, throw, close, value, error, item, bind, assign,
                    cr_await, _awaiting, saved_locals, frame, _class, getter())
        """,
        "f()",
    ),
    "method_with_locals_named_frame_and_class": (
        """
        class A:
            async def m(self, frame, _class):
                x = await tick("x")
                return frame, _class, x, __class__.__name__, type(self).__name__
        class B(A):
            async def m(self, frame, _class):
                r = await super().m(frame, _class)
                return r, frame, _class
        async def f():
            return await B().m("frame", "_class")
        """,
        "f()",
    ),
    "nested_function_named_like_the_machine_members": (
        """
        async def f():
            def send(v):
                return ("my send", v)
            def resume():
                return "my resume"
            def state():
                return "my state"
            await tick("t")
            return send(1), resume(), state()
        """,
        "f()",
    ),
    # locals(), del, UnboundLocalError
    "locals_after_awaits": (
        """
        async def f(a, *args, k=1, **kw):
            log.append(sorted(locals().items()))
            x = await tick("x")
            log.append(sorted(locals().items()))
            y = await tick("y")
            del x
            return sorted(locals().items())
        """,
        "f(1, 2, k=3, z=4)",
    ),
    "locals_with_cells_and_free_variables": (
        """
        def make(outer):
            async def g(a):
                x = await tick("x")
                get = lambda: (x, a)
                return sorted(locals().items(), key=lambda kv: kv[0]) and sorted(
                    k for k in locals()
                ), outer
            return g
        async def f():
            return await make("o")(1)
        """,
        "f()",
    ),
    "del_local_then_read_raises_unboundlocalerror": (
        """
        async def f():
            x = await tick("x")
            del x
            await tick("deleted")
            try:
                return x
            except UnboundLocalError as e:
                return type(e).__name__, str(e)
        """,
        "f()",
    ),
    "del_local_then_read_unhandled": (
        """
        async def f():
            x = await tick("x")
            del x
            await tick("deleted")
            return x
        """,
        "f()",
    ),
    "read_before_assignment_after_await": (
        """
        async def f():
            await tick("t")
            try:
                print(x)
            except UnboundLocalError as e:
                log.append(str(e))
            x = 1
            return x
        """,
        "f()",
    ),
    "read_before_assignment_on_a_skipped_branch": (
        """
        async def f(flag):
            if flag:
                y = await tick("y")
            return y
        """,
        "f(False)",
    ),
    "parameter_deleted_then_read": (
        """
        async def f(p):
            del p
            await tick("t")
            return p
        """,
        "f(1)",
    ),
    # Class body name resolution
    "class_body_assigning_a_name_reads_the_global": (
        """
        x = "global"
        async def f():
            x = await tick("local")
            class K:
                y = x
                x = "class"
            class L:
                z = x
            return K.y, K.x, L.z
        """,
        "f()",
    ),
}


CASES.update(
    {
                    "super_method_locals": (
            """
            class A:
                async def m(self):
                    return await tick("A")
            class B(A):
                async def m(self):
                    r = await super().m()
                    return r, sorted(locals())
            async def f():
                return await B().m()
            """,
            "f()",
        ),
            }
)

CASES.update(
    {
        "async_def_in_a_plain_def_that_declares_nonlocal": (
            """
            def outer():
                n = 1
                def mid():
                    nonlocal n
                    async def leaf():
                        nonlocal n
                        n += await tick(n)
                        return n
                    return leaf
                return mid(), lambda: n
            async def f():
                leaf, peek = outer()
                r = await leaf()
                return r, peek(), await leaf(), peek()
            """,
            "f()",
        ),
        "class_with_async_methods_defined_inside_an_async_def": (
            """
            async def f():
                x = await tick("x")
                class K:
                    async def m(self):
                        await tick("m")
                        return x, __class__.__name__
                    @classmethod
                    async def c(cls):
                        return await tick(cls.__name__)
                x = 5
                return await K().m(), await K.c()
            """,
            "f()",
        ),
        "private_names_in_a_nested_async_def_of_a_method": (
            """
            class C:
                __k = "k"
                async def m(self):
                    async def inner():
                        await tick("inner")
                        return self.__k
                    __loc = await inner()
                    return __loc, sorted(locals())
            async def f():
                return await C().m()
            """,
            "f()",
        ),
        "defaults_of_a_nested_def_read_locals_at_definition": (
            """
            async def f():
                x = await tick("x")
                def g(a=x, b=lambda: x):
                    return a, b()
                x = 9
                return g()
            """,
            "f()",
        ),
        "nonlocal_from_a_method_of_a_local_class": (
            """
            async def f():
                n = 0
                class K:
                    def bump(self):
                        nonlocal n
                        n += 1
                await tick("t")
                K().bump()
                n = n * 10 + await tick("n")
                K().bump()
                return n
            """,
            "f()",
        ),
        "global_in_a_nested_async_def": (
            """
            g = 0
            async def f():
                g = "local"
                async def inner():
                    global g
                    g = await tick("g")
                await inner()
                return g, globals()["g"]
            """,
            "f()",
        ),
        "annotated_locals": (
            """
            async def f():
                x: int = await tick("x")
                y: str
                return x, sorted(locals())
            """,
            "f()",
        ),
        "method_parameters_named_frame_value_error_read_by_a_lambda": (
            """
            class C:
                async def m(self, value, error):
                    frame = "mine"
                    await tick("t")
                    return (lambda: (frame, value, error, self.__class__.__name__))()
            async def f():
                return await C().m(1, 2)
            """,
            "f()",
        ),
    }
)

# Cases of bugs since fixed (each was an xfail of this file).
CASES.update(
    {
        "del_unbound_local_raises_unboundlocalerror": (
            """
            async def f(flag):
                if flag:
                    x = 1
                await tick("t")
                del x
            """,
            "f(False)",
        ),
        "qualnames_of_definitions_inside_an_async_def": (
            """
            async def f():
                await tick("t")
                def g():
                    pass
                class K:
                    def m(self):
                        pass
                async def h():
                    pass
                return g.__qualname__, K.__qualname__, K.m.__qualname__, h.__qualname__, (lambda: 0).__qualname__
            """,
            "f()",
        ),
        "qualnames_of_definitions_inside_an_async_method": (
            """
            class C:
                async def m(self):
                    await tick("t")
                    def g():
                        pass
                    return g.__qualname__, [lambda: 0 for _ in "x"][0].__qualname__
            async def f():
                return await C().m()
            """,
            "f()",
        ),
        "exception_from_the_awaited_expression_bound_by_except_as": (
            """
            async def g(a):
                return await tick(a)
            async def f():
                try:
                    await g()
                except TypeError as e:
                    log.append(str(e))
                try:
                    await (1 / 0)
                except ZeroDivisionError as e:
                    return str(e)
            """,
            "f()",
        ),
        "read_before_assignment_in_a_closure": (
            """
            async def f():
                get = lambda: x
                await tick("t")
                try:
                    get()
                except NameError as e:
                    log.append((type(e).__name__, str(e)))
                x = await tick("x")
                return get()
            """,
            "f()",
        ),
        "del_local_read_by_a_closure": (
            """
            async def f():
                x = await tick("x")
                get = lambda: x
                del x
                await tick("deleted")
                return get()
            """,
            "f()",
        ),
        "del_unbound_local_from_a_closure_raises_nameerror": (
            """
            async def f():
                def drop():
                    nonlocal x
                    del x
                await tick("t")
                try:
                    drop()
                except NameError as e:
                    log.append((type(e).__name__, str(e)))
                x = await tick("x")
                drop()
                return sorted(locals())
            """,
            "f()",
        ),
        "eval_and_dir_see_the_locals": (
            """
            async def f(a):
                b = await tick("b")
                return eval("a + b"), dir()
            """,
            "f(1)",
        ),
        "except_as_name_read_by_a_closure_after_the_handler": (
            """
            async def f():
                try:
                    raise ValueError(await tick("v"))
                except ValueError as e:
                    get = lambda: e
                    await tick("in handler")
                    r = get().args
                try:
                    get()
                except NameError as err:
                    return r, type(err).__name__, str(err)
            """,
            "f()",
        ),
    }
)

# locals(): free variables (after the cells, sorted) and __class__ in nested functions.
CASES.update(
    {
        "locals_in_native_order_with_cells_and_free_variables": (
            """
            def make(outer, zed):
                aa = 1
                class B:
                    async def m(self, p):
                        q = await tick("q")
                        c = 2
                        f = lambda: c
                        r = (outer, zed, aa, __class__)
                        return list(locals())
                return B
            async def f():
                return await make(1, 2)().m(0)
            """,
            "f()",
        ),
        "locals_order_with_comprehensions_inlined_or_not": (
            # 3.11: what a comprehension reads is a cell (it is a function);
            # 3.12+ (PEP 709): list/set/dict comprehensions are inlined.
            """
            async def f(n):
                base = await tick("b")
                lst = [base + i for i in range(n)]
                gen = list(k * base for k in range(n))
                other = 1
                z = {w: other for w in range(n)}
                last = None
                seen = [last := i for i in range(n)]
                return list(locals())
            """,
            "f(2)",
        ),
        "locals_lists_the_free_variables_of_an_enclosing_async_def": (
            """
            async def f():
                x = await tick("x")
                y = 1
                async def inner(a):
                    b = await tick(a)
                    get = lambda: y
                    return list(locals())
                del y
                r1 = await inner(1)
                y = 2
                return r1, await inner(2)
            """,
            "f()",
        ),
        "locals_leaves_out_an_unbound_free_variable": (
            """
            def make():
                async def g():
                    await tick("g")
                    get = lambda: late
                    return sorted(locals()), dir()
                late = 1
                del late
                return g
            async def f():
                return await make()()
            """,
            "f()",
        ),
        "locals_lists_a_nonlocal_of_the_async_function": (
            """
            def make():
                n = 0
                async def step():
                    nonlocal n
                    n += await tick(n)
                    return list(locals())
                return step
            async def f():
                return await make()()
            """,
            "f()",
        ),
        "class_cell_in_nested_functions_of_a_method": (
            """
            class A:
                def who(self):
                    return "A"
            class B(A):
                def who(self):
                    return "B"
                async def m(self):
                    await tick("m")
                    get = lambda: __class__
                    def sup(me):
                        return super().who()
                    return get().__name__, sup(self), list(locals())
            async def f():
                return await B().m()
            """,
            "f()",
        ),
        "async_def_in_an_async_method_uses_super_and_class": (
            """
            class A:
                def who(self):
                    return "A"
            class B(A):
                def who(self):
                    return "B"
                async def m(self):
                    async def inner(me):
                        await tick("inner")
                        return super().who(), __class__.__name__, list(locals())
                    await tick("m")
                    return await inner(self), list(locals())
            async def f():
                return await B().m()
            """,
            "f()",
        ),
        "async_def_in_a_plain_method_uses_super_class_and_private_names": (
            """
            class A:
                def who(self):
                    return "A"
            class B(A):
                __secret = "s"
                def who(self):
                    return "B"
                def m(self):
                    async def inner():
                        await tick("inner")
                        return super(B, self).who(), __class__.__name__, self.__secret, list(locals())
                    return inner()
                def z(this):
                    async def inner2(other):
                        await tick("inner2")
                        return super().who()
                    return inner2(this)
            async def f():
                return await B().m(), await B().z()
            """,
            "f()",
        ),
        "locals_snapshot_kept_and_updated": (
            """
            async def f(p):
                d = locals()
                x = await tick("x")
                d["extra"] = "mine"
                e = locals()
                del p
                exec("y = 5")
                g = locals()
                return sorted(d), d is e, e is g, sorted(g), dir(), vars() is d
            """,
            "f(1)",
        ),
        "locals_snapshot_in_an_async_generator": (
            """
            async def agen():
                d = locals()
                x = await tick("x")
                yield d is locals(), sorted(d)
            async def f():
                out = []
                async for v in agen():
                    out.append(v)
                return out
            """,
            "f()",
        ),
    }
)

XFAIL: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=XFAIL[name]))
        if name in XFAIL
        else name
        for name in sorted(CASES)
    ],
)
def test_native_and_compiled_agree(name):
    source, call = CASES[name]
    assert_same_under_every_script(source, call)


def test_sends_reach_closures():
    source, call = CASES["nonlocal_assignment_seen_by_the_async_function"]
    assert_same(source, call, [("send", 7), ("send", 3)])


# -- metadata: load as a module natively and compiled, compare attribute by attribute -----


MODULE_NAME = "scopes_subject"


def load_module(source: str, compiled: bool, header: str = "") -> dict:
    """Like ``differential.load``, with an optional header (``from __future__ ...``)."""
    text = header + PRELUDE + textwrap.dedent(source)
    if compiled:
        text = compile_source(text, f"<{MODULE_NAME}>").code
    namespace = {"__name__": MODULE_NAME}
    exec(compile(text, f"<{MODULE_NAME}>", "exec"), namespace)
    return namespace


def normal(value):
    """A comparable form: objects defined by the module differ between the two loads."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(normal(v) for v in value)
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if callable(value) and hasattr(value, "__qualname__"):
        return f"<{type(value).__name__} {value.__qualname__}>"
    return repr(value)


def signature_of(function):
    signature = inspect.signature(function)
    parameters = [
        (p.name, p.kind, normal(p.default), normal(p.annotation))
        for p in signature.parameters.values()
    ]
    return parameters, normal(signature.return_annotation)


METADATA = (
    "__name__",
    "__qualname__",
    "__doc__",
    "__module__",
    "__annotations__",
    "__defaults__",
    "__kwdefaults__",
)


def assert_same_metadata(source: str, expression: str, header: str = ""):
    native = eval(expression, load_module(source, False, header))
    compiled = eval(expression, load_module(source, True, header))
    differences = []
    for attribute in METADATA:
        n, c = normal(getattr(native, attribute)), normal(getattr(compiled, attribute))
        if n != c:
            differences.append(f"{attribute}: native {n!r}, compiled {c!r}")
    n, c = signature_of(native), signature_of(compiled)
    if n != c:
        differences.append(f"signature: native {n}, compiled {c}")
    assert not differences, f"{expression}:\n" + "\n".join(differences)
    return native, compiled


METADATA_CASES = {
    "plain": (
        '''
        async def g(a, b: int = 2, /, c: "str" = "c", *args: int, d, e: float = 1.5, **kw: "Any") -> "list[int]":
            """Docstring of g.

            Second paragraph.
            """
            return await tick(a)
        ''',
        ["g"],
    ),
    "no_docstring_no_annotations": (
        """
        async def g(x, y=None, *, z=()):
            x = await tick(x)
            return x
        """,
        ["g"],
    ),
    "first_statement_string_not_docstring_when_expression": (
        """
        async def g():
            ("not" " a docstring") + "!"
            return await tick()
        """,
        ["g"],
    ),
    "methods": (
        '''
        class Service:
            """A service."""
            async def fetch(self, key: str = "k", *, retries: int = 3) -> int:
                """Fetch one key."""
                return await tick(key)
            @classmethod
            async def build(cls, *parts: str) -> "Service":
                """Build one."""
                return cls()
            @staticmethod
            async def helper(x, /, y=1, **options) -> None:
                return await tick(x)
            @property
            async def value(self) -> int:
                """The value."""
                return await tick("value")
            async def __private(self, __x=1):
                return await tick()
            class Inner:
                async def deep(self, q=[1, 2]):
                    """Deep."""
                    return await tick(q)
        ''',
        [
            "Service.fetch",
            "Service.build",
            "Service.helper",
            "Service.__dict__['helper'].__func__",
            "Service.value.fget",
            "Service._Service__private",
            "Service.Inner.deep",
            "Service().fetch",
        ],
    ),
    "nested_in_a_plain_function": (
        '''
        def make(base=1):
            async def worker(x: int = base) -> int:
                """Worker."""
                return await tick(x)
            return worker
        ''',
        ["make()"],
    ),
    "nested_in_an_async_function": (
        '''
        async def outer(k=2):
            async def inner(y=k, *, z: "Z" = None):
                """Inner."""
                return await tick(y)
            await tick("outer")
            return inner
        def get_inner():
            coroutine = outer()
            coroutine.send(None)
            try:
                coroutine.send(None)
            except StopIteration as stop:
                return stop.value
        ''',
        ["get_inner()"],
    ),
    "decorated": (
        '''
        import functools
        def keep(fn):
            return fn
        def wrap(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper
        @keep
        async def kept(a, b=1):
            """Kept."""
            return await tick(a)
        @wrap
        async def wrapped(a: int, /, b: str = "b", *, c=3) -> "R":
            """Wrapped."""
            return await tick(a)
        class C:
            @wrap
            async def m(self, x=1):
                """M."""
                return await tick(x)
        ''',
        ["kept", "wrapped", "wrapped.__wrapped__", "C.m", "C.m.__wrapped__"],
    ),
    "parameters_named_like_the_machine": (
        """
        async def g(self, state=1, /, resume=2, *send, throw, close=3, value: int = 4, **error):
            return await tick(state)
        class K:
            async def m(frame, self, _class=None, *, cr_await=None, saved_locals=None, _awaiting=None):
                return await tick(self)
        """,
        ["g", "K.m"],
    ),
    "lambda_defaults_and_mutable_defaults": (
        """
        async def g(f=lambda: 1, items=[1, 2], mapping={"a": 1}, *, k=frozenset()):
            return await tick(f())
        """,
        ["g"],
    ),
}


METADATA_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=METADATA_XFAIL[name]))
        if name in METADATA_XFAIL
        else name
        for name in sorted(METADATA_CASES)
    ],
)
def test_stub_metadata_matches_native(name):
    source, expressions = METADATA_CASES[name]
    for expression in expressions:
        assert_same_metadata(source, expression)


def test_metadata_with_postponed_annotations():
    source = """
        class C:
            async def m(self, a: Later, *, b: list[Later] = None) -> dict[str, Later]:
                return await tick(a)
        async def g(x: Later | None = None) -> Later:
            return await tick(x)
        class Later:
            pass
    """
    for expression in ("g", "C.m"):
        native, compiled = assert_same_metadata(
            source, expression, header="from __future__ import annotations\n"
        )
        assert compiled.__annotations__["return"] == native.__annotations__["return"]


def test_decorator_receives_the_stub_and_its_defaults_are_evaluated_once():
    source = """
        seen = []
        calls = []
        def default():
            calls.append("default")
            return 7
        def record(fn):
            seen.append(fn)
            return fn
        @record
        async def g(a=default()):
            return await tick(a)
    """
    for compiled in (False, True):
        namespace = load_module(source, compiled)
        assert namespace["seen"] == [namespace["g"]]
        assert namespace["calls"] == ["default"]
        assert drive(namespace["g"]()) == [("yield", "7"), ("return", "0")]
        assert drive(namespace["g"](3)) == [("yield", "3"), ("return", "0")]
        assert namespace["calls"] == ["default"]
        assert namespace["g"].__defaults__ == (7,)


def test_defaults_are_shared_across_calls_as_natively():
    source = """
        async def g(acc=[]):
            acc.append(await tick(len(acc)))
            return acc
        async def f():
            a = await g()
            b = await g()
            return a is b, list(a), g.__defaults__
    """
    assert_same(source, "f()", [("send", "x"), ("send", "y")])


COROUTINE_FUNCTION_SOURCE = """
    import functools
    async def plain(a):
        return await tick(a)
    class C:
        async def m(self):
            return await tick()
        @classmethod
        async def c(cls):
            return await tick()
        @staticmethod
        async def s():
            return await tick()
    def make():
        async def nested():
            return await tick()
        return nested
    partial = functools.partial(plain, 1)
    async def outer():
        async def inner():
            return await tick()
        await tick()
        return inner
    def inner_of_outer():
        coroutine = outer()
        coroutine.send(None)
        try:
            coroutine.send(None)
        except StopIteration as stop:
            return stop.value
"""
COROUTINE_FUNCTIONS = [
    "plain",
    "C.m",
    "C().m",
    "C.c",
    "C.s",
    "make()",
    "inner_of_outer()",
    "partial",
]


@pytest.mark.parametrize("expression", COROUTINE_FUNCTIONS)
def test_asyncio_iscoroutinefunction(expression):
    native = eval(expression, load_module(COROUTINE_FUNCTION_SOURCE, False))
    compiled = eval(expression, load_module(COROUTINE_FUNCTION_SOURCE, True))
    assert asyncio.iscoroutinefunction(native)
    assert asyncio.iscoroutinefunction(compiled)


@pytest.mark.parametrize("expression", COROUTINE_FUNCTIONS)
def test_inspect_iscoroutinefunction(expression):
    native = eval(expression, load_module(COROUTINE_FUNCTION_SOURCE, False))
    compiled = eval(expression, load_module(COROUTINE_FUNCTION_SOURCE, True))
    assert inspect.iscoroutinefunction(native)
    assert inspect.iscoroutinefunction(compiled)


def test_signature_objects_are_equal():
    source = """
        async def g(a, b: int = 2, /, c="c", *args, d, e: "E" = None, **kw) -> "R":
            return await tick(a)
    """
    native = load_module(source, False)["g"]
    compiled = load_module(source, True)["g"]
    assert inspect.signature(compiled) == inspect.signature(native)
    assert (
        inspect.signature(compiled).bind(1, d=2).arguments
        == inspect.signature(native).bind(1, d=2).arguments
    )


# -- errors: same messages -----------------------------------------------------------------


def test_unboundlocalerror_messages_match():
    source = """
        async def before():
            await tick()
            return x
            x = 1
        async def deleted():
            x = await tick()
            del x
            return x
        async def deleted_param(p):
            del p
            await tick()
            return p
    """
    for call in ("before()", "deleted()", "deleted_param(1)"):
        native, compiled = run_both(source, call)
        assert native[0][-1][0] == "raise"
        assert native[0][-1][1][0] == "UnboundLocalError"
        assert compiled == native


def test_wrong_arguments_give_the_same_typeerror():
    source = """
        async def g(a, /, b, *, c):
            return await tick()
        class K:
            async def m(self, x):
                return await tick()
    """
    calls = [
        "g()",
        "g(1)",
        "g(1, 2)",
        "g(a=1, b=2, c=3)",
        "g(1, 2, 3, c=4)",
        "g(1, 2, c=3, d=4)",
        "K().m()",
        "K.m()",
    ]
    native_ns, compiled_ns = load_module(source, False), load_module(source, True)
    for call in calls:
        messages = []
        for namespace in (native_ns, compiled_ns):
            try:
                coroutine = eval(call, namespace)
            except TypeError as error:
                messages.append(str(error))
            else:
                coroutine.close()
                messages.append(None)
        assert messages[0] is not None, call
        assert messages[1] == messages[0], call


# -- a module-level helper whose name looks like the machine's class ----------------------


def test_module_helper_named_like_the_generated_class():
    """``async def fetch`` and a module-level ``_fetch`` are common together."""
    source = """
        async def fetch(x):
            return await tick(x)
        def _fetch(x):
            return "helper", x
        async def f():
            return await fetch(1), _fetch(2)
    """
    assert_same_under_every_script(source, "f()")


def test_parameter_named_like_the_generated_class():
    source = """
        async def fetch(_fetch):
            return await tick(_fetch)
        async def f():
            return await fetch(1)
    """
    assert_same_under_every_script(source, "f()")


RUNTIME_NAMES_SOURCE = """
    StateMachine = AsyncGeneratorMachine = YieldValue = Handling = EXHAUSTED = "user's"
    async_iterator = next_awaitable = context_manager = With = AsyncWith = "user's"
    def coroutine_function(fn):
        return "user's"
    class CM:
        async def __aenter__(self):
            return await tick("enter")
        async def __aexit__(self, *exc):
            await tick("exit")
        def __enter__(self):
            return "sync"
        def __exit__(self, *exc):
            pass
    async def agen():
        for i in range(2):
            yield await tick(i)
    async def g():
        out = []
        for x in range(2):
            out.append(await tick(x))
        async for y in agen():
            out.append(y)
        async with CM() as c:
            out.append(c)
        with CM() as s:
            out.append(await tick(s))
        try:
            raise ValueError
        except ValueError:
            out.append(await tick("handling"))
        return out, (StateMachine, AsyncGeneratorMachine, YieldValue, Handling, EXHAUSTED,
                     async_iterator, next_awaitable, context_manager, With, AsyncWith)
    async def f():
        return await g(), coroutine_function(None)
"""


def test_user_names_like_the_runtime_imports():
    """Every name generated code imports from ``runtime`` is also a name of the module's own."""
    assert_same_under_every_script(RUNTIME_NAMES_SOURCE, "f()")


def test_module_binding_the_builtins_generated_code_calls():
    """``for`` calls iter/next, ``with`` type/BaseException, ``dir()`` sorted, ...: the builtins."""
    source = """
        import builtins
        def iter(x):
            return "user iter"
        def next(*a):
            return "user next"
        type = set = sorted = globals = "user's"
        class StopAsyncIteration(Exception):
            pass
        class AssertionError(Exception):
            pass
        class BaseException(Exception):
            pass
        class CM:
            def __enter__(self):
                return "cm"
            def __exit__(self, *exc):
                return False
        class AIter:
            def __init__(self):
                self.n = 0
            def __aiter__(self):
                return self
            async def __anext__(self):
                self.n += 1
                if self.n > 2:
                    raise builtins.StopAsyncIteration
                return await tick(self.n)
        async def g(flag):
            out = []
            for x in [1, 2]:
                out.append(await tick(x))
            async for y in AIter():
                out.append(y)
            with CM() as c:
                out.append(await tick(c))
            out.append(len({*[await tick("s")], 1}))
            out.append(sorted_ := {await tick(k) for k in "ab"})
            try:
                assert flag, await tick("msg")
            except builtins.AssertionError as e:
                out.append(e.__class__.__name__)
            out.append(dir())
            out.append(eval("flag"))
            return out, iter(1), next(1), type, set, sorted, globals
        async def f():
            return await g(False)
    """
    assert_same_under_every_script(source, "f()")


def test_user_names_like_the_runtime_imports_in_nested_scopes():
    source = """
        class K:
            def coroutine_function(self):
                return "method"
            async def m(self):
                return await tick(self.coroutine_function())
        def make():
            StateMachine = "local"
            async def inner():
                return await tick(StateMachine)
            return inner
        async def f():
            return await K().m(), await make()()
    """
    assert_same_under_every_script(source, "f()")


def test_suspended_method_reports_the_line_of_its_await():
    """Its body is rewritten (private names, super()); the states keep their source lines."""
    source = """
        class A:
            async def m(self):
                return "A"
        class B(A):
            __x = 1
            async def m(self):
                first = self.__x
                await tick("one")
                return await super().m()
    """
    lines = []
    for compiled in (False, True):
        coroutine = load_module(source, compiled)["B"]().m()
        coroutine.send(None)
        lines.append(coroutine.cr_frame.f_lineno)
        coroutine.close()
    assert lines[1] == lines[0]


AWAITS_INSIDE_STATEMENTS_OF_SEVERAL_LINES = """
    class Manager:
        async def __aenter__(self):
            await tick("enter")
        async def __aexit__(self, *exc):
            await tick("exit")
    async def items():
        await tick("item")
        yield 1
    async def f():
        pair = (1,
                await tick("second line of a tuple"))
        total = sum(
            [1, 2],
            (await tick("argument on its third line")) or 0,
        )
        if (pair and
                await tick("second line of an if's test")):
            pass
        async with (
                Manager()):
            pass
        async for item in (
                items()):
            pass
        return [
            item
            async for item in items()
        ]
"""


def test_a_suspension_inside_a_statement_of_several_lines_is_at_its_awaits_line():
    # cr_frame.f_lineno is what stack walks, pdb's where and Task.get_stack()
    # show for a suspended coroutine: natively the line of the await, not the
    # first line of the statement around it (3.13: an async with's manager's).
    lines = []
    for compiled in (False, True):
        coroutine = load_module(AWAITS_INSIDE_STATEMENTS_OF_SEVERAL_LINES, compiled)["f"]()
        seen = []
        try:
            while True:
                coroutine.send(None)
                seen.append(coroutine.cr_frame.f_lineno)
        except StopIteration:
            pass
        lines.append(seen)
    assert lines[1] == lines[0]


WITH_OF_SEVERAL_LINES = """
    class Missing:
        pass
    class FailsEntering:
        def __enter__(self): raise KeyError("enter")
        def __exit__(self, *exc): pass
        async def __aenter__(self): raise KeyError("aenter")
        async def __aexit__(self, *exc): pass
    class FailsExiting:
        def __enter__(self): pass
        def __exit__(self, *exc): raise KeyError("exit")
        async def __aenter__(self): pass
        async def __aexit__(self, *exc): raise KeyError("aexit")
    async def plain(manager):
        with (
                manager()) as entered:
            await tick("body")
    async def two_items(manager):
        with (
                FailsExiting(),
                manager()):
            await tick("body")
    async def asynchronous(manager):
        async with (
                manager()) as entered:
            await tick("body")
"""


@pytest.mark.parametrize("function", ["plain", "two_items", "asynchronous"])
@pytest.mark.parametrize("manager", ["Missing", "FailsEntering", "FailsExiting"])
def test_a_with_of_several_lines_fails_at_the_line_cpython_gives_it(function, manager):
    # 3.11 and 3.12 give the with statement's first line, 3.13 its manager's.
    from statemachine_compiler.importhook import compile_to_code

    source = PRELUDE + textwrap.dedent(WITH_OF_SEVERAL_LINES)
    lines = []
    for compiled in (False, True):
        # As the import hook loads it: the tracebacks' lines are the source's.
        if compiled:
            code = compile_to_code(source, f"<{MODULE_NAME}>")
        else:
            code = compile(source, f"<{MODULE_NAME}>", "exec")
        namespace = {"__name__": MODULE_NAME}
        exec(code, namespace)
        coroutine = namespace[function](namespace[manager])
        try:
            while True:
                coroutine.send(None)
        except (TypeError, AttributeError, KeyError) as error:
            traceback = error.__traceback__
        frames = []
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == f"<{MODULE_NAME}>":
                frames.append(traceback.tb_lineno)
            traceback = traceback.tb_next
        lines.append(frames)
    assert lines[1] == lines[0]


def test_an_async_generator_suspended_inside_a_statement_of_several_lines_is_at_its_line():
    source = """
        async def g():
            got = [0,
                   (yield "second line")]
            await tick("between")
            log = (got,
                   [(yield "in a list"),
                    await tick("after it")])
    """
    lines = []
    for compiled in (False, True):
        generator = load_module(source, compiled)["g"]()
        seen = []
        try:
            while True:
                step = generator.asend(None)
                try:
                    while True:
                        step.send(None)  # suspended at an await
                        seen.append(("await", generator.ag_frame.f_lineno))
                except StopIteration:  # suspended at a yield
                    seen.append(("yield", generator.ag_frame.f_lineno))
        except StopAsyncIteration:
            pass
        lines.append(seen)
    assert len(lines[0]) == 4
    assert lines[1] == lines[0]


# -- locals(): order and identity -----------------------------------------------------------


def test_locals_keys_in_native_order():
    source = """
        async def f(p, q):
            z = await tick("z")
            a = await tick("a")
            m = 1
            return list(locals())
    """
    assert_same_under_every_script(source, "f(1, 2)")


def test_locals_snapshot_semantics():
    source = """
        async def f():
            x = 1
            d = locals()
            x = await tick("x")
            return sorted(d), d["x"], d is locals()
    """
    assert_same_under_every_script(source, "f()")


def test_locals_inside_comprehensions_as_natively():
    # 3.12+ (PEP 709) runs list, set and dict comprehensions in the function's
    # frame: locals() there lists the function's locals with the loop
    # variables in their places, never resume's own (self, value, error).
    # Before 3.12 it is the comprehension's own frame.
    source = """
        async def f(p):
            a = 1
            await tick("a")
            r = [list(locals()) for x in range(1)]
            b = 2
            s = [[list(locals()) for y in range(1) if y == 0] for x in range(1)]
            await tick("b")
            t = [list(locals()) for a in range(1)]
            d = {k: list(locals()) for k in "q"}
            g = list(list(locals()) for z in range(1))
            v = [locals()["a"] for a in range(5, 6)]
            w = [locals() is locals() for x in range(1)]
            return r, s, t, d, g, v, w, list(locals())
    """
    assert_same_under_every_script(source, "f(0)")


def test_locals_lists_a_walrus_in_the_value_before_the_assigned_name():
    source = """
        async def f():
            r = (q := await tick("q"))
            return list(locals())
    """
    assert_same_under_every_script(source, "f()")


# -- Python 3.12+: PEP 695 type parameters and the type statement ----------------------------

needs_312 = pytest.mark.skipif(
    sys.version_info < (3, 12), reason="PEP 695 syntax needs Python 3.12"
)

PEP695_CASES = {
    "generic_function_metadata_and_await": (
        """
        async def g[T](x: T) -> T:
            return await tick(x)
        async def f():
            return await g(1), [p.__name__ for p in g.__type_params__]
        """,
        "f()",
    ),
    "generic_class_method_with_super": (
        """
        class A:
            async def m(self):
                return await tick("A")
        class B[T](A):
            async def m(self, x: T):
                r = await super().m()
                return r, __class__.__name__, x
        async def f():
            return await B().m(1)
        """,
        "f()",
    ),
    "type_statement_after_the_last_await": (
        """
        async def f():
            x = await tick("x")
            type Alias = list[int]
            return Alias.__name__, Alias.__value__
        """,
        "f()",
    ),
    "generic_nested_function": (
        """
        async def f():
            def g[T](x: T) -> T:
                return x
            v = await tick("v")
            return g(v), g.__type_params__[0].__name__
        """,
        "f()",
    ),
    "type_parameter_read_in_the_body": (
        """
        async def g[T](x):
            await tick("g")
            return T.__name__, (lambda: T)().__name__
        async def f():
            return await g(1)
        """,
        "f()",
    ),
    "class_type_parameter_read_in_a_method": (
        """
        class B[T]:
            async def m(self):
                await tick("m")
                return T.__name__
        async def f():
            return await B().m()
        """,
        "f()",
    ),
    "type_statement_before_an_await": (
        """
        async def f():
            x = int
            type Alias = list[x]
            x = await tick("x")
            return Alias.__name__, Alias.__value__
        """,
        "f()",
    ),
}

PEP695_CASES.update(
    {
        "type_parameters_are_the_stubs_own_objects": (
            """
            async def g[T, *Ts, **P](x: T) -> T:
                await tick("g")
                return (T is g.__type_params__[0], Ts is g.__type_params__[1], P is g.__type_params__[2],
                        g.__annotations__["x"] is T, (lambda: T)() is T, list(locals()))
            async def f():
                return await g(1)
            """,
            "f()",
        ),
        "class_type_parameters_in_methods_and_a_nested_class": (
            """
            class Box[T, U]:
                async def get[V](self, v: V) -> tuple[T, V]:
                    await tick("get")
                    return (T is Box.__type_params__[0], V is Box.get.__type_params__[0],
                            Box.get.__annotations__["return"] == tuple[T, V], list(locals()))
                @classmethod
                async def make(cls):
                    return await tick(U.__name__), sorted(locals()), __class__.__name__
                class Inner:
                    async def deep(self):
                        await tick("deep")
                        return T.__name__, list(locals())
            async def f():
                return await Box().get(1), await Box.make(), await Box.Inner().deep()
            """,
            "f()",
        ),
        "type_parameters_shadow_an_enclosing_local": (
            """
            async def f():
                T = "outer local"
                async def g[T](x: T) -> T:
                    return await tick(T.__name__), g.__annotations__["x"] is g.__type_params__[0]
                def h[T](y: T):
                    return T.__name__, h.__annotations__["y"] is h.__type_params__[0]
                class K[T]:
                    name = T.__name__
                return await g(1), h(2), K.name, T
            """,
            "f()",
        ),
        "generic_async_def_in_a_plain_function": (
            """
            def make(base):
                async def g[T](x: T):
                    y = await tick(x)
                    return base + y, T.__name__, list(locals())
                return g
            async def f():
                return await make(10)(1)
            """,
            "f()",
        ),
        "type_parameter_in_a_nested_function_and_a_comprehension": (
            """
            async def g[T](xs):
                await tick("g")
                def inner():
                    return T
                return [T for _ in xs][0] is T, inner() is T, sorted(locals())
            async def f():
                return await g([1])
            """,
            "f()",
        ),
    }
)

PEP695_XFAIL: dict[str, str] = {}


@needs_312
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=PEP695_XFAIL[name]))
        if name in PEP695_XFAIL
        else name
        for name in sorted(PEP695_CASES)
    ],
)
def test_pep695_native_and_compiled_agree(name):
    source, call = PEP695_CASES[name]
    assert_same_under_every_script(source, call)


@needs_312
def test_pep695_stub_metadata():
    source = """
        async def g[T, *Ts, **P](x: T, *args: *Ts) -> T:
            return await tick(x)
        class C[K]:
            async def m[V](self, k: K, v: V) -> dict[K, V]:
                return await tick(k)
    """
    for expression in ("g", "C.m"):
        native, compiled = assert_same_metadata(source, expression)
        assert [p.__name__ for p in compiled.__type_params__] == [
            p.__name__ for p in native.__type_params__
        ]
