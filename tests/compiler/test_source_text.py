"""``emit.source_text``: the user's code taken from the source, names patched, is what printing gives.

Each tricky source is parsed; a transformer rewrites some of its names into
attributes (as the name rewriter does, noting each rebuilt node's origin);
then every statement and expression is printed both ways.  Where
``SourceText`` gives a text at all, it must be exactly ``code_of``'s.  And
the compiler's output is the same with it and without it.
"""

from __future__ import annotations

import libcst as cst
import pytest

from statemachine_compiler import pipeline
from statemachine_compiler.emit.source_text import SourceText
from statemachine_compiler.emit.writer import code_of
from statemachine_compiler.linemap import LineMap, positioned_code
from statemachine_compiler.lower.statements import first_line_of
from statemachine_compiler.pipeline import (
    Options,
    compile_source,
    without_form_feeds_in_indentation,
)

TRICKY = {
    "comments": (
        "async def f(a, b):\n"
        "    # above\n"
        "    x = a + b  # after x\n"
        "    w = x   \n"
        "    y = [  # open\n"
        "        x,\n"
        "    ]  # close\n"
        "    await g(x, y)  # awaiting\n"
        "    return x ;\n"
    ),
    "line continuations": (
        "async def f(a):\n"
        "    x = a + \\\n"
        "        1\n"
        "    y = x \\\n"
        "        + await g(x)\n"
        "    z = (x +\n"
        "         y)\n"
        "    return x, y, z\n"
    ),
    "strings with names in them": (
        "async def f(x, y):\n"
        "    s = 'x y' + \"x\" + '''x\n"
        "y''' + x\n"
        "    await g(s, 'x')\n"
        "    return s.x, x.s\n"
    ),
    "f-strings": (
        "async def f(x, y):\n"
        "    s = f'{x} {y!r} {x=} {y:>{x}} {\"x\"}'\n"
        "    await g(f\"{x}\")\n"
        "    t = f'''{x\n"
        "}'''\n"
        "    return s, t\n"
    ),
    "unicode identifiers": (
        "async def f(résultat, ｘ):\n"
        "    données = [résultat, ｘ, 'é']  # é\n"
        "    await g(données)\n"
        "    return données, x\n"
    ),
    "form feeds": (
        "async def f(x):\n"
        "\f\n"
        "    y = x\f+ 1\n"
        "\f    z = y\n"
        "    await g(y)\n"
        "    return y, z\n"
    ),
    "crlf": "async def f(x):\r\n    y = x + 1  # c\r\n    await g(y)\r\n    return y\r\n",
    "tabs": "async def f(x):\n\ty = x + 1\n\tif y:\n\t\tawait g(y)\n\t\tz = (y)\n\treturn y, (x), ((x))\n",
    "semicolons and parentheses": (
        "async def f(x, y):\n"
        "    a = (x); b = (y)\n"
        "    c = (x) + ((y)) + (x.y) + x[y]\n"
        "    await (g(a))\n"
        "    del a\n"
        "    return (b), c, -x, not y, x if y else b, lambda: x, [x for q in y]\n"
    ),
    "no final newline": "async def f(x):\n    y = x\n    await g(y)\n    return y",
}


class _Renamer(cst.CSTTransformer):
    """``x``, ``y``, ``a``, ``résultat`` -> ``self.x``...; every rebuilt node's origin noted."""

    NAMES = {"x", "y", "a", "résultat", "données", "s", "z"}

    def __init__(self, linemap: LineMap):
        super().__init__()
        self.linemap = linemap

    def on_leave(self, original_node, updated_node):
        result = super().on_leave(original_node, updated_node)
        if isinstance(result, cst.CSTNode):
            self.linemap.note_origin(result, original_node)
        return result

    def leave_Name(self, original_node, updated_node):
        if original_node.value in self.NAMES:
            return cst.Attribute(cst.Name("self"), cst.Name(original_node.value), lpar=updated_node.lpar, rpar=updated_node.rpar)
        return updated_node

    def leave_Attribute(self, original_node, updated_node):
        return updated_node.with_changes(attr=original_node.attr)


def _source_text(text: str):
    module = cst.parse_module(without_form_feeds_in_indentation(text))
    printed, positions = positioned_code([module], indent=module.default_indent, newline=module.default_newline)
    linemap = LineMap(positions)
    return module, printed, positions, linemap, SourceText(printed.split("\n"), positions, linemap.origin)


def _nodes(tree: cst.CSTNode, kind: type) -> list:
    found = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node):
            if isinstance(node, kind):
                found.append(node)
            return True

    tree.visit(Collect())
    return found


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_patched_source_text_is_what_printing_gives(name):
    module, printed, _, linemap, source = _source_text(TRICKY[name])
    if "\r" in printed:
        pytest.skip("SourceText is used only where lines end with \\n alone (the compiler checks)")
    rewritten = module.visit(_Renamer(linemap))
    taken = 0
    for statement in _nodes(rewritten, cst.SimpleStatementLine):
        for depth in (0, 1, 3):
            text = source.statement(statement, depth)
            if text is not None:
                taken += 1
                assert text == code_of(statement, depth=depth), (name, depth, code_of(statement))
    for expression in _nodes(rewritten, cst.BaseExpression):
        text = source.expression(expression)
        if text is not None:
            taken += 1
            assert text == code_of(expression), (name, code_of(expression))
    assert taken, "no node was taken from the source: the test checks nothing"


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_first_lines_from_the_source_are_what_printing_gives(name):
    module, printed, _, _, source = _source_text(TRICKY[name])
    if "\r" in printed:
        pytest.skip("SourceText is used only where lines end with \\n alone")
    for statement in _nodes(module, cst.BaseStatement):
        text = source.first_line(statement)
        if text is not None:
            assert text == first_line_of(statement.with_changes(leading_lines=[])), name


def test_an_elif_is_printed_not_taken():
    module, _, _, _, source = _source_text("if a:\n    pass\nelif b:  # c\n    pass\n")
    elif_ = module.body[0].orelse
    assert source.first_line(elif_) is None
    assert source.first_line(module.body[0]) == "if a:"


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_the_compiler_writes_the_same_with_the_source_text_and_without(name, monkeypatch):
    text = TRICKY[name].replace("lambda: x, [x for q in y]", "1")  # (what a machine cannot hold is not the point)
    with_it = [compile_source(text, f"{name}.py", Options(format=f)).code for f in (True, False)]
    monkeypatch.setattr(pipeline.FunctionCompiler, "source_text", lambda self: None)
    without = [compile_source(text, f"{name}.py", Options(format=f)).code for f in (True, False)]
    assert with_it == without
