"""The whole compiler in one place: parse -> analyse -> lower -> emit -> format.

``compile_source(text, filename)`` returns the module with every ``async def``
replaced by a machine class and a stub; everything else is left as written.
Per function, ``FunctionCompiler`` runs the passes in order:

0. its asynchronous generator expressions are written out as hidden async
   generators, compiled in turn (``lower.genexprs``);
1. analyse: which names are the function's locals (``analysis.scopes``);
2. lower: statements with awaits become the ``ir`` tree (``lower.statements``);
3. emit: the class and its ``resume`` as text, the user's own statements
   rewritten by ``lower.names`` and put in place (``emit.machine``);
4. format: black, on the generated code only.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import io
import itertools
import re
import textwrap
import threading
import tokenize
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import libcst as cst

from statemachine_compiler.analysis import suspensions
from statemachine_compiler.analysis.assignment import may_read_unbound, read_unbound_by_itself
from statemachine_compiler.analysis.census import survey
from statemachine_compiler.analysis.scopes import (
    Scope,
    all_identifiers,
    bound_names,
    free_and_cell_names,
    function_bindings,
    normalize_identifiers,
    plain_names,
    type_parameter_names,
)
from statemachine_compiler.analysis.suspensions import contains_yield
from statemachine_compiler.analysis.walk import Walker
from statemachine_compiler.diagnostics import CompileError
from statemachine_compiler.emit.generated import GeneratedCode, GeneratedFunction
from statemachine_compiler.emit.machine import (
    LOCALS_SLOT,
    MachineSpec,
    build_stub,
    reserved_attributes,
    write_machine,
    write_resume_maker,
)
from statemachine_compiler.emit.source_text import SourceText
from statemachine_compiler.emit.writer import code_of
from statemachine_compiler.format import (
    black,
    format_generated,
    format_generated_split,
    save_learned,
)
from statemachine_compiler.linemap import LineMap, first_line, positioned_code
from statemachine_compiler.lower.fstrings import source_lines_of, spell_out_self_documenting_fields
from statemachine_compiler.lower.genexprs import Hoisted, hoist_async_generator_expressions
from statemachine_compiler.lower.methods import (
    explicit_super,
    is_private,
    mangle_private_names,
)
from statemachine_compiler.lower.names import NameRewriter, blank_lines, machine_attribute, resolve
from statemachine_compiler.lower.statements import Lowerer
from statemachine_compiler.parsing import parse_module
from statemachine_compiler.transform import placed_nodes

__all__ = ["LoweredFunction", "Options", "Result", "compile_source"]

# What generated code may use from the runtime, by module (imported when used).
# Discussion: the generated code calls them by these names, as a reader would
# expect; a module that spells one of them itself (``StateMachine = ...``, an
# attribute, anything) gets it imported under a fresh alias instead
# (``StateMachine as StateMachine_``), so the user's name keeps its meaning.
RUNTIME_IMPORTS = {
    "runtime.machines.statemachine": (
        "EXHAUSTED",
        "StateMachine",
        "async_iterator",
        "next_awaitable",
        "weak_reference",
    ),
    "runtime.machines.asyncgen": ("AsyncGeneratorMachine", "YieldValue"),
    "runtime.machines.handling": ("Handling",),
    "runtime.machines.contexts": ("AsyncWith", "With"),
    "runtime.machines.exception_groups": ("ExceptStar",),
    "runtime.machines.marks": ("async_generator_function", "coroutine_function"),
    "runtime.machines.supers": (
        "super_without_arguments",
        "super_in_comprehension",
        "super_of_deletable",
    ),
    # The builtins generated code calls are imported only when the module
    # binds the name somewhere (``def next(...)``, ``type = ...``): then
    # ``from builtins import next as next_``.
    "builtins": (
        "AssertionError",
        "BaseException",
        "StopAsyncIteration",
        "StopIteration",
        "globals",
        "iter",
        "next",
        "set",
        "sorted",
        "type",
    ),
}
RUNTIME_NAMES = tuple(name for names in RUNTIME_IMPORTS.values() for name in names)


@dataclass(frozen=True)
class Options:
    """How to compile: ``format`` runs black over the generated code.

    ``check=False`` leaves out compiling the output to prove it compiles
    (``check_output``): for a caller that compiles all of it anyway and
    reports a failure as ``check_output`` would (the import hook:
    ``modulecode.module_code``), not to compile it twice.
    """

    format: bool = True
    check: bool = True


@dataclass
class LoweredFunction:
    """One compiled function's lowered form, for tools that show it (``explore``).

    ``body`` is the ``lower.ir`` tree; ``lines[k]`` the source line of state k;
    ``position(node)`` the source ``(line, column)`` of a node (None for one
    the compiler made) and ``code_of(node)`` its text.
    """

    qualname: str
    class_name: str
    line: int  # of the def
    generator: bool
    body: list
    lines: list[int]
    position: object
    code_of: object


@dataclass
class Result:
    code: str
    functions: list[str] = field(default_factory=list)  # qualnames of compiled functions
    # linemap[i] is the source line of line i + 1 of ``code`` (without black only)
    linemap: list[int] | None = None


def compile_source(
    text: str, filename: str = "<string>", options: Options = Options(), on_lowered=None
) -> Result:
    """Compile every ``async def`` in ``text`` into a state machine.

    ``on_lowered(LoweredFunction)``, where given, is called with each function's lowered form.
    """
    with _fewer_collections():
        try:
            result = _compile(text, filename, options, on_lowered)
        finally:
            suspensions.forget()
    if options.format:
        save_learned()  # black's lines, for the next process (format.store)
    return result


# Compiles under way (threads of the import hook), and the thresholds before the first.
_collections_lock = threading.Lock()
_collections_held: list[tuple[int, ...]] = []
COMPILE_GC_THRESHOLD = 50_000  # allocations between two young collections while compiling


@contextmanager
def _fewer_collections():
    """Run the cyclic garbage collector less often during a compile.

    Discussion: a compile allocates millions of short-lived nodes, nearly all
    freed by reference counting, and keeps the module's tree alive; at the
    default threshold (700) the collector's passes over them were about a
    third of a compile's time.  The thresholds are restored when the last
    compile under way ends.
    """
    with _collections_lock:
        if not _collections_held:
            saved = gc.get_threshold()
            gc.set_threshold(max(saved[0], COMPILE_GC_THRESHOLD), *saved[1:])
        else:
            saved = _collections_held[0]
        _collections_held.append(saved)
    try:
        yield
    finally:
        with _collections_lock:
            saved = _collections_held.pop()
            if not _collections_held:
                gc.set_threshold(*saved)


def _compile(text: str, filename: str, options: Options, on_lowered=None) -> Result:
    check_syntax(text, filename)
    text = without_form_feeds_in_indentation(text)
    try:
        module = parse_module(text)  # in pieces where it is large: the same tree, less memory
    except cst.ParserSyntaxError as error:  # CPython accepted it: libcst is behind
        raise CompileError(
            filename, error.raw_line, error.raw_column + 1, f"unsupported syntax: {error.message}"
        ) from None
    if not text.isascii():
        module = normalize_identifiers(module)
    # What ``MetadataWrapper(module).resolve(PositionProvider)`` gives, without its overhead.
    printed, positions = positioned_code([module], indent=module.default_indent, newline=module.default_newline)
    compiler = FunctionCompiler(filename, module, positions, options, on_lowered, printed)
    try:
        rewritten = module.visit(NameRewriter([], compiler))
    except RecursionError:
        raise CompileError(
            filename, 1, 1, "internal error: the compiler recursed too deeply; please report this"
        ) from None
    if not compiler.compiled:
        return Result(text, [], list(range(1, text.count("\n") + 2)))
    rewritten = _add_runtime_import(rewritten, compiler.runtime_names, options, compiler.linemap)
    linemap = None if options.format else compiler.linemap.table(rewritten, default=1)
    # The machines were checked one by one as they were made (peak memory
    # was compiling all the output at once); the rest of it here.
    if options.check:
        check_output(_code(rewritten.visit(_WithoutGeneratedCode())), filename)
    return Result(_code(rewritten), compiler.compiled, linemap)


def _code(module: cst.Module) -> str:
    """``module.code``, printed without recording positions (``emit.writer.code_of``)."""
    return code_of(module, module.default_indent, module.default_newline)


def check_syntax(text: str, filename: str) -> None:
    """Report a syntax error as CPython would, as ``path:line:col: SyntaxError: ...``.

    Discussion: one compile to bytecode, as ``python`` does it: its parse
    raises what an ``ast`` parse would, first, and what comes after the
    parse (``return`` outside a function, ``nonlocal`` at module level)
    only a bytecode compile finds.  An ``ast`` parse before it found
    nothing more, at a tenth of a compile's time on 3.12 (issue 12).
    """
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or 1
        column = error.offset or 1
        raise CompileError(filename, line, column, f"SyntaxError: {error.msg}") from None


class _WithoutGeneratedCode(cst.CSTTransformer):
    """The module with ``pass`` for each machine kept as text (checked when it was made)."""

    def leave_GeneratedCode(self, original_node, updated_node):
        return cst.SimpleStatementLine([cst.Pass()], leading_lines=updated_node.leading_lines)

    leave_GeneratedFunction = leave_GeneratedCode


def check_output(code: str, filename: str, tree: ast.Module | None = None) -> None:
    """Report generated code that does not compile: a bug of the compiler, never the user's.

    ``tree``, where given, is ``ast.parse(code)``, already made: it is compiled.

    Discussion: without this check such output would be written (or run)
    with exit status 0 and fail later, far from its cause.  It is done on
    each machine as it is made, then on the rest of the module, not on
    the whole output, whose compile took more memory than all the rest.
    """
    try:
        compile(code if tree is None else tree, filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        lines = io.StringIO(code, newline="").readlines()
        line = (lines[error.lineno - 1 : error.lineno] or [""])[0].strip() if error.lineno else ""
        raise CompileError(
            filename,
            1,
            1,
            f"internal error: the generated code does not compile ({error.msg}, at generated line "
            f"{error.lineno}: {line!r}); please report this",
        ) from None


def without_form_feeds_in_indentation(text: str) -> str:
    """Drop the form feeds of the indentation of each line, as CPython's tokenizer does.

    A form feed there resets the column count to zero, so only what follows
    the last one counts.  libcst (and the generated code, which takes the
    module's indentation) would count it as indentation.  Lines inside
    multi-line strings are left alone: a form feed there is text.
    """
    if "\f" not in text:
        return text
    lines = io.StringIO(text, newline="").readlines()  # str.splitlines splits at form feeds
    inside_strings: set[int] = set()  # 0-based numbers of lines that continue a token
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            inside_strings.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - check_syntax accepted it
        return text
    for number, line in enumerate(lines):
        indentation = line[: len(line) - len(line.lstrip(" \t\f"))]
        if "\f" in indentation and number not in inside_strings:
            lines[number] = line[indentation.rindex("\f") + 1 :]
    return "".join(lines)


def _add_runtime_import(
    module: cst.Module, spelling: dict[str, str], options: Options, linemap: LineMap
) -> cst.Module:
    body = list(module.body)
    index = 0
    if body and _is_docstring(body[0]):
        index = 1
    while index < len(body) and _is_future_import(body[index]):
        index += 1
    # The spellings the code uses as words, found in one pass over it (not one per name).
    spellings = sorted(set(spelling.values()), key=len, reverse=True)
    words = set(re.findall(rf"\b(?:{'|'.join(map(re.escape, spellings))})\b", _code(module)))
    imports = []
    for module_name, names in RUNTIME_IMPORTS.items():
        used = [
            name if spelling[name] == name else f"{name} as {spelling[name]}"
            for name in names
            if (spelling[name] != name or module_name != "builtins") and spelling[name] in words
        ]
        if used:
            imports.append(f"from {module_name} import {', '.join(used)}\n")
    if options.format:
        imports = [black(text) for text in imports]  # aliases can make them long
    lines = [cst.parse_statement(text) for text in imports]
    if index < len(body):
        # Take the blank lines of the statement they go before, and leave it
        # the blank lines black wants after imports.
        following = body[index]
        lines[0] = lines[0].with_changes(
            leading_lines=following.leading_lines if index else []
        )
        if isinstance(following, (cst.ClassDef, cst.FunctionDef, GeneratedCode)):
            after = [cst.EmptyLine(indent=False)] * 2
        elif _is_import(following):
            after = []
        else:
            after = [cst.EmptyLine(indent=False)]
        body[index] = following.with_changes(leading_lines=after)
        linemap.moved(body[index], following)  # the same statement, lines and all
    body[index:index] = lines
    return module.with_changes(body=body)


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and isinstance(
        statement.body[0], (cst.Import, cst.ImportFrom)
    )


def _is_future_import(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.ImportFrom)
        and isinstance(statement.body[0].module, cst.Name)
        and statement.body[0].module.value == "__future__"
    )


def _not_private(name: str) -> str:
    """``name``, or a spelling of it that Python does not mangle in a class body.

    Discussion: a name made from ``_`` or ``__x`` (``"_" + target``, then a
    number) would be private, and mangled in the machine's class body, while
    the runtime reads the slot by its written name.
    """
    if name.startswith("__") and not name.endswith("__"):
        return "_" + name.lstrip("_")
    return name


class Fresh:
    """Names no identifier of the source uses: ``fresh("_t")`` -> ``_t1``, ``_t2``..."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)

    def __call__(self, prefix: str, numbered: bool = False) -> str:
        candidates = [] if numbered else [prefix]
        candidates = itertools.chain(candidates, (f"{prefix}{n}" for n in itertools.count(1)))
        for name in map(_not_private, candidates):
            if name not in self.taken:
                self.taken.add(name)
                return name
        raise AssertionError("unreachable")


class FunctionCompiler:
    """Compile one ``async def`` (called by the name rewriter wherever it meets one)."""

    def __init__(
        self, filename: str, module: cst.Module, positions, options: Options, on_lowered=None, printed=None
    ):
        self.filename = filename
        # The module's code, as its positions were taken from it (lines told by "\n" alone).
        self.printed = printed if printed is not None and "\r" not in printed else None
        self._lines: list[str] | None = None  # its lines
        self._line_starts: list[int] = []  # where each starts in it
        self.on_lowered = on_lowered
        self.module = module
        self.positions = positions
        self.options = options
        self.survey = survey(module)  # its identifiers, and what each async def holds
        identifiers = self.survey.module.identifiers
        self.class_names = Fresh(identifiers | set(RUNTIME_NAMES))
        # How generated code spells each runtime name (see RUNTIME_IMPORTS).
        clashes = identifiers - set(RUNTIME_IMPORTS["builtins"]) | bound_names(module)
        if self.survey.module.star_import:
            clashes |= set(RUNTIME_IMPORTS["builtins"])
        self.runtime_names = {
            name: self.class_names(name + "_") if name in clashes else name
            for name in RUNTIME_NAMES
        }
        self.compiled: list[str] = []
        self.linemap = LineMap(positions)
        self.genexprs = Hoisted()  # the hidden async generators of generator expressions
        # Machine classes of async defs in plain functions that use none of
        # their variables: made once, at module level, before the statement they are in.
        self.module_machines: list[GeneratedCode] = []
        self._source_lines: list[str] | None = None
        self._source_text: SourceText | None = None

    def source_text(self) -> SourceText | None:
        """The module's printed text, for nodes printed as they were written (``emit.source_text``)."""
        if self._source_text is None and self.printed is not None:
            self._source_text = SourceText(self.printed_lines(), self.positions, self.linemap.origin)
        return self._source_text

    def printed_lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.printed.split("\n")
            self._line_starts = list(itertools.accumulate((len(line) + 1 for line in self._lines), initial=0))
        return self._lines

    def header_of(self, statement: cst.BaseStatement) -> str | None:
        source = self.source_text()
        return source.first_line(statement) if source is not None else None

    def print_statement(self, node: cst.BaseStatement, depth: int) -> str:
        """``code_of(node, depth=depth)`` as the writer prints the user's statements, from the source where it can."""
        source = self.source_text()
        text = source.statement(node, depth) if source is not None else None
        return text if text is not None else code_of(node, depth=depth)

    def source_lines(self) -> list[str]:
        """The module's lines, printed once for all its functions (not once each)."""
        if self._source_lines is None:
            self._source_lines = source_lines_of(self.module)
        return self._source_lines

    def definition_code(self, node: cst.FunctionDef) -> str:
        """The code of a def of the module without its decorators and the lines above them, but for blank lines at its end.

        Discussion: printing each function again for its digest was a
        twentieth of a compile (issue 12).  A def that starts a line of the
        module, with nothing between its decorators and it, is that line
        onwards in the module's printed text, to where its position ends;
        unless comments follow it before the next statement: they may be its
        body's last lines, which its position leaves out.
        """
        where = self.positions.get(node)
        if where is None or where.start.column or node.lines_after_decorators or self.printed is None:
            return self._printed_again(node)
        lines, end = self.printed_lines(), where.end
        after = [lines[end.line - 1][end.column :]]
        after += itertools.takewhile(lambda line: not line[:1].strip(), lines[end.line :])
        if any("#" in line for line in after):
            return self._printed_again(node)
        starts = self._line_starts
        return self.printed[starts[where.start.line - 1] : starts[end.line - 1] + end.column]

    def _printed_again(self, node: cst.FunctionDef) -> str:
        return self.code_of(node.with_changes(decorators=[], leading_lines=[]))

    def code_of(self, node: cst.CSTNode) -> str:
        """``self.module.code_for_node(node)`` (``emit.writer.code_of``), from the source where it can."""
        source = self.source_text()
        text = source.code(node) if source is not None else None
        if text is not None:
            return text
        return code_of(node, self.module.default_indent, self.module.default_newline)

    def position(self, node: cst.CSTNode) -> tuple[int, int] | None:
        found = self.positions.get(self.linemap.origin(node))
        return (found.start.line, found.start.column + 1) if found is not None else None

    def __call__(self, node: cst.FunctionDef, stack: list[Scope]):
        if _inside_function(stack):
            return self._compile_function(node, stack)
        # One function of the module at a time: once its machine and stub
        # are written, what was kept about the nodes inside it is dropped,
        # so that memory does not grow with the module (issue 12).  Not when
        # a tool is handed the lowered forms: it asks for their nodes' source
        # positions afterwards (explore's branch labels).
        keeping = self.on_lowered is not None
        with nullcontext() if keeping else self.linemap.dropping_origins():
            try:
                return self._compile_function(node, stack)
            finally:
                suspensions.forget()

    def _compile_function(self, node: cst.FunctionDef, stack: list[Scope]):
        where = self.position(node) or (1, 1)
        original = node
        census = self.survey.take(node)  # None: walk to find out
        # (No yield anywhere in it, nested scopes included: no walk to look for one.)
        generator = (census is None or cst.Yield in census.kinds) and contains_yield(node.body)
        body = node.body
        if census is None or cst.FormattedString in census.kinds:
            # Before any rewriting: a ``=`` field prints its source text.
            body = spell_out_self_documenting_fields(
                body, self.module, self.positions, self.linemap.note_origin, self.source_lines
            )
        if census is None or cst.GeneratorExp in census.kinds:
            # Asynchronous generator expressions become hidden async generators.
            body = hoist_async_generator_expressions(
                body,
                self.class_names,
                self.runtime_names.get,
                self.code_of,
                self.linemap.note_origin,
                self.genexprs,
            )
        if body is not node.body:
            node = node.with_changes(body=body)
            self.linemap.note_origin(node, original)
        name_written = node.name.value
        genexpr = name_written in self.genexprs
        classes = [s for s in stack if s.kind == "class"]
        spellings: dict[str, str] = {}
        if classes:  # its body moves out of the class: mangle as the class would
            node, spellings = mangle_private_names(node, classes[-1].name, self.linemap.note_origin)
        shown_name = "<genexpr>" if genexpr else node.name.value
        qualname = _qualname(stack, shown_name)
        # Never a private name (``__Mixin_get`` for ``_Mixin.get``): the stub
        # in the class body would mangle it.
        identifiers = census.identifiers if census is not None and node is original else all_identifiers(node)
        if _mangles_nothing(classes) and any(is_private(name) for name in identifiers):
            # Outside a class that mangles, Python leaves ``__x`` as written;
            # a class named only with "_"s mangles nothing either.
            class_name = _underscores_only(self.class_names)
        else:
            class_name = self.class_names(
                "_"
                + qualname.replace(".<locals>.", "_")
                .replace(".", "_")
                .replace("<genexpr>", "genexpr")
                .lstrip("_")
            )
        base = "AsyncGeneratorMachine" if generator else "StateMachine"

        # -- analyse ------------------------------------------------------------------
        # PEP 695: a generic function's type parameters are bound in a scope
        # of their own around it.
        type_parameters = Scope("type parameters", set(type_parameter_names(node)))
        enclosing = [*stack, type_parameters] if type_parameters.bound else list(stack)
        bindings = function_bindings(node.params, node.body)
        free, cells = free_and_cell_names(node.params, node.body, bindings)
        free = sorted(n for n in free if _is_free(n, enclosing))
        # Free variables the machine class cannot see where it stands (type
        # parameters, __class__): the stub passes them in, they become slots.
        hidden = [n for n in free if n in _hidden_names(enclosing)]
        # The locals nested functions share, kept in cells, as natively (a
        # nested async def's machine too closes over them: _resume_maker).
        in_cells = cells - set(self.genexprs.sources) - {"__class__"}
        # Nor one the function may read unbound itself: resume reading its cell
        # unbound would say "free variable", and only a slot's read can say "local".
        in_cells -= read_unbound_by_itself(list(bindings.params), node.body, in_cells)
        cells = sorted(cells - set(bindings.params))
        enclosing_machines = {s.machine for s in stack if s.machine}
        # Nor a name the enclosing functions bind: the name rewriter would
        # take the nested machine's ``value`` for an enclosing machine's
        # local ``value`` that this function never mentions.
        enclosing_locals = {n for s in stack if s.kind != "class" for n in s.bound}
        fresh = Fresh(identifiers | enclosing_machines | enclosing_locals)
        owner = None  # the local that holds ``__class__``, for super()
        user_parameters = list(bindings.params)
        passed = [n for n in hidden if n != "__class__"]
        if "__class__" in hidden:
            owner = fresh("_class")
            passed.insert(0, owner)
            node = explicit_super(node, owner, self.runtime_names.get, self.linemap.note_origin)
        bindings.params[:0] = passed
        bindings.locals.update(passed)
        in_cells -= set(passed)
        candidates = itertools.chain(("self", "frame"), (f"frame_{i}" for i in itertools.count(2)))
        machine = next(n for n in candidates if n not in fresh.taken)
        fresh.taken.add(machine)
        reserved = reserved_attributes(base)
        attributes = {}
        for name in sorted(bindings.locals - in_cells):
            attributes[name] = machine_attribute(name, class_name, reserved, fresh.taken)
            fresh.taken.add(attributes[name])
        # Directly in a compiled async def, its class is made once, as an
        # attribute of the enclosing machine's class, and the stub hands it
        # the enclosing machine (what it would otherwise close over).
        parent = stack[-1] if stack and stack[-1].kind == "machine" else None
        # The enclosing machines' cells it uses: then its resume is made over
        # them, where they are (in the enclosing resume, by _resume_maker).
        enclosing_cells = [n for n in free if _machine_cell(n, stack)]
        # In a plain function (or a class in one), its class is made once too,
        # at module level; using the function's variables, its resume is made
        # over them where the async def stands (by _resume_maker as well).
        in_plain_function = parent is None and _inside_function(stack)
        closes_over = in_plain_function and any(n not in hidden for n in free)
        # (Nested in an async def in a plain function, it may read that
        # function's variables, which its class, at module level, cannot see.)
        reads_function_variables = any(
            (scope := _binding_scope(n, enclosing)) is not None and scope.kind == "function"
            for n in free
            if n not in hidden
        )
        makes_resume_here = (parent is not None and (bool(enclosing_cells) or reads_function_variables)) or closes_over
        resume_maker = self.class_names(f"_make{class_name}_resume") if makes_resume_here else None
        # It holds the enclosing machine only to read a local of it kept in a slot.
        reads_slots = resume_maker is None or any(resolve(n, stack) is not None for n in free)
        outer_slot = fresh("outer") if parent is not None and reads_slots else None
        at_module_level = in_plain_function  # (what the stub passes it, it needs not close over)
        scope = Scope(
            "machine",
            set(bindings.locals),
            name=shown_name,
            machine=machine,
            attributes=attributes,
            globals=bindings.globals,
            nonlocals=bindings.nonlocals,
            free=[(n, owner if n == "__class__" else n) for n in free],
            spellings=spellings,
            mangles=bool(class_name.strip("_")),
            outer=outer_slot,
            hoisted=parent is not None,
            cells=in_cells,
        )
        if owner is not None:
            # An async def nested in it reads __class__ from here.
            scope.bound.add("__class__")
            scope.attributes["__class__"] = attributes[owner]
        if (census is None or census.identifiers & FRAME_READERS) and _calls_locals(node.body):
            scope.locals_slot = LOCALS_SLOT

        # -- lower --------------------------------------------------------------------
        spelled_plainly = plain_names(node.body, set(bindings.locals)) | in_cells

        def resume_local(prefix: str) -> str:
            """A local of resume (``value``, ``awaitable``): its own name unless resume spells that.

            ``value`` goes through the name rewriter with the user's code, which
            would make a local of that name ``self.value``: it avoids those too,
            and the enclosing functions' locals, which it would take it for.
            """
            taken_here = prefix in spelled_plainly or prefix == machine or prefix in enclosing_locals
            if taken_here or (prefix == "value" and prefix in bindings.locals):
                return fresh(prefix)
            fresh.taken.add(prefix)
            return prefix

        lowerer = Lowerer(
            filename=self.filename,
            scope=scope,
            fresh=fresh,
            resume_local=resume_local,
            positions=self.position,
            source_of=self.code_of,
            first_line=where[0],
            note_origin=self.linemap.note_origin,
            header_of=self.header_of,
        )
        statements = list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else [
            cst.SimpleStatementLine(list(node.body.body))
        ]
        if statements and _is_docstring(statements[0]):
            statements = statements[1:]  # the docstring belongs to the stub
        if not statements:  # an abstract method's docstring, nothing else
            statements = [cst.SimpleStatementLine([cst.Pass()])]
        body = lowerer.lower_block(statements)
        if self.on_lowered is not None:
            self.on_lowered(
                LoweredFunction(
                    qualname, class_name, where[0], generator, body, lowerer.lines,
                    self.position, self.code_of,
                )
            )

        # -- emit ---------------------------------------------------------------------
        inner = NameRewriter([*stack, scope], self)
        outer = NameRewriter(stack, self)

        def render(nodes):
            # Each statement visited alone, as a module's body visits them (a
            # module made around them for it was a cost of its own, each time).
            return [placed for node in nodes for placed in placed_nodes(node.visit(inner))]

        def render_expression(expression):
            code = self.code_of(expression.visit(inner))
            if isinstance(expression, cst.Tuple) and not expression.lpar:
                code = f"({code})"  # ``yield a, b``: it becomes an argument
            elif "\n" in code and not (code.startswith("(") and code.endswith(")")):
                code = f"({code})"  # it spans lines: it needs brackets of its own
            return code

        declarations = []
        if bindings.globals:
            # Not the private ones where the class mangles: they are spelled ``globals()["__x"]``.
            declared = sorted(n for n in bindings.globals if not (is_private(n) and scope.mangles))
            if declared:
                declarations.append("global " + ", ".join(declared))
        own_nonlocals = sorted(n for n in bindings.nonlocals if resolve(n, [*stack, scope]) is None)
        if own_nonlocals:
            declarations.append("nonlocal " + ", ".join(own_nonlocals))
        # Slots in the order locals() lists them natively: parameters, the
        # other locals in the order they are first bound, the locals nested
        # scopes use (cells), sorted; then the free variables kept in slots,
        # sorted by their source names, as all free variables are.
        locals_in_order = user_parameters + [
            n
            for n in bindings.order
            if n in bindings.locals and n not in user_parameters and n not in cells
        ]
        locals_in_order += sorted(bindings.locals - set(locals_in_order) - set(cells) - set(passed))
        locals_in_order += cells
        locals_in_order += sorted(passed, key=lambda n: "__class__" if n == owner else n)
        # The hidden functions of generator expressions are no locals of the user's.
        hidden_functions = [n for n in locals_in_order if n in self.genexprs]
        locals_in_order = [n for n in locals_in_order if n not in self.genexprs]
        # 3.12+: where the frame lists the variables of inlined comprehensions.
        scope.varnames = tuple(
            user_parameters
            + [
                n
                for n in bindings.varnames
                if n not in user_parameters and n not in cells and n not in passed
                and n not in self.genexprs
            ]
        )
        compiler_slots = [attributes[n] for n in hidden_functions] + list(scope.temporaries)
        # Over cells, resume is made per coroutine and kept in a slot (emit.machine.write_make_resume).
        over_cells = bool(in_cells) or resume_maker is not None
        machine_reference = fresh("machine") if over_cells else None
        # A method resume shadows nothing; a def resume in make_resume would.
        resume_function = fresh("resume") if over_cells else "resume"
        if over_cells:
            compiler_slots.append("resume")
        if outer_slot is not None:
            compiler_slots.insert(0, outer_slot)
        if scope.locals_slot is not None:
            compiler_slots.append(scope.locals_slot)
        definition = self.definition_code(original)
        spec = MachineSpec(
            class_name=class_name,
            header=self.genexprs.sources[name_written] if genexpr else _header(self.module, original),
            name=shown_name,
            qualname=qualname,
            machine=machine,
            parameters=[(outer_slot, outer_slot)] * (outer_slot is not None)
            + [(p, attributes.get(p)) for p in bindings.params],  # None: a cell
            slots=[attributes[n] for n in locals_in_order if n not in in_cells] + compiler_slots,
            temporaries=compiler_slots,
            renamed={
                **{a: n for n, a in attributes.items() if a != n},
                **({attributes[owner]: "__class__"} if owner is not None else {}),
                # A generator expression's iterator is ``.0``, as natively.
                **({attributes[self.genexprs.parameters[name_written]]: ".0"} if genexpr else {}),
            },
            lines=lowerer.lines,
            source_digest=_source_digest(definition),
            value=lowerer.value_name,
            error=lowerer.error_name,
            declarations=declarations,
            base=base,
            suspending=(resume_local("awaitable"), resume_local("yielded")),
            spelling=self.runtime_names,
            comments=_awaiting_line_comments(node.body, self.position, set(lowerer.lines[1:]))
            if "#" in definition  # (none in its text: no comment to look for)
            else {},
            may_read_unbound=may_read_unbound(bindings.params, node.body, bindings.locals - in_cells),
            cells=sorted(in_cells),
            machine_reference=machine_reference,
            resume_function=resume_function,
            resume_maker=resume_maker,
            listed_parameters=user_parameters if in_cells & set(user_parameters) else [],
        )
        linemap = None if self.options.format else self.linemap
        writer = write_machine(
            spec, body, render, render_expression, linemap, depth=_class_depth(stack), print_statement=self.print_statement
        )
        made_here = []  # what stands in the enclosing resume (or plain function) before the stub
        if resume_maker is not None:  # its body's nested classes are written then
            made_here = self._resume_maker(spec, body, render, render_expression, parent, stack)
        machine_code, sources = _with_nested_machines(writer, scope)

        # Its annotations see its type parameters (PEP 695), its decorators do not.
        annotations = NameRewriter(enclosing, self)
        # What it passes is read where its body stands: ``__class__`` in
        # an enclosing compiled method is that machine's saved class.
        prefix = [cst.Name("__class__" if n == owner else n).visit(annotations) for n in passed]
        machine_class = None
        if resume_maker is not None:  # the class, a global, or from a local of the enclosing resume
            machine_class = cst.Name(class_name)
        elif parent is not None:  # ``self._main_inner``
            machine_class = cst.Attribute(cst.Name(parent.machine), cst.Name(class_name))
        if outer_slot is not None:  # handed the enclosing machine
            prefix.insert(0, cst.Name(parent.machine))
        stub = build_stub(
            original,
            spec,
            prefix,
            mark=spec.spelled("async_generator_function" if generator else "coroutine_function"),
            machine_class=machine_class,
        )
        stub = stub.with_changes(
            decorators=[d.visit(outer) for d in stub.decorators],
            params=stub.params.visit(_ParamsOnly(annotations)),
            returns=stub.returns.visit(annotations) if stub.returns is not None else None,
        )

        if parent is not None:
            parent.nested_machines.append((machine_code, sources))
            return made_here, self._nested_stub(stub, where, qualname)

        # -- format -------------------------------------------------------------------
        stub_code = _code(cst.Module(body=[stub]))
        code = machine_code + "\n\n" + stub_code
        if self.options.format:
            code, stub_start = format_generated_split(code)
        else:
            stub_start = machine_code.count("\n") + 2
        # The blank lines and comments above the async def now stand above its
        # class; a method's stay above the method, in the user's class (its
        # machine class is put before that class).
        blank = blank_lines(stack)
        leading = node.leading_lines or blank
        stub_leading = blank
        if stack and stack[-1].kind == "class":
            leading, stub_leading = blank, leading
        # Machines outside any function are never rewritten again: they stay text.
        if _inside_function(stack) and not at_module_level:
            return self._splice_parsed(code, sources, stub_code, where, leading, stub_leading, qualname)
        split = _split_at(code, stub_start)
        if split is not None:
            machine_code, stub_code = split
            if self.options.check:
                check_output(code, self.filename)  # machines and stub, as they are written
        else:
            split = _split_generated(code)
            if split is None:
                return self._splice_parsed(code, sources, stub_code, where, leading, stub_leading, qualname)
            machine_code, stub_code, machines_tree = split
            if self.options.check:
                check_output(machine_code, self.filename, machines_tree)
        machines = GeneratedCode(machine_code, leading_lines=leading)
        if at_module_level:  # its blank lines and comments stay where it stands
            machines = machines.with_changes(leading_lines=blank_lines([]))
            stub_leading = node.leading_lines or blank
            if made_here:  # above its resume's maker, the first of what stands there
                maker = made_here[0].with_changes(leading_lines=node.leading_lines)
                if not self.options.format:
                    self.linemap.moved(maker, made_here[0])
                made_here[0], stub_leading = maker, blank
        if stack:  # a method's stub (or one in a function) stays in its body, as nodes
            stub = cst.parse_module(stub_code).body[0].with_changes(leading_lines=stub_leading)
        else:  # at module level nothing rewrites it again: text too
            stub = GeneratedFunction(stub_code, leading_lines=stub_leading, name=cst.Name(original.name.value))
        if not self.options.format:
            self.linemap.register(machines, sources[: machine_code.count("\n")])
            self.linemap.register(stub, [where[0]] * stub_code.count("\n"))
        self.compiled.append(qualname)
        if at_module_level:
            self.module_machines.append(machines)
            return made_here, stub
        return [machines], stub

    def _resume_maker(self, spec: MachineSpec, body, render, render_expression, parent: Scope | None, stack):
        """What makes the resume of a nested async def's coroutines over the enclosing cells, as nodes.

        It stands where the async def stood, in the enclosing resume (or
        plain function), made over that call's cells as a closure is: then
        the stub and what it makes hold the cells they use, not the
        enclosing machine.
        """
        linemap = None if self.options.format else self.linemap
        plain = None if parent is not None else _enclosing_function_name(stack)
        writer = write_resume_maker(
            spec, parent, body, render, render_expression, linemap, plain=plain, print_statement=self.print_statement
        )
        code = writer.text()
        if plain is not None and self.options.format:  # no enclosing machine's class is formatted with it
            code = format_generated(code)
        parsed = cst.parse_module(code)
        statements = list(parsed.body)
        # The comment above the first line is the module's header when parsed alone.
        statements[0] = statements[0].with_changes(leading_lines=[*parsed.header, *statements[0].leading_lines])
        if not self.options.format:
            self._register_lines(parsed, statements, writer.sources[: code.count("\n")])
        return statements

    def _nested_stub(self, stub: cst.FunctionDef, where, qualname: str) -> cst.FunctionDef:
        """The stub of a function whose class went into the enclosing machine's, alone where it stood.

        The user's blank lines and comments above the async def stay above it.
        """
        leading = stub.leading_lines
        stub_code = _code(cst.Module(body=[stub.with_changes(leading_lines=[])]))
        if self.options.format:
            stub_code = format_generated(stub_code)
        parsed = cst.parse_module(stub_code).body[0].with_changes(leading_lines=leading)
        if not self.options.format:
            self.linemap.register(parsed, [where[0]] * stub_code.count("\n"))
        self.compiled.append(qualname)
        return parsed

    def _splice_parsed(self, code, sources, stub_code, where, leading, blank, qualname):
        """The generated statements as nodes, for where they are rewritten again."""
        parsed = cst.parse_module(code)
        generated = list(parsed.body)
        generated[0] = generated[0].with_changes(leading_lines=leading)
        generated[-1] = generated[-1].with_changes(leading_lines=blank)
        if not self.options.format:
            sources = sources + [where[0]] * (2 + stub_code.count("\n") + 1)
            self._register_lines(parsed, generated, sources)
        self.compiled.append(qualname)
        return generated[:-1], generated[-1]

    def _register_lines(self, module: cst.Module, statements, sources: list[int]) -> None:
        """Give each generated statement the source lines the writer recorded."""
        _, positions = positioned_code([module], indent=module.default_indent, newline=module.default_newline)
        for parsed, statement in zip(module.body, statements, strict=True):
            start = first_line(parsed, positions)
            self.linemap.register(statement, sources[start - 1 : positions[parsed].end.line])


class _ParamsOnly(cst.CSTTransformer):
    """Rewrite the defaults and annotations of a stub's parameters, not their names."""

    def __init__(self, outer: NameRewriter):
        self.outer = outer

    def leave_Param(self, original_node, updated_node):
        return original_node.with_changes(
            default=original_node.default.visit(self.outer) if original_node.default else None,
            annotation=original_node.annotation.visit(self.outer) if original_node.annotation else None,
        )


def _mangles_nothing(classes: list[Scope]) -> bool:
    """Whether Python mangles nothing where the function stands (no class, or one named ``_``s)."""
    return not classes or not classes[-1].name.strip("_")


def _underscores_only(fresh: Fresh) -> str:
    """A fresh class name made only of ``_``s: ``___``, ``____``...

    Discussion: the body of a compiled function stands in its machine's
    class, and Python mangles every ``__x`` in a class body with the class's
    name (``obj.__x``, ``import __m``, a free variable ``__v``), except in a
    class named only with underscores.  So a function that no class of the
    user's mangles gets such a machine class, where it reads as written.
    """
    name = "___"
    while name in fresh.taken:
        name += "_"
    fresh.taken.add(name)
    return name


def _class_depth(stack: list[Scope]) -> int:
    """How deep in other machine classes the class of a function nested in ``stack`` stands."""
    depth = 0
    for scope in reversed(stack):
        if scope.kind != "machine":
            break
        depth += 1
        if not scope.hoisted:  # a class standing where its function does
            break
    return depth


def _with_nested_machines(writer, scope: Scope) -> tuple[str, list[int]]:
    """The machine class's text with the classes of its nested async defs at its end, and their lines."""
    code = writer.text()
    sources = writer.sources[: code.count("\n")]
    for nested_code, nested_sources in scope.nested_machines:
        code += "\n" + nested_code
        sources += [sources[-1], *nested_sources]
    return code, sources


def _machine_cell(name: str, stack: list[Scope]) -> bool:
    """Whether ``name``, free in a function nested in ``stack``, is a cell of an enclosing machine."""
    for scope in reversed(stack):
        if scope.kind == "class" or name in scope.nonlocals:
            continue
        if name in scope.globals:
            return False
        if name in scope.bound:
            return scope.kind == "machine" and name in scope.cells
    return False


def _enclosing_function_name(stack: list[Scope]) -> tuple[str, str]:
    """Where a function nested in ``stack`` stands, and whose variables it sees (its class bodies skipped)."""
    for scope in reversed(stack):
        if scope.kind == "function":
            return scope.name, scope.name
        if scope.kind == "machine":  # a class in a compiled async def
            return f"{scope.name}'s resume", scope.name
    raise AssertionError("not in a function")


def _inside_function(stack: list[Scope]) -> bool:
    return any(scope.kind in ("function", "machine") for scope in stack)


def _split_at(code: str, stub_start: int | None) -> tuple[str, str] | None:
    """``code`` (machine classes, blank lines, the stub from line ``stub_start``, 0-based) as (classes, stub).

    What ``_split_generated`` gives, from where the writer or the formatter
    put the stub, without parsing the text again (issue 12).  None where the
    parts are not plainly that, for ``_split_generated`` to decide: no line
    given, a blank line or a comment first or last in the classes, the stub
    not starting with its ``def`` or a decorator, a newline other than ``\\n``.
    """
    if stub_start is None or "\r" in code:
        return None
    lines = code.split("\n")
    end = stub_start
    while end > 0 and not lines[end - 1]:
        end -= 1
    if end == 0 or stub_start >= len(lines):
        return None
    first, last, stub = lines[0], lines[end - 1], lines[stub_start]
    if not first.strip() or first[0] in " #@" or not last.strip() or last.lstrip().startswith("#"):
        return None
    if not stub.startswith(("def ", "@")):
        return None
    return "\n".join(lines[:end]) + "\n", "\n".join(lines[stub_start:])


def _split_generated(code: str) -> tuple[str, str, ast.Module] | None:
    """``code`` (machine classes, blank lines, the stub) as (classes, stub, the classes' ``ast``), lines kept.

    None where the parts are not that plain, for the caller to parse the whole:
    a line between them that a parse would give to the classes (indented),
    anything before the first class, a newline other than ``\\n``.
    """
    if "\r" in code:
        return None
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    *machines, stub = tree.body
    if not machines or not isinstance(stub, ast.FunctionDef) or _first_line(machines[0]) != 1:
        return None
    lines = code.split("\n")
    end, start = machines[-1].end_lineno, _first_line(stub)
    if any(line and not line.startswith("#") for line in lines[end : start - 1]):
        return None
    classes = ast.Module(body=machines, type_ignores=[])
    return "\n".join(lines[:end]) + "\n", "\n".join(lines[start - 1 :]), classes


def _first_line(statement: ast.stmt) -> int:
    """Where a statement starts, its decorators included."""
    decorators = getattr(statement, "decorator_list", None)
    return min([d.lineno for d in decorators] + [statement.lineno]) if decorators else statement.lineno


def _binding_scope(name: str, enclosing: list[Scope]) -> Scope | None:
    """The function-like scope a function nested in ``enclosing`` finds ``name`` in.

    None for a global.  Class bodies are skipped, except that the nearest
    class provides ``__class__``.
    """
    for scope in reversed(enclosing):
        if scope.kind == "class":
            if name == "__class__":
                return scope
            continue
        if name in scope.globals:
            return None
        if name in scope.nonlocals:
            continue
        if name in scope.bound:
            return scope
    return None


def _is_free(name: str, enclosing: list[Scope]) -> bool:
    return _binding_scope(name, enclosing) is not None


def _hidden_names(enclosing: list[Scope]) -> set[str]:
    """Names bound in scopes that the machine class, where it stands, cannot see.

    ``__class__`` in the machine's methods is the machine class.  A method's
    machine stands before its class (the outermost one of classes nested in
    each other): their type parameters, and the function's own, are out of
    its sight.
    """
    hidden = {"__class__"}
    for scope in reversed(enclosing):
        if scope.kind == "type parameters":
            hidden |= scope.bound
        elif scope.kind != "class":
            break
    return hidden


class _LocalsCalls(Walker):
    def __init__(self):
        self.found = False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value in FRAME_READERS:
            self.found = True

    def visit_FunctionDef(self, node) -> bool:
        return False

    def visit_Lambda(self, node) -> bool:
        return False

    def visit_ClassDef(self, node) -> bool:
        return False


FRAME_READERS = frozenset({"locals", "vars", "dir", "eval", "exec"})  # what reads the frame's locals


def _calls_locals(body: cst.CSTNode) -> bool:
    """Whether the body itself may call ``locals()`` (or what reads it: vars, dir, eval, exec)."""
    finder = _LocalsCalls()
    finder.walk(body)
    return finder.found


class _TrailingComments(Walker):
    """The comments at the end of one-line statements and of compound statements' headers."""

    def __init__(self, position):
        self.position = position
        self.comments: dict[int, str] = {}

    def visit_FunctionDef(self, node) -> bool:
        return False  # a nested def keeps its own comments

    def visit_ClassDef(self, node) -> bool:
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self._note(node, node.trailing_whitespace.comment)
        return False  # its expressions hold no statement, nor a comment this looks for

    def walk(self, node: cst.CSTNode) -> None:
        body = getattr(node, "body", None)
        if isinstance(body, cst.IndentedBlock) and not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self._note(node, body.header.comment)
        super().walk(node)

    def _note(self, node: cst.CSTNode, comment: cst.Comment | None) -> None:
        where = self.position(node)
        if comment is not None and where is not None:
            self.comments.setdefault(where[0], comment.value)


def _awaiting_line_comments(body: cst.BaseSuite, position, lines: set[int]) -> dict[int, str]:
    """The user's trailing comments on the source lines where the function awaits.

    Discussion: lowering takes such a statement apart, and its comment would be
    lost; the emitter writes it above the suspension instead.
    """
    finder = _TrailingComments(position)
    finder.walk(body)
    return {line: text for line, text in finder.comments.items() if line in lines}


def _qualname(stack: list[Scope], name: str) -> str:
    parts = []
    for scope in stack:
        if scope.kind == "class":
            parts.append(scope.name + ".")
        elif scope.kind in ("function", "machine") and scope.name:
            parts.append(scope.name + ".<locals>.")
    return "".join(parts) + name


def _source_digest(code: str) -> str:
    """A short hash of the async def's source (``definition_code``), decorators and comments above it left out.

    A pickled machine carries it; loading it against a function whose source
    changed is refused (runtime.machines.durable).  Indentation does not count.
    """
    return hashlib.sha256(textwrap.dedent(code).strip().encode()).hexdigest()[:16]


def _header(module: cst.Module, node: cst.FunctionDef) -> str:
    header = node.with_changes(
        decorators=[], leading_lines=[], body=cst.SimpleStatementLine([cst.Pass()])
    )
    code = code_of(header, module.default_indent, module.default_newline).strip()
    return code.removesuffix(": pass").removesuffix(":pass")
