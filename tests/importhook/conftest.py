"""Fixtures for the import hook tests: throwaway modules, imported in isolation."""

import importlib
import os
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def script_cache(tmp_path, monkeypatch):
    """Where ``run`` keeps compiled scripts: a directory of the test's own, not ~/.cache."""
    directory = tmp_path / "script-cache"
    monkeypatch.setenv("STATEMACHINE_COMPILER_CACHE", str(directory))
    return directory


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """A directory on ``sys.path``; ``modules.write("a/b.py", source)`` adds a file.

    Whatever the test imports from it is forgotten afterwards, and the cache
    is written (the suite may run under PYTHONDONTWRITEBYTECODE).
    """
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    meta_path = list(sys.meta_path)
    before = set(sys.modules)

    class Modules:
        root = tmp_path

        def write(self, relative, source):
            path = tmp_path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source), encoding="utf-8")
            importlib.invalidate_caches()
            return path

        def forget(self, *names):
            for name in names:
                sys.modules.pop(name, None)
            importlib.invalidate_caches()

    yield Modules()
    sys.meta_path[:] = meta_path
    for name in set(sys.modules) - before:
        if not _of_the_project(sys.modules[name]):
            del sys.modules[name]


# Discussion: a module of the project's own that a test imported first
# (``runtime.machines.durable`` on a first copy) stays: imported again by the
# next test, its functions would be other objects than those the machine
# classes made before hold, and pickle refuses those ("not the same object").
_PROJECT_PACKAGES = tuple(str(ROOT / package) + os.sep for package in ("runtime", "statemachine_compiler"))


def _of_the_project(module) -> bool:
    return (getattr(module, "__file__", None) or "").startswith(_PROJECT_PACKAGES)


def subprocess_env(**changes):
    """The environment for a child Python that can import this project."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(changes)
    return env
