"""Formatting the generated code: black's output, without running black over all of it.

``format_generated(code)`` returns ``black.format_str(code)`` for the text of
one compiled function (its machine classes and its stub); ``by_line`` says how.
"""

from statemachine_compiler.format.by_line import (
    black,
    format_generated,
    format_generated_split,
    save_learned,
)

__all__ = ["black", "format_generated", "format_generated_split", "save_learned"]
