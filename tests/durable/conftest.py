"""Throwaway modules compiled by the import hook, as in tests/importhook."""

from tests.importhook.conftest import modules  # noqa: F401 - a fixture
