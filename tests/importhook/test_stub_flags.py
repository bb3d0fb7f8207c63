"""The hook flags each stub's code as it compiles: importing rebuilds no function, inspect says the same."""

import inspect

from runtime.machines import marks
from statemachine_compiler import install_import_hook
from statemachine_compiler.importhook import compile_to_code

SOURCE = '''
def twice(x):
    return x


async def twice(x):
    """Twice x: a stub with a docstring."""
    return 2 * x


class Service:
    async def handle(self, request):
        async def inner():
            return request

        return await inner()

    async def stream(self):
        yield 1

    def plain(self):
        return 0


def outer():
    async def nested():
        return 1

    def sync_nested():
        return 2

    return nested, sync_nested
'''


def test_every_stub_is_what_inspect_says_and_nothing_else_is(modules):
    modules.write("flagged.py", SOURCE)
    with install_import_hook(["flagged"]):
        import flagged
    nested, sync_nested = flagged.outer()
    assert inspect.iscoroutinefunction(flagged.twice)
    assert inspect.iscoroutinefunction(flagged.Service.handle)
    assert inspect.isasyncgenfunction(flagged.Service.stream)
    assert not inspect.iscoroutinefunction(flagged.Service.stream)
    assert inspect.iscoroutinefunction(nested)
    for plain in (flagged.outer, flagged.Service.plain, sync_nested):
        assert not inspect.iscoroutinefunction(plain) and not inspect.isasyncgenfunction(plain), plain
    coroutine = flagged.Service().handle("request")
    try:
        coroutine.send(None)
    except StopIteration as stop:
        assert stop.value == "request"


def test_the_plain_def_a_stub_replaces_keeps_its_flags():
    code = compile_to_code(SOURCE, "flagged.py")
    (plain,) = [c for c in code.co_consts if getattr(c, "co_name", None) == "twice" and "_twice" not in c.co_names]
    assert not plain.co_flags & (marks.CO_COROUTINE | marks.CO_ASYNC_GENERATOR)


def test_a_stub_the_hook_flagged_is_not_rebuilt(modules, monkeypatch):
    modules.write("flagged.py", SOURCE)
    rebuilt = []
    function_type = marks.FunctionType

    def counting(*args):
        rebuilt.append(args[2])
        return function_type(*args)

    monkeypatch.setattr(marks, "FunctionType", counting)
    with install_import_hook(["flagged"]):
        import flagged
    flagged.outer()
    coroutine = flagged.Service().handle("request")  # its inner's class is the machine's attribute
    try:
        coroutine.send(None)
    except StopIteration:
        pass
    assert rebuilt == []


def test_a_plain_def_replacing_a_stub_at_once_stays_plain(modules):
    modules.write("replaced.py", "async def f():\n    return 1\ndef f():\n    return 2\n")
    with install_import_hook(["replaced"]):
        import replaced
    assert not inspect.iscoroutinefunction(replaced.f)
    assert replaced.f() == 2


CLOSURES = '''
def make(k):
    async def inner():
        return k

    return inner


class Account:
    def reader(self):
        async def read():
            return self

        return read
'''


def test_the_hook_names_the_resume_an_async_def_in_a_function_makes_there(modules):
    # Its class is made once, at module level; its resume by a function
    # where it stands (``@_make_inner.resume_maker``), whose code the hook
    # names as it compiles: nothing is renamed when it runs.
    modules.write("closures.py", CLOSURES)
    with install_import_hook(["closures"]):
        import closures
    for made in (closures.make(1), closures.Account().reader()):
        coroutine = made()
        cls = type(coroutine)
        assert cls._maker_code is cls._maker_source  # the function's own code, as compiled
        assert (cls._resume_code.co_name, cls._resume_code.co_qualname) == (made.__name__, made.__qualname__)
        assert coroutine.cr_code is cls._resume_code
        coroutine.close()
