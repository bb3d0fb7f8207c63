"""Generated columns -> source columns, so that tracebacks put their carets under the user's code.

Since 3.11 a traceback underlines the expression that failed (``~~^^^``),
from the column positions of the instruction.  Lines map back to the source
through the line map; a column needs more, because the generated line is the
source line rewritten: ``return {}[y]`` became ``return {}[self.y]``.

``ColumnMap.span`` aligns the two lines token by token (difflib over the
tokens' text) and maps a generated range to the source tokens matched inside
it: ``{}[self.y]`` -> ``{}[y]``, ``self.y`` -> ``y``.  A range with no matched
token has no columns (no caret rather than a caret under the wrong code).

An await is the one expression the compiler does not keep: ``v = await f()``
becomes ``return f()`` in one state and ``self.reraise(error)`` at the start
of the next, where an exception the awaited code raised comes out.  That
call gets the span of the source's ``await`` expression, as the native
traceback underlines it (``await_span``).
"""

from __future__ import annotations

import ast
import re
import sys
from difflib import SequenceMatcher

__all__ = ["ColumnMap"]

# Good enough to align two versions of one line: names, numbers, (one-line)
# strings, and every other character on its own.
_TOKEN = re.compile(r"""[A-Za-z_]\w*|\d[\w.]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|\S""")


def _tokens(line: str) -> list[tuple[int, int, str]]:
    """``(start, end, text)`` of each token, the offsets in UTF-8 bytes as ``ast`` gives them."""
    found = []
    for match in _TOKEN.finditer(line):
        start = len(line[: match.start()].encode())
        found.append((start, start + len(match.group().encode()), match.group()))
    return found


class ColumnMap:
    """Maps column ranges of generated lines onto the source lines they came from."""

    def __init__(self, generated: list[str], source: list[str], source_text: str):
        self.generated = generated
        self.source = source
        self.source_text = source_text
        self._alignments: dict[tuple[str, str], list[tuple[int, int, int, int]]] = {}
        self._tokens: dict[str, list[tuple[int, int, str]]] = {}
        self._awaits: dict[int, list[tuple[int, int, int, int]]] | None = None
        self._awaits_taken: dict[int, int] = {}
        self._withs_taken: dict[int, int] = {}
        self._supers_taken: dict[int, int] = {}
        # The slot of each ``with`` item's manager (``_with1``) -> the span of
        # its enter and exit calls (``manager_span``), kept by ``modulecode``
        # as it maps positions.
        self.managers: dict[str, tuple[int, int, int, int]] = {}

    def span(self, generated_line: int, source_line: int, start: int, end: int | None):
        """Source ``(start, end)`` columns of ``[start, end)`` of a generated line, or None.

        ``end`` None: to the end of the line (the first line of a range that
        goes on).  ``start`` 0 with a given ``end``: its last line.
        """
        if not (0 < generated_line <= len(self.generated) and 0 < source_line <= len(self.source)):
            return None
        written, original = self.generated[generated_line - 1], self.source[source_line - 1]
        if written.strip() == original.strip():
            # The line as it was, re-indented: exact.
            shift = len(original.encode()) - len(original.lstrip().encode())
            shift -= len(written.encode()) - len(written.lstrip().encode())
            end = len(written.encode()) if end is None else end
            if start + shift < 0 or end + shift < 0:
                return None
            return start + shift, end + shift
        inside = [
            pair
            for pair in self._alignment(generated_line, source_line)
            if pair[0] >= start and (end is None or pair[1] <= end)
        ]
        if not inside or inside[-1][3] < inside[0][2]:
            return None
        return inside[0][2], inside[-1][3]

    def _alignment(self, generated_line: int, source_line: int):
        """The matched tokens of the two lines: ``(gen_start, gen_end, src_start, src_end)``.

        Kept by the two lines' text, not their numbers: the generated code
        says the same lines again and again for one source line (issue 12).
        """
        key = (self.generated[generated_line - 1], self.source[source_line - 1])
        pairs = self._alignments.get(key)
        if pairs is None:
            written = self._tokens_of(key[0])
            original = self._tokens_of(key[1])
            matcher = SequenceMatcher(
                None, [t[2] for t in written], [t[2] for t in original], autojunk=False
            )
            pairs = []
            for first, second, size in matcher.get_matching_blocks():
                for offset in range(size):
                    w, o = written[first + offset], original[second + offset]
                    pairs.append((w[0], w[1], o[0], o[1]))
            self._alignments[key] = pairs
        return pairs

    def _tokens_of(self, line: str) -> list[tuple[int, int, str]]:
        found = self._tokens.get(line)
        if found is None:
            found = self._tokens[line] = _tokens(line)
        return found

    def await_span(self, source_line: int, take: bool = True):
        """``(line, column, end_line, end_column)`` of the next ``await`` starting on ``source_line``.

        Each call takes the next one of the line, in source order: the order
        in which the generated code resumes after them (``take=False``: the
        one the next call takes, left for it: an await's first step comes
        before its resume point).  On the line of an
        ``async for`` or ``async with`` with no ``await``, that statement's
        span.  None when there is none left (or the source does not parse).
        """
        if self._awaits is None:
            self._read_statements()
        spans = self._awaits.get(source_line, ())
        if not spans:
            # The awaits of ``async for`` and ``async with``, as they are
            # positioned natively.
            spans = self._statements.get(source_line, ())
        taken = self._awaits_taken.get(source_line, 0)
        if taken >= len(spans):
            return None
        if take:
            self._awaits_taken[source_line] = taken + 1
        return spans[taken]

    def manager_span(self, source_line: int):
        """Where natively the next item of the ``with`` statement on ``source_line`` has its methods called.

        Each call takes the next item, in source order, as the generated
        code keeps their managers; see ``MANAGER_AT_EXPRESSION``.  None when
        there is none left (or the source does not parse).
        """
        if self._awaits is None:
            self._read_statements()
        spans = self._withs.get(source_line, ())
        taken = self._withs_taken.get(source_line, 0)
        if taken >= len(spans):
            return None
        self._withs_taken[source_line] = taken + 1
        return spans[taken]

    def super_span(self, source_line: int, optimized: bool):
        """The span of the next zero-argument ``super()`` on ``source_line``, or None.

        ``optimized``: in a function with a positional parameter, where from
        3.12 ``super().name`` is one instruction (``LOAD_SUPER_ATTR``),
        positioned at the attribute, not at the call.
        """
        if self._awaits is None:
            self._read_statements()
        spans = self._supers.get(source_line, ())
        taken = self._supers_taken.get(source_line, 0)
        if taken >= len(spans):
            return None
        self._supers_taken[source_line] = taken + 1
        call, attribute = spans[taken]
        return attribute if optimized and attribute is not None and SUPER_ATTRIBUTE_AT_ATTRIBUTE else call

    def _read_statements(self) -> None:
        """Find the source's awaits, and its ``async for`` and ``with`` statements, by line."""
        self._awaits, self._statements, self._withs, self._supers = {}, {}, {}, {}
        attributes = {}  # id of a super() call -> the span of the attribute taken of it
        try:
            tree = ast.parse(self.source_text)
        except (SyntaxError, ValueError):
            return
        for node in ast.walk(tree):
            if not hasattr(node, "lineno"):
                continue
            span = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
            if isinstance(node, ast.Await):
                self._awaits.setdefault(node.lineno, []).append(span)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call) and _is_bare_super(node.value):
                attributes[id(node.value)] = span  # (ast.walk gives a node before what is in it)
            elif isinstance(node, ast.Call) and _is_bare_super(node):
                self._supers.setdefault(node.lineno, []).append((span, attributes.get(id(node))))
            elif isinstance(node, ast.AsyncFor):
                self._statements.setdefault(node.lineno, [span])
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                self._withs.setdefault(
                    node.lineno,
                    [_span_of(item.context_expr) if MANAGER_AT_EXPRESSION else span for item in node.items],
                )
                if isinstance(node, ast.AsyncWith):
                    self._statements.setdefault(node.lineno, _async_with_spans(node, span))
        for spans in (*self._awaits.values(), *self._supers.values()):
            spans.sort()


# From 3.12 ``super().name`` in a function with a positional parameter is one
# instruction, at the attribute's position.
SUPER_ATTRIBUTE_AT_ATTRIBUTE = sys.version_info >= (3, 12)

# 3.13 puts the calls of a manager's enter and exit methods (and for
# ``async with`` their awaits) at its context expression, before at the statement.
MANAGER_AT_EXPRESSION = sys.version_info >= (3, 13)


def _is_bare_super(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id == "super" and not node.args and not node.keywords


def _span_of(node: ast.expr):
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def _async_with_spans(node: ast.AsyncWith, statement):
    """The spans of the awaits of an ``async with``, in the generated code's order.

    The enters, then for each item from the last, its two exits (with an
    exception, and without).
    """
    if not MANAGER_AT_EXPRESSION:
        return [statement] * (3 * len(node.items))
    spans = [_span_of(item.context_expr) for item in node.items]
    for item in reversed(node.items):
        spans += [_span_of(item.context_expr)] * 2
    return spans
