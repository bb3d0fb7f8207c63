"""A module the compiler rejects fails to import as a broken module does natively."""

import importlib
import os
import subprocess
import sys
import time
import traceback

import pytest

import statemachine_compiler
from statemachine_compiler import CompileError, install_import_hook
from statemachine_compiler import importhook as importhook_module
from statemachine_compiler.importhook import SlowCompileNotice, StateMachineLoader

from .conftest import subprocess_env

PACKAGE = os.path.dirname(statemachine_compiler.__file__)
UNSUPPORTED = 'x = 1\n\nasync def numbers(x):\n    return f"{x:{await x}}"\n'


def import_failure(modules, name, source) -> CompileError:
    path = modules.write(f"{name}.py", source)
    with install_import_hook([name]), pytest.raises(SyntaxError) as caught:
        importlib.import_module(name)
    error = caught.value
    assert isinstance(error, CompileError), type(error)
    assert error.filename == str(path)
    return error


def test_unsupported_construct_is_a_syntax_error_with_file_line_column_and_text(modules):
    error = import_failure(modules, "unsupported_here", UNSUPPORTED)
    assert (error.lineno, error.offset) == (4, 12)
    assert error.text == '    return f"{x:{await x}}"\n'
    assert error.msg.startswith("unsupported: ")


def test_syntax_error_is_caught_as_one_with_pythons_message(modules):
    source = "x = 1\nasync def f(:\n    pass\n"
    error = import_failure(modules, "broken_here", source)
    try:
        compile(source, "broken_here.py", "exec")
    except SyntaxError as native:
        assert (error.msg, error.lineno, error.offset) == (native.msg, native.lineno, native.offset)
    assert error.text == "async def f(:\n"


def test_traceback_has_none_of_the_compilers_frames(modules):
    error = import_failure(modules, "unsupported_frames", UNSUPPORTED)
    compiler_frames = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if "libcst" in frame.filename
        or (frame.filename.startswith(PACKAGE) and not frame.filename.endswith("importhook.py"))
    ]
    assert compiler_frames == [], compiler_frames
    assert error.__cause__ is None and error.__suppress_context__


def test_printed_traceback_shows_the_line_and_a_caret_like_pythons(tmp_path):
    (tmp_path / "broken.py").write_text(UNSUPPORTED)
    (tmp_path / "main.py").write_text(
        "import statemachine_compiler\n"
        "statemachine_compiler.install_import_hook(['broken'])\n"
        "import broken\n"
    )
    done = subprocess.run(
        [sys.executable, "main.py"], cwd=tmp_path, env=subprocess_env(),
        capture_output=True, text=True, timeout=120,
    )
    lines = done.stderr.splitlines()
    assert lines[-4] == f'  File "{tmp_path / "broken.py"}", line 4', done.stderr
    assert lines[-3:-1] == ['    return f"{x:{await x}}"', "           ^"], done.stderr
    assert lines[-1].startswith("statemachine_compiler.CompileError: unsupported: "), done.stderr
    assert "libcst" not in done.stderr and "pipeline.py" not in done.stderr, done.stderr


def test_printed_traceback_has_the_frames_of_a_broken_modules(tmp_path):
    """Through the hook, as natively: the importing line, then the error; no importlib frames."""
    (tmp_path / "broken.py").write_text(UNSUPPORTED)
    (tmp_path / "native.py").write_text("x = 1\n\ndef numbers(x):\n    return (x\n")
    (tmp_path / "main.py").write_text(
        "import sys\n"
        "import statemachine_compiler\n"
        "statemachine_compiler.install_import_hook(['broken'])\n"
        "__import__(sys.argv[1])  # an import statement, without a frame of its own\n"
    )

    def frames(module):
        done = subprocess.run(
            [sys.executable, "main.py", module], cwd=tmp_path, env=subprocess_env(),
            capture_output=True, text=True, timeout=120,
        )
        files = [line.split(",")[0].strip() for line in done.stderr.splitlines() if line.strip().startswith("File ")]
        return [name.replace(module, "MODULE") for name in files], done.stderr

    native, native_stderr = frames("native")
    hooked, hooked_stderr = frames("broken")
    assert native == [f'File "{tmp_path / "main.py"}"', f'File "{tmp_path / "MODULE.py"}"'], native_stderr
    assert hooked == native, hooked_stderr


# -- encodings -------------------------------------------------------------------------------


def test_latin1_declaration_and_bom_modules_import_compiled(modules):
    (modules.root / "latin_mod.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nasync def f():\n    return '\xe9'\n"
    )
    (modules.root / "bom_mod.py").write_bytes(b"\xef\xbb\xbfasync def f():\n    return '\xc3\xa9'\n")
    importlib.invalidate_caches()
    with install_import_hook(["latin_mod", "bom_mod"]):
        import bom_mod
        import latin_mod
    for module in (latin_mod, bom_mod):
        coroutine = module.f()
        assert type(coroutine).__qualname__ == "_f", "not compiled"
        with pytest.raises(StopIteration) as stop:
            coroutine.send(None)
        assert stop.value.value == "\xe9"


def test_undecodable_byte_is_reported_at_its_line_and_column(modules):
    (modules.root / "undecodable.py").write_bytes(b"x = 1\ny = 'ab\xff'\n")
    importlib.invalidate_caches()
    with install_import_hook(["undecodable"]), pytest.raises(CompileError) as caught:
        import undecodable  # noqa: F401
    assert (caught.value.lineno, caught.value.offset) == (2, 8)
    assert "0xff" in caught.value.msg


# -- the notice of a slow first import ------------------------------------------------------


@pytest.fixture
def notice(monkeypatch):
    """Make the notice due at once, and each compile wait until it has been given."""
    monkeypatch.setattr(SlowCompileNotice, "DELAY", 0.0)
    monkeypatch.setattr(SlowCompileNotice, "given", False)
    monkeypatch.delenv(importhook_module.QUIET_VARIABLE, raising=False)
    compile_module = StateMachineLoader.source_to_code

    def slow_compile(self, data, path, **kwargs):
        deadline = time.monotonic() + 10
        quiet = SlowCompileNotice(self.name, self.quiet).quiet
        while not (quiet or SlowCompileNotice.given) and time.monotonic() < deadline:
            time.sleep(0.01)
        return compile_module(self, data, path, **kwargs)

    monkeypatch.setattr(StateMachineLoader, "source_to_code", slow_compile)


def test_slow_first_import_says_so_once_on_stderr(modules, notice, capsys):
    modules.write("slow_one.py", "async def f():\n    return 1\n")
    modules.write("slow_two.py", "async def f():\n    return 2\n")
    with install_import_hook(["slow_*"]):
        import slow_one  # noqa: F401
        import slow_two  # noqa: F401
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "statemachine-compiler: compiling slow_one on its first import"
        " (cached for the next runs; STATEMACHINE_COMPILER_QUIET=1 hides this)\n"
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_slow_compile_notice_can_be_switched_off(modules, notice, capsys, monkeypatch, how):
    modules.write("slow_quiet.py", "async def f():\n    return 1\n")
    if how == "environment":
        monkeypatch.setenv(importhook_module.QUIET_VARIABLE, "1")
    with install_import_hook(["slow_quiet"], quiet=how == "option"):
        import slow_quiet  # noqa: F401
    assert SlowCompileNotice("slow_quiet", quiet=how == "option").quiet
    assert capsys.readouterr().err == ""


def test_fast_import_prints_nothing(modules, capsys, monkeypatch):
    monkeypatch.setattr(SlowCompileNotice, "DELAY", 3600.0)
    modules.write("fast_one.py", "async def f():\n    return 1\n")
    with install_import_hook(["fast_one"]):
        import fast_one  # noqa: F401
    assert capsys.readouterr() == ("", "")


# Generated code that does not compile: the hook compiles the output once, itself
# (the pipeline does not check it first), and says so as the pipeline's check would.
BROKEN_OUTPUTS = {
    "a parse error": "def f(:\n    pass\n",
    "return outside a function": "x = 1\nreturn x\n",
    "nonlocal at module level": "nonlocal x\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN_OUTPUTS))
def test_generated_code_that_does_not_compile_is_an_internal_error(tmp_path, monkeypatch, name):
    # As imported now (other tests here forget the modules they imported).
    modulecode = importlib.import_module("statemachine_compiler.modulecode")
    pipeline = importlib.import_module("statemachine_compiler.pipeline")
    broken = BROKEN_OUTPUTS[name]
    seen = []

    def compile_source(text, filename, options):
        seen.append(options)
        return pipeline.Result(broken, ["f"], list(range(1, broken.count("\n") + 2)))

    monkeypatch.setattr(pipeline, "compile_source", compile_source)
    path = str(tmp_path / "generated.py")
    with pytest.raises(SyntaxError) as caught:
        modulecode.module_code("async def f():\n    pass\n", path)
    assert seen == [pipeline.Options(format=False, check=False)]
    assert type(caught.value).__name__ == "CompileError" and caught.value.filename == path
    assert "internal error: the generated code does not compile" in caught.value.msg
    with pytest.raises(SyntaxError) as checked:
        pipeline.check_output(broken, path)
    assert caught.value.msg == checked.value.msg


def test_a_failure_after_the_generated_code_compiled_is_not_called_the_compilers(tmp_path):
    modulecode = importlib.import_module("statemachine_compiler.modulecode")

    def failing_pass(tree):
        raise SyntaxError("made by the tree pass")

    with pytest.raises(SyntaxError, match="made by the tree pass") as caught:
        modulecode.module_code("async def f():\n    pass\n", str(tmp_path / "m.py"), tree_pass=failing_pass)
    assert type(caught.value) is SyntaxError
