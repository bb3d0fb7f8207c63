"""A small epoll event loop: the one from "But what's async anyway?", made real.

    import runtime

    async def main():
        task = runtime.spawn(runtime.sleep(0.1))
        async with runtime.timeout(1):
            await task
        return "done"

    runtime.run(main())

Two layers, two folders:

- ``runtime.machines``: what every compiled module imports (the base classes
  of compiled coroutines and async generators, exceptions handled across
  awaits, the marks that make a stub look like an ``async def``).  Small,
  cheap to import, and no event loop in it: compiled code runs on any loop.
- ``runtime.loop``: the event loop.  ``runtime.loop.kernel`` holds the kernel
  and its design rules; ``runtime.loop.traps`` is the single place where
  tasks suspend.

This module gives the loop's public API.  Discussion: importing it is what
``import runtime.machines.statemachine`` does first, so it loads nothing
until a name is asked for (PEP 562); a compiled program that never touches
the loop never pays for it.
"""

import importlib

__all__ = [
    "run", "spawn", "current_task", "sleep", "gather", "timeout", "Task", "Kernel",
    "Cancelled", "ClosedResourceError", "IncompleteReadError",
    "wait_readable", "wait_writable", "close_socket",
    "sock_accept", "sock_recv", "sock_recv_into", "sock_sendall", "sock_connect",
    "Stream", "Server", "open_connection", "start_server",
    "Event", "Lock", "Queue", "QueueEmpty", "QueueFull", "Semaphore",
    "StateMachine", "AsyncGeneratorMachine", "LoopTrace",
    "checkpoint", "restore", "CheckpointError",
]

# Each public name, and the module that defines it.
_HOMES = {
    "runtime.loop.kernel": ("Kernel", "current_task", "run", "spawn"),
    "runtime.loop.errors": ("Cancelled", "ClosedResourceError", "IncompleteReadError"),
    "runtime.loop.sockets": (
        "close_socket", "sock_accept", "sock_connect", "sock_recv", "sock_recv_into",
        "sock_sendall",
    ),
    "runtime.loop.streams": ("Server", "Stream", "open_connection", "start_server"),
    "runtime.loop.sync": ("Event", "Lock", "Queue", "QueueEmpty", "QueueFull", "Semaphore"),
    "runtime.loop.tasks": ("Task", "gather"),
    "runtime.loop.timeouts": ("timeout",),
    "runtime.loop.traps": ("sleep", "wait_readable", "wait_writable"),
    "runtime.loop.trace": ("LoopTrace",),
    "runtime.loop.checkpoints": ("checkpoint", "restore", "CheckpointError"),
    "runtime.machines.statemachine": ("StateMachine",),
    "runtime.machines.asyncgen": ("AsyncGeneratorMachine",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name):
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once; later lookups are plain attribute reads
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
