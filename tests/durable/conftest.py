"""Throwaway modules compiled by the import hook, as in tests/importhook."""

import pytest

from statemachine_compiler import install_import_hook
from tests.durable.corpus import PRELUDE
from tests.importhook.conftest import modules  # noqa: F401 - a fixture


@pytest.fixture
def compiled(modules):  # noqa: F811 - the fixture imported above
    """``compiled(source)``: the module ``durable_subject``, compiled by the import hook."""
    install_import_hook(include=["durable_*"], quiet=True)

    def load(source, name="durable_subject"):
        modules.write(f"{name}.py", PRELUDE + source)
        modules.forget(name)
        return __import__(name)

    return load
