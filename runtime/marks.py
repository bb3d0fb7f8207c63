"""Marks that make a compiled function's stub look like the ``async def`` it replaced.

The stub is a plain ``def`` that builds the machine.  Frameworks ask whether
a function is a coroutine function before calling it (asyncio, pytest,
Starlette...), so the stub is marked the way CPython lets a plain function
say so: ``inspect.markcoroutinefunction`` (3.12+), and asyncio's own
``_is_coroutine`` marker, which is all ``asyncio.iscoroutinefunction`` reads
on 3.11.
"""

import inspect
import sys

__all__ = ["coroutine_function"]


def coroutine_function(function):
    """Mark ``function`` as a coroutine function; return it."""
    if sys.version_info >= (3, 12):
        inspect.markcoroutinefunction(function)
    else:
        # Discussion: importing asyncio costs a few milliseconds, once per
        # process, and only on 3.11; without it asyncio cannot tell.
        from asyncio import coroutines

        function._is_coroutine = coroutines._is_coroutine
    return function
