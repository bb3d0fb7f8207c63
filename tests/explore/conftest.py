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
