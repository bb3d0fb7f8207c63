"""Compiled coroutines on the runtime's loop behave as native ones, awaiting the runtime's own coroutines.

The echo benchmark's path (bench/runtime_bench.py, bench/echo_counts.py): a
compiled coroutine awaits ``sock_recv_into`` and ``sock_sendall``, native
coroutines of the runtime, which suspend the task at a trap.  What the loop
and those awaits do (a cancellation while suspended there, an exception
thrown in at the await, one raised by the awaited coroutine, a task
awaiting another task, a native and a compiled handler side by side) is
observed for the same source run both ways, and compared.  A faster way for
a machine to step what it awaits must keep every one of these.
"""

import socket

import pytest

import runtime
from statemachine_compiler import compile_source

SOURCE = '''
import runtime

log = []


async def serve(conn, label):
    """Echo until end of file; log what happens, as it happens."""
    buf = bytearray(64)
    try:
        while True:
            n = await runtime.sock_recv_into(conn, buf)
            if not n:
                log.append((label, "end of file"))
                return "done"
            log.append((label, "got", bytes(buf[:n])))
            await runtime.sock_sendall(conn, memoryview(buf)[:n])
    except runtime.Cancelled:
        log.append((label, "cancelled at the await"))
        raise
    except runtime.ClosedResourceError as error:
        log.append((label, "thrown in", type(error).__name__, error.args))
        return "closed"
    finally:
        log.append((label, "finally"))


async def round_trip(conn, data):
    await runtime.sock_sendall(conn, data)
    return await runtime.sock_recv(conn, 64)


async def waits_for(task, label):
    """A task awaiting another task (and what it returned or raised)."""
    try:
        result = await task
    except runtime.Cancelled:
        log.append((label, "awaited task cancelled"))
        raise
    log.append((label, "awaited task returned", result))
    return result
'''


def load(compiled):
    text = compile_source(SOURCE, "<on_the_loop>").code if compiled else SOURCE
    namespace = {"__name__": "on_the_loop"}
    exec(compile(text, "<on_the_loop>", "exec"), namespace)
    return namespace


def pair():
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    return left, right


def echo_and_hang_up(ns):
    async def main():
        server, client = pair()
        task = runtime.spawn(ns["serve"](server, "server"))
        echoes = [await ns["round_trip"](client, message) for message in (b"one", b"two", b"three")]
        client.close()
        result = await task
        server.close()
        return echoes, result

    return runtime.run(main())


def cancelled_while_suspended(ns):
    async def main():
        server, client = pair()
        task = runtime.spawn(ns["serve"](server, "server"))
        watcher = runtime.spawn(ns["waits_for"](task, "watcher"))
        assert await ns["round_trip"](client, b"ping") == b"ping"
        await runtime.sleep(0)  # the server is suspended in sock_recv_into again
        task.cancel()
        with pytest.raises(runtime.Cancelled):
            await watcher
        outcome = "cancelled" if task.cancelled() else task.result()
        server.close()
        client.close()
        return outcome

    return runtime.run(main())


def thrown_in_at_the_await(ns):
    async def main():
        server, client = pair()
        task = runtime.spawn(ns["serve"](server, "server"))
        watcher = runtime.spawn(ns["waits_for"](task, "watcher"))
        await runtime.sleep(0)  # the server waits to read
        runtime.close_socket(server)  # wakes it with ClosedResourceError
        result = await watcher
        client.close()
        return result

    return runtime.run(main())


def raised_by_the_awaited_coroutine(ns):
    async def main():
        server, client = pair()
        server.close()  # sock_recv_into's first try raises (EBADF): nothing suspends
        task = runtime.spawn(ns["serve"](server, "server"))
        watcher = runtime.spawn(ns["waits_for"](task, "watcher"))
        try:
            await watcher
        except OSError as error:
            frames = []
            tb = error.__traceback__
            while tb is not None:
                frames.append(tb.tb_frame.f_code.co_name)
                tb = tb.tb_next
            outcome = type(error).__name__, error.errno, frames
        client.close()
        return outcome

    return runtime.run(main())


SCENARIOS = [echo_and_hang_up, cancelled_while_suspended, thrown_in_at_the_await,
             raised_by_the_awaited_coroutine]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.__name__)
def test_a_compiled_coroutine_awaiting_the_runtimes_coroutines_behaves_as_a_native_one(scenario, no_fd_leak):
    native_ns, compiled_ns = load(compiled=False), load(compiled=True)
    native = scenario(native_ns), native_ns["log"]
    compiled = scenario(compiled_ns), compiled_ns["log"]
    assert compiled == native
    assert native[1]  # something happened to compare


def test_native_and_compiled_handlers_side_by_side_on_one_loop(no_fd_leak):
    native_ns, compiled_ns = load(compiled=False), load(compiled=True)
    # Alternating kinds, each server awaited by a watcher of the other kind.
    kinds = [native_ns, compiled_ns, native_ns, compiled_ns]

    async def main():
        connections = [pair() for _ in kinds]
        servers = [runtime.spawn(ns["serve"](server, i))
                   for i, (ns, (server, _)) in enumerate(zip(kinds, connections, strict=True))]
        watchers = [runtime.spawn(kinds[i - 1]["waits_for"](task, f"watcher {i}"))
                    for i, task in enumerate(servers)]
        for turn in range(3):
            for i, (_, client) in enumerate(connections):
                message = f"{i}:{turn}".encode()
                assert await kinds[i]["round_trip"](client, message) == message
        servers[1].cancel()  # a compiled server, awaited by a native watcher
        for _, client in connections:
            client.close()
        results = []
        for watcher in watchers:
            try:
                results.append(await watcher)
            except runtime.Cancelled:
                results.append("cancelled")
        for server, _ in connections:
            server.close()
        return results

    assert runtime.run(main()) == ["done", "cancelled", "done", "done"]
    by_label = {}
    for entry in native_ns["log"] + compiled_ns["log"]:
        by_label.setdefault(entry[0], []).append(entry[1:])
    echoed = {i: [("got", f"{i}:{turn}".encode()) for turn in range(3)] for i in range(4)}
    for i in (0, 2, 3):
        assert by_label[i] == echoed[i] + [("end of file",), ("finally",)]
        assert by_label[f"watcher {i}"] == [("awaited task returned", "done")]
    assert by_label[1] == echoed[1] + [("cancelled at the await",), ("finally",)]
    assert by_label["watcher 1"] == [("awaited task cancelled",)]
