"""Rewrite the locals of compiled functions into attributes of their machine.

Inside ``resume`` a local ``x`` of the async function is ``self.x``: it has
to survive ``resume`` returning at an await.  Nested functions, lambdas,
comprehensions and classes that use ``x`` get ``self.x`` too, which makes
them see the very variable the machine sees (what a closure cell would do).
An ``async def`` directly in it has a machine of its own, whose class is
made once, not at each call (an attribute of the enclosing machine's
class): it reaches ``x`` through the slot holding the enclosing machine,
``frame.outer.x`` (``machine_reference``).

Most binding forms accept an attribute as target (``self.x = ...``,
``for self.x in ...``, ``with ... as self.x``, ``del self.x``).  The others
bind a plain name and copy it into the machine right after:

- ``import m`` / ``def f`` / ``class C``: the statement, then ``self.m = m``;
- ``except E as e``: ``self.e = e`` first in the handler, unbound again after
  it, exactly as CPython's own expansion of the handler does;
- ``case P(x)``: ``self.x = x`` first in the case body (the guard reads the
  plain name, bound by the pattern);
- ``(x := v)``: ``self.assign("x", v)``, which stores and returns ``v``.

``global`` and ``nonlocal`` declarations of the compiled function itself are
moved to the top of ``resume``.  The same transformer, with no machine in its
scope chain, walks the whole module to find the async functions to compile.
"""

from __future__ import annotations

import operator
from typing import Callable

import libcst as cst

from statemachine_compiler.analysis.scopes import (
    INLINE_COMPREHENSIONS,
    Scope,
    class_bindings,
    function_bindings,
    target_names,
    type_parameter_names,
)
from statemachine_compiler.analysis.walk import TOKENS, children
from statemachine_compiler.lower.methods import is_dunder, is_private, mangled
from statemachine_compiler.transform import Transformer, placed_nodes

__all__ = ["NameRewriter", "resolve", "machine_attribute"]


def machine_attribute(name: str, class_name: str, reserved: frozenset[str], taken: set[str]) -> str:
    """The attribute that holds local ``name`` on a machine of class ``class_name``.

    Never one of the machine's own names (``reserved``), so a local can shadow
    nothing: ``state`` becomes ``state_``, ``__init__`` ``init_``.  Never a
    private name either: in the machine's class body Python would mangle it
    (``self.__x`` is ``self._f__x`` there, its slot too, but not the names the
    runtime reads), so a private local gets the name the mangling gives.
    """
    if is_private(name):
        attribute = mangled(name, class_name)
    elif is_dunder(name):
        attribute = name.strip("_") + "_"
    else:
        attribute = name
    while attribute in reserved or (attribute != name and attribute in taken):
        attribute += "_"
    return attribute


def resolve(name: str, stack: list[Scope]) -> Scope | None:
    """Return the machine scope ``name`` resolves to, or None if it is not a machine local."""
    innermost = len(stack) - 1
    for depth in range(innermost, -1, -1):
        scope = stack[depth]
        if scope.kind == "class" and depth != innermost:
            continue  # class bodies do not enclose the functions defined in them
        if name in scope.globals:
            return None
        if name in scope.nonlocals:
            continue
        if name in scope.bound:
            # A machine's cell is a plain name in its resume, as in what is nested there.
            return scope if scope.kind == "machine" and name not in scope.cells else None
    return None


def _resolves_to_global(name: str, stack: list[Scope]) -> bool:
    """Whether ``name``, used in the innermost scope of ``stack``, is a global (or builtin)."""
    innermost = len(stack) - 1
    for depth in range(innermost, -1, -1):
        scope = stack[depth]
        if scope.kind == "class" and depth != innermost:
            continue
        if name in scope.globals:
            return True
        if name in scope.nonlocals:
            continue
        if name in scope.bound:
            return False
    return True


def _copy(machine: str, attribute: str, name: str) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(
        [
            cst.Assign(
                targets=[cst.AssignTarget(cst.Attribute(cst.Name(machine), cst.Name(attribute)))],
                value=cst.Name(name),
            )
        ]
    )


def _prepend(block: cst.BaseSuite, statements: list[cst.BaseStatement]) -> cst.BaseSuite:
    if isinstance(block, cst.IndentedBlock):
        return block.with_changes(body=[*statements, *block.body])
    # ``if x: pass`` on one line: turn it into an indented block
    return cst.IndentedBlock(body=[*statements, cst.SimpleStatementLine(list(block.body))])


def _body_statements(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    return [cst.SimpleStatementLine(list(block.body))]


CompileNested = Callable[[cst.FunctionDef, list[Scope]], tuple[list[cst.BaseStatement], cst.FunctionDef]]


class NameRewriter(Transformer):
    """Rewrite one subtree that runs in the innermost scope of ``stack``.

    ``compile_nested(node, stack)`` compiles an ``async def`` met on the way and
    returns its machine class statements and its stub; the rewriter places the
    machine classes: right before the stub in a function or module body, and
    before the outermost enclosing class for methods (a class body is no
    enclosing scope for its methods, so they could not see it there).
    """

    def __init__(self, stack: list[Scope], compile_nested: CompileNested):
        super().__init__()
        self.stack = stack
        self.compile_nested = compile_nested
        self.hoisted: list[cst.BaseStatement] = []  # machine classes waiting for a class to pass
        self.plain_names: dict[int, cst.Name] = {}  # Name nodes that must stay names
        self.fstring_quotes: list[str] = []  # quotes of the f-strings around the node visited
        self._unchanged: dict[int, tuple[cst.CSTNode, bool]] = {}  # id -> (node, whether rewriting leaves it as it is)
        self._names_kept: dict[str, bool] = {}  # name -> whether leave_Name leaves it as it is
        self._kept: cst.CSTNode | None = None  # the node on_visit just kept whole

    # -- what needs no rewriting --------------------------------------------------

    def unchanged(self, node: cst.CSTNode) -> bool:
        """Whether rewriting ``node`` would give it back as it is: then it is kept, not visited.

        Discussion: libcst rebuilds every node a transformer visits, and the
        name rewriter goes through all the user's code; most of what it
        rebuilt (literals, attribute and keyword names, calls of globals) came
        out the same (issue 12).  A subtree is kept when it holds no node
        this class has a hook for that can change it, and no name that
        ``leave_Name`` or ``leave_Call`` would rewrite.  Found once per node
        (a rewriter stands for one scope chain, which does not change).
        """
        found = self._unchanged.get(id(node))
        if found is not None and found[0] is node:
            return found[1]
        cls = node.__class__
        if cls is cst.Name:
            return self._name_kept(node.value)
        if cls in _REWRITING:
            return False
        restored = _RESTORED.get(cls)
        restored = getattr(node, restored) if restored is not None else None
        kept = all(
            child.__class__ in TOKENS or child is restored or self.unchanged(child) for child in children(node)
        )
        self._unchanged[id(node)] = (node, kept)
        return kept

    def _name_kept(self, name: str) -> bool:
        kept = self._names_kept.get(name)
        if kept is None:
            kept = self._names_kept[name] = not (
                resolve(name, self.stack) is not None
                or is_private(name)  # a global the machine class would mangle (global_item)
                or self.builtin(name) != name  # a runtime name the compiler wrote, spelled otherwise
                or name in _FRAME_READERS  # locals() and the like (leave_Call)
            )
        return kept

    def on_visit(self, node) -> bool:
        # Whitespace, punctuation and operators hold no names: kept as they are, not rebuilt.
        if node.__class__ in TOKENS:
            return False
        if self.unchanged(node):
            self._kept = node
            return False
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        if original_node is updated_node and (original_node.__class__ in TOKENS or original_node is self._kept):
            return original_node
        result = super().on_leave(original_node, updated_node)
        linemap = getattr(self.compile_nested, "linemap", None)
        if linemap is not None:
            for node in placed_nodes(result):
                linemap.note_origin(node, original_node)
        return result

    # -- helpers ------------------------------------------------------------------

    @property
    def scope(self) -> Scope:
        return self.stack[-1] if self.stack else Scope("module", set())

    def inner(self, scope: Scope) -> NameRewriter:
        rewriter = NameRewriter([*self.stack, scope], self.compile_nested)
        rewriter.fstring_quotes = list(self.fstring_quotes)
        return rewriter

    def with_type_parameters(self, node: cst.FunctionDef | cst.ClassDef) -> NameRewriter:
        """The rewriter for what a generic definition evaluates in its type parameters' scope."""
        parameters = type_parameter_names(node)
        if not parameters:
            return self
        return self.inner(Scope("type parameters", set(parameters)))

    def builtin(self, name: str) -> str:
        """How generated code spells the builtin ``name`` (an alias if the module binds it)."""
        return getattr(self.compile_nested, "runtime_names", {}).get(name, name)

    def machine_here(self) -> Scope | None:
        """The machine whose own body this is, if any (binding forms need copies)."""
        scope = self.scope
        return scope if scope.kind == "machine" else None

    def attribute(self, name: str) -> cst.Attribute | None:
        scope = resolve(name, self.stack)
        if scope is None:
            return None
        return cst.Attribute(self.machine_reference(scope), cst.Name(scope.attributes.get(name, name)))

    def machine_reference(self, target: Scope) -> cst.BaseExpression:
        """How code here reaches the machine of ``target``, a machine scope of the stack.

        Its own variable (``self``) in its own body, and in what is defined
        there as a closure; from an async def nested in it, whose class is
        no closure, through the slots that hold the enclosing machines
        (``frame.outer``, ``frame_2.outer.outer``).
        """
        reference = None
        for scope in reversed(self.stack):
            if scope.kind != "machine":
                continue
            if reference is None:
                reference = cst.Name(scope.machine)
            if scope is target:
                return reference
            # A machine class made where its function stands sees the
            # enclosing machine's variable as a closure, a hoisted one does not.
            reference = None if scope.outer is None else cst.Attribute(reference, cst.Name(scope.outer))
        raise AssertionError(f"no machine {target.name!r} around here")

    def copies(self, names: list[str]) -> list[cst.BaseStatement]:
        machine = self.machine_here()
        if machine is None:
            return []
        return [
            _copy(machine.machine, machine.attributes.get(n, n), n)
            for n in names
            if n in machine.bound and n not in machine.cells
        ]

    # -- names ------------------------------------------------------------------

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if self.plain_names.get(id(original_node)) is original_node:
            return updated_node
        if self.is_protected(original_node):
            # A name the compiler wrote: a builtin, or a runtime name it may import under an alias.
            spelling = getattr(self.compile_nested, "runtime_names", {})
            return updated_node.with_changes(value=spelling.get(original_node.value, original_node.value))
        attribute = self.attribute(original_node.value)
        if attribute is None:
            if self.global_seen_through_machine_class(original_node.value):
                return self.global_item(original_node.value, updated_node)
            return updated_node
        if updated_node.lpar or updated_node.rpar:
            return attribute.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)
        return attribute

    def global_seen_through_machine_class(self, name: str) -> bool:
        """Whether ``name`` here is a private global that the machine class would mangle.

        A function outside any class (or in one named only ``_``) does not
        mangle ``__cache``; its body, moved into the machine's class, would
        read ``_f__cache``.  Names bound inside the body are mangled alike
        wherever they are used, and a user's class in between mangles as it
        does natively; only a global crosses the class boundary.
        """
        machines = [i for i, scope in enumerate(self.stack) if scope.kind == "machine"]
        if not is_private(name) or not machines:
            return False
        if not self.stack[machines[-1]].mangles:
            return False  # a machine class named only "_"s mangles nothing
        if any(scope.kind == "class" for scope in self.stack[machines[-1] :]):
            return False  # a user's class between mangles the name, natively too
        return _resolves_to_global(name, self.stack)

    def global_item(self, name: str, node: cst.Name) -> cst.Subscript:
        """``globals()["__cache"]``: the one spelling of a global that no class mangles."""
        item = cst.Subscript(
            cst.Call(cst.Name(self.builtin("globals"))),
            [cst.SubscriptElement(cst.Index(cst.SimpleString(repr(name))))],
        )
        return item.with_changes(lpar=node.lpar, rpar=node.rpar)

    def is_protected(self, node: cst.Name) -> bool:
        """Whether the compiler wrote ``node`` (or the node it was rebuilt from) for a builtin.

        Lowering passes rebuild the nodes they walk (a ``finally`` that awaits
        records its jumps): the line map knows what each rebuilt node came from.
        """
        linemap = getattr(self.compile_nested, "linemap", None)
        origins = linemap.origins if linemap is not None else {}
        for _ in range(100):
            if any(scope.protected.get(id(node)) is node for scope in self.stack):
                return True
            link = origins.get(id(node))
            if link is None or link[0] is not node:
                return False
            node = link[1]
        return False

    def leave_AnnAssign(self, original_node, updated_node):
        # A cell is declared nonlocal in resume, and Python refuses an
        # annotation on a nonlocal name; in a function an annotation of a
        # local is never evaluated, so dropping it changes nothing.
        machine = self.machine_here()
        target = original_node.target
        if machine is None or not isinstance(target, cst.Name) or target.value not in machine.cells:
            return updated_node
        if updated_node.value is None:
            return cst.Pass(semicolon=updated_node.semicolon)
        return cst.Assign(
            targets=[cst.AssignTarget(updated_node.target)],
            value=updated_node.value,
            semicolon=updated_node.semicolon,
        )

    # Names that are not variable references: put the original back.
    # (Rebuilt only where the name was rewritten: a copy of each node changed was a cost of its own.)
    def leave_Attribute(self, original_node, updated_node):
        if updated_node.attr is original_node.attr:
            return updated_node
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node, updated_node):
        if updated_node.keyword is original_node.keyword:
            return updated_node
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_MatchKeywordElement(self, original_node, updated_node):
        return updated_node.with_changes(key=original_node.key)

    def visit_Import(self, node) -> bool:
        return False

    def visit_ImportFrom(self, node) -> bool:
        return False

    def visit_Global(self, node) -> bool:
        return False

    def visit_Nonlocal(self, node) -> bool:
        return False

    def visit_MatchAs(self, node) -> bool:
        if node.pattern is not None:
            return True
        return False

    def leave_MatchAs(self, original_node, updated_node):
        return updated_node.with_changes(name=original_node.name)

    def visit_MatchStar(self, node) -> bool:
        return False

    def leave_MatchMapping(self, original_node, updated_node):
        return updated_node.with_changes(rest=original_node.rest)

    # -- statements that bind plain names ------------------------------------------

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return self._copy_bindings(updated_node)

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        return self._copy_bindings(updated_node)  # ``if x: import os; print(os.sep)``

    def _copy_bindings(self, line: cst.SimpleStatementLine | cst.SimpleStatementSuite):
        """Copy what each statement of a line binds right after it, before the next one runs."""
        machine = self.machine_here()
        if machine is None:
            return line
        kept = []
        for small in line.body:
            if isinstance(small, (cst.Global, cst.Nonlocal)):
                continue  # declared once, at the top of resume
            if small.semicolon is not cst.MaybeSentinel.DEFAULT:
                small = small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            kept.append(small)
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                kept += [copy.body[0] for copy in self.copies(_imported_names(small))]
            elif type(small).__name__ == "TypeAlias":  # ``type X = ...`` (3.12)
                kept += [copy.body[0] for copy in self.copies([small.name.value])]
        if kept:
            if len(kept) == len(line.body) and all(map(operator.is_, kept, line.body)):
                return line  # nothing dropped, added or changed
            return line.with_changes(body=kept)
        # A line of declarations only: gone, its block drops it (``leave_IndentedBlock``).
        return line.with_changes(body=[cst.Pass() if isinstance(line, cst.SimpleStatementSuite) else _DROPPED])

    def leave_IndentedBlock(self, original_node, updated_node):
        if not any(_is_dropped(statement) for statement in updated_node.body):
            return updated_node
        body, comments = _without_emptied_lines(updated_node.body, getattr(self.compile_nested, "linemap", None))
        return updated_node.with_changes(body=body, footer=[*comments, *updated_node.footer])

    def leave_Call(self, original_node, updated_node):
        # ``locals()`` (and ``vars()``) in the function itself: its locals are
        # the machine's saved ones, not the locals of ``resume``.
        machine, inlined = self.frame_of_locals()
        func = original_node.func
        if (
            machine is None
            or not isinstance(func, cst.Name)
            or any(func.value in scope.bound for scope in self.stack)
        ):
            return updated_node
        arguments = [cst.Arg(self.free_variables(machine))] if self.reads_free_variables(machine) else []
        # (And a parameter kept in a cell: the frame lists it among the parameters.)
        if inlined or set(machine.varnames) - machine.bound or machine.cells & set(machine.varnames):
            # Inside a comprehension 3.12+ inlines, its loop variables are
            # locals of the function's frame too, listed in their places;
            # outside it they are unbound (and leave the dict of 3.12).
            readers = cst.Dict(
                [
                    cst.DictElement(self.string_literal(n), cst.Lambda(cst.Parameters(), cst.Name(n)))
                    for n in inlined
                ]
            )
            order = cst.Tuple([cst.Element(self.string_literal(n)) for n in machine.varnames])
            arguments += [
                cst.Arg(readers, keyword=cst.Name("inlined")),
                cst.Arg(order, keyword=cst.Name("order")),
            ]
        saved = cst.Call(cst.Attribute(cst.Name(machine.machine), cst.Name("saved_locals")), arguments)
        if func.value in ("locals", "vars") and not original_node.args:
            return saved
        if func.value == "dir" and not original_node.args:
            return cst.Call(cst.Name(self.builtin("sorted")), [cst.Arg(saved)])
        if func.value in ("eval", "exec") and len(original_node.args) == 1:
            # Without namespaces they would see resume's frame.
            globals_ = cst.Call(cst.Name(self.builtin("globals")))
            return updated_node.with_changes(
                args=[*updated_node.args, cst.Arg(globals_), cst.Arg(saved)]
            )
        return updated_node

    def frame_of_locals(self) -> tuple[Scope | None, list[str]]:
        """The machine whose frame ``locals()`` here reads, and the comprehension variables in it.

        In the machine's own body; on 3.12+ also inside list, set and dict
        comprehensions there (PEP 709), whose loop variables join its locals.
        """
        inlined: list[str] = []
        for scope in reversed(self.stack):
            if scope.kind == "machine":
                return scope, inlined
            if scope.kind != "comprehension" or not scope.inlined:
                return None, []
            inlined += [n for n in sorted(scope.bound) if n not in inlined]
        return None, []

    def reads_free_variables(self, machine: Scope) -> bool:
        """Whether some free variable of the machine is no slot of it (a closure, an enclosing machine's)."""
        return any(local not in machine.bound for _, local in machine.free)

    def free_variables(self, machine: Scope) -> cst.Dict:
        """``{"name": lambda: name, ...}``: how ``saved_locals`` reads the free variables.

        A function each, so that an unbound one can be left out, as natively.
        """
        elements = []
        for name, local in machine.free:
            read = self.attribute(local) or cst.Name(local)
            elements.append(
                cst.DictElement(
                    self.string_literal(name),
                    cst.Lambda(cst.Parameters(), read),
                )
            )
        return cst.Dict(elements)

    def visit_FormattedString(self, node) -> bool:
        self.fstring_quotes.append(node.start[-1])
        return True

    def leave_FormattedString(self, original_node, updated_node):
        self.fstring_quotes.pop()
        return updated_node

    def string_literal(self, text: str) -> cst.SimpleString:
        """``text`` as a string literal that can stand here.

        Before 3.12 a field of an f-string cannot contain the f-string's quote.
        """
        quote = next((q for q in "'\"" if q not in self.fstring_quotes), "'")
        return cst.SimpleString(quote + text + quote)

    def leave_NamedExpr(self, original_node, updated_node):
        names = target_names(original_node.target)
        scope = resolve(names[0], self.stack) if names else None
        if scope is None:
            return updated_node.with_changes(target=original_node.target)
        call = cst.Call(
            func=cst.Attribute(self.machine_reference(scope), cst.Name("assign")),
            args=[
                cst.Arg(self.string_literal(scope.attributes.get(names[0], names[0]))),
                cst.Arg(updated_node.value),
            ],
        )
        return call.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    def visit_ExceptHandler(self, node) -> bool:
        if node.name is not None:
            self.plain_names[id(node.name.name)] = node.name.name
        return True

    visit_ExceptStarHandler = visit_ExceptHandler

    def visit_TypeAlias(self, node) -> bool:
        self.plain_names[id(node.name)] = node.name  # ``type X = ...`` binds a plain name
        return True

    def leave_ExceptHandler(self, original_node, updated_node):
        return self._rebind_handler(original_node, updated_node)

    def leave_ExceptStarHandler(self, original_node, updated_node):
        return self._rebind_handler(original_node, updated_node)

    def _rebind_handler(self, original_node, updated_node):
        if original_node.name is None:
            return updated_node
        updated_node = updated_node.with_changes(name=original_node.name)
        names = target_names(original_node.name.name)
        machine = self.machine_here()
        if machine is None or not names or names[0] not in machine.bound or names[0] in machine.cells:
            return updated_node
        # CPython unbinds the name when the handler ends, however it ends.
        attribute = cst.Attribute(
            cst.Name(machine.machine), cst.Name(machine.attributes.get(names[0], names[0]))
        )
        cleanup = cst.IndentedBlock(
            body=[
                cst.SimpleStatementLine(
                    [cst.Assign([cst.AssignTarget(attribute)], cst.Name("None"))]
                ),
                cst.SimpleStatementLine([cst.Del(attribute)]),
            ]
        )
        guarded = cst.Try(
            body=cst.IndentedBlock(body=_body_statements(updated_node.body)),
            finalbody=cst.Finally(body=cleanup),
        )
        return updated_node.with_changes(
            body=cst.IndentedBlock(body=[*self.copies(names), guarded])
        )

    def leave_MatchCase(self, original_node, updated_node):
        machine = self.machine_here()
        if machine is None:
            return updated_node
        captured = [
            n for n in _captured_names(original_node.pattern) if n in machine.bound and n not in machine.cells
        ]
        if not captured:
            return updated_node
        if original_node.guard is not None:
            # The pattern binds its names before the guard runs, and they stay
            # bound when the guard fails: store them first, then test.
            bind = cst.Call(
                cst.Attribute(cst.Name(machine.machine), cst.Name("bind")),
                [
                    cst.Arg(cst.Name(n), keyword=cst.Name(machine.attributes.get(n, n)))
                    for n in captured
                ],
            )
            guard = updated_node.guard
            if isinstance(guard, (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr)):
                guard = guard.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return updated_node.with_changes(
                guard=cst.BooleanOperation(bind, cst.And(), guard)
            )
        return updated_node.with_changes(body=_prepend(updated_node.body, self.copies(captured)))

    # -- nested scopes -------------------------------------------------------------

    def visit_FunctionDef(self, node) -> bool:
        return False

    def leave_FunctionDef(self, original_node, updated_node):
        node = original_node
        if node.asynchronous is not None:
            bound = node.name.value
            node, _ = self.define(node)  # named as written
            machine_classes, stub = self.compile_nested(node, self.stack)
            _, copies = self.define(stub.with_changes(name=cst.Name(bound)))
            statements: list[cst.BaseStatement] = [stub, *copies]
            if self.scope.kind == "class":
                self.hoisted.extend(machine_classes)
                return cst.FlattenSentinel(statements)
            return self.after_module_machines([*machine_classes, *statements])
        # Decorators, defaults and annotations run here (annotations in the
        # scope of its type parameters, if generic); the body in a new scope.
        bindings = function_bindings(node.params, node.body)
        outer = self.with_type_parameters(node)
        inner = outer.inner(
            Scope(
                "function",
                bindings.locals,
                globals=bindings.globals,
                nonlocals=bindings.nonlocals,
                name=node.name.value,
            )
        )
        new = node.with_changes(
            decorators=[d.visit(self) for d in node.decorators],
            params=_rewrite_params(node.params, self, outer),
            returns=node.returns.visit(outer) if node.returns is not None else None,
            body=node.body.visit(inner),
        )
        linemap = getattr(self.compile_nested, "linemap", None)
        if linemap is not None:  # its lines are the def's (after_module_machines moves it)
            linemap.note_origin(new, original_node)
        new = _drop_machine_nonlocals(new, self.stack, linemap)
        new, copies = self.define(new)
        return self.after_module_machines([new, *copies])

    def define(self, node: cst.FunctionDef | cst.ClassDef):
        """The definition as written, and the copies of the name it binds into the machine.

        In a method, ``def __helper`` binds ``_K__helper`` but is named
        ``__helper``: it is written so (the machine class mangles the name it
        binds, the copy reads it back alike) and copied to ``self._K__helper``.
        """
        machine = self.machine_here()
        bound = node.name.value
        if machine is None:
            return self.define_in_nested_function(node)
        written = machine.spellings.get(bound)
        if written is None:
            return node, self.copies([bound])
        copy = _copy(machine.machine, machine.attributes.get(bound, bound), written)
        return node.with_changes(name=node.name.with_changes(value=written)), [copy]

    def define_in_nested_function(self, node: cst.FunctionDef | cst.ClassDef):
        """A definition in a plain function nested in a compiled method: its name as written.

        ``def __helper`` there binds ``_K__helper`` but is named ``__helper``.
        Written ``def __helper``, the machine's class mangles the name it
        binds (as it mangles the copy's read of it); the copy binds the name
        the body uses, and the first binding is deleted (it is no local of
        the user's).
        """
        bound = node.name.value
        written = self.spelling_in_method(bound)
        if written is None:
            return node, []
        rebind = cst.parse_statement(f"{bound} = {written}")
        forget = cst.parse_statement(f"del {written}")
        return node.with_changes(name=node.name.with_changes(value=written)), [rebind, forget]

    def spelling_in_method(self, bound: str) -> str | None:
        """How a def or class binding ``bound`` was written, in the compiled method around here."""
        for scope in reversed(self.stack):
            if scope.kind == "class":
                return None  # a class of the user's mangles as it does natively
            if scope.kind == "machine":
                return scope.spellings.get(bound)
        return None

    def visit_Lambda(self, node) -> bool:
        return False

    def leave_Lambda(self, original_node, updated_node):
        node = original_node
        bindings = function_bindings(node.params, node.body)
        inner = self.inner(Scope("function", bindings.locals))
        return node.with_changes(
            params=_rewrite_params(node.params, self), body=node.body.visit(inner)
        )

    def visit_ClassDef(self, node) -> bool:
        return False

    def leave_ClassDef(self, original_node, updated_node):
        node = original_node
        outer = self.with_type_parameters(node)
        inner = outer.inner(Scope("class", class_bindings(node), name=node.name.value))
        new = node.with_changes(
            decorators=[d.visit(self) for d in node.decorators],
            bases=[b.visit(outer) for b in node.bases],
            keywords=[k.visit(outer) for k in node.keywords],
            body=node.body.visit(inner),
        )
        new, copies = self.define(new)
        statements: list[cst.BaseStatement] = [new, *copies]
        if self.scope.kind == "class":
            self.hoisted.extend(inner.hoisted)
            return cst.FlattenSentinel(statements)
        if not inner.hoisted:
            return self.after_module_machines(statements)
        # The machines of its methods stand before the class, which keeps its
        # own blank lines and comments above the first of them.
        blank = blank_lines(self.stack)
        hoisted = [h.with_changes(leading_lines=blank) for h in inner.hoisted]
        hoisted[0] = hoisted[0].with_changes(leading_lines=new.leading_lines)
        linemap = getattr(self.compile_nested, "linemap", None)
        if linemap is not None:  # each machine keeps its own lines, not the class's
            for moved, machine in zip(hoisted, inner.hoisted, strict=True):
                linemap.moved(moved, machine)
        statements[0] = new.with_changes(leading_lines=blank)
        return self.after_module_machines([*hoisted, *statements])

    def after_module_machines(self, statements: list[cst.BaseStatement]):
        """``statements``, after the machine classes made inside them that stand at module level.

        At module level only (elsewhere they wait): the classes of async
        defs in plain functions that use none of their variables.  The
        first takes the blank lines and comments above the statements.
        """
        pending = getattr(self.compile_nested, "module_machines", None)
        if not pending or any(scope.kind != "module" for scope in self.stack):
            return statements[0] if len(statements) == 1 else cst.FlattenSentinel(statements)
        machines = list(pending)
        pending.clear()
        first, earliest = statements[0], machines[0]
        machines[0] = earliest.with_changes(leading_lines=first.leading_lines)
        statements = [first.with_changes(leading_lines=blank_lines([])), *statements[1:]]
        linemap = getattr(self.compile_nested, "linemap", None)
        if linemap is not None:  # each keeps its own lines
            linemap.moved(machines[0], earliest)
            linemap.moved(statements[0], first)
        return cst.FlattenSentinel([*machines, *statements])

    def _comprehension(self, node, elements: list[str]):
        # The first iterable is evaluated in the enclosing scope, the rest inside.
        bound: set[str] = set()
        clause = node.for_in
        while clause is not None:
            bound.update(target_names(clause.target))
            clause = clause.inner_for_in
        inlined = INLINE_COMPREHENSIONS and not isinstance(node, cst.GeneratorExp)
        inner = self.inner(Scope("comprehension", bound, inlined=inlined))
        first = node.for_in
        new_for = first.visit(inner).with_changes(iter=first.iter.visit(self))
        changes = {name: getattr(node, name).visit(inner) for name in elements}
        return node.with_changes(for_in=new_for, **changes)

    def visit_ListComp(self, node) -> bool:
        return False

    def leave_ListComp(self, original_node, updated_node):
        return self._comprehension(original_node, ["elt"])

    def visit_SetComp(self, node) -> bool:
        return False

    def leave_SetComp(self, original_node, updated_node):
        return self._comprehension(original_node, ["elt"])

    def visit_GeneratorExp(self, node) -> bool:
        return False

    def leave_GeneratorExp(self, original_node, updated_node):
        return self._comprehension(original_node, ["elt"])

    def visit_DictComp(self, node) -> bool:
        return False

    def leave_DictComp(self, original_node, updated_node):
        return self._comprehension(original_node, ["key", "value"])


# The hooks of NameRewriter that may change what they are given: their nodes are always visited.
# The others give a node back as it is when nothing inside it changed: the names
# it puts back (``_RESTORED``), a call (but of ``_FRAME_READERS``), an f-string.
# (Its own methods: ``dir`` of a libcst transformer, a thousand names, cost the import a hundredth of a second.)
_REWRITING: frozenset[type] = frozenset(
    getattr(cst, name.partition("_")[2])
    for name in vars(NameRewriter)
    if name.startswith(("visit_", "leave_")) and isinstance(getattr(cst, name.partition("_")[2], None), type)
) - {cst.Name, cst.Attribute, cst.Arg, cst.MatchKeywordElement, cst.Call, cst.FormattedString}
# Node class -> its field ``leave_<class>`` puts back as it was (not a variable reference).
_RESTORED = {cst.Attribute: "attr", cst.Arg: "keyword", cst.MatchKeywordElement: "key"}
# The calls ``leave_Call`` rewrites, by the name called.
_FRAME_READERS = frozenset({"locals", "vars", "dir", "eval", "exec"})


def blank_lines(stack: list[Scope]) -> list[cst.EmptyLine]:
    """The blank lines black puts before a class or def at this depth."""
    depth = sum(1 for scope in stack if scope.kind in ("class", "function", "machine"))
    return [cst.EmptyLine(indent=False)] * (1 if depth else 2)


def _rewrite_params(
    params: cst.Parameters, outer: NameRewriter, annotations: NameRewriter | None = None
) -> cst.Parameters:
    """Rewrite defaults and annotations (evaluated outside) but not the names."""
    annotations = annotations or outer

    def one(param):
        if not isinstance(param, cst.Param):
            return param
        return param.with_changes(
            default=param.default.visit(outer) if param.default is not None else None,
            annotation=param.annotation.visit(annotations) if param.annotation is not None else None,
        )

    return params.with_changes(
        params=[one(p) for p in params.params],
        posonly_params=[one(p) for p in params.posonly_params],
        kwonly_params=[one(p) for p in params.kwonly_params],
        star_arg=one(params.star_arg),
        star_kwarg=one(params.star_kwarg) if params.star_kwarg is not None else None,
    )


def _drop_machine_nonlocals(node: cst.FunctionDef, stack: list[Scope], linemap=None) -> cst.FunctionDef:
    """``nonlocal x`` for a machine local is not needed (and not valid) any more."""

    class Dropper(cst.CSTTransformer):
        def on_leave(self, original_node, updated_node):
            # libcst rebuilds every node it visits: each keeps its source line.
            result = super().on_leave(original_node, updated_node)
            if linemap is not None and isinstance(result, cst.CSTNode):
                linemap.note_origin(result, original_node)
            return result

        def visit_FunctionDef(self, inner) -> bool:
            return inner is node

        def visit_ClassDef(self, inner) -> bool:
            return False

        def leave_Nonlocal(self, original_node, updated_node):
            kept = [item for item in updated_node.names if resolve(item.name.value, stack) is None]
            if not kept:
                return cst.RemoveFromParent()
            return updated_node.with_changes(
                names=[item.with_changes(comma=cst.MaybeSentinel.DEFAULT) for item in kept]
            )

        def leave_SimpleStatementLine(self, original_node, updated_node):
            if not updated_node.body:  # kept, marked, until its block drops it with its comments
                return updated_node.with_changes(body=[_DROPPED])
            return updated_node

        def leave_IndentedBlock(self, original_node, updated_node):
            body, comments = _without_emptied_lines(updated_node.body, linemap)
            return updated_node.with_changes(body=body, footer=[*comments, *updated_node.footer])

        def leave_SimpleStatementSuite(self, original_node, updated_node):
            if not updated_node.body:  # ``def f(): nonlocal x``, on one line
                return updated_node.with_changes(body=[cst.Pass()])
            return updated_node

    return node.visit(Dropper())


_DROPPED = cst.Pass()  # what stands for the statements of a line that were all dropped


def _is_dropped(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and statement.body[0] is _DROPPED


def _without_emptied_lines(body, linemap=None) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """``body`` less the lines whose every statement was dropped (a ``nonlocal`` line).

    The comments above such a line go to the line after it (those above the
    last line of the block are returned, for its end); a block left with
    nothing in it gets a ``pass``.
    """
    kept, comments = [], []
    for statement in body:
        if _is_dropped(statement):
            comments.extend(statement.leading_lines)
            continue
        if comments:
            moved = statement.with_changes(leading_lines=[*comments, *statement.leading_lines])
            if linemap is not None:
                linemap.note_origin(moved, statement)
            statement, comments = moved, []
        kept.append(statement)
    if not kept:
        kept.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=comments))
        comments = []
    return kept, comments


def _imported_names(node: cst.Import | cst.ImportFrom) -> list[str]:
    names = []
    if isinstance(node.names, cst.ImportStar):
        return names
    for alias in node.names:
        if alias.asname is not None:
            names.extend(target_names(alias.asname.name))
        else:
            name = alias.name
            while isinstance(name, cst.Attribute):
                name = name.value
            names.append(name.value)
    return names


def _captured_names(pattern: cst.MatchPattern) -> list[str]:
    class Captures(cst.CSTVisitor):
        def __init__(self):
            self.names: list[str] = []

        def visit_MatchAs(self, node):
            if node.name is not None:
                self.names.append(node.name.value)

        def visit_MatchStar(self, node):
            if node.name is not None:
                self.names.append(node.name.value)

        def visit_MatchMapping(self, node):
            if node.rest is not None:
                self.names.append(node.rest.value)

    finder = Captures()
    pattern.visit(finder)
    return finder.names
