"""Self-documenting f-string fields (``f"{x=}"``) spelled out before the body is rewritten.

The text a ``=`` field prints is its source text, whitespace included; the
compiler changes that text (``x`` becomes ``self.x``, ``await g()`` becomes
``value``).  So, before anything else touches the function, each such field
becomes the text it prints followed by a plain field, as the language
reference defines it:

    f"{x = }"        ->  f"x = {x!r}"       (repr unless a conversion or a spec is given)
    f"{x=:>4}"       ->  f"x={x:>4}"
    f"{await g()=}"  ->  f"await g()={await g()!r}"

Fields inside a format spec (``f"{x:{y=}}"``) are left as written.

From 3.12 (PEP 701) a field may contain its f-string's quote, backslashes
and line breaks; CPython then prints the text with its escapes decoded, as
in the literal parts of the f-string.  Such text becomes a field of its own
holding that string.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import warnings

import libcst as cst

from statemachine_compiler.analysis.walk import Walker

__all__ = ["source_lines_of", "spell_out_self_documenting_fields"]


def spell_out_self_documenting_fields(
    node: cst.CSTNode, source: cst.Module, positions, note_origin, source_lines=None
) -> cst.CSTNode:
    """Return ``node`` with every ``=`` field of its f-strings spelled out.

    ``source`` is the module, ``positions`` its libcst ``PositionProvider``
    metadata, ``note_origin(new, original)`` keeps the source line of each
    node rebuilt on the way.  ``source_lines()``, if given, returns
    ``source_lines_of(source)``, computed once for all the module's functions.
    """
    finder = _SelfDocumenting()
    finder.walk(node)
    if not finder.found:
        return node  # nothing to spell out: not rebuilt either
    return node.visit(_Spelling(source, positions, note_origin, source_lines))


class _SelfDocumenting(Walker):
    """Whether an f-string has a ``=`` field of its own."""

    def __init__(self):
        self.found = False

    def visit_FormattedString(self, node) -> None:
        self.found = self.found or any(_is_self_documenting(p) for p in node.parts)


def source_lines_of(module: cst.Module) -> list[str]:
    """The module's lines as the tokenizer counts them (str.splitlines also splits at form feeds)."""
    return io.StringIO(module.code, newline="").readlines()


class _Spelling(cst.CSTTransformer):
    def __init__(self, source: cst.Module, positions, note_origin, source_lines=None):
        self.source = source
        self.positions = positions
        self.note_origin = note_origin
        self.source_lines = source_lines or (lambda: source_lines_of(source))

    @functools.cached_property
    def lines(self) -> list[str]:
        # Discussion: only when a ``=`` field is met, and then (from the
        # pipeline) once per module: printing the whole module for every
        # function made compiling a module quadratic in its size.
        return self.source_lines()

    def on_leave(self, original_node, updated_node):
        result = super().on_leave(original_node, updated_node)
        if isinstance(result, cst.CSTNode) and result is not original_node:
            self.note_origin(result, original_node)
        return result

    def leave_FormattedString(self, original_node, updated_node):
        if not any(_is_self_documenting(p) for p in original_node.parts):
            return updated_node
        parts = []
        for original, updated in zip(original_node.parts, updated_node.parts, strict=True):
            if _is_self_documenting(original):
                parts.append(self.text_of(original, original_node))
                conversion = original.conversion
                if conversion is None and original.format_spec is None:
                    conversion = "r"
                # ``{ {'a': 1}!r}``: a space keeps ``{{`` from reading as a brace.
                braced = self.source.code_for_node(updated.expression).startswith("{")
                updated = updated.with_changes(
                    equal=None,
                    conversion=conversion,
                    whitespace_before_expression=cst.SimpleWhitespace(" " if braced else ""),
                    whitespace_after_expression=cst.SimpleWhitespace(""),
                )
            parts.append(updated)
        return updated_node.with_changes(parts=_merge_texts(parts))

    def text_of(self, field: cst.FormattedStringExpression, string: cst.FormattedString):
        """What ``field`` prints before its value: its source text up to and with the ``=``."""
        text = self.source_text(field)
        quote = string.end
        raw = "r" in string.start.lower()
        if "\\" in text or quote[0] in text or ("\n" in text and len(quote) == 1):
            # Only possible from 3.12 (PEP 701).
            return cst.FormattedStringExpression(cst.SimpleString(repr(text if raw else _decoded(text))))
        return cst.FormattedStringText(text.replace("{", "{{").replace("}", "}}"))

    def source_text(self, field: cst.FormattedStringExpression) -> str:
        """The text between the field's ``{`` and the end of its ``=``, as written."""
        code = self.source.code_for_node
        after_equal = code(field.equal.whitespace_after)
        where, equal = self.positions.get(field), self.positions.get(field.equal)
        if where is None or equal is None:  # not from the source: render it
            before_equal = code(field.whitespace_before_expression) + code(field.expression)
            return before_equal + code(field.whitespace_after_expression) + code(field.equal)
        start, end = where.start, equal.end
        if start.line == end.line:
            return self.lines[start.line - 1][start.column + 1 : end.column] + after_equal
        text = self.lines[start.line - 1][start.column + 1 :]
        text += "".join(self.lines[start.line : end.line - 1])
        return text + self.lines[end.line - 1][: end.column] + after_equal


def _decoded(text: str) -> str:
    """``text`` with its backslash escapes decoded, as in a string literal."""

    def one(escape: re.Match) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ``\d``: an invalid escape stays as written
            return ast.literal_eval('"' + escape.group(0) + '"')

    escapes = r"\\(N\{[^}]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\n|.)"
    return re.sub(escapes, one, text, flags=re.DOTALL)


def _is_self_documenting(part: cst.BaseFormattedStringContent) -> bool:
    return isinstance(part, cst.FormattedStringExpression) and part.equal is not None


def _merge_texts(parts: list[cst.BaseFormattedStringContent]) -> list[cst.BaseFormattedStringContent]:
    """Join adjacent pieces of text (``f"a{x=}"`` -> ``f"ax={x!r}"``, not two texts)."""
    merged: list[cst.BaseFormattedStringContent] = []
    for part in parts:
        if merged and isinstance(part, cst.FormattedStringText) and isinstance(merged[-1], cst.FormattedStringText):
            merged[-1] = cst.FormattedStringText(merged[-1].value + part.value)
        else:
            merged.append(part)
    return merged
