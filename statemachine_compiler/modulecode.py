"""A module's source compiled into the code object its import runs, as the user wrote it.

``module_code(source, path)`` runs the compiler (``pipeline.compile_source``)
and compiles the generated text under the user's filename:

1. Every position of the generated code (lines, columns) is mapped back onto
   the source, so that tracebacks, pdb, pytest and coverage show the user's
   lines; what has no source position takes its parent's line, with no caret.
2. Each ``resume`` code object takes the name of the function it runs (and
   what is defined in it the qualified names below that function), and each
   stub's code the flag of the ``async def`` it stands for (what
   ``runtime.machines.marks`` would give it), and a machine class whose
   ``resume`` may delete an attribute says so (``_deletes_locals``), so that
   a warm import has nothing to rename, rebuild or scan.

The import hook (``importhook.compile_to_code``) and ``run``'s script cache
call it on a cache miss only: a warm import never imports this module, nor
``ast``, libcst or black.
"""

from __future__ import annotations

import ast
from types import CodeType
from typing import Callable

from runtime.machines.marks import CO_ASYNC_GENERATOR, CO_COROUTINE
from statemachine_compiler.diagnostics import CompileError

__all__ = ["module_code"]

MARKS = {"coroutine_function": CO_COROUTINE, "async_generator_function": CO_ASYNC_GENERATOR}


def module_code(
    source: bytes | str, path: str, *, tree_pass: Callable[[ast.Module], None] | None = None
) -> CodeType:
    """Compile ``source`` (the text of the file at ``path``) into a module code object.

    ``tree_pass``, if given, edits the generated module's tree (its positions
    already those of the source) before it becomes code: pytest's assertion
    rewriting (``statemachine_compiler.pytest_plugin``).

    Raises ``CompileError`` (a ``SyntaxError``) for input the compiler does
    not handle, with the offending line as its ``text``.
    """
    # Imported here, not above: ``statemachine_compiler.importhook.compile_to_code``
    # imports this module, and the pipeline imports libcst.
    from statemachine_compiler.decoding import decode_source
    from statemachine_compiler.pipeline import Options, check_output, compile_source

    text = decode_source(source, path).text if isinstance(source, bytes) else source
    try:
        # Not checked there: compiled here, all of it, once (issue 12).
        result = compile_source(text, path, Options(format=False, check=False))
    except CompileError as error:
        raise _with_source_line(error, text) from None
    try:
        return _code_of(result, text, path, tree_pass)
    except SyntaxError:
        # Generated code that does not compile is the compiler's bug: said as
        # the pipeline's own check would have said it.
        try:
            check_output(result.code, path)
        except CompileError as error:
            raise _with_source_line(error, text) from None
        raise  # the generated text compiles: what failed came after it (``tree_pass``)


def _code_of(result, text: str, path: str, tree_pass) -> CodeType:
    """The module's code object from the compiler's ``result``; SyntaxError where it does not compile."""
    from statemachine_compiler.columns import ColumnMap

    tree = ast.parse(result.code, filename=path)
    generated_lines = result.code.splitlines()
    linemap = getattr(result, "linemap", None)
    if linemap is None:  # Discussion: until the pipeline reports a map, lines are 1:1.
        linemap = list(range(1, len(generated_lines) + 1))
    columns = ColumnMap(generated_lines, text.splitlines(), text)
    _map_positions(tree, linemap, columns, parent_line=1)
    _place_method_machines(tree)
    renames = _machine_names(tree)
    if tree_pass is not None:
        tree_pass(tree)
    _tell_deleting_machines(tree)
    stubs = _marked_stubs(tree)
    code = compile(tree, path, "exec", dont_inherit=True)
    if stubs:
        code = _flag_stubs(code, stubs)
    return _rename_code(code, renames) if renames else code


def _with_source_line(error: CompileError, text: str) -> CompileError:
    """Give ``error`` the text of its line, which tracebacks print with a caret under it."""
    if error.text is None and 0 < error.line <= text.count("\n") + 1:
        error.text = text.split("\n", error.line)[error.line - 1] + "\n"
    return error


def _map_positions(node, linemap, columns, parent_line):
    """Move every position of ``node`` from the generated text onto the source.

    A generated line the map does not know (0) takes its parent's source line.
    Columns are mapped by ``columns`` (a ``ColumnMap``); where it cannot
    map them they are dropped (-1), so that tracebacks show no caret rather
    than a caret under the wrong characters.
    """
    if _is_resume_point(node):
        line = _source_line(linemap, node.lineno) or parent_line
        # No await on the line: the resume point of an ``async for`` or
        # ``async with``, which natively shows no caret either.
        span = columns.await_span(line) or (line, -1, line, -1)
        _place(node, *span)
        # A method call takes its line from where the method's name ends:
        # the await's first line, not its last.
        _place(node.func, span[0], span[1], span[0], span[1] + len("await") if span[1] >= 0 else -1)
        return
    if _is_fast_await(node):
        # Running the awaited coroutine's first step: natively the frame is
        # at its await then, which stack walks (inspect.stack()) show.  The
        # awaitable, the call's first argument, is the user's code: mapped as such.
        line = _source_line(linemap, node.lineno) or parent_line
        span = columns.await_span(line, take=False) or (line, -1, line, -1)
        call = node.value
        awaitable, call.args = call.args[0], call.args[1:]
        _place(node, *span)
        # (the call's line: where the method's name ends, as for ``resumed``)
        _place(call.func, span[0], span[1], span[0], span[1] + len("await") if span[1] >= 0 else -1)
        call.args = [awaitable, *call.args]
        _map_positions(awaitable, linemap, columns, line)
        return
    line = parent_line
    if _is_manager_call(node, columns) or _is_refused_super(node):
        if _is_refused_super(node):
            # ``super_without_arguments()`` where the source says ``super()``: its carets.
            own = _source_line(linemap, node.lineno) or parent_line
            # (``super_in_comprehension``: in a comprehension, whose iterator is its first argument)
            optimized = node.func.id.startswith("super_in_comprehension")
            span = columns.super_span(own, optimized) or (own, -1, own, -1)
        else:
            span = columns.managers[node.func.value.attr]
        line, column, end_line, end_column = span
        _place(node, line, column, end_line, end_column)
        # (A method call takes its line from where the method's name ends: its first here.)
        _place(node.func, line, column, line, end_column if end_line == line else column)
        return
    if "lineno" in node._attributes and getattr(node, "lineno", None) is not None:
        line = _source_line(linemap, node.lineno) or parent_line
        end = _source_line(linemap, node.end_lineno or node.lineno) or line
        if end < line:
            end = line
        start_column, end_column = _source_columns(node, columns, line, end)
        node.lineno, node.end_lineno = line, end
        node.col_offset, node.end_col_offset = start_column, end_column
    for child in ast.iter_child_nodes(node):
        _map_positions(child, linemap, columns, line)
    if _is_super_given_arguments(node, columns):
        # ``super(Owner, self)`` written for ``super()``: what fails in it (the
        # argument read, once deleted) fails where natively ``super()`` does.
        for argument in node.args:
            _place(argument, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
    if _is_manager(node):
        columns.managers[node.targets[0].attr] = columns.manager_span(line) or (line, -1, line, -1)


def _is_manager(node) -> bool:
    """``self._with1 = With(manager)``: a ``with`` (or ``async with``) item's manager kept."""
    return (
        isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Attribute)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id.rstrip("_") in ("With", "AsyncWith")  # (or as the module spells them)
        and len(node.value.args) == 1
    )


def _is_super_given_arguments(node, columns) -> bool:
    """A ``super(...)`` call the map put on a source ``super()``: its arguments are the compiler's."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "super"
        and node.args
        and node.col_offset >= 0
        and node.lineno == node.end_lineno
        and columns.source[node.lineno - 1].encode()[node.col_offset : node.end_col_offset] == b"super()"
    )


def _is_refused_super(node) -> bool:
    """A call of ``runtime.machines.supers``: a ``super()`` the compiler made fail as natively."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.rstrip("_") in ("super_without_arguments", "super_in_comprehension", "super_of_deletable")
    )


def _is_manager_call(node, columns) -> bool:
    """``self._with1.enter()`` or ``.exit(...)`` of a manager ``_is_manager`` saw kept."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("enter", "exit")
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr in columns.managers
    )


def _source_columns(node, columns, line, end):
    """The source columns of ``node``, which the map puts on source lines ``line`` to ``end``."""
    if node.col_offset is None or node.end_col_offset is None:
        return -1, -1
    generated_end = node.end_lineno or node.lineno
    if generated_end == node.lineno:
        span = columns.span(node.lineno, line, node.col_offset, node.end_col_offset)
        if span is None or line != end:
            return -1, -1
        return span
    first = columns.span(node.lineno, line, node.col_offset, None)
    last = columns.span(generated_end, end, 0, node.end_col_offset)
    if first is None or last is None or (line == end and last[1] < first[0]):
        return -1, -1
    return first[0], last[1]


def _is_resume_point(node) -> bool:
    """``self.raise_(error)`` in ``self.state = self.raise_(error) if error else 0``: an await's exception comes out."""
    return _calls_with_names(node, "raise_", 1)


def _is_fast_await(node) -> bool:
    """``value = self.run_now(awaitable, k)``: an await's first step."""
    return (
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "run_now"
        and len(node.value.args) == 2
        and isinstance(node.value.args[1], ast.Constant)
    )


def _calls_with_names(node, method: str, count: int) -> bool:
    """``x.method(a, b)``: a call of the machine's ``method`` with ``count`` plain names."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and len(node.args) == count
        and all(isinstance(argument, ast.Name) for argument in node.args)
    )


def _place(node, line, column, end_line, end_column) -> None:
    """Give ``node`` and everything in it one position."""
    for inner in ast.walk(node):
        if "lineno" in inner._attributes:
            inner.lineno, inner.end_lineno = line, end_line
            inner.col_offset, inner.end_col_offset = column, end_column


def _place_method_machines(tree: ast.Module) -> None:
    """Put the statement defining a method's machine class on the line of the statement before it.

    Discussion: the machine class of ``async def m`` in ``class C`` is
    defined at module level, before ``C`` (and that of an async def in a
    function, before the function).  On the line of ``m`` that would
    be a line event that natively does not happen there: a debugger
    stepping through the module would stop at ``m`` before ``C``.  On the
    line of the statement before it makes none.  Only the class statement
    moves (its bases too); its body keeps its lines.
    """
    previous = None
    for statement in tree.body:
        if previous is not None and _is_method_machine(statement):
            line = previous.lineno
            for node in (*statement.bases, *statement.keywords, *statement.decorator_list):
                _place(node, line, -1, line, -1)
            statement.lineno = statement.end_lineno = line
            statement.col_offset = statement.end_col_offset = -1
        previous = statement


def _is_method_machine(statement) -> bool:
    if not isinstance(statement, ast.ClassDef):
        return False
    # A method's, or an async def's in a function (its class made once, at module level).
    qualname = _class_constants(statement).get("_qualname", "")
    return "." in qualname


def _source_line(linemap, generated_line):
    if generated_line is not None and 0 < generated_line <= len(linemap):
        return linemap[generated_line - 1]
    return 0


def _machine_names(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Map the qualname of each generated ``resume`` to the name and qualname it runs.

    A machine class is recognised by what the emitter writes in its body:
    ``_name = "..."``, ``_qualname = "..."`` and a ``resume`` method.
    """
    renames = {}
    # The classes of async defs in plain functions, whose resume is made in
    # that function by a def decorated ``@_f_inner.resume_maker``.
    made_elsewhere = {}
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            described = _class_constants(statement)
            if "_name" in described and "_qualname" in described and "_resume_maker" in described:
                made_elsewhere[statement.name] = (
                    (described["_name"], described["_qualname"]),
                    described.get("_resume_function", "resume"),
                )

    def visit(body, prefix):
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                qualname = prefix + statement.name
                described = _class_constants(statement)
                resume = _resume_of(statement, described.get("_resume_function", "resume"))
                if "_name" in described and "_qualname" in described and resume is not None:
                    renames[qualname + resume] = (described["_name"], described["_qualname"])
                visit(statement.body, qualname + ".")
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                made = _resume_made_for(statement, made_elsewhere)
                if made is not None:
                    machine, function = made
                    renames[prefix + statement.name + ".<locals>." + function] = machine
                visit(statement.body, prefix + statement.name + ".<locals>.")
            else:
                # Classes and functions defined under if/try/with/for keep the prefix.
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    inner = getattr(statement, field, None)
                    if isinstance(inner, list):
                        visit(inner, prefix)

    visit(tree.body, "")
    return renames


def _resume_made_for(function, made_elsewhere):
    """The machine whose resume ``function`` makes (``@_f_inner.resume_maker``): ((name, qualname), the def's name), or None."""
    for decorator in function.decorator_list:
        if (
            isinstance(decorator, ast.Attribute)
            and decorator.attr == "resume_maker"
            and isinstance(decorator.value, ast.Name)
            and decorator.value.id in made_elsewhere
        ):
            return made_elsewhere[decorator.value.id]
    return None


def _resume_of(machine: ast.ClassDef, function: str) -> str | None:
    """Where ``resume`` is, under the class's qualified name: a method, or made by ``make_resume`` over cells (``function``)."""
    for statement in machine.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == "resume":
            return ".resume"
        if isinstance(statement, ast.FunctionDef) and statement.name == "make_resume":
            return ".make_resume.<locals>." + function
    return None


def _class_constants(node: ast.ClassDef) -> dict[str, str]:
    found = {}
    for statement in node.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            found[statement.targets[0].id] = statement.value.value
    return found


def _rename_code(code: CodeType, renames: dict[str, tuple[str, str]]) -> CodeType:
    """Give each ``resume`` (and what is nested in it) the names of the source function."""
    consts = tuple(
        _rename_code(c, renames) if isinstance(c, CodeType) else c for c in code.co_consts
    )
    changes = {}
    if any(new is not old for new, old in zip(consts, code.co_consts, strict=True)):
        changes["co_consts"] = consts
    qualname = code.co_qualname
    for generated in sorted(renames, key=len, reverse=True):
        name, original = renames[generated]
        if qualname == generated:
            changes.update(co_name=name, co_qualname=original)
            break
        if qualname.startswith(generated + "."):
            # A def inside the function: "_f.resume.<locals>.g" -> "f.<locals>.g".
            changes["co_qualname"] = original + qualname[len(generated) :]
            # A class body stores its __qualname__, the same string, as a constant.
            consts = tuple(changes["co_qualname"] if c == qualname else c for c in consts)
            if any(new is not old for new, old in zip(consts, code.co_consts, strict=True)):
                changes["co_consts"] = consts
            break
    return code.replace(**changes) if changes else code


def _marked_stubs(tree: ast.Module) -> dict[tuple[str, int], tuple[int, str]]:
    """Map each stub a mark decorates to the code flag the mark sets and the machine class it makes.

    A stub is recognised as the emitter writes it: a ``def`` whose innermost
    decorator is ``coroutine_function`` or ``async_generator_function``
    (as the module imports them from ``runtime.machines.marks``) and whose
    body makes a new machine (``_machine_made_by``).  Its code object is told
    by its qualified name and first line (that of its first decorator), and
    by naming that class: a plain ``def`` of the same name is none of these.
    """
    spellings = {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module == "runtime.machines.marks":
            for alias in statement.names:
                if alias.name in MARKS:
                    spellings[alias.asname or alias.name] = MARKS[alias.name]
    stubs = {}

    def visit(body, prefix):
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + statement.name
                decorators = statement.decorator_list
                mark = decorators[-1] if decorators else None
                machine = _machine_made_by(statement)
                if isinstance(mark, ast.Name) and mark.id in spellings and machine is not None:
                    stubs[qualname, decorators[0].lineno] = (spellings[mark.id], machine)
                visit(statement.body, qualname + ".<locals>.")
            elif isinstance(statement, ast.ClassDef):
                visit(statement.body, prefix + statement.name + ".")
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    inner = getattr(statement, field, None)
                    if isinstance(inner, list):
                        visit(inner, prefix)

    if spellings:
        visit(tree.body, "")
    return stubs


def _machine_made_by(function: ast.FunctionDef) -> str | None:
    """The name of the class a stub's body makes; None for another body.

    The emitter writes ``return _f(...)``, or the stub builds the machine
    itself: ``self = _f()``, stores, ``return self`` (the class of a nested
    async def is reached as ``self._main_inner``).  A docstring may come first.
    """
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body or not isinstance(body[-1], ast.Return):
        return None
    made = body[-1].value
    if len(body) > 1:
        first = body[0]
        built = isinstance(first, ast.Assign) and len(first.targets) == 1 and isinstance(first.targets[0], ast.Name)
        if not (built and isinstance(made, ast.Name) and made.id == first.targets[0].id):
            return None
        made = first.value
    if isinstance(made, ast.Call):
        if isinstance(made.func, ast.Name):
            return made.func.id
        if isinstance(made.func, ast.Attribute):
            return made.func.attr
    return None


def _flag_stubs(code: CodeType, stubs: dict[tuple[str, int], tuple[int, str]]) -> CodeType:
    """Give the code of each stub in ``stubs`` its flag: the mark then has nothing to rebuild."""
    consts = tuple(_flag_stubs(c, stubs) if isinstance(c, CodeType) else c for c in code.co_consts)
    changes = {}
    if any(new is not old for new, old in zip(consts, code.co_consts, strict=True)):
        changes["co_consts"] = consts
    stub = stubs.get((code.co_qualname, code.co_firstlineno))
    if stub is not None:
        flag, machine = stub
        if machine in code.co_names or machine in code.co_freevars:
            changes["co_flags"] = code.co_flags | flag
    return code.replace(**changes) if changes else code


def _tell_deleting_machines(tree: ast.Module) -> None:
    """Give each machine class whose ``resume`` may delete an attribute ``_deletes_locals = True``.

    Discussion: the runtime gives such a class a ``__delattr__``, for the
    error of deleting a local unbound.  Told nothing, it scans the bytecode
    of every ``resume`` (and of what is defined in it) for a DELETE_ATTR as
    the class is made, which is dear at import; a class whose ``resume`` the
    hook named (``_rename_code``) is taken at the hook's word instead, which
    the tree gives here exactly: a DELETE_ATTR is a ``del`` of an attribute.
    """
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        described = _class_constants(node)
        if "_name" not in described or "_qualname" not in described:
            continue  # not a machine: a class of the user's
        for index, statement in enumerate(node.body):
            if isinstance(statement, ast.FunctionDef) and statement.name in ("resume", "make_resume"):
                if any(isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Del) for n in ast.walk(statement)):
                    flag = ast.Assign(targets=[ast.Name("_deletes_locals", ast.Store())], value=ast.Constant(True))
                    _place(flag, statement.lineno, -1, statement.lineno, -1)
                    node.body.insert(index, flag)
                break
