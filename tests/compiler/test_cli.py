"""The ``compile`` command: a file to stdout or to ``-o``, a directory mirrored to ``-o``."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest

from statemachine_compiler import build, compile_source
from statemachine_compiler.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).parent / "statemachine-compiler"

SOURCE = textwrap.dedent(
    """\
    import asyncio


    async def double(n):
        await asyncio.sleep(0)
        return n * 2
    """
)


def expected(path: Path) -> str:
    return compile_source(path.read_text(encoding="utf-8"), str(path)).code


def write(path: Path, text: str = SOURCE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_file_is_printed_to_stdout(tmp_path, capsys):
    path = write(tmp_path / "app.py")
    assert main(["compile", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected(path), "stdout is not the compiled module"
    assert "class _double(StateMachine):" in captured.out
    assert captured.err == ""


def test_file_is_written_to_output_file(tmp_path, capsys):
    path = write(tmp_path / "app.py")
    out_file = tmp_path / "build" / "app_compiled.py"
    assert main(["compile", str(path), "-o", str(out_file)]) == 0
    assert capsys.readouterr().out == "", "with -o nothing should go to stdout"
    assert out_file.read_text(encoding="utf-8") == expected(path)


def test_directory_is_mirrored_into_output_directory(tmp_path, capsys):
    source = tmp_path / "src"
    files = ["app.py", "pkg/__init__.py", "pkg/deep/worker.py"]
    for name in files:
        write(source / name)
    write(source / "notes.txt", "not python\n")
    out_dir = tmp_path / "out"
    assert main(["compile", str(source), "-o", str(out_dir)]) == 0
    written = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    assert written == sorted([*files, "notes.txt"]), f"mirrored tree {written}"
    for name in files:
        assert (out_dir / name).read_text(encoding="utf-8") == expected(source / name), name
    assert (out_dir / "notes.txt").read_text() == "not python\n", "data file not copied as is"


def test_directory_without_output_is_an_error(tmp_path, capsys):
    source = tmp_path / "src"
    write(source / "app.py")
    assert main(["compile", str(source)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(source) in captured.err and "-o" in captured.err, captured.err


def test_no_format_leaves_generated_code_unformatted_but_valid(tmp_path, capsys):
    path = write(tmp_path / "app.py")
    assert main(["compile", str(path), "--no-format"]) == 0
    out = capsys.readouterr().out
    compile(out, "unformatted", "exec")
    assert "class _double(StateMachine):" in out


def test_output_runs(tmp_path, capsys):
    path = write(tmp_path / "app.py")
    out_file = tmp_path / "app_compiled.py"
    assert main(["compile", str(path), "-o", str(out_file)]) == 0
    result = subprocess.run(
        [sys.executable, "-c", "import asyncio, app_compiled as m; print(asyncio.run(m.double(21)))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": f"{ROOT}"},
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "42\n"), result.stderr


def run_command(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=60)


def test_python_dash_m_compiles_a_file(tmp_path):
    path = write(tmp_path / "app.py")
    result = run_command([sys.executable, "-m", "statemachine_compiler", "compile", str(path)], ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected(path)


def test_console_script_compiles_a_file(tmp_path):
    assert CONSOLE_SCRIPT.exists(), f"console script not installed at {CONSOLE_SCRIPT}"
    path = write(tmp_path / "app.py")
    result = run_command([str(CONSOLE_SCRIPT), "compile", str(path)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected(path)


def test_console_script_help_names_the_compile_command():
    result = run_command([str(CONSOLE_SCRIPT), "--help"], ROOT)
    assert result.returncode == 0, result.stderr
    assert "statemachine-compiler" in result.stdout and "compile" in result.stdout


def test_unknown_command_exits_with_usage_error(tmp_path):
    result = run_command([sys.executable, "-m", "statemachine_compiler", "frobnicate"], ROOT)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


# -- output files: written as an editor writes them --------------------------------------


def compile_to(tmp_path, capsys, out, *options) -> tuple[int, str]:
    path = write(tmp_path / "app.py")
    status = main(["compile", str(path), "-o", str(out), *options])
    return status, capsys.readouterr().err


def test_existing_output_keeps_its_permissions(tmp_path, capsys):
    out = tmp_path / "out.py"
    out.write_text("old\n")
    out.chmod(0o640)
    assert compile_to(tmp_path, capsys, out) == (0, "")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640, oct(out.stat().st_mode)
    assert out.read_text(encoding="utf-8") == expected(tmp_path / "app.py")


def test_new_output_gets_the_permissions_the_umask_gives(tmp_path, capsys):
    previous = os.umask(0o027)
    try:
        assert compile_to(tmp_path, capsys, tmp_path / "new.py") == (0, "")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.py").stat().st_mode) == 0o640


def test_symlink_output_is_followed_and_its_target_written(tmp_path, capsys):
    target = tmp_path / "real.py"
    target.write_text("old\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert compile_to(tmp_path, capsys, link) == (0, "")
    assert link.is_symlink(), "the symlink was replaced by a file"
    assert target.read_text(encoding="utf-8") == expected(tmp_path / "app.py")


def test_dangling_symlink_output_creates_its_target(tmp_path, capsys):
    link = tmp_path / "link.py"
    link.symlink_to(tmp_path / "target.py")
    assert compile_to(tmp_path, capsys, link) == (0, "")
    assert link.is_symlink() and (tmp_path / "target.py").read_text(encoding="utf-8") == expected(
        tmp_path / "app.py"
    )


def test_fifo_output_is_opened_and_written_not_replaced(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    try:
        status, err = compile_to(tmp_path, capsys, fifo)
    finally:
        if reader.is_alive():  # unblock the reader if the compiler never opened the FIFO
            with open(fifo, "w"):
                pass
        reader.join(10)
    assert (status, err) == (0, "")
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a file"
    assert received == [expected(tmp_path / "app.py")]


def test_full_disk_on_stdout_is_one_line_and_exit_2(tmp_path):
    path = write(tmp_path / "app.py")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "statemachine_compiler", "compile", str(path)],
            stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=60,
        )
    assert (result.returncode, result.stderr) == (2, "<stdout>: No space left on device\n")


@pytest.mark.parametrize(
    ("make_output", "message"),
    [
        (lambda tmp: Path("/proc/no/such/out.py"), "No such file or directory"),
        (lambda tmp: tmp, "Is a directory"),
        (lambda tmp: write(tmp / "file.py") / "x.py", "Not a directory"),
    ],
    ids=["missing_directory_that_cannot_be_made", "existing_directory", "under_a_file"],
)
def test_output_error_is_one_line_and_exit_2(tmp_path, capsys, make_output, message):
    out = make_output(tmp_path)
    assert compile_to(tmp_path, capsys, out) == (2, f"{out}: {message}\n")


@contextlib.contextmanager
def unprivileged():
    """Run the block as a user that permissions apply to: as root, as ``nobody`` for a while.

    Discussion: root writes to read-only directories, so a permission test
    run as root (the suite is) would test nothing.  Root may set its
    effective user id and take it back: file access checks use that one.
    """
    if os.geteuid() != 0:
        yield
        return
    import pwd

    nobody = pwd.getpwnam("nobody")
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared_tmp():
    """A temporary directory the unprivileged user can read (pytest's own is root's only)."""
    directory = Path(tempfile.mkdtemp())
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


@pytest.mark.parametrize("tree", [False, True], ids=["file", "tree"])
def test_unwritable_directory_is_one_line_and_leaves_nothing(shared_tmp, capsys, tree):
    source = write(shared_tmp / "src" / "app.py")
    write(shared_tmp / "src" / "notes.txt", "data\n")
    # Once with our rights: what the compiler imports lazily, under /root, is imported.
    assert main(["compile", str(shared_tmp / "src"), "-o", str(shared_tmp / "warm"), "-j", "1"]) == 0
    for path in (shared_tmp / "src", source, shared_tmp / "src" / "notes.txt"):
        path.chmod(0o755)
    locked = shared_tmp / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    arguments = [shared_tmp / "src", locked] if tree else [source, locked / "out.py"]
    with unprivileged():
        status = main(["compile", str(arguments[0]), "-o", str(arguments[1]), "-j", "1"])
    err = capsys.readouterr().err
    where = locked / "app.py" if tree else locked / "out.py"
    assert (status, err) == (2, f"{where}: Permission denied\n")
    assert list(locked.iterdir()) == [], "something was written"


def test_tree_blocked_halfway_leaves_the_output_tree_as_it_was(tmp_path, capsys):
    source = tmp_path / "src"
    for name in ["a.py", "aa/new/y.py", "b/c.py", "d/e.py"]:  # staged in this order
        write(source / name)
    out = tmp_path / "out"
    (out / "d").mkdir(parents=True)
    (out / "b").write_text("a file where a directory goes\n")
    (out / "d" / "old.txt").write_text("kept\n")
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert main(["compile", str(source), "-o", str(out), "-j", "1"]) == 2
    assert capsys.readouterr().err == f"{out / 'b' / 'c.py'}: Not a directory\n"
    after = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert after == before, "the failed tree was written in part (or left temporaries)"


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("src", "src: is the source directory itself; not overwriting it"),
        ("src/build", "src/build: is inside the source directory src; choose an output outside it"),
    ],
)
def test_output_tree_on_its_input_is_refused(tmp_path, capsys, monkeypatch, output, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "src" / "app.py")
    assert main(["compile", "src", "-o", output]) == 2
    assert capsys.readouterr().err == message + "\n"
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["app.py"]
    assert (tmp_path / "src" / "app.py").read_text() == SOURCE


def test_output_file_that_is_its_source_is_refused(tmp_path, capsys):
    path = write(tmp_path / "app.py")
    assert main(["compile", str(path), "-o", str(path)]) == 2
    assert capsys.readouterr().err == f"{path}: is the source file itself; not overwriting it\n"
    assert path.read_text() == SOURCE


def test_data_files_are_copied_with_their_permissions(tmp_path, capsys):
    source = tmp_path / "src"
    write(source / "pkg" / "__init__.py")
    data = source / "pkg" / "data" / "table.bin"
    data.parent.mkdir()
    data.write_bytes(b"\x00\xffbinary")
    data.chmod(0o754)
    write(source / "pkg" / "__pycache__" / "stale.pyc", "bytecode")
    out = tmp_path / "out"
    assert main(["compile", str(source), "-o", str(out)]) == 0
    copied = out / "pkg" / "data" / "table.bin"
    assert copied.read_bytes() == b"\x00\xffbinary"
    assert stat.S_IMODE(copied.stat().st_mode) == 0o754 & ~current_umask()
    assert not (out / "pkg" / "__pycache__").exists(), "__pycache__ was copied"


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- scale: parallel compiles, progress ---------------------------------------------------


def write_tree(root: Path, count: int) -> list[str]:
    names = [f"pkg/m{i}.py" for i in range(count)]
    for i, name in enumerate(names):
        write(root / name, SOURCE.replace("double", f"double{i}"))
    return names


def test_parallel_compile_writes_what_a_serial_one_does(tmp_path, capsys):
    names = write_tree(tmp_path / "src", 4)
    assert main(["compile", str(tmp_path / "src"), "-o", str(tmp_path / "one"), "-j", "1"]) == 0
    assert main(["compile", str(tmp_path / "src"), "-o", str(tmp_path / "two"), "-j", "2"]) == 0
    for name in names:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    assert capsys.readouterr().err == ""


def test_parallel_compile_reports_every_bad_file(tmp_path, capsys):
    write_tree(tmp_path / "src", 3)
    write(tmp_path / "src" / "pkg" / "bad.py", "async def f(:\n")
    write(tmp_path / "src" / "pkg" / "worse.py", 'async def f(c):\n    return f"{c:{await c}}"\n')
    assert main(["compile", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "-j", "2"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0:2] for line in lines] == [
        [str(tmp_path / "src" / "pkg" / "bad.py"), "1"],
        [str(tmp_path / "src" / "pkg" / "worse.py"), "2"],
    ], lines
    assert not (tmp_path / "out").exists()


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_line_shows_on_a_terminal_and_is_cleared(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path / "src", 6)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["compile", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "-j", "1"]) == 0
    shown = terminal.getvalue()
    assert "[1/6]" in shown and f"[6/6] {tmp_path / 'src' / 'pkg' / 'm5.py'}" in shown, shown
    assert shown.endswith("\r\x1b[K"), "the progress line is left on the terminal"


def test_no_progress_line_when_stderr_is_not_a_terminal(tmp_path, capsys):
    write_tree(tmp_path / "src", 6)
    assert main(["compile", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "-j", "1"]) == 0
    assert capsys.readouterr().err == ""


# -- errors: one line, exit 2, a traceback only when asked ---------------------------------


def interrupt(*args):
    raise KeyboardInterrupt


def test_interrupt_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(build, "compile_file", interrupt)
    path = write(tmp_path / "app.py")
    assert main(["compile", str(path)]) == 2
    assert capsys.readouterr().err == f"{path}: interrupted\n"


@pytest.mark.parametrize("how", ["option", "environment"])
def test_traceback_is_shown_when_asked(tmp_path, capsys, monkeypatch, how):
    monkeypatch.setattr(build, "compile_file", interrupt)
    path = write(tmp_path / "app.py")
    if how == "environment":
        monkeypatch.setenv("STATEMACHINE_COMPILER_TRACEBACK", "1")
        argv = ["compile", str(path)]
    else:
        argv = ["compile", "--traceback", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "KeyboardInterrupt" in err
    assert err.endswith(f"{path}: interrupted\n")


def test_compile_error_traceback_is_shown_when_asked(tmp_path, capsys):
    path = write(tmp_path / "bad.py", "async def f(:\n")
    assert main(["compile", "--traceback", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith(f"{path}:1:13: SyntaxError: invalid syntax\n"), err


@pytest.mark.parametrize("command", ["compile", "run"])
def test_missing_file_message_is_the_same_everywhere(tmp_path, command):
    result = run_command([str(CONSOLE_SCRIPT), command, "nope.py"], tmp_path)
    assert (result.returncode, result.stderr) == (2, "nope.py: No such file or directory\n")


# -- encodings -------------------------------------------------------------------------------


def test_latin1_declaration_is_decoded_and_kept(tmp_path, capsys):
    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nasync def f():\n    return '\xe9'\n")
    out = tmp_path / "out.py"
    assert main(["compile", str(path), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"# -*- coding: latin-1 -*-\n") and b'"\xe9"' in data
    namespace = {}
    exec(compile(data, str(out), "exec"), namespace)
    assert run_to_completion(namespace["f"]()) == "\xe9"


def test_utf8_bom_is_accepted_and_kept(tmp_path, capsys):
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfasync def f():\n    return '\xc3\xa9'\n")
    out = tmp_path / "out.py"
    assert main(["compile", str(path), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    namespace = {}
    exec(compile(data, str(out), "exec"), namespace)
    assert run_to_completion(namespace["f"]()) == "\xe9"


def run_to_completion(coroutine):
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the coroutine suspended")


# -- the command line itself ---------------------------------------------------------------


def test_version_is_printed(capsys):
    from statemachine_compiler import __version__

    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"statemachine-compiler {__version__}\n"


def test_stdin_is_compiled_with_dash(tmp_path):
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "compile", "-"], input=SOURCE, capture_output=True, text=True,
        cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == compile_source(SOURCE, "<stdin>").code


@pytest.mark.parametrize("command", ["compile", "run"])
def test_help_of_each_command_describes_every_option(capsys, command):
    parser = build_parser()
    subparser = next(
        action.choices[command] for action in parser._actions if action.dest == "command"
    )
    with pytest.raises(SystemExit):
        main([command, "-h"])
    shown = capsys.readouterr().out
    for action in subparser._actions:
        assert action.help, f"{command}: {action.option_strings or action.dest} has no help"
        for option in action.option_strings:
            assert option in shown, f"{command} -h does not show {option}"
    if command == "run":
        assert "SCRIPT" in shown and "the script to run" in shown


def test_readme_documents_every_option():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for documented in [
        "--no-format", "-j N", "--traceback", "STATEMACHINE_COMPILER_TRACEBACK", "--version",
        "compile -", "--include", "marker=", "quiet=", "STATEMACHINE_COMPILER_QUIET",
    ]:
        assert documented in readme, f"README.md does not mention {documented}"


def test_compiler_bug_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch):
    def crash(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(build, "compile_file", crash)
    path = write(tmp_path / "app.py")
    assert main(["compile", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: internal error: RuntimeError: a bug") and err.count("\n") == 1
