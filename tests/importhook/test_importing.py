"""Selecting modules for the compiler at import, and leaving the others alone."""

import importlib.util
import os
import sys
import types
from importlib.machinery import PathFinder, SourceFileLoader

import pytest

from runtime.machines.statemachine import StateMachine
from statemachine_compiler import CompileError, install_import_hook
from statemachine_compiler.importhook import StateMachineLoader, cache_path


def run(coroutine):
    """Drive a coroutine that never really suspends; return its result."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError(f"{coroutine!r} suspended")


def test_package_with_relative_imports_is_compiled(modules):
    modules.write("shop/__init__.py", """
        from .prices import total

        async def checkout(items):
            return await total(items)
    """)
    modules.write("shop/prices.py", """
        from . import tax
        from .tax import RATE

        async def total(items):
            return sum(items) * RATE + await tax.fee()
    """)
    modules.write("shop/tax.py", """
        RATE = 2

        async def fee():
            return 1
    """)
    with install_import_hook(["shop.*"]):
        import shop

    assert isinstance(shop.checkout([1, 2]), StateMachine)
    assert isinstance(sys.modules["shop.prices"].total([]), StateMachine)
    assert isinstance(sys.modules["shop.tax"].fee(), StateMachine)
    assert isinstance(shop.__spec__.loader, StateMachineLoader)
    assert run(shop.checkout([1, 2])) == 7


def test_marker_comment_on_an_early_line_selects_the_module(modules):
    modules.write("marked.py", """\
        #!/usr/bin/env python
        # statemachine-compiler: compile

        async def f():
            return 1
    """)
    modules.write("marked_too_late.py", "\n" * 5 + "# statemachine-compiler: compile\nasync def f():\n    return 1\n")
    with install_import_hook():
        import marked
        import marked_too_late

    assert isinstance(marked.f(), StateMachine)
    coroutine = marked_too_late.f()
    assert type(coroutine) is types.CoroutineType, "the marker counts on the first five lines only"
    coroutine.close()


def test_unselected_module_is_imported_exactly_as_before(modules):
    modules.write("plain.py", """
        async def f():
            return 1
    """)
    with install_import_hook(["other.*"]):
        import plain

    assert type(plain.__spec__.loader) is SourceFileLoader
    assert plain.__cached__ != cache_path(plain.__file__)
    coroutine = plain.f()
    assert type(coroutine) is types.CoroutineType
    coroutine.close()
    assert not (modules.root / "__pycache__").exists() or not any(
        "statemachine" in p.name for p in (modules.root / "__pycache__").iterdir()
    )


def test_uninstalled_hook_compiles_nothing_more(modules):
    modules.write("early.py", "async def f():\n    return 1\n")
    modules.write("late.py", "async def f():\n    return 1\n")
    hook = install_import_hook(["early", "late"])
    import early

    hook.uninstall()
    hook.uninstall()  # twice is harmless
    import late

    assert hook.finder not in sys.meta_path
    assert isinstance(early.f(), StateMachine)
    coroutine = late.f()
    assert type(coroutine) is types.CoroutineType
    coroutine.close()


def test_context_manager_uninstalls_on_exit(modules):
    with install_import_hook(["x"]) as hook:
        assert sys.meta_path[sys.meta_path.index(hook.finder) + 1] is PathFinder
    assert hook.finder not in sys.meta_path


def test_pattern_with_star_selects_the_package_itself(modules):
    modules.write("app/__init__.py", "async def f():\n    return 1\n")
    with install_import_hook(["app.*"]):
        import app
    assert isinstance(app.f(), StateMachine)


def test_unsupported_construct_fails_the_import_loudly(modules):
    modules.write("agen.py", """
        async def numbers(x):
            return f"{x:{await x}}"
    """)
    with install_import_hook(["agen"]), pytest.raises(CompileError, match=r"agen\.py:3:12: unsupported"):
        import agen  # noqa: F401


def test_marker_after_long_first_lines_is_still_found(modules):
    long_line = "# " + "x" * 5000 + "\n"
    modules.write("long_marked.py", long_line * 3 + "# statemachine-compiler: compile\nasync def f():\n    return 1\n")
    with install_import_hook():
        import long_marked

    assert isinstance(long_marked.f(), StateMachine)


def test_unselected_module_is_looked_up_once(modules, monkeypatch):
    modules.write("looked_up.py", "X = 1\n")
    lookups = []
    find_spec = PathFinder.find_spec.__func__

    def counting(cls, fullname, path=None, target=None):
        if fullname == "looked_up":
            lookups.append(fullname)
        return find_spec(cls, fullname, path, target)

    monkeypatch.setattr(PathFinder, "find_spec", classmethod(counting))
    with install_import_hook(["other"]):
        import looked_up

    assert looked_up.X == 1
    assert type(looked_up.__spec__.loader) is SourceFileLoader
    assert lookups == ["looked_up"], "PathFinder was asked again after the hook"


def test_finders_before_path_finder_still_come_first(modules):
    # A built-in module not imported yet, and a file of the same name that the
    # hook would find and compile if it were asked first.
    # (Stateless ones only: the fixture forgets what the test imported.)
    candidates = [n for n in ("pwd", "_string", "_symtable") if n in sys.builtin_module_names]
    name = next((n for n in candidates if n not in sys.modules), None)
    if name is None:
        pytest.skip("no stateless built-in module left to import")
    modules.write(f"{name}.py", "async def f():\n    return 1\n")
    with install_import_hook([name]):
        module = importlib.import_module(name)
    assert module.__spec__.origin == "built-in"


def test_standard_library_is_not_read_for_the_marker(modules, monkeypatch):
    from statemachine_compiler import importhook

    read = []
    has_marker = importhook.has_marker
    monkeypatch.setattr(importhook, "has_marker", lambda path: read.append(path) or has_marker(path))
    modules.write("marked_beside.py", "# statemachine-compiler: compile\nasync def f():\n    return 1\n")
    name = next(name for name in ("colorsys", "this", "tabnanny") if name not in sys.modules)
    with install_import_hook():
        importlib.import_module(name)
        import marked_beside

    assert type(sys.modules[name].__spec__.loader) is SourceFileLoader
    standard_library = os.path.join(os.path.dirname(os.__file__), "")
    assert [path for path in read if path.startswith(standard_library)] == []
    assert any(path.endswith("marked_beside.py") for path in read)
    assert isinstance(marked_beside.f(), StateMachine)
    del sys.modules[name]
