"""The ``compile`` command: a file to stdout or to ``-o``, a directory mirrored to ``-o``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from statemachine_compiler import compile_source
from statemachine_compiler.cli import main

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
