"""black by logical line (``statemachine_compiler.format``) gives exactly what black over the whole text gives."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from statemachine_compiler import compile_source, pipeline
from statemachine_compiler.format import black, by_line, format_generated, format_generated_split
from statemachine_compiler.pipeline import Options

ROOT = Path(__file__).parent.parent.parent
SOURCES = sorted((ROOT / "tests" / "compiler" / "golden").glob("*.py")) + sorted((ROOT / "examples").glob("*.py"))

MACHINE = '''class _f(StateMachine):
    """async def f(a, b), line 1"""

    __slots__ = ('a', 'b', 'x', 'a_rather_long_name_for_a_slot', 'another_rather_long_name', '_t1', '_t2')
    _name = 'f'

    def __init__(self, a, b):
        self.state = 0  # not started
        self.a = a

    def resume(self, value, error):
        if self.state == 0:
            x = {'a':1}
        elif self.state == 1:
            # a comment, as the user wrote it
            y = [1,2,3,]
        else:  # resumed
            pass
        try:
            z = call(a, b)
        except (KeyError, ValueError) as caught:
            raise
        except Exception:
            pass
        else:
            w = 1
        finally:
            v = 2
        for i in range(3):
            continue
        else:
            u = 3
        while (self.state == 0 and (item := next(it, None)) is not None):
            break
        with open(path) as handle, open(other) as second:
            handle.write(second.read())
        awaitable = runtime.gather(*(fetch(self.client, url, self.slots, self.seconds) for url in self.urls))
        print(f"{sum(self.results)} of {self.clients * LINES} lines echoed back intact", flush = True)
        return self.results



@coroutine_function
def f(a, b):
    """Docstring.

        Indented more.
    """
    return _f(a, b)
'''

VARIANTS = {
    "as generated": MACHINE,
    "blank lines in a body": MACHINE.replace("            x = {'a':1}\n", "            x = {'a':1}\n\n\n            x2 = 1\n"),
    "blank line first in a block": MACHINE.replace("        if self.state == 0:\n", "        if self.state == 0:\n\n"),
    "a nested def": MACHINE.replace("            w = 1\n", "            def g():\n                return 1\n            w = g()\n"),
    "an import": MACHINE.replace("            v = 2\n", "            import os\n            v = 2\n"),
    "a comment at another depth": MACHINE.replace("            u = 3\n", "            u = 3\n    # out there\n"),
    "a string statement": MACHINE.replace("            u = 3\n", "            u = 3\n            'a string'\n"),
    "no blank line between methods": MACHINE.replace("\n    def resume", "    def resume"),
    "a match": MACHINE.replace("            u = 3\n", "            match u:\n                case 1:\n                    pass\n"),
    "statements sharing a line": MACHINE.replace("            u = 3\n", "            u = 3; u = u + 1\n"),
    "a body on its header's line": MACHINE.replace("            continue\n", "            if i: continue\n"),
    "tabs": MACHINE.replace("            u = 3\n", "            u = '\t'\n"),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_same_as_black_over_the_whole_text(name):
    by_line._formatted.clear()
    assert format_generated(VARIANTS[name]) == black(VARIANTS[name])
    assert format_generated(VARIANTS[name]) == black(VARIANTS[name])  # from the cache


def test_the_machines_are_formatted_line_by_line():
    assert by_line._logical_lines(MACHINE) is not None


@pytest.mark.parametrize("path", SOURCES, ids=[path.stem for path in SOURCES])
def test_every_compiled_function_is_formatted_as_black_would(path, monkeypatch):
    texts = []

    def formatting(code):
        texts.append(code)
        return format_generated_split(code)

    monkeypatch.setattr(pipeline, "format_generated_split", formatting)
    compile_source(path.read_text(encoding="utf-8").split("# output\n")[0], path.name, Options())
    assert texts
    for text in texts:
        formatted, stub_start = format_generated_split(text)
        assert formatted == black(text)
        if stub_start is not None:
            assert _where_the_last_def_starts(formatted) == stub_start


def _where_the_last_def_starts(code: str) -> int | None:
    """The 0-based line of the last statement, a def with only blank lines before it (as ``format_generated_split`` gives it)."""
    *before, last = ast.parse(code).body
    if not before or not isinstance(last, ast.FunctionDef):
        return None
    start = min([d.lineno for d in last.decorator_list] + [last.lineno]) - 1
    lines = code.split("\n")
    assert all(not line for line in lines[before[-1].end_lineno : start])
    return start


def test_the_stub_is_found_without_parsing_again():
    by_line._formatted.clear()
    text = MACHINE.split("        try:\n")[0] + "\n\n\n@coroutine_function\ndef f(a, b):\n    return _f(a, b)\n"
    formatted, stub_start = format_generated_split(text)
    assert formatted == black(text)
    assert formatted.split("\n")[stub_start] == "@coroutine_function"
    assert stub_start == _where_the_last_def_starts(formatted)
    # The last statement no def: nothing to find.
    assert format_generated_split(text.replace("def f(a, b)", "class f"))[1] is None
    # Where black formats the whole, the caller finds it itself.
    assert format_generated_split(VARIANTS["a match"])[1] is None


def test_statements_sharing_a_line_are_written_once():
    """``a += 1; a = a`` (found by test_random_async_function_native_equals_compiled) ran twice."""
    source = "async def f():\n    a = 0\n    a += 1; a = a\n    return a\n"
    by_line._formatted.clear()
    code = compile_source(source, "shared.py", Options()).code
    assert code.count("self.a += 1") == 1, code


# Units of one shape (names, decimal numbers, plain strings and comments aside),
# each followed by ones formatted from the first's template: they must come out
# as black makes them, changed or not, split or not.
SAME_SHAPES = [
    ["x = {'a':1}", "y = {'b':2}", "z = {'c':3}  "],
    ["self.state = 3  # line 26: row = await tx.fetch(item.key)", "self.other = 7  # line 99: abc = await ab.abcde(abcd.key)"],
    ["#a comment", "#b comment"],
    ["# a comment", "# b comment"],
    ["x = 1  #a", "y = 2  #b"],
    ["x = 1  # type: int", "y = 2  # type: str"],
    ["x = 1  # fmt: skip", "y = 2  # fmt: skip"],
    ["awaitable = self.transaction.fetch(self.item.key, timeout=10, retries=3, backoff='linear')",
     "something = self.connections.fetch(self.user.pid, seconds=42, repeats=9, strateg='fixedl')"],
    ["value = function_with_a_long_name(first_argument, second_argument, third_argument, 1234)",
     "other = function_with_a_long_nam2(first_argumen2, second_argumen2, third_argumen2, 5678)"],
    ["result = [element for element in collection_of_elements if element is not None and element]",
     "reslt2 = [elemen2 for elemen2 in collection_of_element2 if elemen2 is not None and elemen2]"],
    ["x = (a)", "y = (b)"],
    ["print((a, b,))", "print((c, d,))"],
    ["f(a)(b)[c]", "g(d)(e)[f]"],
    ["x = 'it' 'is'", "y = 'at' 'as'"],
    ["x = a**2", "y = b**3"],
    ["x = -a ** -b", "y = -c ** -d"],
    ["x = 0XFF + 1_000 + 1E5", "y = 0XFF + 2_000 + 1E5"],
    ["del (a), (b)", "del (c), (d)"],
    ["return (yield)", "return (yield)"],
    ["if (self.state == 0 and (item := next(it, None)) is not None) or self.state in (1, 2):",
     "if (self.other == 9 and (iteg := next(iu, None)) is not None) or self.other in (7, 8):"],
]


@pytest.mark.parametrize("lines", SAME_SHAPES, ids=[lines[0][:30] for lines in SAME_SHAPES])
def test_units_of_one_shape_are_formatted_as_black_would(lines):
    by_line._formatted.clear()
    by_line._templates.clear()

    def text(line):
        body = "        pass\n" if line.startswith("if ") else "    pass\n"
        return f"def f():\n    {line}\n{body}"

    for line in lines:
        assert format_generated(text(line)) == black(text(line)), line


STAR_IN_A_BRACKET_KEPT_ON_ONE_LINE = (
    "        awaitable = Handling(self._exit1(self._mgr1, *exc_info(caught1)), pending=self._jump1)\n"
)
STAR_ITEM_OF_A_BRACKET_SPLIT_ONE_A_LINE = (
    "        result = some_function_name(first_argument_value, second_argument_value, third_argument_value,"
    " fourth_argument_value, *the_rest_of_them)\n"
)
F_STRING = '        print(f"{sum(self.results)} lines")\n'  # black infers Python 3.6+ from it


def _machine_with(*lines: str) -> str:
    return "class _f(StateMachine):\n    def resume(self, value, error):\n" + "".join(lines)


@pytest.mark.parametrize("unit", [STAR_IN_A_BRACKET_KEPT_ON_ONE_LINE, STAR_ITEM_OF_A_BRACKET_SPLIT_ONE_A_LINE])
@pytest.mark.parametrize("first_with_f_string", [True, False])
def test_a_star_argument_is_formatted_for_the_versions_each_text_implies(unit, first_with_f_string):
    # Black adds a trailing comma after an unpacked item only where the text's
    # features allow it: a unit kept from one text must not carry it into another.
    newer = _machine_with(F_STRING, unit)
    older = _machine_with("        x = 1\n", unit)
    texts = [newer, older] if first_with_f_string else [older, newer]
    by_line._formatted.clear()
    by_line._templates.clear()
    for text in texts:
        assert format_generated(text) == black(text)


# -- the units read from the lines agree with the ``ast`` parse ------------------------------

# The stub's docstring on one line: a triple quote on several is left to the ``ast`` parse.
_DOCSTRING = '    """Docstring.\n\n        Indented more.\n    """\n'
SCANNED = MACHINE.replace(_DOCSTRING, '    """Docstring."""\n')
SCANNED_VARIANTS = {
    **{name: text.replace(_DOCSTRING, '    """Docstring."""\n') for name, text in VARIANTS.items()},
    "a multi-line docstring": MACHINE,
    "elif chain": SCANNED.replace("        else:  # resumed\n", "        elif self.state == 2:\n            pass\n        else:\n"),
    "comment after else": SCANNED.replace("            w = 1\n", "            # why\n            w = 1\n"),
    "blank line after finally": SCANNED.replace("            v = 2\n", "\n            v = 2\n"),
    "comment before except": SCANNED.replace("            z = call(a, b)\n", "            z = call(a, b)\n        # here\n"),
    "multi-line except header": SCANNED.replace(
        "        except (KeyError, ValueError) as caught:\n", "        except (\n            KeyError,\n            ValueError,\n        ) as caught:\n"
    ),
    "async for and async with": SCANNED.replace("        for i in range(3):\n", "        async for i in range(3):\n").replace(
        "        with open(path)", "        async with open(path)"
    ),
    "a decorated nested def with comments": SCANNED.replace(
        "            w = 1\n", "            @decorator(  # why\n                x,\n            )\n            # between\n            def g():\n                return 1\n"
    ),
    "a class with a docstring": SCANNED.replace("class _f(StateMachine):\n    \"\"\"async def f(a, b), line 1\"\"\"\n", "class _f(StateMachine):\n    'doc'\n"),
    "a parenthesized docstring": SCANNED.replace('    """Docstring."""', '    ("Docstring.")'),
    "an f-string with quotes inside (3.12)": SCANNED.replace("            u = 3\n", '            u = f"{d["("]}"\n'),
    "an f-string with braces": SCANNED.replace("            u = 3\n", '            u = f"{a}{{" + f"{b!r:>{width}}"\n'),
    "a keyword right before a string": SCANNED.replace("            u = 3\n", '            u = 1 if"x" else 2\n'),
    "a string with an escaped quote": SCANNED.replace("            u = 3\n", "            u = 'it\\'s'  # (\n"),
    "a comment with a bracket and a quote": SCANNED.replace("            u = 3\n", "            u = 3  # it's ( open\n"),
    "a string with a hash and a bracket": SCANNED.replace("            u = 3\n", "            u = '# ('\n"),
    "a multi-line call with comments": SCANNED.replace(
        "            u = 3\n", "            u = call(\n                a,  # first\n\n                b,\n            )\n"
    ),
    "an ellipsis": SCANNED.replace("            u = 3\n", "            ...\n"),
    "except star": SCANNED.replace("        except Exception:\n", "        except* Exception:\n"),
    "a body indented two levels": SCANNED.replace("            continue\n", "                continue\n"),
    "a type alias": SCANNED.replace("            u = 3\n", "            type = 3\n            match = 4\n"),
    "a lambda and a slice in a header": SCANNED.replace("        for i in range(3):\n", "        for i in sorted(x[1:], key=lambda y: y):\n"),
    "an annotation": SCANNED.replace("            u = 3\n", "            u: int = 3\n"),
}


def _units_by_ast(code: str):
    lines = code.split("\n")
    units = []
    try:
        by_line._collect(ast.parse(code).body, 0, lines, units)
        by_line._place(units, lines)
    except by_line._Unknown:
        return None
    return units


def _units_by_scan(code: str):
    lines = code.split("\n")
    units = by_line._scanned(lines)
    if units is None:
        return "left to the ast parse"
    try:
        by_line._place(units, lines)
    except by_line._Unknown:
        return None
    return units


@pytest.mark.parametrize("name", sorted(SCANNED_VARIANTS))
def test_the_lines_read_give_the_units_the_ast_parse_gives(name):
    code = SCANNED_VARIANTS[name]
    try:
        expected = _units_by_ast(code)
    except SyntaxError:  # on this Python (a 3.12 f-string): read or not, it must not be formatted
        assert by_line._logical_lines(code) is None
        return
    scanned = _units_by_scan(code)
    assert scanned in (expected, "left to the ast parse"), name


def test_the_plain_machine_is_read_without_the_ast_parse():
    assert _units_by_scan(SCANNED) == _units_by_ast(SCANNED) is not None


def test_the_generated_code_is_read_without_the_ast_parse(monkeypatch):
    """Every compiled function's text: its units as the ``ast`` parse gives them, mostly without it."""
    texts = []

    def formatting(code):
        texts.append(code)
        return format_generated_split(code)

    monkeypatch.setattr(pipeline, "format_generated_split", formatting)
    for path in SOURCES:
        compile_source(path.read_text(encoding="utf-8").split("# output\n")[0], path.name, Options())
    scanned = 0
    for text in texts:
        found = _units_by_scan(text)
        if found != "left to the ast parse":
            scanned += 1
            assert found == _units_by_ast(text), text
    assert scanned >= len(texts) * 3 // 4, f"{scanned} of {len(texts)} read line by line"


def test_a_text_formatted_when_the_caches_start_again_has_every_line(monkeypatch):
    """The caches start again when full, between finding the lines to format and
    putting them together: the lines already known were gone then (a KeyError
    after 2,000 machines in one process: a long hypothesis run, a big app's imports)."""
    source = "async def f(a):\n    x = await a\n    return x\n"
    compile_source(source, "<f>")  # its lines known
    other = source.replace("def f(", "def g(")
    unformatted = compile_source(other, "<g>", Options(format=False)).code
    monkeypatch.setattr(by_line, "WHOLES_KEPT", -1)  # full: they start again
    assert compile_source(other, "<g>").code == black(unformatted)
