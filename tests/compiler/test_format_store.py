"""black's lines kept across processes (``statemachine_compiler.format.store``): the same output, less black."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from statemachine_compiler import compile_source
from statemachine_compiler.format import by_line, store
from statemachine_compiler.pipeline import Options

ROOT = Path(__file__).parent.parent.parent
SOURCES = sorted((ROOT / "examples").glob("*.py")) + sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py"))


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n# output\n")[0]


@pytest.fixture
def new_process(tmp_path, monkeypatch):
    """by_line as a new process finds it, with its store in ``tmp_path``; returns a function that starts another."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)

    def start():
        monkeypatch.setattr(by_line, "_formatted", {})
        monkeypatch.setattr(by_line, "_templates", {})
        monkeypatch.setattr(by_line, "_texts", {})
        monkeypatch.setattr(by_line, "_wholes", {})
        monkeypatch.setattr(by_line, "_store", store.Store(str(tmp_path)))

    start()
    return start


def _compile_all() -> list[str]:
    return [compile_source(_source(path), path.name, Options()).code for path in SOURCES]


def test_a_warm_store_gives_the_same_output_without_black(new_process, monkeypatch):
    cold = _compile_all()
    new_process()
    calls = []
    black = by_line._black
    monkeypatch.setattr(by_line, "_black", lambda code: calls.append(code) or black(code))
    assert _compile_all() == cold
    assert not calls


def test_a_fresh_process_with_a_warm_store_does_not_import_black(tmp_path):
    source = tmp_path / "handlers.py"
    source.write_text(_source(ROOT / "examples" / "crawler.py"), encoding="utf-8")
    program = (
        "import sys\n"
        "from statemachine_compiler import compile_source\n"
        f"code = compile_source(open({str(source)!r}).read(), 'handlers.py').code\n"
        "print('black' in sys.modules, len(code))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environment["STATEMACHINE_COMPILER_CACHE"] = str(tmp_path / "cache")

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", program], env=environment, check=True, capture_output=True, text=True
        ).stdout.split()

    cold, warm = run(), run()
    assert cold[0] == "True" and warm[0] == "False"
    assert cold[1] == warm[1]


@pytest.mark.parametrize(
    "contents",
    [
        b"garbage",
        store.MAGIC + b"\xff\x00 truncated",
        store.MAGIC + marshal.dumps(({("line", 1, "x = 1"): "not a tuple of lines"}, {}, {}, {})),
        store.MAGIC + marshal.dumps(({}, {("line", 1, "N = 0"): (("a",), (True,))}, {}, {})),  # pieces != tokens + 1
        store.MAGIC + marshal.dumps([{}, {}, {}, {}]),
    ],
    ids=["not ours", "truncated", "ill-formed unit", "ill-formed template", "not a tuple"],
)
def test_a_damaged_file_is_ignored_and_written_again(new_process, contents):
    path = by_line._store.path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Path(path).write_bytes(contents)
    expected = compile_source(_source(SOURCES[0]), SOURCES[0].name, Options(check=False)).code
    assert Path(path).read_bytes().startswith(store.MAGIC)
    assert store._read(path) is not None
    new_process()
    assert compile_source(_source(SOURCES[0]), SOURCES[0].name, Options(check=False)).code == expected


def test_nothing_is_written_where_bytecode_is_not(new_process, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    compile_source(_source(SOURCES[0]), SOURCES[0].name)
    assert not list(tmp_path.iterdir())


def test_writers_merge_what_the_file_holds_and_leave_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    first, second = store.Store(str(tmp_path)), store.Store(str(tmp_path))
    first.load(), second.load()
    first.learn("texts", "a = 1\n", "a = 1\n")
    second.learn("texts", "b = 2\n", "b = 2\n")
    first.save()
    second.save()
    assert store.Store(str(tmp_path)).load()["texts"] == {"a = 1\n": "a = 1\n", "b = 2\n": "b = 2\n"}
    assert [path.name for path in tmp_path.iterdir()] == [os.path.basename(first.path())]


def test_an_unwritable_directory_means_no_store(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    blocked = tmp_path / "a file"
    blocked.write_text("")
    kept = store.Store(str(blocked / "cache"))
    kept.learn("texts", "a = 1\n", "a = 1\n")
    kept.save()  # no error
    assert store.Store(str(blocked / "cache")).load() == store._empty()


def test_the_file_is_named_by_black_and_the_formatting_code():
    name = os.path.basename(store.Store("/nowhere").path())
    assert name.startswith("black-") and name.endswith(".formatted")
    assert name == os.path.basename(store.Store("/elsewhere").path())


def test_a_part_beyond_its_limit_starts_again(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setitem(store.ENTRY_LIMITS, "wholes", 2)
    for text in ("a", "b", "c"):
        kept = store.Store(str(tmp_path))
        kept.learn("wholes", text, text.upper())
        kept.save()
    assert store.Store(str(tmp_path)).load()["wholes"] == {"c": "C"}
