"""A compiled coroutine awaiting a native one, native vs compiled.

The machinery steps a native coroutine that a compiled one awaits in the
same loop as any other iterator, its first step included (``StateMachine.send``);
one already awaited elsewhere, running or finished takes the slow path, with
CPython's checks.  The native coroutines are made by ``exec`` of a string,
which the compiler leaves alone, so both runs await the same native code.
"""

import pytest

from tests.compiler.differential import assert_same, assert_same_under_every_script

NATIVE = '''
NATIVE = """
async def suspends(n):
    total = 0
    for i in range(n):
        total += await Yield(("native", i))
    log.append(("native done", total))
    return total

async def raises_at_once():
    raise KeyError("at once")

async def raises_later():
    await Yield("native before raising")
    raise ValueError("later")

async def returns_nothing():
    log.append("nothing")
"""
native = {"Yield": Yield, "log": log}
exec(NATIVE, native)
'''


@pytest.mark.parametrize(
    "body",
    [
        "return await native['suspends'](3)",
        "log.append(await native['returns_nothing']())\n    return await native['suspends'](0)",
        "try:\n        await native['raises_at_once']()\n    except KeyError as e:\n        log.append(repr(e))",
        "try:\n        await native['raises_later']()\n    finally:\n        log.append('finally')",
        "for n in range(3):\n        log.append(await native['suspends'](n))",
        "c = native['suspends'](1)\n    log.append(await c)\n    await c",
    ],
    ids=["suspends", "returns at once", "raises at once", "raises later", "in a loop", "awaited twice"],
)
def test_a_native_coroutine_awaited_by_a_compiled_one(body):
    source = NATIVE + f"\nasync def main():\n    log.append('start')\n    {body}\n"
    assert_same_under_every_script(source, "main()")


def test_a_native_coroutine_being_awaited_already_is_refused():
    source = (
        NATIVE
        + """
async def main():
    c = native['suspends'](2)
    waiter = c.__await__()
    log.append(next(waiter))
    try:
        await c
    except RuntimeError as e:
        log.append(str(e))
    waiter.close()
    await tick("after")
"""
    )
    assert_same_under_every_script(source, "main()")


def test_a_native_coroutine_awaiting_a_compiled_one_that_awaits_it_is_already_executing():
    source = """
me = []

async def inner():
    return await me[0]

NATIVE = '''
async def outer():
    return await inner()
'''
native = {"inner": inner}
exec(NATIVE, native)

async def main():
    me.append(native["outer"]())
    try:
        await me[0]
    except ValueError as e:
        log.append(str(e))
"""
    assert_same(source, "main()")


def test_a_native_coroutine_suspended_in_a_compiled_one_gets_the_throw_and_the_close():
    source = (
        NATIVE
        + """
async def shielded():
    try:
        return await native['suspends'](2)
    except KeyError as e:
        log.append(("caught", repr(e)))
        return await native['suspends'](1)
"""
    )
    assert_same(source, "shielded()", [("throw", KeyError("in"))])
    assert_same(source, "shielded()", [("send", 5), ("close",)])
