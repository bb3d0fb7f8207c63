"""The ``graph`` and ``explain`` commands: outputs, --function, and errors as the CLI reports them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from statemachine_compiler.cli import main
from statemachine_compiler.explore import render
from tests.explore.conftest import needs_dot

ROOT = Path(__file__).resolve().parents[2]
TWO_SERVERS = ROOT / "examples" / "two_servers.py"

SOURCE = textwrap.dedent(
    """\
    class Client:
        async def get(self, url):
            return await self.fetch(url)


    async def get(url):
        await sleep(1)
    """
)


def write(path: Path, text: str = SOURCE) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_graph_prints_dot_with_a_cluster_per_function(tmp_path, capsys):
    assert main(["graph", str(write(tmp_path / "app.py"))]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "app.py" {')
    assert 'label="Client.get"' in out and 'label="get"' in out


def test_graph_function_picks_by_qualified_name_or_name(tmp_path, capsys):
    path = write(tmp_path / "app.py")
    assert main(["graph", str(path), "--function", "Client.get"]) == 0
    assert capsys.readouterr().out.startswith('digraph "Client.get" {')
    assert main(["graph", str(TWO_SERVERS), "--function", "send_to_server"]) == 0
    assert 'await http_get(addr)' in capsys.readouterr().out


def test_graph_unknown_function_is_an_error_naming_the_others(tmp_path, capsys):
    path = write(tmp_path / "app.py")
    assert main(["graph", str(path), "--function", "nope"]) == 2
    err = capsys.readouterr().err
    assert err == f"{path}: no compiled function named 'nope' (there are: Client.get, get)\n"


def test_graph_of_a_missing_file_reports_it(tmp_path, capsys):
    assert main(["graph", str(tmp_path / "missing.py")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'missing.py'}: No such file or directory\n"


def test_syntax_error_is_reported_as_path_line_col(tmp_path, capsys):
    path = write(tmp_path / "bad.py", "async def f(:\n    pass\n")
    for command in ("graph", "explain"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"{path}:1:") and "SyntaxError" in err
        assert "Traceback" not in err


def test_the_sources_errors_come_before_a_missing_dot(tmp_path, capsys, monkeypatch):
    # As a compiler would: what is wrong with the input is said first.
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    path = write(tmp_path / "bad.py", "async def f(:\n    pass\n")
    for command, out in (("graph", tmp_path / "states.svg"), ("explain", tmp_path / "page.html")):
        assert main([command, str(path), "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"{path}:1:") and "SyntaxError" in err
        assert not out.exists()


def test_graph_writes_dot_to_a_file(tmp_path, capsys):
    out = tmp_path / "states.dot"
    assert main(["graph", str(TWO_SERVERS), "--function", "send_to_server", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text().startswith('digraph "send_to_server"')


@needs_dot
@pytest.mark.parametrize("extension, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_graph_draws_svg_and_png(tmp_path, extension, magic):
    out = tmp_path / f"states.{extension}"
    assert main(["graph", str(TWO_SERVERS), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_without_dot_drawing_says_how_to_install_it_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    for command, out in (("graph", tmp_path / "states.svg"), ("explain", tmp_path / "page.html")):
        assert main([command, str(TWO_SERVERS), "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"{out}: Graphviz's dot program is needed")
        assert "apt-get install graphviz" in err
        assert not out.exists()
        assert list(tmp_path.iterdir()) == []


def test_without_dot_graph_still_prints_dot(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert main(["graph", str(TWO_SERVERS)]) == 0
    assert capsys.readouterr().out.startswith("digraph")


@needs_dot
def test_explain_writes_one_self_contained_page(tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["explain", str(write(tmp_path / "app.py")), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<section class="function"') == 2
    assert page.count("<svg ") >= 2
    # Nothing is fetched: no external scripts, styles or images.
    for reference in ('src="http', 'href="http', "<link ", "@import", "url("):
        assert reference not in page


def test_a_nested_async_defs_lines_are_its_own_not_the_outer_ones():
    from statemachine_compiler.explore.explored import explore_source

    source = "async def outer(x):\n    async def inner(y):\n        return await y\n    return await inner(await x)\n"
    outer, inner = explore_source(source, "nested.py").functions
    assert (outer.qualname, inner.qualname) == ("outer", "outer.<locals>.inner")
    inner_lines = set(inner.generated_states)
    assert inner_lines and not inner_lines & set(outer.generated_states)
    assert sorted({s for states in outer.generated_states.values() for s in states}) == [1, 2]
