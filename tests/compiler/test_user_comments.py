"""The user's comments on lines that await survive lowering, above the suspension."""

from __future__ import annotations

import textwrap

from statemachine_compiler import compile_source

SOURCE = textwrap.dedent(
    """\
    async def f(lock, x):
        async with lock:  # held briefly
            y = await x.get()  # the value
        while await x.more():  # more to come?
            print(y)  # kept as is
        if await x.ok():  # checked
            return [await v for v in y]  # all of them
        return y
    """
)


def test_comment_on_an_await_line_is_kept_once_above_its_suspension():
    code = compile_source(SOURCE, "f.py").code
    lines = [line.strip() for line in code.splitlines()]
    for comment, first_code in [
        ("# the value", "# line 3: await x.get()"),
        ("# more to come?", "# line 4: await x.more()"),
        ("# checked", "# line 6: await x.ok()"),
    ]:
        assert lines.count(comment) == 1, f"{comment!r} should stand on its own line, once:\n{code}"
        assert lines[lines.index(comment) + 1] == first_code, code
    # Where the state's note quotes the statement (async with, a comprehension), it has it already.
    assert sum("# held briefly" in line for line in lines) == 3
    assert sum("# all of them" in line for line in lines) == 1
    assert "print(self.y)  # kept as is" in lines


def test_a_declaration_line_leaves_no_pass_and_its_comment_stays():
    # ``global``/``nonlocal`` of the compiled function go to the top of
    # resume, and a nested function's ``nonlocal`` of a machine local (a
    # slot: a nested function may delete it, so it may be read unbound) is
    # not needed: the line goes,
    # the comments above it stay with the next line.
    source = textwrap.dedent(
        """\
        total = 0

        async def f():
            count = 0
            def forget():
                nonlocal count
                del count
            def bump():
                # the coroutine's count
                nonlocal count
                count += 1
            def only():
                nonlocal count
            # the module's total
            global total
            total = await g()
            return bump
        """
    )
    code = compile_source(source, "f.py").code
    lines = [line.strip() for line in code.splitlines()]
    assert lines.count("pass") == 1, f"a pass only for the function left empty:\n{code}"
    assert lines[lines.index("def only():") + 1] == "pass", code
    assert lines[lines.index("def bump():") + 1 : lines.index("def bump():") + 3] == [
        "# the coroutine's count",
        "self.count += 1",
    ], code
    assert lines[lines.index("# the module's total") + 1] == "# line 16: await g()", code
