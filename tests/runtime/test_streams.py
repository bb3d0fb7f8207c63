"""Streams and servers: open_connection, start_server and the Stream reading methods."""

import pytest

import runtime


async def echo(stream):
    while data := await stream.read(4096):
        await stream.write(data)


def test_stream_read_readline_readexactly(no_fd_leak):
    async def handler(stream):
        await stream.write(b"line one\nline two\n0123456789tail")
        stream.close()

    async def main():
        async with await runtime.start_server(handler, "127.0.0.1", 0) as server:
            async with await runtime.open_connection("127.0.0.1", server.port) as stream:
                first = await stream.readline()
                second = await stream.readline()
                digits = await stream.readexactly(10)
                rest = await stream.read()  # to EOF
                after = await stream.read(10)
                last_line = await stream.readline()
        return first, second, digits, rest, after, last_line

    assert runtime.run(main()) == (b"line one\n", b"line two\n", b"0123456789",
                                   b"tail", b"", b"")


def test_readexactly_raises_incomplete_read_at_eof(no_fd_leak):
    async def handler(stream):
        await stream.write(b"short")

    async def main():
        async with await runtime.start_server(handler, "127.0.0.1", 0) as server:
            async with await runtime.open_connection("127.0.0.1", server.port) as stream:
                with pytest.raises(runtime.IncompleteReadError) as info:
                    await stream.readexactly(100)
        return info.value.partial, info.value.expected

    assert runtime.run(main()) == (b"short", 100)


def test_read_n_returns_at_most_n_bytes(no_fd_leak):
    async def handler(stream):
        await stream.write(b"abcdef")

    async def main():
        async with await runtime.start_server(handler, "127.0.0.1", 0) as server:
            async with await runtime.open_connection("127.0.0.1", server.port) as stream:
                chunks = []
                while data := await stream.read(4):
                    assert len(data) <= 4
                    chunks.append(data)
        return b"".join(chunks)

    assert runtime.run(main()) == b"abcdef"


def test_server_serves_many_clients_concurrently(no_fd_leak):
    async def client(port, i):
        async with await runtime.open_connection("localhost", port) as stream:
            message = f"client {i}\n".encode()
            await stream.write(message)
            return await stream.readexactly(len(message)) == message

    async def main():
        async with await runtime.start_server(echo, "127.0.0.1", 0) as server:
            assert server.port > 0
            results = await runtime.gather(*(client(server.port, i) for i in range(50)))
        return all(results)

    assert runtime.run(main()) is True


def test_serve_forever_returns_when_the_server_is_closed(no_fd_leak):
    async def main():
        server = await runtime.start_server(echo, "127.0.0.1", 0)
        serving = runtime.spawn(server.serve_forever())
        await runtime.sleep(0.001)
        assert not serving.done()
        server.close()
        async with runtime.timeout(5):
            await serving
        with pytest.raises(OSError):
            await runtime.open_connection("127.0.0.1", server.port)
        return repr(server)

    assert "closed" in runtime.run(main())


def test_closing_a_stream_wakes_a_task_reading_it(no_fd_leak):
    async def handler(stream):
        await runtime.sleep(10)

    async def main():
        async with await runtime.start_server(handler, "127.0.0.1", 0) as server:
            stream = await runtime.open_connection("127.0.0.1", server.port)
            reader = runtime.spawn(stream.read(10))
            await runtime.sleep(0.001)
            stream.close()
            async with runtime.timeout(5):
                with pytest.raises(runtime.ClosedResourceError):
                    await reader
        return "woken"

    assert runtime.run(main()) == "woken"


def test_open_connection_to_nobody_raises(no_fd_leak):
    async def main():
        server = await runtime.start_server(echo, "127.0.0.1", 0)
        port = server.port
        server.close()
        with pytest.raises(ConnectionRefusedError):
            await runtime.open_connection("127.0.0.1", port)

    runtime.run(main())
