"""Native CPython versus compiled, for the core lowering (issue 2's constructs)."""

import pytest

from tests.compiler.differential import assert_same, assert_same_under_every_script

CASES = {
    "sequence": """
        async def f(a):
            log.append(a)
            x = await tick("first")
            log.append(x)
            y = await tick("second")
            return x + y
    """,
    "call_arguments_spilled_in_order": """
        def g(*args, **kwargs):
            log.append((args, kwargs))
            return len(args)
        async def f():
            items = [1, 2]
            return g(log.append("a"), *items, await tick(1), k=await tick(2), **{"z": await ready(3)})
    """,
    "binary_left_read_before_await": """
        async def bump():
            global counter
            counter += 10
            return await tick()
        counter = 1
        async def f():
            return counter + await bump()
    """,
    "short_circuit_keeps_order": """
        async def f(a, b):
            r1 = a and await tick("and")
            r2 = b or await tick("or")
            r3 = (await tick("t")) if a else (await tick("e"))
            return r1, r2, r3
    """,
    "chained_comparison": """
        async def f(a):
            return a < await tick() < 3, 0 < await ready(a) < await ready(5) < a
    """,
    "displays_and_fstrings": """
        async def f(d):
            t = (1, *d, await tick())
            s = {await ready(1), *d}
            m = {**d, await ready("k"): await tick("v")}
            text = f"{d!r} {await tick():>4} {len(d)}"
            return t, s, m, text
    """,
    "subscripts_and_attributes": """
        class Box:
            pass
        async def f():
            box = Box()
            box.items = {}
            box.items[await ready("k")] = await tick()
            box.value = await ready(3)
            d = [0, 1, 2, 3]
            part = d[await ready(1):await ready(3)]
            return box.items, box.value, part, (await ready(box)).value
    """,
    "augmented_assignment_reads_target_first": """
        state = {"n": 1}
        async def bump():
            state["n"] += 100
            return await tick()
        async def f():
            x = 1
            x += await ready(2)
            state["n"] += await bump()
            return x, state["n"]
    """,
    "walrus_and_assert_and_del": """
        async def f(n):
            if (m := await ready(n)) > 1:
                log.append(m)
            assert await ready(True), "never"
            d = {"a": 1, "b": 2}
            del d[await ready("a")]
            if m > 2:
                assert await ready(m < 0), f"m was {await ready(m)}"
            return d, m
    """,
    "if_elif_else": """
        async def f(n):
            if n == 0:
                r = await tick("zero")
            elif await ready(n) == 1:
                r = await tick("one")
            elif n == 2:
                r = "two"
            else:
                r = await tick("many")
            return r
    """,
    "while_break_continue_else": """
        async def f(n):
            i = 0
            while i < n:
                i += 1
                if i == 2:
                    continue
                if await tick(i) == "stop":
                    break
                log.append(i)
            else:
                log.append("else")
                await tick("else")
            return i
    """,
    "while_test_awaits": """
        async def f(n):
            i = 0
            while await ready(i) < n:
                i += 1
                if i == 5:
                    break
            else:
                log.append("done")
            return i
    """,
    "for_with_else_and_nested": """
        async def f(rows):
            total = 0
            for row in rows:
                for cell in row:
                    if cell is None:
                        break
                    total += await ready(cell)
                else:
                    log.append("row done")
                    continue
                log.append("row broken")
            else:
                await tick("all rows")
            return total
    """,
    "return_in_loops": """
        async def f(items):
            for x in items:
                while True:
                    if await tick(x):
                        return x
                    break
            return None
    """,
    "match_statement": """
        async def f(command):
            match await ready(command):
                case ["go", direction] if direction != "up":
                    await tick(direction)
                    result = direction
                case ["stop"]:
                    result = "stopped"
                case {"x": x, **rest}:
                    result = (x, await ready(rest))
                case _:
                    result = None
            return result
    """,
    "raise_from": """
        async def f():
            try:
                raise ValueError("inner")
            except ValueError as e:
                log.append(repr(e))
            raise KeyError(await ready("k")) from await ready(TypeError("cause"))
    """,
    "exception_from_awaited_coroutine": """
        async def fails():
            await tick()
            raise LookupError("deep")
        async def f():
            log.append("before")
            await fails()
            log.append("never")
    """,
    "global_statement": """
        total = 0
        async def f():
            global total
            total = await ready(5)
            total += 1
            return total
    """,
    "many_awaits_do_not_grow_the_stack": """
        async def f():
            n = 0
            for i in range(20000):
                n += await ready(i)
            return n
    """,
    "shadowed_machine_names": """
        async def f(state, send, value, error, resume=1, self=2):
            throw = await ready(state)
            close = send + value
            item = await tick(error)
            return state, send, value, error, resume, self, throw, close, item
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_and_compiled_agree(name):
    calls = {
        "sequence": "f(1)",
        "call_arguments_spilled_in_order": "f()",
        "binary_left_read_before_await": "f()",
        "short_circuit_keeps_order": "f(0, 1)",
        "chained_comparison": "f(2)",
        "displays_and_fstrings": "f({'a': 1})",
        "subscripts_and_attributes": "f()",
        "augmented_assignment_reads_target_first": "f()",
        "walrus_and_assert_and_del": "f(3)",
        "if_elif_else": "f(3)",
        "while_break_continue_else": "f(4)",
        "while_test_awaits": "f(3)",
        "for_with_else_and_nested": "f([[1, 2], [3, None, 4], []])",
        "return_in_loops": "f([0, 0, 1])",
        "match_statement": "f(['go', 'left'])",
        "raise_from": "f()",
        "exception_from_awaited_coroutine": "f()",
        "global_statement": "f()",
        "many_awaits_do_not_grow_the_stack": "f()",
        "shadowed_machine_names": "f(1, 2, 3, 4)",
    }
    assert_same_under_every_script(CASES[name], calls[name])


@pytest.mark.parametrize(
    "call",
    ["f(0, 0)", "f(1, 0)", "f(0, 1)", "f(1, 1)"],
)
def test_short_circuit_every_branch(call):
    assert_same_under_every_script(CASES["short_circuit_keeps_order"], call)


@pytest.mark.parametrize("command", ["['go', 'up']", "['stop']", "{'x': 1, 'y': 2}", "3"])
def test_match_every_case(command):
    assert_same_under_every_script(CASES["match_statement"], f"f({command})")


def test_sent_values_arrive_as_await_results():
    assert_same(CASES["sequence"], "f(5)", [("send", "a"), ("send", "b")])
