"""Shared by the explorer's tests: where Graphviz's dot and Debian's Chromium are, or why not."""

from __future__ import annotations

import shutil

import pytest

DOT = shutil.which("dot")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

needs_dot = pytest.mark.skipif(
    DOT is None, reason="Graphviz's dot is not installed (apt-get install graphviz; .ci/run does it)"
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does it)"
)

# Files tests leave for a person to look at (screenshots), listed at the end of the run.
ARTIFACTS: list[str] = []


@pytest.fixture
def keep_artifact():
    """``keep_artifact(description, path)``: list a file the test made at the end of the run."""
    return lambda description, path: ARTIFACTS.append(f"{description}: {path}")


def pytest_terminal_summary(terminalreporter):
    if ARTIFACTS:
        terminalreporter.section("explorer test artifacts")
        for path in ARTIFACTS:
            terminalreporter.write_line(path)
