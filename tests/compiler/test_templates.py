"""The lowering's templates, filled in place (``lower.templates``), print as libcst's own helper fills them."""

from __future__ import annotations

import libcst as cst
import libcst.helpers
import pytest

from statemachine_compiler.lower.templates import parse_template_statement

CASES = [
    ('if {jump} == "return":\n    return {result}\n', {"jump": "_jump", "result": "self.x + 1"}),
    (
        "try:\n    pass\nexcept {BaseException} as {caught}:\n    if not await {exit}({manager}, *{exc_info}({caught})):\n"
        "        raise\nelse:\n    await {exit}({manager}, None, None, None)\n",
        {"BaseException": "BaseException", "caught": "caught", "exit": "self._exit1", "manager": "self._mgr",
         "exc_info": "exc_info"},
    ),
    ("# Raise what no clause handled.\n{star}.reraise()\n", {"star": "self._star"}),
    ("if {star}.match({types}):\n    pass\n", {"star": "_star", "types": "(KeyError, ValueError)"}),
    ("while True:\n    try:\n        {received} = await {next_awaitable}({iterator})\n    except {Stop}:\n        break\n",
     {"received": "item", "next_awaitable": "next_awaitable", "iterator": "self._it", "Stop": "StopAsyncIteration"}),
]


@pytest.mark.parametrize("template, replacements", CASES)
def test_filled_as_libcst_fills_it(template, replacements):
    nodes = {name: cst.parse_expression(code) for name, code in replacements.items()}
    expected = cst.Module(body=[libcst.helpers.parse_template_statement(template, **nodes)]).code
    for _ in range(2):  # parsed, then from the template kept
        filled = parse_template_statement(template, **nodes)
        assert cst.Module(body=[filled]).code == expected


def test_each_placeholder_gets_its_own_copy():
    caught = cst.Name("caught")
    filled = parse_template_statement("try:\n    pass\nexcept E as {caught}:\n    f({caught})\n", caught=caught)
    handler = filled.handlers[0]
    in_call = handler.body.body[0].body[0].value.args[0].value
    assert handler.name.name is not caught and in_call is not caught and handler.name.name is not in_call


def test_a_statement_in_place_is_filled_by_libcst():
    filled = parse_template_statement("if x:\n    {body}\n", body=cst.parse_statement("y = 1\n"))
    assert cst.Module(body=[filled]).code == "if x:\n    y = 1\n"
