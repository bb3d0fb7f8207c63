"""libcst's parse of a module, a few hundred lines at a time: the same tree, a fraction of the memory.

``parse_module(text)`` returns what ``libcst.parse_module(text)`` returns.

Discussion: libcst's native parser holds the whole token stream and its own
tree while it builds the Python one; for a 20,000-line module that took the
process to 260 MB, where the tree it gives is a small part of that, and the
memory is not given back (issue 12: under 200 MB for such a file).  Parsed
a piece at a time, the peak is one piece's, and the parse is faster too.  A
module is cut only before a top-level statement (a line that starts in its
first column, not with a comment or a closing bracket) after empty lines,
where the line before those ends another statement (no comment there, no
indented blank line): there the tree of the whole has the empty lines as the
statement's ``leading_lines``, and a piece starting at them has them as its
``header``, which is moved there.  A cut made elsewhere (inside a string or
brackets, before an ``else:``, after a decorator) leaves a piece that does
not parse: then the module is parsed whole, as it is when it is small, when
its newlines are not ``\\n``, or when the pieces disagree on the module's
default indentation or newline.  ``tests/compiler/test_parsing.py`` checks
the tree against the whole parse.
"""

from __future__ import annotations

import libcst as cst

__all__ = ["parse_module"]

PIECE_LINES = 500  # a piece ends at the first cut after this many lines


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, parsed in pieces where the module is large."""
    lines = text.split("\n")
    if len(lines) < 2 * PIECE_LINES or "\r" in text:
        return cst.parse_module(text)
    cuts = _cuts(lines)
    if not cuts:
        return cst.parse_module(text)
    bounds = [0, *cuts, len(lines)]
    pieces = []
    try:
        for start, end in zip(bounds, bounds[1:], strict=False):
            piece = "\n".join(lines[start:end]) + ("\n" if end < len(lines) else "")
            pieces.append(cst.parse_module(piece))
    except cst.ParserSyntaxError:  # a cut inside a statement: the whole decides
        return cst.parse_module(text)
    return _joined(pieces) or cst.parse_module(text)


def _cuts(lines: list[str]) -> list[int]:
    """Where pieces start (0-based lines): the first of the empty lines before a top-level statement."""
    cuts = []
    last_cut = 0
    blank_from = None  # the first of the empty lines right before this one
    previous = ""  # the last line that was not empty
    for number, line in enumerate(lines):
        if not line:
            if blank_from is None:
                blank_from = number
            continue
        if (
            blank_from is not None
            and number - last_cut >= PIECE_LINES
            and line[0] not in " \t#)]}"
            and previous.strip()
            and not previous.lstrip().startswith("#")
            and not previous.endswith("\\")
        ):
            cuts.append(blank_from)
            last_cut = blank_from
        blank_from = None
        previous = line
    return cuts


def _joined(pieces: list[cst.Module]) -> cst.Module | None:
    """The module of the pieces' statements, each piece's header given to its first; None if they do not fit."""
    first, last = pieces[0], pieces[-1]
    body = list(first.body)
    for piece in pieces[1:]:
        if (
            not piece.body
            or piece.default_indent != first.default_indent
            or piece.default_newline != first.default_newline
        ):
            return None
        statement = piece.body[0]
        body.append(statement.with_changes(leading_lines=[*piece.header, *statement.leading_lines]))
        body.extend(piece.body[1:])
    if any(piece.footer for piece in pieces[:-1]):
        return None
    return first.with_changes(body=body, footer=last.footer, has_trailing_newline=last.has_trailing_newline)
