"""Tracebacks, source and names of compiled code are the user's, as natively."""

import importlib
import inspect
import sys
import traceback

import runtime.statemachine
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

MACHINERY = runtime.statemachine.__file__


def import_twice(modules):
    """Import the module natively, then compiled; return both."""
    modules.write("deep.py", DEEP)
    native = importlib.import_module("deep")
    modules.forget("deep")
    with install_import_hook(["deep"]):
        compiled = importlib.import_module("deep")
    assert compiled is not native and compiled.level2.__code__.co_flags & inspect.CO_COROUTINE == 0
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
