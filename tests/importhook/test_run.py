"""``statemachine-compiler run``: a program runs as under ``python``, compiled."""

import subprocess
import sys
import textwrap

import pytest

from .conftest import subprocess_env

REPORT = """
import sys
import types

async def double(x):
    return 2 * x

coroutine = double(21)
try:
    coroutine.send(None)
except StopIteration as stop:
    result = stop.value
compiled = not isinstance(coroutine, types.CoroutineType)
print(__name__, sys.argv[1:], result, "compiled" if compiled else "native")
"""


def run(tmp_path, *arguments):
    return subprocess.run(
        [sys.executable, "-m", "statemachine_compiler", "run", *arguments],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(tmp_path, relative, source):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def test_script_runs_compiled_as_main_with_its_arguments(tmp_path):
    script = write(tmp_path, "prog.py", REPORT)
    done = run(tmp_path, str(script), "a", "--include", "-m", "b")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "__main__ ['a', '--include', '-m', 'b'] 42 compiled"


def test_script_directory_comes_first_on_sys_path(tmp_path):
    write(tmp_path, "sub/sibling.py", "VALUE = 'sibling'\n")
    script = write(tmp_path, "sub/prog.py", "import sibling\nprint(sibling.VALUE, __file__)\n")
    done = run(tmp_path, "sub/prog.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"sibling {script}"


def test_module_runs_compiled_as_main_with_its_arguments(tmp_path):
    module = write(tmp_path, "prog.py", REPORT + "print(sys.argv[0])\n")
    done = run(tmp_path, "-m", "prog", "x", "-y")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["__main__ ['x', '-y'] 42 compiled", str(module)]


def test_package_runs_through_its_main_module(tmp_path):
    write(tmp_path, "tool/__init__.py", "")
    write(tmp_path, "tool/__main__.py", REPORT + "print(__package__, __spec__.name)\n")
    done = run(tmp_path, "-m", "tool", "go")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["__main__ ['go'] 42 compiled", "tool tool.__main__"]


def test_include_compiles_imported_modules_and_only_those(tmp_path):
    write(tmp_path, "lib/__init__.py", "")
    write(tmp_path, "lib/tasks.py", "async def job():\n    return 1\n")
    write(tmp_path, "other.py", "async def job():\n    return 1\n")
    script = write(tmp_path, "prog.py", """
        import lib.tasks, other
        print(type(lib.tasks.job()).__name__, type(other.job()).__name__)
    """)
    done = run(tmp_path, "--include", "lib.*", str(script))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_job", "coroutine"]


@pytest.mark.parametrize(
    ("ending", "status", "stderr"),
    [
        ("pass", 0, ""),
        ("sys.exit()", 0, ""),
        ("sys.exit(3)", 3, ""),
        ("raise SystemExit(0)", 0, ""),
        ("sys.exit('bad input')", 1, "bad input\n"),
    ],
)
def test_exit_status_is_pythons(tmp_path, ending, status, stderr):
    script = write(tmp_path, "prog.py", f"import sys\n{ending}\n")
    native = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    done = run(tmp_path, str(script))
    assert (done.returncode, done.stderr) == (native.returncode, native.stderr) == (status, stderr)


def test_uncaught_exception_prints_the_traceback_and_exits_1(tmp_path):
    script = write(tmp_path, "prog.py", """
        async def fail():
            raise KeyError("missing")

        fail().send(None)
    """)
    done = run(tmp_path, str(script))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == f'  File "{script}", line 5, in <module>', "the runner's own frames show"
    assert lines[-1] == "KeyError: 'missing'"


def test_missing_module_is_reported_like_python(tmp_path):
    done = run(tmp_path, "-m", "no_such_module_here")
    assert done.returncode == 1
    assert "No module named no_such_module_here" in done.stderr


def test_uncompilable_script_is_reported_as_path_line_column(tmp_path):
    script = write(tmp_path, "prog.py", 'async def numbers(x):\n    return f"{x:{await x}}"\n')
    done = run(tmp_path, str(script))
    assert done.returncode == 2
    assert done.stderr.startswith(f"{script}:2:12: unsupported")


@pytest.mark.parametrize("name", ["prog.py", "prog"], ids=["with_py", "without_py"])
def test_script_is_cached_unless_it_has_no_py_suffix(tmp_path, name):
    write(tmp_path, name, REPORT)
    for _ in range(2):  # compiled, then from the cache
        done = run(tmp_path, name)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "__main__ [] 42 compiled"
    cached = sorted(p.name for p in (tmp_path / "__pycache__").iterdir()) if name == "prog.py" else []
    assert cached == ([f"prog.cpython-{sys.version_info[0]}{sys.version_info[1]}.opt-statemachine1.pyc"]
                      if name == "prog.py" else [])
    if name == "prog":
        assert not (tmp_path / "__pycache__").exists()


def test_unreadable_script_is_one_line(tmp_path):
    (tmp_path / "adir").mkdir()
    done = run(tmp_path, "adir")
    assert (done.returncode, done.stderr) == (2, "adir: Is a directory\n")


def test_missing_script_says_no_such_file_or_directory(tmp_path):
    done = run(tmp_path, "nope.py")
    assert (done.returncode, done.stderr) == (2, "nope.py: No such file or directory\n")


def test_interrupt_while_compiling_the_script_is_one_line(tmp_path, monkeypatch, capsys):
    from statemachine_compiler import importhook, runner

    def interrupted(source, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "compile_to_code", interrupted)
    monkeypatch.setattr(importhook, "compile_to_code", interrupted)  # what the loader calls
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    script = write(tmp_path, "prog.py", REPORT)
    assert runner.run_script(str(script), []) == 2
    assert capsys.readouterr().err == f"{script}: interrupted\n"


def test_an_unchanged_script_runs_from_the_cache_without_the_compiler(tmp_path):
    script = write(
        tmp_path,
        "prog.py",
        """
        import sys

        async def main():
            return 42

        coro = main()
        try:
            coro.send(None)
        except StopIteration as stop:
            print(type(coro).__name__, stop.value, "libcst" in sys.modules)
        """,
    )
    first = run(tmp_path, str(script))
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["_main", "42", "True"]  # compiled, and cached
    second = run(tmp_path, str(script))
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["_main", "42", "False"]
    script.write_text(script.read_text().replace("42", "43"))
    changed = run(tmp_path, str(script))
    assert changed.stdout.split() == ["_main", "43", "True"]
