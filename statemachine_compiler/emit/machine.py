"""The generated class of one async function, and the stub that replaces it.

For ``async def send_to_server(addr)`` the output is::

    class _send_to_server(StateMachine):
        '''async def send_to_server(addr), line 1'''

        __slots__ = ("addr", "time_before_next_request", "resp")
        _name = "send_to_server"
        _qualname = "send_to_server"
        _lines = (1, 4, 5)  # source line of each state
        _source_digest = "0c4b3f5e8a1d2b7c"  # checked when a pickle is loaded

        def resume(self, value, error):
            ...

    def send_to_server(addr):
        self = _send_to_server()
        self.state = 0  # not started
        self._awaiting = None
        self.addr = addr
        return self

The article's record ``{function_name, next_line, variables}`` is all there:
``_name``, ``state`` (and ``_lines[state]``), and the slots.  ``_source_digest``
says which version of the function a pickled machine belongs to.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import libcst as cst

from statemachine_compiler.analysis.scopes import parameter_names
from statemachine_compiler.emit.resume import ResumeEmitter
from statemachine_compiler.emit.writer import Writer
from statemachine_compiler.lower.ir import Node

__all__ = ["MachineSpec", "write_machine", "write_resume_maker", "build_stub", "stub_builds_machine", "reserved_attributes"]

# What the class body above defines, besides what the base class has.
CLASS_BODY_NAMES = (
    "__slots__", "_name", "_qualname", "_lines", "_source_digest", "_temporaries", "_renamed",
    "_may_read_unbound", "_parameters", "_resume_maker",
    "__init__", "resume", "make_resume",
)
LOCALS_SLOT = "_f_locals"  # the dict locals() returns, when the function calls it (3.11, 3.12)


@functools.lru_cache(maxsize=None)
def reserved_attributes(base: str) -> frozenset[str]:
    """Names a local of the function must not take as its attribute on a ``base`` machine.

    Whatever the runtime base class has (``dir()``: its methods, slots and
    class attributes, ``object``'s too), what the generated class body
    defines, and every ``__dunder__`` name: Python reserves those for itself,
    and class creation adds new ones from version to version
    (``__firstlineno__``, ``__static_attributes__`` in 3.13).
    """
    from runtime.machines.asyncgen import AsyncGeneratorMachine
    from runtime.machines.statemachine import StateMachine

    classes = {"StateMachine": StateMachine, "AsyncGeneratorMachine": AsyncGeneratorMachine}
    return frozenset(dir(classes[base])) | set(CLASS_BODY_NAMES) | {LOCALS_SLOT}


@dataclass
class MachineSpec:
    class_name: str
    header: str  # "async def f(a, b=1)" as written
    name: str
    qualname: str
    machine: str  # the name of the machine inside its methods ("self")
    parameters: list[tuple[str, str]]  # (parameter, attribute)
    slots: list[str]
    temporaries: list[str]
    renamed: dict[str, str]  # attribute -> source name, where they differ
    lines: list[int]
    source_digest: str  # of the async def's source, without its decorators: see runtime.machines.durable
    value: str
    error: str
    declarations: list[str] = field(default_factory=list)  # "global x", "nonlocal y"
    base: str = "StateMachine"  # or "AsyncGeneratorMachine"
    suspending: tuple[str, str] = ("awaitable", "yielded")  # resume's locals at a suspension
    # How the generated code spells a runtime name, where the module makes it
    # use an alias (``StateMachine_`` when the module binds ``StateMachine``).
    spelling: dict[str, str] = field(default_factory=dict)
    # The user's comments at the end of lines that await: source line -> "# ...".
    comments: dict[int, str] = field(default_factory=dict)
    may_read_unbound: bool = False  # analysis.assignment: a local may be read before it is bound
    # The locals nested functions share, kept in cells (sorted source names):
    # then resume is made per coroutine by ``make_resume`` (write_make_resume),
    # whose local ``machine_reference`` is the weak reference it reaches the machine by.
    cells: list[str] = field(default_factory=list)
    machine_reference: str | None = None
    # The function's parameters, when one is a cell: locals() lists them first, in this order.
    listed_parameters: list[str] = field(default_factory=list)
    # A nested async def's that uses cells of the enclosing machine: the name of
    # the function, written in the enclosing resume, that makes its resume
    # (write_resume_maker); the class then has none of its own.
    resume_maker: str | None = None
    # What the function that make_resume or the resume maker defines is called:
    # ``resume``, unless the async def reads an enclosing variable so named,
    # which a def of that name would shadow.
    resume_function: str = "resume"

    def spelled(self, name: str) -> str:
        return self.spelling.get(name, name)


def write_machine(
    spec: MachineSpec,
    body: list[Node],
    render,
    render_expression,
    linemap=None,
    depth: int = 0,
    print_statement=None,
) -> Writer:
    """Write the machine class as text, each line knowing its source line.

    ``depth``: how many classes it stands in (those of enclosing machines);
    ``print_statement``: how the user's statements are printed (``Writer``).
    """
    w = Writer(linemap, print_statement)
    w.depth = depth
    w.source = spec.lines[0]
    m = spec.machine
    w.line(f"class {spec.class_name}({spec.spelled(spec.base)}):")
    with w.indented():
        w.line(f'"""{_docstring_safe(spec.header)}, line {spec.lines[0]}"""')
        w.line()
        if spec.temporaries:
            _rows(w, "_temporaries", [_quoted(t) for t in spec.temporaries])
        temporaries = spec.temporaries
        locals_ = spec.slots[: len(spec.slots) - len(temporaries)]
        if temporaries and spec.slots[len(locals_) :] == temporaries:
            # The function's locals, then the compiler's own slots, named once.
            if locals_:
                _rows(w, "__slots__", [_quoted(s) for s in locals_], then="_temporaries")
            else:
                w.line("__slots__ = _temporaries")
        else:
            _rows(w, "__slots__", [_quoted(s) for s in spec.slots])
        w.line(f"_name = {spec.name!r}")
        w.line(f"_qualname = {spec.qualname!r}")
        _rows(w, "_lines", [str(n) for n in spec.lines], comment="source line of each state", per_row=10)
        w.line(f"_source_digest = {spec.source_digest!r}  # checked when a pickle is loaded")
        if spec.renamed:
            w.line(f"_renamed = {spec.renamed!r}")
        if spec.may_read_unbound:
            w.line("_may_read_unbound = True  # a local may be read before it is bound")
        if spec.listed_parameters:
            _rows(w, "_parameters", [_quoted(p) for p in spec.listed_parameters], comment="locals() lists them first")
        if spec.resume_maker:
            w.line(f"_resume_maker = {spec.resume_maker!r}  # where its resume is made")
        if spec.resume_function != "resume":
            w.line(f"_resume_function = {spec.resume_function!r}  # not resume: a variable of the user's")
        w.line()
        if not stub_builds_machine(spec):
            parameters = "".join(f", {p}" for p, _ in spec.parameters)
            w.line(f"def __init__({m}{parameters}):")
            with w.indented():
                if spec.base == "StateMachine":
                    # What the stub does otherwise (see build_stub).
                    w.line(f"{m}.state = 0  # not started")
                    w.line(f"{m}._awaiting = None")
                else:
                    w.line(f"{spec.spelled(spec.base)}.__init__({m})")
                for parameter, attribute in spec.parameters:
                    if attribute is not None:
                        w.line(f"{m}.{attribute} = {parameter}")
                if spec.cells and not spec.resume_maker:
                    w.line(f"{m}.resume = {make_resume_call(spec)}")
            w.line()
        if spec.resume_maker:
            pass  # written in the enclosing resume: write_resume_maker
        elif spec.cells:
            write_make_resume(w, spec, lambda: _write_resume_body(w, spec, body, render, render_expression))
        else:
            w.line(f"def resume({m}, {spec.value}, {spec.error}):")
            with w.indented():
                _write_resume_body(w, spec, body, render, render_expression)
    return w


def make_resume_call(spec: MachineSpec) -> str:
    """``self.make_resume(weak_reference(self), step)``: the machine's resume, over cells of its own."""
    m = spec.machine
    arguments = [f"{spec.spelled('weak_reference')}({m})"]
    arguments += [p for p, attribute in spec.parameters if attribute is None]
    maker = spec.resume_maker or f"{m}.make_resume"
    return f"{maker}({', '.join(arguments)})"


def write_resume_maker(
    spec: MachineSpec,
    enclosing,
    body: list[Node],
    render,
    render_expression,
    linemap=None,
    plain: tuple[str, str] | None = None,
    print_statement=None,
) -> Writer:
    """Write, where the async def stands, what its stub makes its coroutines' resume with.

    Discussion: such a class is made once, an attribute of the enclosing
    machine's class; but its resume uses cells of the enclosing call, so
    it is made where they are: this function, defined where the async def
    stood, closes over them as the native function does.  The stub reaches
    the class through a local (``_main_add = self._main_add``), so that
    neither it nor the coroutines it makes hold the enclosing machine.

    ``plain``: where the async def stands, in a plain function (or a
    class in a function), and that function's name (``enclosing`` is then None).  Its class is made once too, at module
    level; this function, made at each call of that function, closes over
    its variables.  Decorated by the class's ``resume_maker``, which names
    the resume's code after the async def (once, for the class).
    """
    w = Writer(linemap, print_statement)
    w.source = spec.lines[0]
    if plain is None:
        w.line(f"# The class, for {spec.name}(): it holds no {enclosing.machine}.")
        w.line(f"{spec.class_name} = {enclosing.machine}.{spec.class_name}")
        where = f"{enclosing.name}'s resume"
        variables = f"{enclosing.name}'s cells"
    else:
        w.line(f"@{spec.class_name}.resume_maker")
        where, owner = plain
        variables = f"{owner}'s variables"
    write_body = lambda: _write_resume_body(w, spec, body, render, render_expression)  # noqa: E731
    write_make_resume(w, spec, write_body, where, variables)
    return w


def write_make_resume(
    w: Writer, spec: MachineSpec, write_body, where: str | None = None, variables: str | None = None
) -> None:
    """Write ``make_resume``, which makes the resume of one coroutine over cells of its own.

    Discussion: natively a local that a nested function uses lives in a
    cell, which the closure holds, not the frame: it outlives the coroutine,
    and the closure keeps nothing else of it.  Here those locals are locals
    of ``make_resume`` (its parameters, or declared by an annotation, which
    binds nothing), so Python makes them cells; ``resume`` declares them
    ``nonlocal`` and uses them by name, as do the functions defined in it.
    ``resume`` reaches the machine through a weak reference (the first
    parameter, which the runtime reads as such): a strong one would make a
    cycle (machine -> resume -> machine), freed late, by the cycle collector.
    """
    m, reference = spec.machine, spec.machine_reference
    parameters = [p for p, attribute in spec.parameters if attribute is None]
    if spec.resume_maker:
        w.line(f"def {spec.resume_maker}({', '.join([reference, *parameters])}):")
    else:
        w.line("@staticmethod")
        w.line(f"def make_resume({', '.join([reference, *parameters])}):")
    with w.indented():
        if spec.resume_maker:
            w.line(f"# Made here, in {where}, so that {spec.name}'s coroutines close over")
            w.line(f"# {variables}, as natively; {reference}: a weak reference, no cycle.")
        else:
            w.line("# Made for each coroutine, so that the variables nested functions share")
            w.line(f"# with it are cells, as natively; {reference}: a weak reference, no cycle.")
        for cell in spec.cells:
            if cell not in parameters:
                w.line(f'{cell}: "cell"  # unbound until {spec.resume_function} binds it')
        w.line()
        w.line(f"def {spec.resume_function}({spec.value}, {spec.error}):")
        with w.indented():
            if spec.cells:
                w.line(f"nonlocal {', '.join(spec.cells)}")
            for declaration in spec.declarations:
                w.line(declaration)
            w.line(f"{m} = {reference}()")
            write_body()
        w.line()
        w.line(f"return {spec.resume_function}")


def _write_resume_body(w: Writer, spec: MachineSpec, body: list[Node], render, render_expression) -> None:
    if not (spec.cells or spec.resume_maker):  # else write_make_resume declared them
        for declaration in spec.declarations:
            w.line(declaration)
    emitter = ResumeEmitter(
        w,
        machine=spec.machine,
        value=spec.value,
        error=spec.error,
        locals_=spec.suspending,
        render=render,
        render_expression=render_expression,
        spelled=spec.spelled,
        comments=spec.comments,
        run_now=spec.base == "StateMachine",
        temporaries=spec.temporaries,
    )
    emitter.block(body)


LINE_LENGTH = 88  # black's


def _quoted(name: str) -> str:
    """An identifier as a string literal, spelled as black spells it.

    So that black leaves a long ``__slots__`` of unpacked rows as it is,
    and the formatter by line can take it without black (format.by_line:
    a row with ``*`` that black changed goes through black whole).
    """
    return f'"{name}"'


def _rows(w: Writer, name: str, items: list[str], *, then=None, comment=None, per_row=None) -> None:
    """Write ``name = (items)`` (``+ then``), on one line if it fits, else a row of items a line.

    Black puts each item of a tuple that does not fit on a line of its own;
    unpacked rows (``*(1, 2, 3),``, with a trailing comma black keeps) keep a
    long one short, and numbered rows (``per_row``) make its k-th item easy to find.
    """
    tail = f" + {then}" if then else ""
    note = f"  # {comment}" if comment else ""
    single = f"{name} = {_tuple(items)}{tail}{note}"
    if w.indent_width() + len(single) <= LINE_LENGTH and not (per_row and len(items) > per_row):
        w.line(single)
        return
    room = LINE_LENGTH - w.indent_width() - len("    *(),") - (len("  # states 100-109") if per_row else 0)
    rows: list[list[str]] = [[]]
    for item in items:
        if rows[-1] and (len(rows[-1]) == per_row or len(", ".join([*rows[-1], item])) > room):
            rows.append([])
        rows[-1].append(item)
    if not per_row:
        rows = _balanced(rows, room)
    w.line(f"{name} = ({note}" + (f", {per_row} to a row" if per_row and note else ""))
    with w.indented():
        first = 0
        for row in rows:
            where = f"  # states {first}-{first + len(row) - 1}" if per_row else ""
            w.line(f"*{_tuple(row)},{where}")
            first += len(row)
        if then:
            w.line(f"*{then},")
    w.line(")")


def _balanced(rows: list[list[str]], room: int) -> list[list[str]]:
    """The same items in as many rows, of about the same length each, if they fit."""
    items = [item for row in rows for item in row]
    size = -(-len(items) // len(rows))
    balanced = [items[start : start + size] for start in range(0, len(items), size)]
    if len(balanced) == len(rows) and all(len(", ".join(row)) <= room for row in balanced):
        return balanced
    return rows


def _tuple(items) -> str:
    items = list(items)
    # No trailing comma after several items: black would explode the tuple.
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _docstring_safe(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def stub_builds_machine(spec: MachineSpec) -> bool:
    """Whether the stub stores the arguments itself, so that the class has no ``__init__``.

    Discussion: on 3.11 a class call runs a Python ``__init__`` through a
    call from C, a good part of the cost of creating a coroutine; the stub
    storing them costs a store each.  Async generators keep their
    ``__init__`` (the base class's sets more).  So does a function with a
    private name among its attributes (``__x``): the stub stands where
    Python would mangle ``machine.__x`` with another class's name.
    """
    return spec.base == "StateMachine" and not any(
        attribute.startswith("__") and not attribute.endswith("__")
        for _, attribute in spec.parameters
        if attribute is not None
    )


def build_stub(
    node: cst.FunctionDef,
    spec: MachineSpec,
    prefix: list[cst.BaseExpression],
    mark: str,
    machine_class: cst.BaseExpression | None = None,
) -> cst.FunctionDef:
    """The plain ``def`` that keeps the function's name, signature and decorators.

    It builds the machine: ``self = _f()``, its state, and an attribute per
    argument (see ``stub_builds_machine``; otherwise it calls the class,
    whose ``__init__`` does that).  ``prefix`` are the values passed first,
    before the function's own arguments (e.g. ``__class__`` for
    ``super()``), as the stub reads them.  The stub is marked so that
    ``inspect.iscoroutinefunction`` and ``inspect.isasyncgenfunction`` say
    what they would of the original; the mark (``mark``, the spelling of
    ``coroutine_function`` or ``async_generator_function``) goes on first,
    so the user's decorators see the marked function.  ``machine_class`` is
    how the stub reaches the class, where it is no module global (the class
    of a nested async def, an attribute of the enclosing machine's class).
    """
    if machine_class is None:
        machine_class = cst.Name(spec.class_name)
    body: list[cst.BaseStatement] = []
    docstring = node.get_docstring(clean=False)
    if docstring is not None:
        first = node.body.body[0]
        if isinstance(first, cst.BaseSmallStatement):  # ``async def f(): "doc"``
            first = cst.SimpleStatementLine([first.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
        body.append(first)
    values = [*prefix, *(cst.Name(p) for p in parameter_names(node.params))]
    if stub_builds_machine(spec):
        m = cst.Name(spec.machine)
        body.append(_statement(cst.Assign([cst.AssignTarget(m)], cst.Call(machine_class))))
        body.append(_store(m, "state", cst.Integer("0"), comment="# not started"))
        body.append(_store(m, "_awaiting", cst.Name("None")))
        for (_, attribute), value in zip(spec.parameters, values, strict=True):
            if attribute is not None:  # else a cell, which make_resume makes
                body.append(_store(m, attribute, value))
        if spec.cells or spec.resume_maker:
            body.append(cst.parse_statement(f"{spec.machine}.resume = {make_resume_call(spec)}"))
        body.append(_statement(cst.Return(m)))
    elif spec.resume_maker:  # its __init__ cannot reach the maker: the stub gives the resume
        m = cst.Name(spec.machine)
        call = cst.Call(machine_class, [cst.Arg(v) for v in values])
        body.append(_statement(cst.Assign([cst.AssignTarget(m)], call)))
        body.append(cst.parse_statement(f"{spec.machine}.resume = {make_resume_call(spec)}"))
        body.append(_statement(cst.Return(m)))
    else:
        call = cst.Call(machine_class, [cst.Arg(v) for v in values])
        body.append(_statement(cst.Return(call)))
    decorators = [*node.decorators, cst.Decorator(cst.Name(mark))]
    return node.with_changes(
        asynchronous=None,
        decorators=decorators,
        body=cst.IndentedBlock(body=body),
    )


def _statement(small: cst.BaseSmallStatement, comment: str | None = None) -> cst.SimpleStatementLine:
    trailing = cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(comment)) if comment else cst.TrailingWhitespace()
    return cst.SimpleStatementLine([small], trailing_whitespace=trailing)


def _store(machine: cst.Name, attribute: str, value: cst.BaseExpression, comment: str | None = None):
    """``machine.attribute = value``."""
    target = cst.AssignTarget(cst.Attribute(machine, cst.Name(attribute)))
    return _statement(cst.Assign([target], value), comment)
