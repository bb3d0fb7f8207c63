"""Run a test suite with its async code compiled: ``pytest -p statemachine_compiler.pytest_plugin``.

    pytest -p statemachine_compiler.pytest_plugin --statemachine-include 'tests.*'
    STATEMACHINE_COMPILER_INCLUDE='mylib.*,tests.*' pytest -p statemachine_compiler.pytest_plugin

Every module the patterns select (fnmatch on dotted names, as
``install_import_hook``'s ``include``) is compiled into state machines when
imported, test modules and ``conftest`` files included.

Discussion: pytest's assertion rewriter is a finder at the front of
``sys.meta_path``.  It takes test modules, ``conftest`` files and plugins
before ``install_import_hook``'s finder (just before ``PathFinder``) is
asked, so that hook alone never sees them.  This plugin puts a finder in
front of the rewriter.  A module it selects is compiled, and if the rewriter
would have taken it (its own ``find_spec`` says so), the compiled tree then
goes through pytest's own ``rewrite_asserts``: failed asserts explain
themselves as usual.  With ``--assert=plain`` there is no rewriter and
modules are only compiled.

The patterns of the environment variable take effect when pytest imports
this plugin, before the plugins named after it with ``-p`` (a library whose
pytest plugin is loaded that way, as anyio's, is then compiled too); those of
``--statemachine-include`` before conftest files and test modules.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import PathFinder, SourceFileLoader

import pytest

from statemachine_compiler import importhook

ENVIRONMENT = "STATEMACHINE_COMPILER_INCLUDE"


class AssertionRewritingLoader(importhook.StateMachineLoader):
    """Compile a module; then rewrite its asserts as pytest would have."""

    def __init__(self, fullname, path, cached, config):
        super().__init__(fullname, path, cached)
        self.config = config

    def source_to_code(self, data, path, *, _optimize=-1):
        from _pytest.assertion.rewrite import rewrite_asserts

        def rewrite(tree):
            rewrite_asserts(tree, data, path, self.config)

        return importhook.compile_to_code(data, path, tree_pass=rewrite)


class CompilingFinder:
    """Claim the selected modules, ahead of pytest's assertion rewriter."""

    def __init__(self, include=()):
        self.selection = importhook.StateMachineFinder(include, marker=False)

    def add(self, patterns):
        self.selection = importhook.StateMachineFinder(
            (*self.selection.include, *patterns), marker=False
        )

    def find_spec(self, fullname, path=None, target=None):
        if not self.selection.selects_name(fullname):
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader or not spec.origin:
            return None
        rewriter = _assertion_rewriter()
        if rewriter is not None and rewriter.find_spec(fullname, path, target) is not None:
            spec.cached = _rewritten_cache_path(spec.origin)
            spec.loader = AssertionRewritingLoader(
                fullname, spec.origin, spec.cached, rewriter.config
            )
        else:
            spec.cached = importhook.cache_path(spec.origin)
            spec.loader = importhook.StateMachineLoader(fullname, spec.origin, spec.cached)
        return spec

    def __repr__(self):
        return f"<CompilingFinder include={list(self.selection.include)!r}>"


def _assertion_rewriter():
    """pytest's ``AssertionRewritingHook`` in ``sys.meta_path``, if assertions are rewritten."""
    rewrite = sys.modules.get("_pytest.assertion.rewrite")
    if rewrite is None:
        return None
    for finder in sys.meta_path:
        if isinstance(finder, rewrite.AssertionRewritingHook):
            return finder
    return None


def _rewritten_cache_path(source_path):
    # Discussion: the rewritten code depends on pytest's version as well as on
    # the source and the compiler, so it has a cache tag of its own: the two
    # kinds of entry never stand for each other.
    version = "".join(c for c in pytest.__version__ if c.isalnum())
    plain = importhook.cache_path(source_path)
    tag = f"statemachine{importhook.CACHE_FORMAT}pytest{version}"
    return plain.replace(f"opt-statemachine{importhook.CACHE_FORMAT}", f"opt-{tag}", 1)


def _patterns(text):
    return [pattern.strip() for pattern in text.split(",") if pattern.strip()]


FINDER = CompilingFinder(_patterns(os.environ.get(ENVIRONMENT, "")))
sys.meta_path.insert(0, FINDER)


def pytest_addoption(parser):
    parser.addoption(
        "--statemachine-include",
        action="append",
        default=[],
        metavar="PATTERN",
        help="compile the modules this pattern selects (fnmatch on dotted names; repeatable)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    included = early_config.known_args_namespace.statemachine_include
    FINDER.add(p for pattern in included for p in _patterns(pattern))
