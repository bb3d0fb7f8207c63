"""Native CPython versus compiled, for forms real code is written in (issue 11).

Statements joined by ``;`` and one-line suites, f-string ``=`` fields and
walruses inside f-strings, ``**`` in dict displays, awaits in the parts of a
nested ``def``/``lambda``/``class`` that run in the function, form feeds,
bare tuples, and bodies that are only a docstring.  Each case failed before
its fix; see also ``test_errors`` for the output guard.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from statemachine_compiler import Options, compile_source
from tests.compiler.differential import PRELUDE, assert_same_under_every_script, drive

JOINED_STATEMENTS = {
    # What a statement binds is usable by the next statement of its line.
    "import_then_use": """
        async def f():
            import json; log.append(json.dumps(1))
            await tick("after")
            return json.dumps(2)
    """,
    "import_in_one_line_suite_after_await": """
        async def f(x=1):
            await tick("before")
            if x: import os.path; log.append(os.path.join("a", "b"))
            return os.sep
    """,
    "import_alone_in_one_line_suite": """
        async def f(x=1):
            if x: import json
            await tick("after")
            return json.dumps(3)
    """,
    "from_import_then_call": """
        async def f():
            from json import dumps; log.append(dumps(2))
            await tick("after")
            return dumps(4)
    """,
    "import_as_several_then_use": """
        async def f():
            import json as j, os.path as p; log.append((j.dumps(1), p.basename("a/b")))
            await tick("after")
            return j.dumps(5), p.basename("c/d")
    """,
    "import_in_loop_without_await": """
        async def f():
            for i in range(2): import json; log.append(json.dumps(i))
            while not log[-1] == "1": import json; log.append("never")
            await tick("after")
            return json.dumps(6)
    """,
    "import_in_one_line_try": """
        async def f():
            try: import json; log.append(json.dumps(7))
            except ImportError: json = None
            else: log.append(json.dumps(8))
            finally: log.append(json.dumps(9))
            await tick("after")
            return json.dumps(10)
    """,
    "import_in_nested_plain_block_of_a_line_that_awaits": """
        async def f():
            import json; log.append(json.dumps(1)); await tick(json.dumps(2)); log.append(json.dumps(3))
            return json.dumps(4)
    """,
    "global_in_one_line_suite": """
        G = 0
        async def f(x=1):
            await tick("before")
            if x: global G; G = 5
            return G
    """,
    "with_and_for_targets_on_one_line": """
        import contextlib
        async def f():
            with contextlib.nullcontext("cm") as v: log.append(v)
            for i in range(2): log.append(i)
            try: raise KeyError("k")
            except KeyError as e: log.append(repr(e))
            match [1]:
                case [x]: log.append(x)
            await tick("after")
            return v, i, x
    """,
}

FSTRINGS = {
    "self_documenting_local": """
        async def f():
            x = 3
            log.append(f"{x=}")
            log.append(f"{x = }")
            log.append(f"{ x=!s:>4} {x + 1 = :03d} {x=!r}")
            await tick("after")
            return f"{x=}"
    """,
    "self_documenting_await": """
        async def f():
            log.append(f"{await ready(5)=}")
            log.append(f"{await tick('a') = !r:>5}|{await ready(6)=}")
            return f"{ (await tick('b')) =:{'>'}4}"
    """,
    "self_documenting_in_nested_scopes": """
        async def f():
            x = 3
            g = lambda: f"{x=}"
            def h():
                return f"{x*2=}"
            await tick("after")
            return g(), h(), [f"{x=}{y=}" for y in range(2)]
    """,
    "self_documenting_with_braces_and_quotes": """
        async def f():
            d = {'a': 1}
            await tick("after")
            return f"{d['a']=}", f'{d["a"]=}', f"{ {'b': 2} = }", f'''{d['a'] =}'''
    """,
    "walrus_in_single_quoted_fstring": """
        async def f():
            log.append(f'{(y := await ready(5))}')
            log.append(f"{(z := 2)}" + f'{(w := 3)!r}')
            await tick("after")
            return y, z, w
    """,
}

# PEP 701 (3.12+): a field may reuse its f-string's quote, contain a backslash
# or span lines.  Kept in strings: the syntax does not parse before 3.12.
FSTRINGS_312 = {
    "nested_quotes": """
        async def f():
            d = {"a": 1}
            await tick("after")
            return f"{d["a"]=}", f"{f"{d["a"]=}"=}", f"{"\\n".join(["p", "q"])=}"
    """,
    "field_spanning_lines": """
        async def f():
            x = 2
            await tick("after")
            return f"{x
                +
                1 = }"
    """,
    "raw_fstring": """
        async def f():
            d = {"a": 1}
            await tick("after")
            return rf"{d["a"]=}\\d", rf'{d['a'] = }'
    """,
}

DICT_DISPLAYS = {
    "double_star_of_an_await": """
        async def load():
            return {"b": 2}
        async def f():
            log.append({"a": 1, **(await load())})
            log.append({**(await load()), "a": 1, **await load(), "c": await tick("c")})
            return {**{"x": 0}, **await load()}
    """,
    "double_star_merged_where_it_stands": """
        class Mapping:
            def keys(self):
                log.append("keys")
                return ["m"]
            def __getitem__(self, key):
                log.append(("getitem", key))
                return 1
        async def f():
            return {**Mapping(), "k": await tick("k"), **Mapping()}
    """,
}

NESTED_DEFINITIONS = {
    "await_in_lambda_default": """
        async def f():
            h = lambda y=await ready(5), *, z=await tick("z"): (y, z)
            return h(), h(1, z=2)
    """,
    "await_in_lambda_defaults_inside_an_expression": """
        async def f():
            return [(lambda a=await tick("a"): a)(), (lambda: 0)()]
    """,
    "await_in_nested_def_parts_in_order": """
        def s(x):
            log.append(x)
            return lambda f: f
        def v(x):
            log.append(x)
            return x
        async def f():
            @s(await tick("dec1"))
            @s("dec2")
            def g(a: s("ann_a") = await tick("def_a"), /, b: s("ann_b") = v("def_b"),
                  *c: s("ann_c"), d=await tick("def_d"), **e: s("ann_e")) -> s("ret"):
                return a, b, d
            return g(), sorted(g.__annotations__)
    """,
    "await_in_nested_def_inside_a_block": """
        async def f(x=1):
            if x:
                def g(a=await tick("default")):
                    return a
            return g()
    """,
    "await_in_nested_async_def_defaults": """
        async def f():
            async def g(a=await tick("default")):
                return a + await tick("inner")
            return await g()
    """,
    "await_in_nested_async_def_decorator_and_lambda_in_comprehension": """
        def deco(tag):
            def apply(fn):
                log.append(("decorated", tag, fn.__name__))
                return fn
            return apply
        async def f():
            @deco(await tick("deco"))
            async def g(b=await ready(2), **kw):
                return b + await tick("inner")
            makers = [lambda k=await ready(i): k for i in range(2)]
            return await g(), [m() for m in makers]
    """,
    "await_in_class_bases_and_keywords": """
        class Meta(type):
            def __new__(mcls, name, bases, ns, **kw):
                log.append(("meta", name, kw))
                return super().__new__(mcls, name, bases, ns)
        class Base:
            pass
        def deco(c):
            log.append("deco")
            return c
        async def f():
            @deco
            class K(await ready(Base), *[object][:0], metaclass=await tick(Meta), flag=await ready(1), **await ready({"more": 2})):
                x = 1
            return K.__name__, K.__bases__[0].__name__, K.x
    """,
}

FORMS = {
    "form_feed_lines_between_statements": (
        "async def f():\n    x = 1\n\f\n    await tick('x')\n    if x:\n\f        x += 1\n    return x\n"
    ),
    "form_feeds_in_strings_comments_and_brackets": (
        'async def f():\n\f    s = """a\n\f    b"""\n\f    x = (1 +\n\f         2)\n\f    # comment\n'
        '\f    def g():\n\f        return x\n    await tick("t")\n\f    return s, g(), f"{x=}\f{s=}"\n'
    ),
    "bare_tuple_for_iterable": """
        async def f():
            for i in 0, 2, 3:
                log.append(await tick(i))
            for j in *[1], await ready(2):
                log.append(j)
            async def agen():
                yield 1
            return i
    """,
    "bare_tuples_elsewhere": """
        def g(*args, **kwargs):
            return args, kwargs
        async def f():
            d = {(1, 2): "v"}
            log.append(d[1, await ready(2)])
            x = 1, await tick("x")
            x += 3, await ready(4)
            log.append((*await ready([5, 6]), *x))
            log.append([{*await ready({7})}, g(*await ready([8]), **await ready({"k": 9}), z=await tick("z"))])
            first, *rest = 1, await ready(2), 3
            log.append((first, rest))
            match 1, await ready(2):
                case (1, 2): log.append("matched")
            return 1, await tick("r")
    """,
    "negated_tests_keep_their_precedence": """
        async def f(v=0):
            n = 0
            while await ready(0) or n < 2:
                n += 1
            assert await ready(0) or True, "or"
            assert await ready(1) if n else 0, "if-else"
            match n:
                case int() if await tick("guard") or n:
                    log.append("guard passed")
            return n
    """,
    "bare_tuple_yielded_by_async_generator": """
        async def gen():
            yield 1, await tick("y")
            x = yield 2, 3
            log.append(x)
        async def f():
            return [v async for v in gen()]
    """,
}

EMPTY_BODIES = {
    "only_a_docstring": '''
        async def f():
            """Doc."""
        async def g(): "doc"
        async def h():
            """Doc."""
            ...
        async def run():
            await tick("start")
            return await f(), await g(), await h(), f.__doc__, g.__doc__
    ''',
    "abstract_method_with_only_a_docstring": '''
        from abc import ABC, abstractmethod
        class A(ABC):
            @abstractmethod
            async def get(self):
                """Doc."""
            async def put(self): ...
            async def stay(self): pass
        class B(A):
            async def get(self):
                return await super().get()
        async def run():
            await tick("start")
            b = B()
            return await b.get(), await b.put(), await b.stay(), A.get.__doc__, A.get.__isabstractmethod__
    ''',
}


def _params(cases):
    return [pytest.param(source, id=name) for name, source in sorted(cases.items())]


@pytest.mark.parametrize("source", _params(JOINED_STATEMENTS))
def test_statement_binds_before_the_next_statement_of_its_line(source):
    assert_same_under_every_script(source, "f()")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="type statements need Python 3.12")
def test_type_alias_then_use_on_one_line():
    source = """
        async def f(x=1):
            type P = int; log.append(P.__name__)
            if x: type Q = list[P]; log.append(repr(Q.__value__))
            await tick("after")
            return P.__value__, Q.__name__
    """
    assert_same_under_every_script(source, "f()")


@pytest.mark.parametrize("source", _params(FSTRINGS))
def test_fstring_fields_as_written(source):
    assert_same_under_every_script(source, "f()")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 701 f-strings need Python 3.12")
@pytest.mark.parametrize("source", _params(FSTRINGS_312))
def test_fstring_fields_as_written_pep_701(source):
    assert_same_under_every_script(source, "f()")


@pytest.mark.parametrize("source", _params(DICT_DISPLAYS))
def test_dict_display_with_double_star(source):
    assert_same_under_every_script(source, "f()")


@pytest.mark.parametrize("source", _params(NESTED_DEFINITIONS))
def test_await_in_what_a_nested_definition_evaluates(source):
    assert_same_under_every_script(source, "f()")


@pytest.mark.parametrize("source", _params(FORMS))
def test_written_forms(source):
    assert_same_under_every_script(source, "f()")


@pytest.mark.parametrize("source", _params(EMPTY_BODIES))
def test_body_without_statements(source):
    assert_same_under_every_script(source, "run()")


def test_fstring_self_documenting_text_is_the_source_text():
    code = compile_source('async def f(x):\n    return f"{ x = !r:>3}"\n').code
    assert "x" in code and "self.x" in code
    assert '" x = ' in code, f"the field's text is not kept as written:\n{code}"


ALL_CASES = {
    **JOINED_STATEMENTS,
    **FSTRINGS,
    **DICT_DISPLAYS,
    **NESTED_DEFINITIONS,
    **FORMS,
    **EMPTY_BODIES,
}


@pytest.mark.parametrize("source", _params(ALL_CASES))
def test_unformatted_output_compiles(source):
    """What the import hook runs is not black's output: it must be valid as written."""
    text = PRELUDE + textwrap.dedent(source)
    code = compile_source(text, "<case>", Options(format=False)).code
    compile(code, "<compiled>", "exec")


@pytest.mark.parametrize("format_", [True, False], ids=["black", "unformatted"])
def test_form_feed_in_first_indentation(format_):
    # The module's indentation is inferred from its first indented line.
    text = "async def f(y):\n\f    x = 1\n\f    x += await y\n    if x:\n\f        return x\n" + PRELUDE
    namespace = {}
    exec(compile(compile_source(text, "<case>", Options(format=format_)).code, "<compiled>", "exec"), namespace)
    native = {}
    exec(compile(text, "<native>", "exec"), native)
    outcomes = [drive(ns["f"](ns["tick"]("t"))) for ns in (native, namespace)]
    assert outcomes[0] == outcomes[1], outcomes
