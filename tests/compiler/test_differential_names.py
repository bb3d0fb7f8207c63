"""Native CPython versus compiled, for names (issue 11).

A compiled function's body moves into ``resume`` of a generated class, next to
the names of the machinery; Python's own rules for names must keep holding
there: private-name mangling exactly as CPython applies it (and never the
machine class's), user names that look like the machinery's, identifiers that
are one name under NFKC, zero-argument ``super()`` and its errors, generated
code that no user name can shadow, and the qualified names of what the body
defines.
"""

from __future__ import annotations

import pytest

from tests.compiler.differential import assert_same_under_every_script

CASES = {
    # -- item 3: classes whose names start with "_" ------------------------------------
    "async_methods_of_underscore_classes": (
        """
        class _Mixin:
            async def get(self):
                return "mixin", await tick("m")
        class __X:
            async def get(self):
                return "X", await tick("x")
        class ___:
            async def get(self):
                return "underscores", await tick("u")
        class _Y(_Mixin):
            async def get(self):
                return "Y", await super().get()
        async def f():
            return await _Mixin().get(), await __X().get(), await ___().get(), await _Y().get()
        """,
        "f()",
    ),
    "private_names_in_underscore_classes": (
        """
        class _Account:
            __rate = 2
            async def m(self):
                self.__balance = await tick("b")
                __local = self.__rate
                return self.__balance, __local, sorted(vars(self)), sorted(locals())
        class ___:
            __rate = 3
            async def m(self):
                await tick("u")
                __local = 1
                return sorted(locals()), [n for n in vars(___) if "rate" in n]
        async def f():
            return await _Account().m(), await ___().m()
        """,
        "f()",
    ),
    # -- item 4: name mangling as CPython does it ------------------------------------
    "private_locals_of_a_module_level_function": (
        """
        async def f(__p):
            __local = await tick("l")
            __local += __p
            del __p
            return __local, sorted(locals())
        """,
        "f(3)",
    ),
    "private_globals_of_a_module_level_function": (
        """
        __cache = {}
        class __Private:
            pass
        def __helper():
            return "helper"
        async def f():
            global __counter
            __counter = 1
            __counter += await tick("c")
            __cache["k"] = await tick("k")
            def nested():
                global __counter
                __counter += 10
                return __counter, __cache, __helper()
            return nested(), type(__Private()).__name__, [__counter for _ in "x"]
        """,
        "f()",
    ),
    "keyword_names_are_not_mangled": (
        """
        class K:
            async def m(self, **kw):
                await tick("m")
                return dict(__kw=1), kw
        async def f():
            return await K().m(__other=2)
        """,
        "f()",
    ),
    "private_class_and_def_defined_in_an_async_method": (
        """
        class K:
            async def m(self):
                await tick("m")
                class __Inner:
                    __x = 1
                    def get(self):
                        return self.__x
                def __helper():
                    return "helper"
                async def __co():
                    return await tick("co")
                return (
                    __Inner.__name__, __Inner.__qualname__, __Inner().get(),
                    __helper(), __helper.__name__, sorted(locals()),
                    __co.__name__, __co.__qualname__, await __co(),
                )
        async def f():
            return await K().m()
        """,
        "f()",
    ),
    "private_names_mangled_in_every_binding_form": (
        """
        import os as __os
        class K:
            async def m(self, __a, *__args, __kw=1, **__kws):
                await tick("m")
                import os.path as __p
                for __i in range(2):
                    pass
                with open(__file__ if False else __import__("os").devnull) as __fh:
                    pass
                try:
                    1 / 0
                except ZeroDivisionError as __e:
                    __caught = type(__e).__name__
                (__w := 5)
                match {"k": 1}:
                    case {"k": __v, **__rest}:
                        pass
                __d = {"x": 1}
                return sorted(locals()), __a, __args, __kw, __kws, __caught, __v
        async def f():
            return await K().m(1, 2, 3, __kw=4, __z=5)
        """,
        "f()",
    ),
    "dunder_and_dotted_names_are_not_mangled": (
        """
        class K:
            __dunder__ = "d"
            async def m(self):
                await tick("m")
                __x__ = 1
                import os.path
                return self.__dunder__, __x__, sorted(locals()), type(self).__name__
        async def f():
            return await K().m()
        """,
        "f()",
    ),
    # -- item 6: locals named like the machinery ------------------------------------
    "locals_named_like_the_coroutine_machinery": (
        """
        async def f():
            _send = 1; _throw = 2; _advance = 3; _check_resumable = 4; _release_locals = 5
            __init__ = 6; __slots__ = 7; __doc__ = 8; __module__ = 9; __dict__ = 10
            __weakref__ = 11; __qualname__ = 12; __class__x = 13; resume = 14; state = 15
            _name = 16; _qualname = 17; _lines = 18; _temporaries = 19; _renamed = 20
            __firstlineno__ = 21; __static_attributes__ = 22; __classcell__ = 23
            await tick("t")
            return sorted(locals().items())
        """,
        "f()",
    ),
    "locals_named_like_the_async_generator_machinery": (
        """
        async def agen():
            _step = 1; __aiter__ = 2; __anext__ = 3; aclose = "x"; asend = 4; athrow = 5
            _hooked = 6; _finalizer = 7; _first_iteration = 8; __del__ = 9
            yield 1
            await tick("t")
            yield sorted(locals().items())
        async def f():
            g = agen()
            first = await g.__anext__()
            second = await g.asend(None)
            try:
                await g.athrow(ValueError("v"))
            except ValueError as e:
                third = str(e)
            await g.aclose()
            return first, second, third, [x async for x in agen()]
        """,
        "f()",
    ),
    # -- item 11: identifiers equal under NFKC ------------------------------------
    "nfkc_equal_identifiers_are_one_name": (
        """
        async def f(\ufb01le, \uff58=2):
            await tick("t")
            \uff59 = file + x
            return file, x, y, \uff59, sorted(locals())
        """,
        "f(1)",
    ),
    # -- item 12: zero-argument super() and its errors -------------------------------
    "zero_argument_super_errors": (
        """
        class A:
            def who(self):
                return "A"
        class B(A):
            async def parameterless_nested_async_def(self):
                async def inner():
                    await tick("inner")
                    return super().who()
                return await inner()
            async def star_args_only(*args):
                await tick("star")
                return super().who()
            @staticmethod
            async def static():
                await tick("static")
                return super().who()
            async def in_a_generator_expression(self):
                await tick("genexp")
                return list(super().who() for _ in "x")
            async def in_a_list_comprehension(self):
                await tick("listcomp")
                return [super().who() for _ in "x"]  # 3.12+ inlines it: it works
            async def in_a_parameterless_nested_def(self):
                def plain():
                    return super().who()
                await tick("plain")
                return plain()
            async def first_argument_rebound(self):
                self = 5
                await tick("rebound")
                return super().who()
            async def in_a_lambda(self):
                await tick("lambda")
                return (lambda: super().who())(), (lambda x: super().who())(self)
        async def f():
            out = []
            for name in [n for n in vars(B) if not n.startswith("__")]:
                try:
                    out.append((name, await getattr(B(), name)()))
                except (RuntimeError, TypeError, AttributeError) as e:
                    out.append((name, type(e).__name__, str(e)))
            return out
        """,
        "f()",
    ),
    # -- item 17: generated code reaches nothing through a user's name ------------------
    "enclosing_locals_named_like_resume_parameters": (
        """
        def outer():
            value = "outer value"
            error = "outer error"
            self = "outer self"
            frame = "outer frame"
            awaitable = "outer awaitable"
            async def reads_nothing():
                x = await tick("inner's result")
                return x
            async def reads_them():
                x = await tick("inner's result")
                return x, value, error, self, frame, awaitable
            return reads_nothing, reads_them
        async def f():
            a, b = outer()
            return await a(), await b()
        """,
        "f()",
    ),
    "parameters_named_like_the_builtins_generated_code_calls": (
        """
        class CM:
            async def __aenter__(self):
                return await tick("enter")
            async def __aexit__(self, *exc):
                await tick("exit")
                return False
        async def agen():
            yield 1
        async def f(type=1, iter=2, next=3, set=4, sorted=5, BaseException=6, globals=7):
            async with CM() as c:
                await tick("body")
            async for i in agen():
                await tick(i)
            return c, type, iter, next, set, sorted, BaseException, globals, sorted
        """,
        "f()",
    ),
    "enclosing_local_named_baseexception_and_a_bare_except_that_awaits": (
        """
        def outer(BaseException=6):
            async def f():
                try:
                    raise ValueError("v")
                except:
                    await tick("in handler")
                    return "handled", BaseException
            return f
        async def f():
            return await outer()()
        """,
        "f()",
    ),
    "enclosing_locals_named_like_every_name_generated_code_uses": (
        """
        class CM:
            async def __aenter__(self):
                return await tick("enter")
            async def __aexit__(self, *exc):
                return False
        async def agen():
            yield "g"
        def outer(
            StopAsyncIteration=1, next_awaitable=2, context_manager=3, AssertionError=4,
            set=5, type=6, iter=7, next=8, sorted=9, globals=10, BaseException=11,
            StateMachine=12, coroutine_function=13, Handling=14, YieldValue=15,
            EXHAUSTED=16, async_iterator=17, ExceptStar=18, AsyncGeneratorMachine=19,
            super_without_arguments=20, super_in_comprehension=21, With=22, AsyncWith=23,
        ):
            async def f():
                async for x in agen():
                    await tick(x)
                async with CM() as c:
                    await tick(c)
                for i in [1, 2]:
                    await tick(i)
                try:
                    assert await tick("assert"), await tick("message")
                except AssertionError:
                    pass
                s = {await tick("s"), 2}
                try:
                    raise ValueError("v")
                except ValueError:
                    await tick("handling")
                return s, sorted([StopAsyncIteration, set, type, iter, next])
            async def ag():
                yield await tick("ag")
            return f, ag
        async def f():
            first, ag = outer()
            return await first(), [x async for x in ag()]
        """,
        "f()",
    ),
    "class_body_names_like_the_runtime_names": (
        """
        class K:
            coroutine_function = "mine"
            StateMachine = "mine too"
            super_without_arguments = 3
            async def m(self):
                await tick("m")
                return self.coroutine_function, self.StateMachine, super().__class__.__name__
            @staticmethod
            async def s():
                await tick("s")
                try:
                    super()
                except RuntimeError as e:
                    return str(e)
        async def f():
            return await K().m(), await K.s()
        """,
        "f()",
    ),
    "a_star_import_that_binds_the_builtins_generated_code_calls": (
        """
        import sys, types
        shadowing = types.ModuleType("shadowing_builtins")
        for _name in ("iter", "next", "type", "sorted", "set", "globals"):
            setattr(shadowing, _name, lambda *args, _name=_name: "shadowed " + _name)
        shadowing.__all__ = ["iter", "next", "type", "sorted", "set", "globals"]
        sys.modules["shadowing_builtins"] = shadowing
        from shadowing_builtins import *
        class CM:
            async def __aenter__(self):
                return await tick("enter")
            async def __aexit__(self, *exc):
                return False
        async def f():
            out = []
            for i in [1, 2]:
                out.append(await tick(i))
            async with CM() as c:
                await tick("body")
            return out, c, dir()
        """,
        "f()",
    ),
    # -- item 20: qualified names of what the body defines -------------------------------
    "qualnames_of_a_class_and_its_contents_defined_in_an_async_def": (
        """
        async def f():
            await tick("t")
            class Local:
                class Nested:
                    def m(self):
                        pass
                def m(self):
                    return [lambda: 0 for _ in "x"][0].__qualname__
            def g():
                class InG:
                    pass
                return InG
            return (
                Local.__qualname__, Local.Nested.__qualname__, Local.Nested.m.__qualname__,
                Local().m(), g().__qualname__, (x for x in "y").__qualname__,
            )
        """,
        "f()",
    ),
    "async_generator_methods_are_named_as_natively": (
        """
        async def agen():
            yield await tick("y")
        async def f():
            g = agen()
            names = ("__aiter__", "__anext__", "asend", "athrow", "aclose")
            return [(getattr(g, n).__name__, getattr(g, n).__qualname__) for n in names]
        """,
        "f()",
    ),
    # -- names the compiler makes: never private (asyncstdlib's ``k async for k, _``) --
    "comprehension_targets_named_with_underscores": (
        """
        async def agen():
            for i in range(3):
                yield i, await tick(i)
        class K:
            async def m(self):
                return [(_, __x) async for _, __x in agen()]
        async def f():
            return ([k async for k, _ in agen()], [__y async for __y, ___ in agen()],
                    await K().m())
        """,
        "f()",
    ),
    # -- item 4: private names where no class of the user's mangles ------------------
    # The machine's class is named only with "_"s there, which mangles nothing.
    "private_attribute_outside_a_mangling_class": (
        # Python does not mangle ``obj.__x`` in a module-level function or a
        # class named only "_"s; in a machine class named otherwise it would be.
        """
        class ___:
            __rate = 3
            async def m(self):
                await tick("u")
                return self.__rate
        class Box:
            pass
        async def f():
            box = Box()
            setattr(box, "__x", 1)
            return box.__x, await ___().m()
        """,
        "f()",
    ),
    "private_attributes_stored_and_updated_in_a_module_function": (
        """
        class Box:
            pass
        async def f():
            box = Box()
            await tick()
            box.__y = 2
            box.__y += await tick("add")
            del box.__y
            box.__z = 1
            return sorted(vars(box))
        """,
        "f()",
    ),
    "missing_private_global_is_a_name_error": (
        """
        async def f():
            await tick()
            try:
                return __nowhere
            except NameError as e:
                return repr(e)
        """,
        "f()",
    ),
    "deleting_a_missing_private_global_is_a_name_error": (
        """
        async def f():
            global __gone
            await tick()
            try:
                del __gone
            except NameError as e:
                return repr(e)
        """,
        "f()",
    ),
    "private_global_found_in_builtins": (
        """
        import builtins
        builtins.__in_builtins = 5
        async def f():
            await tick()
            try:
                return __in_builtins
            finally:
                del builtins.__in_builtins
        """,
        "f()",
    ),
    "import_of_a_private_module_name_outside_a_class": (
        """
        import sys, types
        sys.modules["__privmod"] = types.ModuleType("__privmod")
        async def f():
            await tick()
            import __privmod
            from __privmod import __name__ as __n
            return __privmod.__name__, __n
        """,
        "f()",
    ),
    "private_free_variable_of_an_enclosing_plain_function": (
        """
        def outer():
            __v = 3
            async def f():
                await tick()
                async def g():
                    return __v + await tick("g")
                return __v, await g()
            return f()
        """,
        "outer()",
    ),
    "private_def_and_class_in_a_plain_function_nested_in_a_method": (
        """
        class K:
            async def m(self):
                await tick()
                def inner():
                    def __h():
                        return "h"
                    class __C:
                        pass
                    return (__h.__name__, __h.__qualname__, __C.__name__, __C.__qualname__,
                            __h(), sorted(locals()))
                return inner()
        async def f():
            return await K().m()
        """,
        "f()",
    ),
    # -- issue 16: resume's own locals (value, error, awaitable) next to the user's names ---
    "user_names_like_resumes_own_locals_as_attributes_keywords_and_locals": (
        """
        class Box:
            value = "v"
            awaitable = "a"
        def pick(error=None, value=None):
            return error, value
        async def f(box):
            error = "mine"
            awaitable = await tick(box.value)
            try:
                await tick(box.awaitable)
                raise KeyError(error)
            except KeyError as error:
                log.append(repr(error))
                value = await tick(pick(error=1, value=2))
            return awaitable, value, box.value, pick(value=3)
        """,
        "f(Box())",
    ),
    "user_names_like_resumes_own_locals_bound_plainly": (
        """
        import json as value
        async def f(x):
            import os as error
            try:
                pass
            except KeyError as awaitable:
                pass
            got = await tick(value.__name__)
            if (yielded := await tick(error.__name__)):
                log.append(yielded)
            lam = lambda value, error: (value, error)
            match got:
                case awaitable:
                    log.append(awaitable)
            return got, lam(1, 2), [value for value in range(2)]
        """,
        "f(1)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_and_compiled_agree(name):
    source, call = CASES[name]
    assert_same_under_every_script(source, call)
