"""Where the compiler keeps what it caches for the user.

Two caches live there: the compiled ``__main__`` scripts of ``run``
(``scriptcache``) and black's results (``format.store``).  One directory, found
one way: ``$STATEMACHINE_COMPILER_CACHE``, else under ``sys.pycache_prefix``
when Python was told to keep bytecode apart, else the XDG cache directory.
"""

from __future__ import annotations

import os
import sys

__all__ = ["CACHE_VARIABLE", "cache_directory"]

CACHE_VARIABLE = "STATEMACHINE_COMPILER_CACHE"


def cache_directory() -> str:
    """The user's cache directory for the compiler (not created here)."""
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return chosen
    if sys.pycache_prefix:
        return os.path.join(sys.pycache_prefix, "statemachine-compiler")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "statemachine-compiler")
