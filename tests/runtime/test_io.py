"""Readiness waits, socket operations, closing under a waiter, and the selectors fallback."""

import os
import selectors
import socket
import subprocess
import sys
import time

import pytest

import runtime
from runtime.loop.selector_poller import SelectorPoller


def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def test_wait_readable_wakes_when_data_arrives(no_fd_leak):
    async def writer(sock):
        await runtime.sleep(0.01)
        sock.send(b"ping")

    async def main():
        a, b = pair()
        with a, b:
            runtime.spawn(writer(b))
            await runtime.wait_readable(a)
            return a.recv(10)

    assert runtime.run(main()) == b"ping"


def test_wait_readable_accepts_a_raw_fd_and_wait_writable_a_socket(no_fd_leak):
    async def main():
        a, b = pair()
        with a, b:
            await runtime.wait_writable(a)
            b.send(b"x")
            await runtime.wait_readable(a.fileno())
            return a.recv(1)

    assert runtime.run(main()) == b"x"


def test_a_reader_and_a_writer_can_wait_on_the_same_fd(no_fd_leak):
    async def main():
        a, b = pair()
        with a, b:
            # Fill a's send buffer so that a writer really has to wait.
            try:
                while True:
                    a.send(b"x" * 65536)
            except BlockingIOError:
                pass
            reader = runtime.spawn(runtime.sock_recv(a, 5))
            writer = runtime.spawn(runtime.sock_sendall(a, b"tail"))
            await runtime.sleep(0.01)
            b.send(b"hello")  # wakes the reader only; the writer must stay armed
            assert await reader == b"hello"
            assert not writer.done()
            while not writer.done():  # drain b so the writer can finish
                try:
                    b.recv(1 << 20)
                except BlockingIOError:
                    await runtime.sleep(0.001)
            await writer
            return "both woke"

    assert runtime.run(main()) == "both woke"


def test_two_readers_on_one_fd_is_an_error_for_the_second(no_fd_leak):
    async def main():
        a, b = pair()
        with a, b:
            first = runtime.spawn(runtime.wait_readable(a))
            await runtime.sleep(0)
            with pytest.raises(RuntimeError, match="already waiting"):
                await runtime.wait_readable(a)
            b.send(b"x")
            await first

    runtime.run(main())


def test_sock_functions_talk_over_tcp(no_fd_leak):
    async def main():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        client = socket.socket()
        client.setblocking(False)
        try:
            accepting = runtime.spawn(runtime.sock_accept(listener))
            await runtime.sock_connect(client, listener.getsockname())
            conn, _ = await accepting
            with conn:
                assert conn.gettimeout() == 0.0  # accepted sockets are non-blocking
                payload = os.urandom(4 << 20)   # bigger than any socket buffer
                sending = runtime.spawn(runtime.sock_sendall(client, payload))
                received = bytearray()
                buf = bytearray(65536)
                while len(received) < len(payload):
                    n = await runtime.sock_recv_into(conn, buf)
                    received += buf[:n]
                await sending
                await runtime.sock_sendall(conn, memoryview(b"reply"))
                reply = await runtime.sock_recv(client, 100)
                return bytes(received) == payload, reply
        finally:
            listener.close()
            client.close()

    assert runtime.run(main()) == (True, b"reply")


def test_sock_connect_to_a_closed_port_raises(no_fd_leak):
    async def main():
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        address = probe.getsockname()
        probe.close()  # nobody listens there now
        sock = socket.socket()
        sock.setblocking(False)
        with sock:
            with pytest.raises(ConnectionRefusedError):
                await runtime.sock_connect(sock, address)

    runtime.run(main())


def test_peer_hangup_wakes_the_reader_with_eof(no_fd_leak):
    async def main():
        a, b = pair()
        with a:
            reader = runtime.spawn(runtime.sock_recv(a, 10))
            await runtime.sleep(0.001)
            b.close()
            return await reader

    assert runtime.run(main()) == b""


class CountingPoller:
    """Wrap the kernel's poller to count how often the loop polls."""

    def __init__(self, poller):
        self.poller = poller
        self.polls = 0

    def poll(self, *args):
        self.polls += 1
        return self.poller.poll(*args)

    def __getattr__(self, name):
        return getattr(self.poller, name)


def test_close_socket_wakes_the_waiter_with_an_error_without_spinning(monkeypatch, no_fd_leak):
    pollers = []
    make_poller = runtime.loop.kernel._make_poller

    def counting_poller(selector):
        pollers.append(CountingPoller(make_poller(selector)))
        return pollers[-1]

    monkeypatch.setattr(runtime.loop.kernel, "_make_poller", counting_poller)

    async def main():
        a, b = pair()
        with b:
            reader = runtime.spawn(runtime.sock_recv(a, 10))
            await runtime.sleep(0.001)
            runtime.close_socket(a)
            async with runtime.timeout(5):  # a hang fails the test instead
                with pytest.raises(runtime.ClosedResourceError):
                    await reader
            pollers[0].polls = 0
            await runtime.sleep(0.05)  # an idle loop should sleep, not spin
            return pollers[0].polls, a.fileno()

    polls, fd = runtime.run(main())
    assert fd == -1
    assert 1 <= polls < 10, f"the loop polled {polls} times in 50 ms: it spins"


def test_close_socket_on_a_raw_fd_wakes_the_waiter(no_fd_leak):
    async def main():
        r, w = os.pipe()
        os.set_blocking(r, False)
        try:
            waiter = runtime.spawn(runtime.wait_readable(r))
            await runtime.sleep(0.001)
            runtime.close_socket(r)
            async with runtime.timeout(5):
                with pytest.raises(runtime.ClosedResourceError):
                    await waiter
        finally:
            os.close(w)

    runtime.run(main())


def test_a_reused_fd_number_is_registered_again(no_fd_leak):
    async def main():
        for _ in range(3):
            a, b = pair()  # closing without close_socket: epoll forgets the fd itself
            with a, b:
                b.send(b"x")
                await runtime.sleep(0)
                reader = runtime.spawn(runtime.wait_readable(a))
                await reader
        return "ok"

    assert runtime.run(main()) == "ok"


def echo_round_trip():
    async def handler(stream):
        while line := await stream.readline():
            await stream.write(line)

    async def main():
        async with await runtime.start_server(handler, "127.0.0.1", 0) as server:
            async with await runtime.open_connection("127.0.0.1", server.port) as stream:
                await stream.write(b"over the fallback\n")
                return await stream.readline()

    return main()


@pytest.mark.parametrize("selector", [selectors.SelectSelector, selectors.PollSelector])
def test_selectors_fallback_runs_the_same_loop(selector, no_fd_leak):
    kernels = []

    async def main():
        kernels.append(runtime.current_task()._kernel)
        await runtime.sleep(0.001)
        return await echo_round_trip()

    assert runtime.run(main(), selector=selector) == b"over the fallback\n"
    assert isinstance(kernels[0].poller, SelectorPoller)


def test_selectors_fallback_close_socket_and_timeouts(no_fd_leak):
    async def main():
        a, b = pair()
        with b:
            reader = runtime.spawn(runtime.sock_recv(a, 10))
            await runtime.sleep(0.001)
            runtime.close_socket(a)
            async with runtime.timeout(5):  # a hang fails the test instead
                with pytest.raises(runtime.ClosedResourceError):
                    await reader
        with pytest.raises(TimeoutError):
            async with runtime.timeout(0.01):
                await runtime.sleep(1)
        return "ok"

    assert runtime.run(main(), selector=selectors.SelectSelector) == "ok"


def test_environment_variable_forces_the_selectors_fallback():
    code = (
        "import runtime\n"
        "async def main():\n"
        "    return type(runtime.current_task()._kernel.poller).__name__\n"
        "print(runtime.run(main()))\n"
    )
    env = dict(os.environ, RUNTIME_POLLER="selectors")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "SelectorPoller"


def test_epoll_is_used_by_default_on_linux():
    if not hasattr(__import__("select"), "epoll"):
        pytest.skip("no epoll here")

    async def main():
        return type(runtime.current_task()._kernel.poller).__name__

    assert runtime.run(main()) == "epoll"


def test_io_wait_does_not_hold_up_timers():
    async def main():
        a, b = pair()
        with a, b:
            runtime.spawn(runtime.wait_readable(a)).cancel()
            start = time.monotonic()
            await runtime.sleep(0.01)
            return time.monotonic() - start

    assert runtime.run(main()) < 5
