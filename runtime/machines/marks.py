"""Marks that make a compiled function's stub look like the ``async def`` it replaced.

The stub is a plain ``def`` that builds the machine.  Frameworks ask whether
a function is a coroutine function before calling it (asyncio, pytest,
Starlette...), so the stub is marked the way CPython lets a plain function
say so: ``inspect.markcoroutinefunction`` (3.12+), and asyncio's own
``_is_coroutine`` marker, which is all ``asyncio.iscoroutinefunction`` reads
on 3.11.
"""

import sys

__all__ = ["coroutine_function"]

# The attributes a marked function carries; found on the first call.
_MARKS = {}


def coroutine_function(function):
    """Mark ``function`` as a coroutine function; return it."""
    # Discussion: every async def of a compiled module is decorated when the
    # module is imported, so this is one dictionary update, nothing more.
    function.__dict__.update(_MARKS or _find_marks())
    return function


def _find_marks():
    """Fill ``_MARKS`` with what the standard library's own marking sets."""
    if sys.version_info >= (3, 12):
        import inspect

        def probe():
            pass

        inspect.markcoroutinefunction(probe)
        _MARKS.update(probe.__dict__)
    else:
        # Discussion: importing asyncio costs a few milliseconds, once per
        # process, and only on 3.11; without it asyncio cannot tell.
        from asyncio import coroutines

        _MARKS["_is_coroutine"] = coroutines._is_coroutine
    return _MARKS
