"""Units black formats alike: the same text but for the names, numbers, plain strings and comments in it.

Most logical lines the compiler writes for a function differ from lines it
wrote for the one before only in those (``self.state = 3  # line 26: ...``,
``_name = 'handle_7'``), and black was still most of a compile's time, for
them (issue 12).  A unit's *shape* is its text with each such token blanked
out, its length kept: ``N`` for each character of a name, ``0`` of a decimal
integer, ``S`` of a plain string's body, ``C`` of a plain comment's text.
Once black has formatted a unit, its output with those tokens cut out is the
*template* of its shape; a unit of the same shape gets the template with its
own tokens put back, without black.

Discussion: what black does to a unit depends on its tokens' kinds, the tree
they make, their widths and the spelling of keywords, strings, numbers and
comments, never on the spelling of a name: the shape keeps all of that.  A
plain string (no prefix, no quote or backslash in its body) is left alone
in double quotes and given double quotes from single ones, whatever its body;
a decimal integer is left as it is; so is a comment that starts with ``# ``,
does not end with whitespace and has none of the words of black's directives
(``# fmt: skip``, ``# type: ignore``...).  Black never adds, drops or reorders
names, numbers or strings, so its output has the unit's tokens in the unit's
order (checked when a template is made).  Anything else in a token (a
prefixed, triple-quoted or escaped string, non-ASCII text, whose width is not
its length) leaves the unit without a shape: black formats it.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

__all__ = ["Template", "shape_of", "template_of"]

_TOKEN = re.compile(
    r"""(?P<string>"[^"'\\\n]*"|'[^"'\\\n]*')"""
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<number>\d[\w.]*)"
    r"|(?P<other>[\s\S])",
    re.ASCII,
)
_PLAIN_COMMENT = re.compile(r"# \S(?:.*\S)?")
_DIRECTIVES = ("fmt", "yapf", "type", "noqa", "pylint")
# Names black tells apart by their spelling: keywords, soft ones too (``match``, ``case``, ``_``).
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_DOCSTRING = re.compile(r'( *""")([^"\'\\\n]+)"""')

Key = tuple[str, int, str]  # (kind, depth, text): a unit, as by_line keys it


def _tokens(text: str) -> tuple[str, list[tuple[int, int]]] | None:
    """The shape of ``text``, and where its blanked tokens are; None where it has none."""
    if not text.isascii():
        return None
    shape: list[str] = []
    spans: list[tuple[int, int]] = []
    previous = ""  # the kind of the token before
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        token = match.group()
        if kind == "string":
            if previous in ("string", "name", "keyword"):
                return None  # a prefixed string, or several read out of a triple-quoted one
            token = token[0] + "S" * (len(token) - 2) + token[0]
        elif kind == "other" and token in "\"'":
            return None  # a string this does not read as a plain one
        elif kind == "comment":
            if not _PLAIN_COMMENT.fullmatch(token) or any(word in token for word in _DIRECTIVES):
                kind = "other"
            else:
                token = "# " + "C" * (len(token) - 2)
        elif kind == "name":
            if token in _KEYWORDS:
                kind = "keyword"
            else:
                token = "N" * len(token)
        elif kind == "number":
            if token.isdigit():
                token = "0" * len(token)
            else:
                kind = "other"
        if kind in ("string", "comment", "name", "number"):
            spans.append(match.span())
        previous = kind
        shape.append(token)
    return "".join(shape), spans


def _docstring_tokens(text: str) -> tuple[str, list[tuple[int, int]]] | None:
    """A one-line docstring's shape: its body blanked, where it has no quote, backslash or space at its ends."""
    match = _DOCSTRING.fullmatch(text)
    if match is None or match.group(2) != match.group(2).strip():
        return None
    return match.group(1) + "S" * len(match.group(2)) + '"""', [match.span(2)]


def _blanked(key: Key) -> tuple[Key, list[str]] | None:
    kind, depth, text = key
    found = _docstring_tokens(text) if kind.endswith("doc") else _tokens(text)
    if found is None:
        return None
    shape, spans = found
    return (kind, depth, shape), [text[start:end] for start, end in spans]


def shape_of(key: Key) -> tuple[Key, list[str]] | None:
    """The unit's shape (as a key), and the tokens blanked in it; None where it has no shape."""
    return _blanked(key)


@dataclass(frozen=True)
class Template:
    """Black's lines for every unit of one shape: ``pieces`` around its tokens, in order."""

    pieces: tuple[str, ...]  # one more than the tokens
    requoted: tuple[bool, ...]  # the token, a 'string', is given double quotes

    def fill(self, tokens: list[str]) -> tuple[str, ...]:
        parts = [self.pieces[0]]
        for token, requoted, piece in zip(tokens, self.requoted, self.pieces[1:], strict=True):
            parts.append(f'"{token[1:-1]}"' if requoted else token)
            parts.append(piece)
        return tuple("".join(parts).split("\n"))


def template_of(key: Key, lines: tuple[str, ...]) -> tuple[Key, Template] | None:
    """The shape of the unit ``key``, and its template, from ``lines``: what black made of it."""
    blanked = _blanked(key)
    if blanked is None:
        return None
    shape, tokens = blanked
    output = "\n".join(lines)
    found = _docstring_tokens(output) if key[0].endswith("doc") else _tokens(output)
    if found is None or len(found[1]) != len(tokens):
        return None
    pieces = []
    requoted = []
    end = 0
    for token, (start, stop) in zip(tokens, found[1], strict=True):
        written = output[start:stop]
        if written == token:
            requoted.append(False)
        elif token[0] == "'" and written == f'"{token[1:-1]}"':
            requoted.append(True)
        else:
            return None  # black changed a token: not a template
        pieces.append(output[end:start])
        end = stop
    pieces.append(output[end:])
    return shape, Template(tuple(pieces), tuple(requoted))
