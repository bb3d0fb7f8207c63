"""Generated machine classes kept as text inside the module's tree.

Discussion: a machine class is written as text (``emit.writer``) and, with
formatting, black'd as text.  Parsing that text back into libcst nodes only to
print them again at the end cost more than lowering the function did, and
holding the nodes of every class of a big module took about half a megabyte
per function.  ``GeneratedCode`` stands in the tree for the statements of that
text and prints it as it is.

Printing the text as it is gives what printing its parsed nodes would only
where they would be printed as parsed: at the top level of a module indented
with four spaces and ending lines with ``\\n`` (a parsed block takes the
indentation and the newlines of the module it is printed in).  Anywhere else
(a machine inside an ``if`` at module level, a module indented with tabs) the
text is parsed when printed, and its nodes printed instead, exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst
from libcst._add_slots import add_slots
from libcst._nodes.internal import CodegenState, visit_sequence

__all__ = ["GeneratedCode", "GeneratedFunction"]


@add_slots
@dataclass(frozen=True)
class GeneratedCode(cst.BaseCompoundStatement):
    """Top-level statements given as source text (one or more, ending with a newline)."""

    code: str
    leading_lines: Sequence[cst.EmptyLine] = ()
    # A compound statement's body; never visited or printed: ``code`` is the body.
    body: cst.BaseSuite = field(default_factory=lambda: cst.IndentedBlock(body=()))

    def _visit_and_replace_children(self, visitor) -> GeneratedCode:
        return GeneratedCode(
            code=self.code,
            leading_lines=visit_sequence(self, "leading_lines", self.leading_lines, visitor),
            body=self.body,
        )

    def _codegen_impl(self, state: CodegenState) -> None:
        for line in self.leading_lines:
            line._codegen(state)
        if state.indent_tokens or state.default_indent != "    " or state.default_newline != "\n":
            # It ends where its last statement does, as the nodes would (an
            # ``if`` around a stub ends there too, before the stub's newline).
            statements = cst.parse_module(self.code).body
            with state.record_syntactic_position(self, end_node=statements[-1]):
                for statement in statements:
                    statement._codegen(state)
            return
        with state.record_syntactic_position(self):
            state.add_token(self.code[:-1])
        # The last newline its own token: a module without a final newline pops it.
        state.add_token("\n")


@add_slots
@dataclass(frozen=True)
class GeneratedFunction(GeneratedCode):
    """A stub ``def`` given as its source text, where nothing rewrites it again (module level).

    ``name`` is the name the ``def`` binds, for the name rewriter that asks
    (``with_changes(name=...)`` gives it another, and leaves the text alone).
    """

    name: cst.Name = field(default_factory=lambda: cst.Name("_"))

    def _visit_and_replace_children(self, visitor) -> GeneratedFunction:
        return GeneratedFunction(
            code=self.code,
            leading_lines=visit_sequence(self, "leading_lines", self.leading_lines, visitor),
            body=self.body,
            name=self.name,
        )
