"""A small epoll event loop: the one from "But what's async anyway?", made real.

    import runtime

    async def main():
        task = runtime.spawn(runtime.sleep(0.1))
        async with runtime.timeout(1):
            await task
        return "done"

    runtime.run(main())

``runtime.loop`` holds the kernel and its design rules; ``runtime.traps`` is
the single place where tasks suspend.
"""

__all__ = [
    "run", "spawn", "current_task", "sleep", "gather", "timeout", "Task", "Kernel",
    "Cancelled", "ClosedResourceError", "IncompleteReadError",
    "wait_readable", "wait_writable", "close_socket",
    "sock_accept", "sock_recv", "sock_recv_into", "sock_sendall", "sock_connect",
    "Stream", "Server", "open_connection", "start_server",
    "Event", "Lock", "Queue", "QueueEmpty", "QueueFull", "Semaphore",
    "StateMachine", "AsyncGeneratorMachine",
]

from runtime.asyncgen import AsyncGeneratorMachine
from runtime.errors import Cancelled, ClosedResourceError, IncompleteReadError
from runtime.loop import Kernel, current_task, run, spawn
from runtime.sockets import (
    close_socket,
    sock_accept,
    sock_connect,
    sock_recv,
    sock_recv_into,
    sock_sendall,
)
from runtime.statemachine import StateMachine
from runtime.streams import Server, Stream, open_connection, start_server
from runtime.sync import Event, Lock, Queue, QueueEmpty, QueueFull, Semaphore
from runtime.tasks import Task, gather
from runtime.timeouts import timeout
from runtime.traps import sleep, wait_readable, wait_writable

