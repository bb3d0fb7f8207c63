"""Marks that make a compiled function's stub look like the ``async def`` it replaced.

The stub is a plain ``def`` that builds the machine.  Frameworks ask whether
a function is a coroutine (or async generator) function before calling it:
asyncio, unittest's ``IsolatedAsyncioTestCase``, pytest and its plugins,
Starlette, Django...  On every Python they end up in ``inspect``, which
reads the flags of the function's code object::

    inspect.iscoroutinefunction(f)  ->  f.__code__.co_flags & CO_COROUTINE
    inspect.isasyncgenfunction(f)   ->  f.__code__.co_flags & CO_ASYNC_GENERATOR

(3.12 added ``inspect.markcoroutinefunction``, an attribute in the
function's ``__dict__``; 3.11 has nothing but the flag and asyncio's
``_is_coroutine`` attribute; nothing but the flag exists for async
generators.)  So the stub's code object carries the flag of the function it
stands for.

Discussion: why the flag, and not a mark in ``__dict__``.

- It is the one mechanism every supported Python reads, for coroutines and
  async generators alike, through methods and ``functools.partial``.
- ``functools.wraps`` copies ``__dict__`` and never ``__code__``: a plain
  sync wrapper around a compiled function stays a sync function, as it is
  natively.  (With marks in ``__dict__``, every such wrapper claimed to be a
  coroutine function, and test runners awaited what they should have called.)
- Calling the stub still just runs it.  In CPython (3.11 on) a call never
  looks at these flags: a native coroutine is made by the
  ``RETURN_GENERATOR`` instruction its compiled body starts with, and the
  stub's body has none.  The flag is read only by those who ask about it.

The stub is rebuilt around the flagged code (``types.FunctionType``) rather
than given it by assigning ``__code__``, which 3.13 deprecates when the
kind of function changes.  It happens once per ``async def`` statement run,
before the user's decorators, which then see and wrap the marked stub.  A
module compiled by the import hook (or ``run``) has its stubs' code flagged
already, and the mark returns them as they are.
"""

from types import FunctionType

# inspect.CO_COROUTINE and inspect.CO_ASYNC_GENERATOR, the code flags of
# ``async def`` (fixed since 3.5 and 3.6).  Not imported from ``inspect``:
# that import (ast, dis, enum, ...) would be most of a compiled program's
# start-up.
CO_COROUTINE = 0x0080
CO_ASYNC_GENERATOR = 0x0200

__all__ = ["coroutine_function", "async_generator_function"]


def coroutine_function(function):
    """Return ``function`` as a coroutine function: ``inspect`` says so of it."""
    return _with_code_flag(function, CO_COROUTINE)


def async_generator_function(function):
    """Return ``function`` as an async generator function: ``inspect`` says so of it."""
    return _with_code_flag(function, CO_ASYNC_GENERATOR)


def _with_code_flag(function, flag):
    code = function.__code__
    if code.co_flags & flag:
        # Already one: the import hook flags the stubs' code as it compiles
        # a module, so that importing it rebuilds no function.
        return function
    marked = FunctionType(
        code.replace(co_flags=code.co_flags | flag),
        function.__globals__,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    marked.__kwdefaults__ = function.__kwdefaults__
    marked.__qualname__ = function.__qualname__
    marked.__doc__ = function.__doc__
    marked.__module__ = function.__module__
    marked.__annotations__ = function.__annotations__
    type_parameters = getattr(function, "__type_params__", ())  # PEP 695, 3.12+
    if type_parameters:
        marked.__type_params__ = type_parameters
    if function.__dict__:
        marked.__dict__.update(function.__dict__)
    return marked
