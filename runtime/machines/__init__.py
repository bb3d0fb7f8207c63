"""What compiled code imports: the machines, and nothing of the event loop.

- ``statemachine``: ``StateMachine``, the base class of every compiled
  coroutine (``send``/``throw``/``close``/``__await__``, delegation to the
  awaited object, introspection, ``locals()``).
- ``asyncgen``: ``AsyncGeneratorMachine``, compiled async generators (PEP 525).
- ``handling``: awaiting inside an ``except`` block or a ``finally`` that an
  exception passes through.
- ``exception_groups``: ``try``/``except*`` spelled out when a clause awaits.
- ``marks``: what makes a compiled function's stub answer like an ``async def``.

Each generated module imports the submodules it needs by name, so this
package's ``__init__`` stays empty of imports.
"""
