"""DOT text drawn as SVG or PNG by Graphviz's ``dot``, through the ``graphviz`` package.

``dot`` itself is a program (Debian's ``graphviz`` package), not a Python
package: where it is missing, ``DotMissing`` says how to install it.
"""

from __future__ import annotations

import shutil

__all__ = ["FORMATS", "DotMissing", "render", "render_svgs", "require_dot"]

FORMATS = ("svg", "png")
INSTALL_HINT = (
    "Graphviz's dot program is needed to draw the graph and was not found;"
    " install it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz),"
    " or write DOT text (-o FILE.dot) instead"
)


class DotMissing(Exception):
    """Raised by ``render`` where Graphviz's ``dot`` is not installed."""

    def __init__(self):
        super().__init__(INSTALL_HINT)


def require_dot() -> None:
    """Raise ``DotMissing`` unless ``dot`` is on the PATH."""
    if shutil.which("dot") is None:
        raise DotMissing()


def render(dot_source: str, format: str) -> bytes:
    """The drawing of ``dot_source`` in ``format`` (``svg`` or ``png``)."""
    assert format in FORMATS, format
    require_dot()
    import graphviz

    try:
        return graphviz.Source(dot_source).pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise DotMissing() from None


def render_svgs(dot_sources: list[str]) -> list[str]:
    """Each of ``dot_sources`` drawn as SVG text, by one run of ``dot`` for them all.

    Discussion: ``dot`` draws every graph of its input, one SVG document
    after another; a page of 50 functions starts it once, not 50 times.
    """
    if not dot_sources:
        return []
    drawn = render("\n".join(dot_sources), "svg").decode("utf-8")
    documents = [d + "</svg>\n" for d in drawn.split("</svg>\n") if "<svg" in d]
    assert len(documents) == len(dot_sources), (len(documents), len(dot_sources))
    return documents
