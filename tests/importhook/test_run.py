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
compiled = type(coroutine) is not types.CoroutineType
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
        print(type(lib.tasks.job()).__qualname__, type(other.job()).__qualname__)
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
def test_script_is_not_cached_as_python_does_not_cache_main(tmp_path, name):
    write(tmp_path, name, REPORT)
    done = run(tmp_path, name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "__main__ [] 42 compiled"
    assert not (tmp_path / "__pycache__").exists(), list((tmp_path / "__pycache__").iterdir())


def test_unreadable_script_is_one_line(tmp_path):
    (tmp_path / "adir").mkdir()
    done = run(tmp_path, "adir")
    assert (done.returncode, done.stderr) == (2, "adir: Is a directory\n")


def test_missing_script_says_no_such_file_or_directory(tmp_path):
    done = run(tmp_path, "nope.py")
    assert (done.returncode, done.stderr) == (2, "nope.py: No such file or directory\n")


def test_interrupt_while_compiling_the_script_is_one_line(tmp_path, monkeypatch, capsys):
    from statemachine_compiler import runner, scriptcache

    def interrupted(source, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(scriptcache, "compile_to_code", interrupted)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    script = write(tmp_path, "prog.py", REPORT)
    assert runner.run_script(str(script), []) == 2
    assert capsys.readouterr().err == f"{script}: interrupted\n"


IMPORTS = """
import sys

async def answer():
    return 42

print(type(answer()).__qualname__ != "coroutine", "libcst" in sys.modules)
"""


def test_unchanged_script_runs_from_the_cache_without_the_compiler(tmp_path, script_cache):
    write(tmp_path, "prog.py", IMPORTS)
    first = run(tmp_path, "prog.py")
    assert (first.returncode, first.stdout) == (0, "True True\n"), first.stderr
    [entry] = script_cache.iterdir()
    assert entry.name.startswith("prog_py-") and entry.name.endswith(".pyc")
    second = run(tmp_path, "prog.py")
    assert (second.returncode, second.stdout) == (0, "True False\n"), second.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["prog.py", "script-cache"]


def test_unchanged_script_imports_neither_the_debugger_nor_what_compiling_needs(tmp_path):
    # pdb (inspect, dis) comes with the first breakpoint(); ast and typing with a compile.
    source = IMPORTS.replace('"libcst" in sys.modules', 'sorted(m for m in ("pdb", "inspect", "dis", "ast", "typing") if m in sys.modules)')
    write(tmp_path, "prog.py", source)
    assert run(tmp_path, "prog.py").returncode == 0
    done = run(tmp_path, "prog.py")
    assert (done.returncode, done.stdout) == (0, "True []\n"), done.stderr


def test_unchanged_script_imports_nothing_to_read_the_command_line(tmp_path):
    # argparse (gettext, and shutil with the compression modules) reads
    # only the command lines the plain reading leaves to it.
    dear = ("argparse", "gettext", "shutil")
    source = f"import sys\nprint(sorted(m for m in {dear!r} if m in sys.modules))\n"
    write(tmp_path, "prog.py", source)
    native = subprocess.run(
        [sys.executable, "prog.py"], cwd=tmp_path, env=subprocess_env(), capture_output=True,
        text=True, timeout=120,
    )
    assert native.stdout == "[]\n", native.stderr
    assert run(tmp_path, "prog.py").returncode == 0
    for arguments in (["prog.py"], ["--include", "x.*", "--include=y", "prog.py", "a"]):
        done = run(tmp_path, *arguments)
        assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr
    assert run(tmp_path, "--inc", "x", "prog.py").stdout == "['argparse', 'gettext', 'shutil']\n"


# Command lines read the plain way, as argparse reads them.
PLAIN_COMMAND_LINES = [
    ["run", "app.py"],
    ["run", "app.py", "a", "--include", "-m", "b", "--pdb", "--", "-h"],
    ["run", "--include", "x", "app.py", "-m", "y"],
    ["run", "--include=x.*", "--include", "y", "--include=", "--include=a=b", "app.py"],
    ["run", "--include", "", "app.py"],
    ["run", "--pdb", "app.py", "--pdb"],
    ["run", "--pdb", "--include", "p", "--pdb", "-m", "mod", "--include", "q"],
    ["run", "-m", "mod", "a", "-m", "b"],
    ["run", "-m", "pdb", "-c", "continue", "app.py"],
    ["run", "--include", "a", "-m", "pdb", "-m", "mod"],
    ["run", "with space.py", "-"],
    ["run", "run"],
]
# Left to argparse: help, abbreviations, --, a missing value, a dash where a name stands.
ARGPARSE_COMMAND_LINES = [
    ["run"], ["run", "-h"], ["run", "-m"], ["run", "--pdb"], ["run", "--", "app.py"],
    ["run", "--inc", "x", "app.py"], ["run", "--include"], ["run", "--include", "-x", "app.py"],
    ["run", "-m", "-x"], ["run", "-mmod"], ["run", "-", "a"], ["run", "-1"],
    ["--traceback", "run", "app.py"], ["compile", "app.py"], [],
]  # fmt: skip


@pytest.mark.parametrize("argv", PLAIN_COMMAND_LINES, ids=" ".join)
def test_a_plain_run_command_line_reads_as_argparse_reads_it(argv):
    from statemachine_compiler.cli import build_parser
    from statemachine_compiler.runline import plain_run_arguments

    assert vars(plain_run_arguments(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", ARGPARSE_COMMAND_LINES, ids=" ".join)
def test_any_other_command_line_is_left_to_argparse(argv):
    from statemachine_compiler.runline import plain_run_arguments

    assert plain_run_arguments(argv) is None


def test_changed_script_is_compiled_again(tmp_path, script_cache):
    write(tmp_path, "prog.py", REPORT)
    assert run(tmp_path, "prog.py").stdout == "__main__ [] 42 compiled\n"
    write(tmp_path, "prog.py", REPORT.replace("2 * x", "3 * x"))
    done = run(tmp_path, "prog.py")
    assert (done.returncode, done.stdout) == (0, "__main__ [] 63 compiled\n"), done.stderr


def test_two_scripts_of_one_name_have_their_own_entries(tmp_path, script_cache):
    write(tmp_path, "a/prog.py", REPORT)
    write(tmp_path, "b/prog.py", REPORT.replace("2 * x", "3 * x"))
    for _ in range(2):
        assert run(tmp_path, "a/prog.py").stdout == "__main__ [] 42 compiled\n"
        assert run(tmp_path, "b/prog.py").stdout == "__main__ [] 63 compiled\n"
    assert len(list(script_cache.iterdir())) == 2


def test_dont_write_bytecode_means_the_script_is_not_cached(tmp_path, script_cache):
    write(tmp_path, "prog.py", IMPORTS)
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-B", "-m", "statemachine_compiler", "run", "prog.py"],
            cwd=tmp_path,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (done.returncode, done.stdout) == (0, "True True\n"), done.stderr
    assert not script_cache.exists()


def test_unwritable_cache_directory_means_no_cache_and_no_error(tmp_path, monkeypatch):
    blocker = write(tmp_path, "not-a-directory", "")
    monkeypatch.setenv("STATEMACHINE_COMPILER_CACHE", str(blocker / "cache"))
    write(tmp_path, "prog.py", REPORT)
    for _ in range(2):
        done = run(tmp_path, "prog.py")
        assert (done.returncode, done.stdout, done.stderr) == (0, "__main__ [] 42 compiled\n", "")
