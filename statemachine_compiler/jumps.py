"""Which of pdb's ``jump``s a compiled function can take, read from its source.

Natively ``jump N`` moves the frame to the first instruction of line N, and
CPython refuses what its block stack cannot follow (into a ``for`` body, out
of a ``finally``).  In a compiled function the frame runs the generated
``resume``, whose blocks are not the source's: a statement after an await
sits in the block of the next state, an ``except`` body after an await is no
``except`` block at all, a ``for`` loop's iterator is a slot.  The interpreter
would accept jumps whose effect is not the native one.

The jumps that mean the same in both go to a statement of the current
statement's own list or of a list around it (back, forward, out of a loop
or an ``if``), from inside no ``try``, ``with``, ``async with``, ``async for``
or ``match``: there the generated code is the source's statements in the
same order, with the same loop and ``if`` structure, and the machine's state
is "running" (0) in every state's block, which each falls through to the
next one from.  ``refusal`` says why any other jump is refused.
"""

from __future__ import annotations

import ast
import linecache

__all__ = ["refusal"]

# Statements whose generated form keeps state a jump cannot carry (handlers,
# context managers, iterators awaited): no jump in or out of them, nor within.
_CONTEXTS = (ast.Try, ast.With, ast.AsyncWith, ast.AsyncFor, ast.Match) + (
    (ast.TryStar,) if hasattr(ast, "TryStar") else ()
)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def refusal(code, module_globals, current: int, target: int) -> str | None:
    """Why ``jump target`` from line ``current`` of the compiled function of ``code`` is refused, or None."""
    function = _function_node(code, module_globals)
    if function is None:
        return "the source of this compiled function is not available"
    here = _statement_at(function, current, starting=False)
    there = _statement_at(function, target, starting=True)
    if there is None:
        return f"line {target} starts no statement of {function.name}() (in a compiled function)"
    for ancestor in here[2] if here is not None else ():
        if isinstance(ancestor, _CONTEXTS):
            return f"in a compiled function, no jump from inside a '{_keyword(ancestor)}' statement (line {ancestor.lineno})"
    if here is None or not any(there[1][-1] is body for body in here[1]):
        return (
            f"in a compiled function, jump only to a statement of this block or of one around it: "
            f"line {target} is in neither"
        )
    return None


def _keyword(statement):
    return {"AsyncWith": "async with", "AsyncFor": "async for", "TryStar": "try"}.get(
        type(statement).__name__, type(statement).__name__.lower()
    )


def _function_node(code, module_globals):
    """The ``async def`` node of ``code`` (a compiled ``resume``: the function's file and first line)."""
    lines = linecache.getlines(code.co_filename, module_globals)
    if not lines:
        return None
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef)) and node.name == code.co_name:
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
            if code.co_firstlineno in (first, node.lineno):
                return node
    return None


def _statement_at(function, line: int, starting: bool):
    """``(statement, lists, enclosing statements)``: the innermost statement at ``line``.

    ``lists``: the statement lists from the function's body to the one
    holding the statement.  ``starting``: only a statement that starts on
    the line.  Nested functions and classes are not searched: their code
    is not this one.
    """
    found = None
    lists, ancestors = [function.body], []
    while True:
        for statement in lists[-1]:
            if statement.lineno <= line <= statement.end_lineno:
                break
        else:
            return found
        if statement.lineno == line or not starting:
            found = (statement, list(lists), list(ancestors))
        if isinstance(statement, _SCOPES):
            return found
        inner = [
            child
            for field in ("body", "orelse", "finalbody", "handlers", "cases")
            for child in _statement_lists(statement, field)
        ]
        for child in inner:
            if child and child[0].lineno <= line <= child[-1].end_lineno:
                lists, ancestors = [*lists, child], [*ancestors, statement]
                break
        else:
            return found


def _statement_lists(statement, field):
    """The statement lists under ``statement``'s ``field`` (a handler's or case's body is one)."""
    value = getattr(statement, field, None)
    if not value:
        return []
    if isinstance(value[0], (ast.ExceptHandler, ast.match_case)):
        return [handler.body for handler in value]
    return [value]
