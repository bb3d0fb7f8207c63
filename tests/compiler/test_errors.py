"""Bad input: ``path:line:col: message`` on stderr, exit status 2, nothing written.

Syntax errors are reported as CPython reports them; constructs the compiler
does not handle yet as ``unsupported: <what>`` at the construct's line.  Never
a Python traceback, never a half-written output.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from statemachine_compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_no_traceback(err: str) -> None:
    assert "Traceback" not in err, f"a Python traceback instead of a message:\n{err}"


# -- syntax errors -------------------------------------------------------------------------

SYNTAX_ERRORS = {
    # name: (source, line) -- the column is whatever CPython reports
    "unclosed_parameter_list": ("x = 1\nasync def f(:\n    pass\n", 2),
    "await_outside_async_function": ("def f():\n    return await g()\n", 2),
    "bad_indentation": ("async def f():\n    x = 1\n      y = 2\n", 3),
    "yield_from_in_async_def": ("async def f():\n    yield from g()\n", 2),
    # Found after the parse, by a compile to bytecode only.
    "return_outside_function": ("x = 1\nreturn x\n", 2),
    "nonlocal_at_module_level": ("async def f():\n    pass\nnonlocal x\n", 3),
    "nonlocal_of_no_binding": ("async def f():\n    nonlocal x\n    await g()\n", 2),
    # Natively a syntax error, and the compiler spells such a statement out as plain
    # try/except, where they would be allowed: they must still be reported.
    "return_in_except_star_clause_that_awaits": (
        "async def f():\n    try:\n        pass\n    except* KeyError:\n        await g()\n        return 1\n",
        6,
    ),
    "break_in_except_star_clause_that_awaits": (
        "async def f(xs):\n    for x in xs:\n        try:\n            pass\n"
        "        except* KeyError:\n            await g()\n            break\n",
        7,
    ),
    "continue_in_except_star_clause_that_awaits": (
        "async def f(xs):\n    for x in xs:\n        try:\n            pass\n"
        "        except* KeyError:\n            continue\n        finally:\n            await g()\n",
        6,
    ),
}


def cpython_error(source: str, filename: str) -> SyntaxError:
    try:
        compile(source, filename, "exec")
    except SyntaxError as error:
        return error
    raise AssertionError("the case is not a syntax error")


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_syntax_error_is_reported_like_cpython(tmp_path, capsys, name):
    source, line = SYNTAX_ERRORS[name]
    path = tmp_path / "bad.py"
    path.write_text(source, encoding="utf-8")
    out_file = tmp_path / "out.py"
    status, out, err = run_cli(capsys, "compile", path, "-o", out_file)
    expected = cpython_error(source, str(path))
    assert status == 2, f"exit status {status}, expected 2; stderr: {err!r}"
    assert_no_traceback(err)
    assert err.startswith(f"{path}:{line}:{expected.offset}: SyntaxError: {expected.msg}"), (
        f"stderr {err!r}, expected '{path}:{line}:{expected.offset}: SyntaxError: {expected.msg}'"
    )
    assert out == "", f"something printed to stdout: {out!r}"
    assert not out_file.exists(), "an output file was written for input with a syntax error"


def test_syntax_error_to_stdout_prints_nothing(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text("async def f(\n", encoding="utf-8")
    status, out, err = run_cli(capsys, "compile", path)
    assert (status, out) == (2, ""), f"status {status}, stdout {out!r}"
    assert f"{path}:1:" in err and "SyntaxError" in err, err


# -- unsupported constructs ----------------------------------------------------------------

UNSUPPORTED = {
    # name: (source, line of the construct, words the message must contain)
    "await_in_format_spec": (
        """
        async def f(x):
            return f"{x:{await width()}}"
        """,
        2,
        "format spec",
    ),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_construct_is_reported_at_its_line(tmp_path, capsys, name):
    source, line, words = UNSUPPORTED[name]
    path = write(tmp_path / "app.py", source)
    out_file = tmp_path / "out.py"
    status, out, err = run_cli(capsys, "compile", path, "-o", out_file)
    assert status == 2, f"exit status {status}, expected 2; stderr: {err!r}"
    assert_no_traceback(err)
    prefix = f"{path}:{line}:"
    assert err.startswith(prefix), f"stderr {err!r} does not start with {prefix!r}"
    assert ": unsupported: " in err and words in err, f"stderr {err!r} lacks 'unsupported: ...{words}'"
    assert err.count("\n") == 1, f"expected a one-line message, got {err!r}"
    assert not out_file.exists(), "an output file was written for unsupported input"


@pytest.mark.parametrize(
    "source",
    [
        "async def f(c):\n    async with c:\n        pass\n",
        "async def f(c):\n    async for x in c:\n        print(x)\n",
    ],
    ids=["async_with_without_await_in_body", "async_for_without_await_in_body"],
)
# Once copied into resume() unchanged, which gave "'async with' outside async function".
def test_async_with_and_for_compile_to_valid_python_or_are_reported(tmp_path, capsys, source):
    path = write(tmp_path / "app.py", source)
    status, out, err = run_cli(capsys, "compile", path)
    if status == 2:
        assert ": unsupported: " in err, err
        return
    assert status == 0, err
    try:
        compile(out, "output", "exec")
    except SyntaxError as error:
        pytest.fail(f"exit 0 but the output is not valid Python ({error}):\n{out}")


# -- files and directories -----------------------------------------------------------------


def test_directory_with_one_bad_file_writes_nothing(tmp_path, capsys):
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    write(source / "good.py", "async def f():\n    return await g()\n")
    write(source / "pkg" / "also_good.py", "x = 1\n")
    write(source / "pkg" / "zz_bad.py", "async def f(:\n")
    out_dir = tmp_path / "out"
    status, out, err = run_cli(capsys, "compile", source, "-o", out_dir)
    assert status == 2, err
    assert f"{source / 'pkg' / 'zz_bad.py'}:1:" in err, err
    written = sorted(p for p in out_dir.rglob("*")) if out_dir.exists() else []
    assert written == [], f"files written although one input failed: {written}"


def test_every_bad_file_in_a_directory_is_reported(tmp_path, capsys):
    source = tmp_path / "src"
    source.mkdir()
    write(source / "a.py", "async def f(:\n")
    write(source / "b.py", 'async def f(c):\n    return f"{c:{await c}}"\n')
    status, _, err = run_cli(capsys, "compile", source, "-o", tmp_path / "out")
    assert status == 2
    assert f"{source / 'a.py'}:1:" in err and f"{source / 'b.py'}:2:12: unsupported:" in err, err


def test_existing_output_file_is_left_untouched_on_error(tmp_path, capsys):
    path = write(tmp_path / "bad.py", 'async def f(c):\n    return f"{c:{await c}}"\n')
    out_file = tmp_path / "out.py"
    out_file.write_text("previous contents\n", encoding="utf-8")
    status, _, _ = run_cli(capsys, "compile", path, "-o", out_file)
    assert status == 2
    assert out_file.read_text(encoding="utf-8") == "previous contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.py", "out.py"], "temporary left behind"


def test_missing_source_is_an_error(tmp_path, capsys):
    status, out, err = run_cli(capsys, "compile", tmp_path / "nope.py")
    assert (status, out) == (2, "")
    assert "nope.py" in err
    assert_no_traceback(err)


@pytest.mark.parametrize(
    ("data", "position"),
    [
        (b"x = '\xe9'\n", "1:6"),
        (b"x = 1\ny = 'ab\xff'\n", "2:8"),
        (b"# -*- coding: ascii -*-\nx = 1\ny = '\xe9'\n", "3:6"),
    ],
    ids=["first_line", "second_line", "declared_ascii"],
)
def test_undecodable_source_is_reported_at_the_bad_byte(tmp_path, capsys, data, position):
    path = tmp_path / "latin.py"
    path.write_bytes(data)
    status, _, err = run_cli(capsys, "compile", path)
    assert status == 2
    assert err.startswith(f"{path}:{position}: SyntaxError: "), err
    assert_no_traceback(err)


def test_bad_input_through_the_real_command_has_no_traceback(tmp_path):
    path = write(tmp_path / "bad.py", 'async def f():\n    return f"{y:{await y}}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "statemachine_compiler", "compile", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:2:"), result.stderr
    assert_no_traceback(result.stderr)


# -- the output guard ----------------------------------------------------------------------


def test_generated_code_that_does_not_compile_is_an_internal_error(tmp_path, capsys, monkeypatch):
    """A compiler bug must never be written out with exit status 0."""
    import libcst as cst

    from statemachine_compiler import pipeline

    add_import = pipeline._add_runtime_import

    def broken(module, *args):  # as a lowering bug would: an await outside any async def
        module = add_import(module, *args)
        bad = cst.SimpleStatementLine([cst.Expr(cst.Await(cst.Name("x")))])
        return module.with_changes(body=[*module.body, bad])

    monkeypatch.setattr(pipeline, "_add_runtime_import", broken)
    path = write(tmp_path / "app.py", "async def f():\n    return await g()\n")
    out_file = tmp_path / "out.py"
    status, out, err = run_cli(capsys, "compile", path, "-o", out_file)
    assert status == 2, f"exit status {status}, expected 2; stderr: {err!r}"
    assert_no_traceback(err)
    assert err.startswith(f"{path}:") and ": internal error: " in err, err
    assert not out_file.exists(), "invalid generated code was written"
