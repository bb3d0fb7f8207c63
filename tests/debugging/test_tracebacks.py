"""Tracebacks and stack walks of compiled code show the user's frames, as natively.

Each script runs natively (``python script.py``) and compiled
(``statemachine-compiler run script.py``); what they print must be the same,
character for character: the same frames (file, line, function), the same
line text under each, the same carets, and none of the runtime's or the
CLI's frames.
"""

import textwrap

import pytest

from .programs import ROOT, run_compiled, run_native

CHAIN = """\
import asyncio

async def inner(x):
    y = x + 1
    await asyncio.sleep(0)
    return {}[y]

async def outer():
    v = await inner(1)
    return v

asyncio.run(outer())
"""

ON_THE_RUNTIME = """\
import runtime

async def inner(x):
    y = x + 1
    await runtime.sleep(0)
    return y / (x - 1)

async def outer():
    v = await inner(1)
    return v

runtime.run(outer())
"""

AWAIT_IN_EXCEPT = """\
import asyncio

async def leaf(x):
    await asyncio.sleep(0)
    return {}[x]

async def inner(x):
    try:
        raise ValueError(x)
    except ValueError:
        await leaf(x)

async def outer():
    return await inner(1) + 1

asyncio.run(outer())
"""

GENERATORS_AND_METHODS = """\
import asyncio

class Box:
    async def get(self, key):
        await asyncio.sleep(0)
        return {"a": 1}[key] + 1

async def numbers(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield 10 // (n - i - 1)

async def total(box):
    s = 0
    async for x in numbers(3):
        s += x
    return s + await box.get("b")

async def main():
    return await asyncio.gather(total(Box()))

asyncio.run(main())
"""

NEVER_RETRIEVED = """\
import asyncio, gc

async def inner(x):
    try:
        raise ValueError(x)
    except ValueError:
        await asyncio.sleep(0)
        {}[x]

async def outer():
    v = await inner(1)
    return v

async def main():
    task = asyncio.ensure_future(outer())
    await asyncio.sleep(0.01)
    del task
    gc.collect()
    await asyncio.sleep(0.01)

asyncio.run(main())
"""

STACKS = """\
import asyncio, traceback

async def leaf():
    await asyncio.sleep(0)
    traceback.print_stack()
    print([frame.name for frame in traceback.extract_stack()])
    return 1

async def middle():
    x = await leaf()
    return x

async def boom():
    await asyncio.sleep(0)
    {}[1]

async def main():
    task = asyncio.ensure_future(middle())
    await asyncio.sleep(0)
    task.print_stack()
    await task
    failing = asyncio.ensure_future(boom())
    await asyncio.sleep(0.01)
    failing.print_stack()
    print(len(failing.get_stack()))
    try:
        await failing
    except KeyError:
        pass

asyncio.run(main())
"""

INTERRUPTED = """\
import asyncio

async def work():
    await asyncio.sleep(0)
    raise KeyboardInterrupt

async def main():
    await work()

asyncio.run(main())
"""

SIGINT = """\
import asyncio, os, signal

async def work():
    asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), signal.SIGINT)
    await asyncio.sleep(5)

async def main():
    await work()

asyncio.run(main())
"""

ASYNC_WITH = """\
import asyncio

class Manager:
    async def __aenter__(self):
        await asyncio.sleep(0)
        raise KeyError("enter")

    async def __aexit__(self, *exc_info):
        await asyncio.sleep(0)
        raise KeyError("exit")

class Entered(Manager):
    async def __aenter__(self):
        return self

async def enters():
    async with Manager() as manager:
        pass

async def main():
    try:
        await enters()
    except KeyError:
        pass
    async with Entered(), Entered():
        x = 1
        y = 2

asyncio.run(main())
"""

RUNNING_TASK = """\
import asyncio

def names(frames):
    return [(frame.f_code.co_name, frame.f_lineno) for frame in frames]

async def leaf():
    task = asyncio.current_task()
    print("before any await", names(task.get_stack()), names(task.get_stack(limit=2)))
    task.print_stack()
    await asyncio.sleep(0)
    print("resumed", names(task.get_stack()))
    task.print_stack(limit=3)
    print(repr(task).split(" cb=")[0])
    return 1

async def middle():
    print("middle", names(asyncio.current_task().get_stack()))
    x = await leaf()
    return x

async def main():
    await middle()
    task = asyncio.ensure_future(middle())
    await task

asyncio.run(main())
"""

INSPECT_STACK = """\
import asyncio, inspect, traceback

def show():
    for info in inspect.stack(2):
        print(info.function, info.lineno, info.code_context, info.index, info.positions)
    print([(frame.name, frame.lineno, frame.line) for frame in traceback.extract_stack()])
    traceback.print_stack(limit=3)

async def leaf(n):
    show()
    await asyncio.sleep(0)
    show()
    return n

async def middle():
    x = await leaf(1)
    return x + await leaf(2)

async def main():
    await middle()

asyncio.run(main())
"""

WITH_AWAITING_BODIES = """\
import asyncio, traceback

class Manager:
    def __init__(self, fails):
        self.fails = fails

    def __enter__(self):
        if self.fails == "enter":
            raise KeyError("enter")
        return self

    def __exit__(self, *exc_info):
        if self.fails == "exit":
            raise KeyError("exit")

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, *exc_info):
        self.__exit__(*exc_info)

async def plain(first, second):
    with Manager(first) as a, Manager(second):
        await asyncio.sleep(0)

async def asynchronous(first, second):
    async with Manager(first) as a, Manager(second):
        await asyncio.sleep(0)

async def main():
    for function in plain, asynchronous:
        for fails in ("enter", None), (None, "enter"), ("exit", None), (None, "exit"):
            try:
                await function(*fails)
            except KeyError:
                traceback.print_exc()

asyncio.run(main())
"""

SUPER_REFUSED = """\
import asyncio, traceback

class Base:
    def m(self):
        return 1

class Child(Base):
    def no_argument(self):
        async def inner():
            await asyncio.sleep(0)
            return super().m()
        return inner()

    async def in_a_generator_expression(self):
        await asyncio.sleep(0)
        return list(super().m() for _ in range(1))

    async def deleting_self(self):
        await asyncio.sleep(0)
        del self
        return super().m()

async def main():
    child = Child()
    for coroutine in child.no_argument(), child.in_a_generator_expression(), child.deleting_self():
        try:
            await coroutine
        except (RuntimeError, TypeError, NameError):  # (3.12+: the read of a deleted self)
            traceback.print_exc()

asyncio.run(main())
"""

EXCEPT_STAR = """\
import asyncio, traceback

def group():
    return ExceptionGroup("g", [KeyError(1), ValueError(2)])

async def unhandled_part():
    try:
        await asyncio.sleep(0)
        raise group()
    except* KeyError:
        await asyncio.sleep(0)

async def raised_again():
    try:
        await asyncio.sleep(0)
        raise group()
    except* KeyError:
        await asyncio.sleep(0)
        raise

async def raising_another():
    try:
        raise group()
    except* ValueError as caught:
        await asyncio.sleep(0)
        raise TypeError("from the clause")

async def main():
    for function in unhandled_part, raised_again, raising_another:
        try:
            await function()
        except* Exception:
            traceback.print_exc()

asyncio.run(main())
"""

SCRIPTS = {
    "await_chain_under_asyncio": CHAIN,
    "await_chain_on_the_runtime": ON_THE_RUNTIME,
    "await_inside_except": AWAIT_IN_EXCEPT,
    "async_generators_methods_and_gather": GENERATORS_AND_METHODS,
    "task_exception_never_retrieved": NEVER_RETRIEVED,
    "print_stack_extract_stack_and_task_stacks": STACKS,
    "keyboard_interrupt": INTERRUPTED,
    "ctrl_c_under_asyncio": SIGINT,
    "async_with_enter_and_exit": ASYNC_WITH,
    "with_and_async_with_around_awaits": WITH_AWAITING_BODIES,
    "super_refused_as_natively": SUPER_REFUSED,
    "except_star_leaving_part_unhandled": EXCEPT_STAR,
    "task_stacks_of_the_running_task": RUNNING_TASK,
    "inspect_stack_and_extract_stack_inside_coroutines": INSPECT_STACK,
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_compiled_program_prints_the_native_tracebacks(tmp_path, name):
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(SCRIPTS[name]))
    native, compiled = run_native(script), run_compiled(script)
    assert str(script) in native.stderr + native.stdout, native  # the test shows user frames
    assert (compiled.stderr, compiled.stdout) == (native.stderr, native.stdout)
    assert compiled.returncode == native.returncode
    for part in ("runtime/machines", "statemachine_compiler", "<frozen runpy>"):
        assert part not in compiled.stderr


def test_carets_are_under_the_failing_expression_of_a_compiled_line(tmp_path):
    script = tmp_path / "carets.py"
    script.write_text(textwrap.dedent(CHAIN))
    stderr = run_compiled(script).stderr
    assert "    return {}[y]\n           ~~^^^\n" in stderr, stderr
    assert "    v = await inner(1)\n        ^^^^^^^^^^^^^^\n" in stderr, stderr
    assert str(ROOT / "runtime" / "machines") not in stderr


F_BACK_BY_HAND = """\
import asyncio, sys

async def leaf():
    await asyncio.sleep(0)
    frame, names = sys._getframe(), []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    print(names[:3])

async def main():
    await leaf()

asyncio.run(main())
"""


def test_f_back_walked_by_hand_still_meets_the_machinery(tmp_path):
    # What the README and docs/conformance.md say cannot be hidden: a
    # frame's f_back is the interpreter's.  If this starts to fail, the
    # machinery is gone from the stack: update both.
    script = tmp_path / "by_hand.py"
    script.write_text(F_BACK_BY_HAND)
    assert run_native(script).stdout == "['leaf', 'main', '_run']\n"
    compiled = run_compiled(script).stdout
    # The machinery's frames the README names (resume is called from send, or _advance).
    assert compiled.startswith(("['leaf', 'send'", "['leaf', '_advance'", "['leaf', 'run_now'")), compiled
