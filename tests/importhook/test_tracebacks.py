"""Tracebacks, source and names of compiled code are the user's, as natively."""

import importlib
import inspect
import sys
import traceback

import runtime.machines.statemachine
from statemachine_compiler import install_import_hook

DEEP = '''\
class Ready:
    def __await__(self):
        return 1
        yield


async def level3(x):
    await Ready()
    raise ValueError(x)


async def level2(x):
    y = await Ready()
    return await level3(x + y)


async def spread(x):
    return await level3(
        x
    )


@staticmethod
async def level1(x):
    """Calls level2."""
    value = await level2(x)
    return value


async def outer():
    def helper():
        return 1

    await Ready()
    return helper


def drive(function=None):
    try:
        (function or level1.__func__)(1).send(None)
    except ValueError as error:
        return error
'''

MACHINERY = runtime.machines.statemachine.__file__


def import_twice(modules):
    """Import the module natively, then compiled; return both."""
    modules.write("deep.py", DEEP)
    native = importlib.import_module("deep")
    modules.forget("deep")
    with install_import_hook(["deep"]):
        compiled = importlib.import_module("deep")
    # Compiled, the function is a stub that builds a machine class of the module.
    assert compiled is not native and hasattr(compiled, "_level2") and not hasattr(native, "_level2")
    return native, compiled


def frames(error):
    return [
        (frame.filename, frame.lineno, frame.name, frame.line)
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename != MACHINERY
    ]


def test_traceback_three_calls_deep_names_the_same_files_lines_and_functions(modules):
    native, compiled = import_twice(modules)
    expected = frames(native.drive())
    assert [name for _, _, name, _ in expected] == ["drive", "level1", "level2", "level3"]
    assert frames(compiled.drive()) == expected


def test_traceback_through_a_multiline_await_names_the_await_line(modules):
    native, compiled = import_twice(modules)
    assert frames(compiled.drive(compiled.spread)) == frames(native.drive(native.spread))


def test_getsource_of_compiled_function_is_the_original_source(modules):
    native, compiled = import_twice(modules)
    for name in ("level2", "outer"):
        assert inspect.getsource(getattr(compiled, name)) == inspect.getsource(getattr(native, name))
    assert "async def level1" in inspect.getsource(compiled.level1.__func__)


def test_function_defined_inside_a_compiled_function_keeps_its_qualname(modules):
    native, compiled = import_twice(modules)

    def result(coroutine):
        try:
            coroutine.send(None)
        except StopIteration as stop:
            return stop.value
        raise AssertionError("suspended")

    assert result(compiled.outer()).__qualname__ == result(native.outer()).__qualname__


def test_resume_frames_carry_the_function_name(modules):
    _, compiled = import_twice(modules)
    names = {frame.name for frame in traceback.extract_tb(compiled.drive().__traceback__)}
    assert "resume" not in names


def test_run_reports_uncaught_exception_with_the_script_lines(tmp_path):
    import subprocess

    from .conftest import subprocess_env

    script = tmp_path / "deep.py"
    script.write_text(DEEP + "\nlevel1.__func__(5).send(None)\n")
    native = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    compiled = subprocess.run(
        [sys.executable, "-m", "statemachine_compiler", "run", str(script)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
    )
    assert native.returncode == compiled.returncode == 1

    def user_frames(stderr):
        lines = stderr.splitlines()
        return [line for line in lines if line.startswith('  File "' + str(script))]

    assert user_frames(compiled.stderr) == user_frames(native.stderr)
    assert compiled.stderr.splitlines()[-1] == "ValueError: 6"


EXITS = '''\
async def starts_the_module(x):
    await Ready()
    raise ValueError(x)


import contextlib


@contextlib.asynccontextmanager
async def generator_based():
    yield


class Ready:
    def __await__(self):
        return 1
        yield


class Exit:
    """An async context manager whose exit awaits, then lets the exception go."""

    async def __aenter__(self):
        return self

    async def __aexit__(self, typ, value, tb):
        await Ready()
        return False


class ReRaise(Exit):
    """Raises the exception again from __aexit__, its traceback reset, as
    contextlib.asynccontextmanager does."""

    async def __aexit__(self, typ, value, tb):
        await Ready()
        try:
            raise value
        except BaseException as exc:
            exc.__traceback__ = tb
            return False


async def in_async_with(manager, x):
    async with manager():
        raise ValueError(x)


async def in_try_whose_finally_awaits(x):
    try:
        if x:
            raise ValueError(x)
        return x
    finally:
        await Ready()


class Base:
    def value(self):
        return 1


class Methods(Base):
    async def plain(self, x):
        await Ready()
        raise ValueError(x)

    async def private_and_super(self, x):
        self.__secret = super().value()
        await Ready()
        raise ValueError(x + self.__secret)


def drive(function, *args):
    try:
        function(*args).send(None)
    except ValueError as error:
        return error
'''


def import_exits_twice(modules):
    modules.write("exits.py", EXITS)
    native = importlib.import_module("exits")
    modules.forget("exits")
    with install_import_hook(["exits"]):
        compiled = importlib.import_module("exits")
    assert compiled is not native and compiled.drive.__module__ == "exits"
    return native, compiled


def test_traceback_of_exception_leaving_async_with_keeps_the_raise_line(modules):
    native, compiled = import_exits_twice(modules)
    # test_contextlib_async's test_contextmanager_traceback, in small
    for manager in ("Exit", "ReRaise", "generator_based"):
        expected = frames(native.drive(native.in_async_with, getattr(native, manager), 1))
        assert expected[-1][3] == "raise ValueError(x)", expected
        got = frames(compiled.drive(compiled.in_async_with, getattr(compiled, manager), 1))
        assert got == expected, manager


def test_traceback_of_exception_in_try_whose_finally_awaits_keeps_the_raise_line(modules):
    native, compiled = import_exits_twice(modules)
    expected = frames(native.drive(native.in_try_whose_finally_awaits, 1))
    assert frames(compiled.drive(compiled.in_try_whose_finally_awaits, 1)) == expected


def test_traceback_lines_of_async_def_that_starts_the_module(modules):
    native, compiled = import_exits_twice(modules)
    expected = frames(native.drive(native.starts_the_module, 1))
    assert frames(compiled.drive(compiled.starts_the_module, 1)) == expected


def test_traceback_lines_of_methods_and_of_methods_that_use_super_and_private_names(modules):
    native, compiled = import_exits_twice(modules)
    for name in ("plain", "private_and_super"):
        expected = frames(native.drive(getattr(native.Methods(), name), 1))
        assert expected[-1][3].startswith("raise ValueError"), expected
        assert frames(compiled.drive(getattr(compiled.Methods(), name), 1)) == expected, name


NESTED = '''\
import sys


def enclosing():
    async def inner():
        return 1

    first = sys._getframe().f_lineno
    def helper():
        return inner()
    second = sys._getframe().f_lineno
    raise ValueError(first, second)
'''


def test_lines_after_a_nested_async_def_keep_their_numbers(modules):
    modules.write("nested.py", NESTED)
    native = importlib.import_module("nested")
    modules.forget("nested")
    with install_import_hook(["nested"]):
        compiled = importlib.import_module("nested")
    assert compiled is not native

    def outcome(module):
        try:
            module.enclosing()
        except ValueError as error:
            return error.args, frames(error)[-1][1:]

    assert outcome(compiled) == outcome(native) == ((8, 11), (12, "enclosing", "raise ValueError(first, second)"))
