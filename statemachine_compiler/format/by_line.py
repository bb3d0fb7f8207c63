"""black over generated code one logical line at a time, each line formatted once per process.

Black over every compiled function was most of a compile's time (issue 12),
and most of what it formats is the same few hundred lines the emitter writes
for every function (``if self.state == 0:``, ``self.state = 0``...).  Black
formats a logical line (a simple statement, or a compound statement's header)
from the line alone, given its depth; what depends on the lines around it is
the blank lines between them.  So here the text is cut into its logical
lines (``ast`` gives where each statement starts and ends), each line not
seen before is formatted once, all of them in one call of black, each inside
wrappers that give it its depth (``if __w__:``), and the results are kept
for the rest of the process; the blank lines are those black would put.

Only what is known to be formatted so is done so; anything else (blank lines
or comments where black's rules depend on more than this module knows,
nested functions, ``match``, strings as statements, tabs, backslashes...),
and a line whose formatting could depend on the Python versions black infers
from the whole text (a split line with ``*``, a ``with`` header it changed),
makes the whole text go through black, as before.  ``tests/compiler/test_format_by_line.py`` checks
the result against black over the whole text.

A line not seen before, but of a shape seen before (the same but for its
names, numbers, plain strings and comments: ``shapes``), is not sent to
black: black's lines for the other are filled in with its own tokens.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from statemachine_compiler.format.shapes import Template, shape_of, template_of
from statemachine_compiler.format.store import Store

__all__ = ["black", "format_generated", "format_generated_split", "save_learned"]

INDENT = "    "
WRAPPER = "if __w__:"  # gives a docstring its depth, or a clause the statement it follows
MARKER = re.compile(r"__unit_(\d+)__")  # the line before each unit of a batch
STAR_ARGUMENT = re.compile(r"[(,]\s*\*")  # ``f(*args``, ``, **kwargs``: no product
CACHE_LIMIT = 200_000  # formatted lines kept; then the cache starts again

# (kind, depth, text) -> the lines black makes of it
_formatted: dict[tuple[str, int, str], tuple[str, ...]] = {}
# (kind, depth, shape) -> black's lines for a unit of that shape, its tokens cut out
_templates: dict[tuple[str, int, str], Template] = {}
# a short text given to black (the runtime's imports) -> what black made of it
_texts: dict[str, str] = {}
TEXT_LIMIT = 1_000  # the longest text kept so
# a function's text that is not formatted line by line -> what black made of it whole
_wholes: dict[str, str] = {}
WHOLE_LIMIT = 20_000  # the longest text kept so
WHOLES_KEPT = 2_000  # then the caches start again
# The four, as earlier processes learned them (``store``): read at the first
# format, written by ``save_learned``.
_store = Store()


def black(code: str) -> str:
    """``black.format_str(code)``; for a short text, what an earlier call (or process) got."""
    if len(code) > TEXT_LIMIT:
        return _black(code)
    _load_store()
    formatted = _texts.get(code)
    if formatted is None:
        formatted = _texts[code] = _black(code)
        _store.learn("texts", code, formatted)
    return formatted


def _black_whole(code: str) -> tuple[str, None]:
    """What ``format_generated_split`` gives for a text it leaves to black whole; kept if not too long."""
    formatted = _black(code)
    if len(code) <= WHOLE_LIMIT:
        _wholes[code] = formatted
        _store.learn("wholes", code, formatted)
    return formatted, None


def _black(code: str) -> str:
    import black as _black  # a fifth of a second: only when a format needs it

    return _black.format_str(code, mode=_black.Mode())


def save_learned() -> None:
    """Keep what black gave in this process for the next one (``store``)."""
    _store.save()


def _load_store() -> None:
    """Take what earlier processes learned, once per process."""
    if _store.loaded:
        return
    stored = _store.load()
    _formatted.update(stored["units"])
    for shape, (pieces, requoted) in stored["templates"].items():
        _templates.setdefault(shape, Template(pieces, requoted))
    _texts.update(stored["texts"])
    _wholes.update(stored["wholes"])


def format_generated(code: str) -> str:
    """``black(code)``, for code the compiler generated."""
    return format_generated_split(code)[0]


def format_generated_split(code: str) -> tuple[str, int | None]:
    """``black(code)``, and the line (0-based) where its last statement starts, if a ``def``.

    The line is given only where ``code`` is top-level definitions whose last
    is a ``def``, with nothing but blank lines between it and the statement
    before (the one before ends on the last line before them): a machine's
    classes and its stub, cut there without parsing the text again (issue 12).
    None where black formatted the whole text, or the last statement is no ``def``.
    """
    _load_store()
    whole = _wholes.get(code)
    if whole is not None:
        return whole, None
    units = _logical_lines(code)
    if units is None:
        return _black_whole(code)
    missing = sorted({unit.key for unit in units if unit.key not in _formatted})
    if len(_formatted) + len(missing) > CACHE_LIMIT or len(_wholes) > WHOLES_KEPT:
        _formatted.clear()
        _templates.clear()
        _texts.clear()
        _wholes.clear()
        missing = sorted({unit.key for unit in units})  # (what was known is gone too)
    shapes = {key: shape_of(key) for key in missing}  # each unit's shape, found once
    for keys in _by_shape(missing, shapes):
        if not _format_units(keys, shapes):
            return _black_whole(code)
    lines: list[str] = []
    last_start = None
    for unit in units:
        lines.extend([""] * unit.blank_before)
        if unit.depth == 0:  # a top-level definition (``_place`` allows nothing else there)
            last_start = len(lines) if unit.function else None
        lines.extend(_formatted[unit.key])
    return "\n".join(lines) + "\n", last_start


def _by_shape(keys: list[tuple[str, int, str]], shapes: dict) -> list[list[tuple[str, int, str]]]:
    """``keys`` in two rounds: one unit of each shape (and those with none), then the others.

    ``shapes[key]`` is ``shape_of(key)``.
    """
    first, second = [], []
    seen = set()
    for key in keys:
        blanked = shapes[key]
        if blanked is not None and (blanked[0] in _templates or blanked[0] in seen):
            second.append(key)
        else:
            first.append(key)
            if blanked is not None:
                seen.add(blanked[0])
    return [first, second]


def _format_units(keys: list[tuple[str, int, str]], shapes: dict) -> bool:
    """Put black's lines for each unit of ``keys`` in the cache; False where they cannot be trusted."""
    unknown = []
    for key in keys:
        blanked = shapes[key]
        template = _templates.get(blanked[0]) if blanked is not None else None
        if template is not None:
            _formatted[key] = template.fill(blanked[1])
        else:
            unknown.append(key)
    if not unknown:
        return True
    formatted = _format_batch(unknown)
    if formatted is None:
        return False
    _formatted.update(formatted)
    for key, lines in formatted.items():
        learned = template_of(key, lines)
        if learned is None:
            _store.learn("units", key, lines)
        else:
            shape, template = learned
            if _templates.setdefault(shape, template) is template:
                _store.learn("templates", shape, (template.pieces, template.requoted))
    return True


@dataclass
class Unit:
    """A logical line of the text, with the comment lines right above it."""

    kind: str  # "line", "header", "def" (a def or class header), "class doc", "def doc", "clause"
    depth: int
    start: int  # first line (1-based), its comments included
    end: int  # last line
    text: str = ""
    blank_before: int = 0
    is_import: bool = False
    function: bool = False  # the header of a ``def``

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.kind, self.depth, self.text)


class _Unknown(Exception):
    """The text has something this module does not know black's layout of."""


def _logical_lines(code: str) -> list[Unit] | None:
    """The units of ``code``, their blank lines decided; None where black must do it all."""
    if "\r" in code or "\t" in code or "\f" in code or "\\\n" in code or "__w__" in code or "__tower__" in code or "__unit_" in code:
        return None
    lines = code.split("\n")
    try:
        units = _scanned(lines)
        if units is None:  # not plain enough to read line by line: the ``ast`` parse says
            try:
                tree = ast.parse(code)
            except (SyntaxError, ValueError):
                return None
            units = []
            _collect(tree.body, 0, lines, units)
        _place(units, lines)
    except _Unknown:
        return None
    return units


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None) or []
    return min([d.lineno for d in decorators] + [statement.lineno])


def _is_string(statement: ast.stmt) -> bool:
    """A string as a statement: black formats it as a docstring where it is first in a block."""
    value = getattr(statement, "value", None) if isinstance(statement, ast.Expr) else None
    return isinstance(value, ast.JoinedStr) or (
        isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes))
    )


def _header_end(lines: list[str], start: int, body_start: int) -> int:
    """The last line of a header that starts at ``start``: before its body and the comments above it."""
    end = body_start - 1
    while end > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    if end < start:
        raise _Unknown("a body on its header's line")
    return end


def _clause_line(lines: list[str], after: int, before: int, depth: int, keyword: str) -> int:
    """The line of ``else:``/``finally:`` between line ``after`` and line ``before``, alone there."""
    between = range(after + 1, before)
    if len(between) != 1 or not lines[between[0] - 1].startswith(INDENT * depth + keyword):
        raise _Unknown("blank lines or comments around a clause")
    return between[0]


_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _collect(body: list[ast.stmt], depth: int, lines: list[str], units: list[Unit]) -> None:
    for statement in body:
        start = _first_line(statement)
        if isinstance(statement, _DEFINITIONS):
            end = _header_end(lines, start, _first_line(statement.body[0]))
            units.append(Unit("def", depth, start, end, function=isinstance(statement, ast.FunctionDef)))
            inner = statement.body
            if _is_string(inner[0]):
                kind = "class doc" if isinstance(statement, ast.ClassDef) else "def doc"
                units.append(Unit(kind, depth + 1, inner[0].lineno, inner[0].end_lineno))
                inner = inner[1:]
            _collect(inner, depth + 1, lines, units)
        elif isinstance(statement, _COMPOUND):
            _collect_compound(statement, start, depth, lines, units)
        elif isinstance(statement, (ast.Match, getattr(ast, "TryStar", ast.Match))):
            raise _Unknown("match, except*")
        else:
            if _is_string(statement) or (
                isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                and statement.value.value is Ellipsis
            ):
                raise _Unknown("a string or ... as a statement")
            unit = Unit("line", depth, start, statement.end_lineno)
            unit.is_import = isinstance(statement, (ast.Import, ast.ImportFrom))
            units.append(unit)


def _collect_compound(statement, start, depth, lines, units) -> None:
    kind = "try" if isinstance(statement, ast.Try) else "header"
    units.append(Unit(kind, depth, start, _header_end(lines, start, _first_line(statement.body[0]))))
    _collect(statement.body, depth + 1, lines, units)
    last = statement.body[-1].end_lineno
    if isinstance(statement, ast.Try):
        for handler in statement.handlers:
            if handler.lineno != last + 1:
                raise _Unknown("blank lines or comments before except")
            end = _header_end(lines, handler.lineno, _first_line(handler.body[0]))
            units.append(Unit("except", depth, handler.lineno, end))
            _collect(handler.body, depth + 1, lines, units)
            last = handler.body[-1].end_lineno
    orelse = getattr(statement, "orelse", [])
    if orelse:
        first = _first_line(orelse[0])
        if isinstance(statement, ast.If) and len(orelse) == 1 and isinstance(orelse[0], ast.If) and (
            lines[first - 1].startswith(INDENT * depth + "elif")
        ):
            if first != last + 1:
                raise _Unknown("blank lines or comments before elif")
            before = len(units)
            _collect_compound(orelse[0], first, depth, lines, units)
            units[before].kind = "else"  # an elif: formatted after an if
        else:
            line = _clause_line(lines, last, first, depth, "else")
            units.append(Unit("except" if isinstance(statement, ast.Try) else "else", depth, line, line))
            _collect(orelse, depth + 1, lines, units)
        last = orelse[-1].end_lineno
    if isinstance(statement, ast.Try) and statement.finalbody:
        line = _clause_line(lines, last, _first_line(statement.finalbody[0]), depth, "finally")
        units.append(Unit("except", depth, line, line))
        _collect(statement.finalbody, depth + 1, lines, units)


# -- the units, read from the lines ---------------------------------------------------------
#
# Discussion: an ``ast`` parse of each function's text was a tenth of a
# compile (issue 12), most of it making the nodes of expressions, of which
# only the statements' lines are used.  The text is generated: four spaces a
# level, no backslashes, tabs or form feeds, strings short and plain.  So its
# logical lines are read from its physical ones: a line is complete where its
# brackets, outside strings and comments, close.  Anything this does not read
# for certain (a string it cannot end on its line, a triple quote other than
# a one-line docstring, an f-string whose braces it does not pair, ``;``, a
# body on its header's line, ``match``, ``except*``, a string, ``(`` or ``...``
# starting a statement other than a docstring, blank lines or comments
# around a clause, an indentation it does not follow) gives None, and the
# ``ast`` parse decides, as before.  What it gives is what ``_collect``
# gives, unit for unit (``tests/compiler/test_format_by_line.py`` checks it).

_STRING_OR_COMMENT = re.compile(r"""(?P<prefix>[A-Za-z]{0,2})(?P<string>"[^"\\\n]*"|'[^'\\\n]*')|#.*""")
_PLAIN_STRING_STATEMENT = re.compile(r"""("|'|\"\"\"|''')[^"'\\\n]*\1""")
_STRING_PREFIXES = {"", "r", "u", "b", "br", "rb", "f", "fr", "rf"}
_FIRST_WORD = re.compile(r"[A-Za-z_]\w*|\S")
_CLAUSES = {"elif", "else", "except", "finally"}
_HEADERS = {"if": "if", "for": "loop", "while": "loop", "with": "with", "try": "try"}
# First words left to the ``ast`` parse: ``match`` and ``case`` (a statement, or a
# name), and what may start a string statement (``("doc")``) or ``...``.
_NOT_READ = {"match", "case", "(", '"', "'", "."}


class _Unread(Exception):
    """A line the scanner does not read for certain."""


def _scanned(lines: list[str]) -> list[Unit] | None:
    """The units ``_collect`` makes of ``lines`` (their text and blank lines aside), or None if unsure."""
    try:
        return _scan(lines)
    except _Unread:
        return None


def _scan(lines: list[str]) -> list[Unit]:
    units: list[Unit] = []
    blocks: list[str] = []  # what opened each block the line is in, outermost first
    header: Unit | None = None  # the header whose body comes next
    opened = ""  # what it opens: "def", "class", "try", "except", "try else", "finally", "if", "else", "loop", "with"
    decorated = 0  # the first line of the decorators above the next definition, 1-based
    first_in_definition = False  # the next statement is the first of a def's or class's body
    previous_end = 0  # the last line of the logical line before, 1-based
    number = 0
    count = len(lines)
    while number < count:
        line = lines[number]
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            number += 1
            continue
        start = number + 1
        indentation = len(line) - len(stripped)
        code = _code_of(stripped)
        open_brackets = _brackets(code)
        while open_brackets:
            number += 1
            if open_brackets < 0 or number == count:
                raise _Unread("brackets that do not close")
            more = _code_of(lines[number])
            code += more
            open_brackets += _brackets(more)
        end = number + 1
        number += 1
        if ";" in code:
            raise _Unread("statements sharing a line")
        # Where it stands: first in the body of the header before it, or after a dedent.
        closed = ""  # the block a dedent closed at this line's depth
        if header is not None:
            if indentation != 4 * len(blocks) + 4:
                raise _Unread("a body indented other than one level in")
            if opened in ("try else", "else", "finally") and start != header.end + 1:
                raise _Unread("comments or blank lines after else: or finally:")
            blocks.append(opened)
            header = None
        else:
            if indentation % 4 or indentation > 4 * len(blocks):
                raise _Unread("an indentation this does not follow")
            if indentation < 4 * len(blocks):
                closed = blocks[indentation // 4]
                del blocks[indentation // 4 :]
        depth = len(blocks)
        word = _FIRST_WORD.match(stripped).group()
        if word == "async":
            following = _FIRST_WORD.match(stripped, 6) if stripped.startswith("async ") else None
            word = following.group() if following is not None else ""
            if word not in ("def", "for", "with"):
                raise _Unread("async before what")
            if word == "def":
                word = "async def"
        if decorated and word not in ("@", "def", "async def", "class"):
            raise _Unread("a decorator before no definition")
        in_definition, first_in_definition = first_in_definition, False
        previous, previous_end = previous_end, end
        if word in _CLAUSES:
            kind, opened = _clause(word, stripped, closed)
            if start != previous + 1:
                raise _Unread("blank lines or comments before a clause")
            if word in ("else", "finally") and end != start:
                raise _Unread("a clause header on several lines")
            header = Unit(kind, depth, start, end)
        elif word in _HEADERS:
            opened = _HEADERS[word]
            header = Unit("try" if word == "try" else "header", depth, start, end)
        elif word in ("def", "async def", "class"):
            header = Unit("def", depth, decorated or start, end, function=word == "def")
            opened = "class" if word == "class" else "def"
            decorated = 0
        elif word == "@":
            decorated = decorated or start
            continue
        elif word in _NOT_READ or stripped[len(word) : len(word) + 1] in ("'", '"'):
            if not (in_definition and _PLAIN_STRING_STATEMENT.fullmatch(stripped.rstrip(" "))):
                raise _Unread("match, or a statement starting with a string, a bracket or ...")
            units.append(Unit("class doc" if blocks[-1] == "class" else "def doc", depth, start, end))
            continue
        else:
            units.append(Unit("line", depth, start, end, is_import=word in ("import", "from")))
            continue
        if not code.rstrip(" ").endswith(":"):
            raise _Unread("a body on its header's line")
        units.append(header)
        first_in_definition = opened in ("def", "class")
    if header is not None or decorated:
        raise _Unread("a header without a body at the end")
    return units


def _code_of(line: str) -> str:
    """``line`` without its strings and comment; _Unread where it cannot tell them for certain."""
    if '"' not in line and "'" not in line and "#" not in line:
        return line
    if '"""' in line or "'''" in line:
        if _PLAIN_STRING_STATEMENT.fullmatch(line.strip(" ")):
            return ""  # a one-line docstring
        raise _Unread("a triple quote")
    code = _STRING_OR_COMMENT.sub(_without_string, line)
    if '"' in code or "'" in code:
        raise _Unread("a string not ended on its line, or with a backslash in it")
    return code


def _without_string(match: re.Match) -> str:
    prefix = match.group("prefix")
    if prefix is None:  # a comment
        return ""
    if prefix.lower() not in _STRING_PREFIXES:
        raise _Unread("a name right before a quote")
    if "f" in prefix.lower():
        body = match.group("string")
        if body.count("{") != body.count("}"):
            raise _Unread("an f-string whose braces do not pair (3.12: quotes inside it)")
    return ""


def _brackets(code: str) -> int:
    """How many more brackets ``code`` opens than it closes."""
    return (
        code.count("(") + code.count("[") + code.count("{")
        - code.count(")") - code.count("]") - code.count("}")
    )


def _clause(word: str, stripped: str, closed: str) -> tuple[str, str]:
    """A clause's unit kind and what its body is, after the block ``closed``; _Unread where not plain."""
    if word == "except":
        if stripped[6:].lstrip(" ").startswith("*") or closed not in ("try", "except"):
            raise _Unread("except*, or except after what")
        return "except", "except"
    if word == "finally":
        if closed not in ("try", "except", "try else"):
            raise _Unread("finally after what")
        return "except", "finally"
    if word == "elif":
        if closed != "if":
            raise _Unread("elif after what")
        return "else", "if"
    if closed == "except":  # a try's else, laid out as an except
        return "except", "try else"
    if closed in ("if", "loop"):
        return "else", "else"
    raise _Unread("else after what")


def _place(units: list[Unit], lines: list[str]) -> None:
    """Give each unit its text (comments above it included) and the blank lines before it."""
    previous: Unit | None = None
    open_blocks: list[Unit] = []  # headers whose bodies the units are in
    for unit in units:
        if unit.depth == 0 and unit.kind != "def":
            raise _Unknown("a top-level statement other than a class or def")
        if previous is not None and unit.start <= previous.end:
            raise _Unknown("statements sharing a line (``a = 1; b = 2``, ``if x: y``)")
        gap = range(previous.end + 1 if previous else 1, unit.start)
        blank = 0
        comments = []
        for number in gap:
            text = lines[number - 1]
            if not text.strip():
                if comments:
                    raise _Unknown("a blank line between comments and their statement")
                blank += 1
            elif text.startswith(INDENT * unit.depth + "#"):
                comments.append(number)
            else:
                raise _Unknown("a comment at another depth")
        if comments and unit.kind not in ("line", "header", "try"):
            raise _Unknown("comments above a definition or a clause")
        indentation = INDENT * unit.depth
        first = lines[(comments[0] if comments else unit.start) - 1]
        if not first.startswith(indentation) or first[len(indentation)] == " ":
            raise _Unknown("an indentation other than four spaces")
        if comments:
            unit.start = comments[0]
        left_definition = False
        while open_blocks and open_blocks[-1].depth >= unit.depth:
            left_definition |= open_blocks.pop().kind == "def"
        unit.blank_before = _blank_lines(previous, unit, blank, left_definition)
        unit.text = "\n".join(lines[unit.start - 1 : unit.end])
        if unit.kind not in ("line", "class doc", "def doc"):
            open_blocks.append(unit)
        previous = unit
    if previous is None or any(line.strip() for line in lines[previous.end :]):
        raise _Unknown("nothing, or comments at the end")


def _blank_lines(previous: Unit | None, unit: Unit, blank: int, left_definition: bool) -> int:
    """The blank lines black puts before ``unit``, ``blank`` being there; _Unknown if not known."""
    if previous is None:
        return 0
    if unit.kind == "def":
        if unit.depth == 0 and previous.depth >= 1:
            return 2
        if unit.depth == 1 and previous.depth >= 1:
            return 1
        if unit.depth == 1 and blank == 0:
            return 0  # right under its class's header
        raise _Unknown("a nested definition")
    if left_definition:
        raise _Unknown("a statement after a nested definition")
    if previous.is_import and not unit.is_import and previous.depth == unit.depth:
        raise _Unknown("a statement after imports")
    if previous.kind == "class doc" and previous.depth == unit.depth:
        if blank == 1:
            return 1
        raise _Unknown("a class docstring without one blank line after it")
    if blank == 0:
        return 0
    if previous.kind == "def doc" or previous.depth < unit.depth or unit.kind in ("else", "except"):
        raise _Unknown("blank lines first in a block, after a docstring, before a clause")
    return 1


# -- formatting the units not seen before ----------------------------------------------------


TOWER = "if __tower__:"  # opens the next depth of the batch


def _wrappers(kind: str, depth: int) -> list[str]:
    """The lines, after its marker, that a unit of ``kind`` at ``depth`` follows in a batch."""
    if kind in ("class doc", "def doc"):  # first in its own class or def, as a docstring is
        opener = "class __w__:" if kind == "class doc" else "def __w__():"
        return [INDENT * level + WRAPPER for level in range(depth - 1)] + [INDENT * (depth - 1) + opener]
    if kind == "else":
        return [INDENT * depth + WRAPPER, INDENT * (depth + 1) + "pass"]
    if kind == "except":
        return [INDENT * depth + "try:", INDENT * (depth + 1) + "pass", INDENT * depth + "except __w__:",
                INDENT * (depth + 1) + "pass"]
    return []


def _block(kind: str, depth: int) -> list[str]:
    """The lines after a header of ``kind`` at ``depth`` that make it a statement."""
    if kind in ("line", "class doc", "def doc"):
        return []
    body = [INDENT * (depth + 1) + "pass"]
    if kind == "try":
        body += [INDENT * depth + "except __w__:", INDENT * (depth + 1) + "pass"]
    return body


def _batch(keys: list[tuple[str, int, str]]) -> str:
    """One text with every unit at its depth, each after a marker line ``__unit_N__``.

    Discussion: the units go in one nest of ``if __tower__:`` blocks, the
    shallowest first, each depth opened once, so that black formats little
    more than the units themselves; a docstring goes first in a class or def
    of its own, where black formats it as one.
    """
    parts = []
    level = 0
    order = sorted(range(len(keys)), key=lambda number: (keys[number][0].endswith("doc"), keys[number][1]))
    for number in order:
        kind, depth, text = keys[number]
        if kind.endswith("doc"):
            parts.append(f"__unit_{number}__")
        else:
            while level < depth:
                parts.append(INDENT * level + TOWER)
                level += 1
            parts.append(INDENT * depth + f"__unit_{number}__")
        parts.extend(_wrappers(kind, depth))
        parts.append(text)
        parts.extend(_block(kind, depth))
    return "\n".join(parts) + "\n"


def _format_batch(keys: list[tuple[str, int, str]]) -> dict | None:
    """Black's lines for each unit, from one call of black; None where they cannot be trusted."""
    try:
        formatted_text = _black(_batch(keys))
    except Exception:  # black's InvalidInput, or any failure of its own: black does it all
        return None
    chunks: dict[int, list[str]] = {}
    chunk: list[str] = []
    for line in formatted_text.split("\n"):
        stripped = line.strip()
        marker = MARKER.fullmatch(stripped)
        if marker:
            chunk = chunks.setdefault(int(marker.group(1)), [])
        elif stripped == TOWER:
            chunk = []
        else:
            chunk.append(line)
    if sorted(chunks) != list(range(len(keys))):
        return None
    formatted = {}
    for number, key in enumerate(keys):
        lines = _unwrapped(key, chunks[number])
        if lines is None or not _version_independent(key, lines):
            return None
        formatted[key] = tuple(lines)
    return formatted


def _unwrapped(key, chunk: list[str]) -> list[str] | None:
    """The unit's own lines of its formatted chunk: what is around it checked and cut."""
    kind, depth, _ = key
    lines = list(chunk)
    for wrapper in _wrappers(kind, depth):
        while lines and not lines[0]:
            lines.pop(0)
        if not lines or lines.pop(0) != wrapper:
            return None
    for line in reversed(_block(kind, depth)):
        while lines and not lines[-1]:
            lines.pop()
        if not lines or lines.pop() != line:
            return None
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines or None


def _version_independent(key, lines: list[str]) -> bool:
    """Whether black formats the unit alike whatever Python versions it infers from the text.

    Discussion: black infers the target versions from the features the whole
    text uses; they decide a trailing comma after ``*args`` in a split call
    and the brackets of ``with`` statements.  A unit black leaves as it is,
    or changes without either, is formatted alike in any text.  The comma is
    a question only where black splits a bracket one item a line (its
    delimiter split) and an item of that bracket is unpacked: then that item
    starts a line of the result.  A ``*`` inside brackets black keeps on one
    line (``Handling(exit(mgr, *exc_info(caught)))`` split after
    ``Handling(``) asks nothing.
    """
    kind, _, text = key
    if "\n".join(lines) == text:
        return True
    stripped = text.lstrip()
    if stripped.startswith(("with ", "with(", "async with")):
        return False
    if not STAR_ARGUMENT.search(text):
        return True
    return not any(line.lstrip().startswith("*") for line in lines[1:])
