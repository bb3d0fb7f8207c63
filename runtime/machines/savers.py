"""How to save the runtime's own generators and coroutines a machine may be suspended on.

``runtime.machines.durable`` pickles and copies suspended machines; what a
machine waits on is usually another machine, but may be one of the event
loop's traps (a generator) or one of its waiting methods (``Event.wait``,
``Queue.get``: native coroutines).  The loop says here how to save each,
by code object, and durable looks them up.

Discussion: a module of its own, importing nothing, so that the loop can
register its savers without importing durable (and ``pickle`` and ``copy``
with it) into every program that runs on the loop and never saves a thing.
"""

__all__ = ["SUSPENDED_COROUTINES", "SUSPENDED_GENERATORS"]

# Generators of the runtime that a machine may be suspended on, and how to
# save each: ``code object -> function(generator) -> picklable replacement``.
# ``runtime.loop.traps`` adds its trap; the machines layer knows no loop.
SUSPENDED_GENERATORS = {}

# The same for native coroutines of the runtime (``Event.wait``, ``Queue.get``...),
# which ``runtime.loop.sync`` adds: ``code object -> function(coroutine) -> replacement``.
SUSPENDED_COROUTINES = {}
