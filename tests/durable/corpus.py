"""Programs of compiled coroutines for the durable tests: each one module, ``main()`` its entry.

Every program suspends on ``Pause`` (defined in ``PRELUDE``), a picklable
awaitable that yields its label once and returns what is sent back, or on
the runtime's own trap.  ``SCRIPT`` (optional) maps a suspension's number to
what the driver does there instead of sending that number:
``("throw", exception)`` or ``("close",)``.
"""

PAUSE = '''
class Pause:
    """Suspends once: the driver receives ``label`` and sends back the result."""

    def __init__(self, label=None):
        self.label = label
        self.done = False

    def __await__(self):
        return self

    def __next__(self):
        return self.send(None)

    def send(self, value):
        if self.done:
            raise StopIteration(value)
        self.done = True
        return self.label

    def throw(self, error, *args):
        raise error
'''

PRELUDE = PAUSE + '''

async def tick(label=None):
    return await Pause(label)
'''

PROGRAMS = {
    "loops": '''
async def main():
    total = 0
    for i in range(3):
        total += await Pause(("range", i))
    for word in ["a", "b"]:
        total += await Pause(word)
    for key, value in {"x": 1, "y": 2}.items():
        total += value * await Pause(key)
    for n, (a, b) in enumerate(zip((1, 2), map(str, (3, 4)))):
        total += n + await Pause((a, b))
    for item in {7}:
        total += await Pause(item)
    i = 0
    while i < 2:
        i += 1
        if await Pause(("while", i)) > 100:
            break
    else:
        print("while else", i)
    return total
''',
    "nested_try_finally": '''
async def main():
    log = []
    try:
        try:
            log.append(await Pause("body"))
            raise ValueError("inner")
        except ValueError as error:
            log.append(await Pause(("handling", repr(error))))
            raise KeyError("from handler") from error
        finally:
            log.append(await Pause("inner finally"))
            print("inner finally ran", log)
    except KeyError as error:
        print("caught", repr(error), repr(error.__cause__), repr(error.__context__))
    try:
        return await Pause("returning")
    finally:
        log.append(await Pause("finally after return"))
        print("pending return", log)
''',
    "finally_with_pending_exception": '''
async def main():
    try:
        await Pause("before")
        raise RuntimeError("pending")
    finally:
        value = await Pause("in finally")
        print("finally saw", value)
''',
    "thrown_in": '''
SCRIPT = {1: ("throw", ValueError("thrown"))}

async def main():
    try:
        await Pause("first")
        await Pause("second")
    except ValueError as error:
        got = await Pause(("handler", str(error)))
        print("handled", error, got)
        return got
''',
    "with_and_async_with": '''
class Manager:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        print("enter", self.name)
        return self.name

    def __exit__(self, *info):
        print("exit", self.name, info[0])
        return False


class AsyncManager:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        await Pause(("aenter", self.name))
        return self.name

    async def __aexit__(self, kind, error, traceback):
        await Pause(("aexit", self.name, kind and kind.__name__))
        return kind is KeyError


async def main():
    async with AsyncManager("outer") as outer:
        with Manager("inner") as inner:
            await Pause((outer, inner))
        async with AsyncManager("suppressing"):
            await Pause("raising")
            raise KeyError("suppressed")
    return "done"
''',
    "async_for_over_generator": '''
async def numbers(n):
    for i in range(n):
        try:
            received = yield i
            print("generator got", received)
            await Pause(("generator awaits", i))
        finally:
            print("generator finally", i)


async def main():
    seen = []
    async for number in numbers(3):
        seen.append(number)
        await Pause(("consumer", number))
    generator = numbers(5)
    first = await generator.asend(None)
    second = await generator.asend("sent")
    try:
        await generator.athrow(ValueError("into generator"))
    except ValueError as error:
        print("athrow came back", error)
    return seen, first, second
''',
    "chain_of_three": '''
async def leaf(n):
    a, b, c = n, n + 1, n + 2
    a += await Pause(("leaf", n))
    return a + b + c


async def middle(n):
    left = await leaf(n)
    right = await leaf(n * 10)
    return left * right


async def main():
    results = []
    for n in (1, 2):
        results.append(await middle(n))
    return results
''',
    "methods": '''
class Base:
    async def step(self, x):
        return x + await Pause(("base", x))


class Counter(Base):
    def __init__(self):
        self.__count = 0

    async def step(self, x):
        self.__count += 1
        result = await super().step(x)
        return result * self.__count

    @staticmethod
    async def twice(x):
        return 2 * await Pause(("static", x))

    @classmethod
    async def make(cls):
        await Pause("classmethod")
        return cls()


async def main():
    counter = await Counter.make()
    total = await counter.step(1) + await counter.step(2)
    return total + await Counter.twice(3)
''',
    "decorated": '''
import functools


def logged(function):
    @functools.wraps(function)
    def wrapper(*args):
        print("calling", function.__name__)
        return function(*args)
    return wrapper


@logged
async def work(x):
    return await Pause(("work", x))


async def main():
    return await work(1) + await work(2)
''',
    "runtime_trap": '''
from runtime.loop.traps import trap, SLEEP


async def main():
    first = await trap(SLEEP, 5)
    second = await trap(SLEEP, 7)
    return first, second
''',
    "closed_while_suspended": '''
SCRIPT = {2: ("close",)}

async def main():
    try:
        for i in range(5):
            await Pause(i)
    finally:
        print("closing at", i)
''',
    "handled_exception_context": '''
async def main():
    try:
        raise ValueError("outer")
    except ValueError:
        await Pause("in except")
        try:
            raise KeyError("inner")
        except KeyError as error:
            await Pause("in nested except")
            return repr(error.__context__)
''',
    "closures": '''
def make(k):
    async def inner(y):
        n = k + y
        n += await Pause(("inner", k))
        return n
    return inner


def counter():
    count = 0

    async def bump():
        nonlocal count
        count += 1
        await Pause(("bump", count))
        count += 1
        return count

    return bump


async def main():
    first = await make(10)(1)
    second = await make(20)(2)
    bumped = await counter()()
    return first, second, bumped
''',
    "closures_calling_themselves_and_in_methods": '''
def make(k):
    async def countdown(n):
        if n:
            return [n + await Pause(("countdown", n))] + await countdown(n - 1)
        return [k]
    return countdown


class Account:
    def __init__(self, balance):
        self.balance = balance

    def reader(self):
        async def read(extra):
            return self.balance + extra + await Pause("read")
        return read


def numbers(limit):
    async def counting():
        for i in range(limit):
            yield i + await Pause(("counting", i))
    return counting


async def main():
    counted = [n async for n in numbers(2)()]
    return await make(7)(2), await Account(5).reader()(1), counted
''',
    "locals_in_cells": '''
async def main(step=2):
    count = 0
    scale = 3
    seen = []
    while count < 6:
        def bump():
            nonlocal count
            count += step
        bump()
        del bump
        total = sum(count * i for i in range(scale))
        seen.append((lambda: (count, total))())
        scale += await Pause(("count", count, total))
    return seen, count, scale
''',
    "nested_in_async_def": '''
async def main(k=5):
    total = 1

    async def add(y):
        nonlocal total
        total += y + await Pause(("add", total))
        return total

    async def twice():
        first = await add(k)
        return first + await add(first)

    again = await twice()
    total += await Pause(("main", total))
    return again, total, await add(100)
''',
    "nested_two_levels_and_after_return": '''
async def make(k):
    count = [0]

    async def middle(j):
        async def countdown(n):
            count[0] += 1
            if n:
                return [n + await Pause(("countdown", n, j, k))] + await countdown(n - 1)
            return [k, j, count[0]]

        return await countdown(2)

    async def later():
        return await middle(await Pause("later")) + count

    await Pause("make")
    return later


async def main():
    later = await make(100)
    return await later(), await Pause("main")
''',
    "nested_in_a_method": '''
class Base:
    async def run(self, k):
        return k


class Worker(Base):
    def __init__(self):
        self.__secret = 3

    async def run(self, k):
        total = [k]

        async def numbers():
            for i in range(2):
                yield i + total[0] + await Pause(("numbers", i))

        async def plain():
            return await Pause("plain")

        async for number in numbers():
            total.append(number)
        total.append(await plain())
        return total, await super().run(self.__secret)


async def main():
    return await Worker().run(10)
''',
}
