# statemachine-compiler: compile
"""The few things the examples ask of an event loop, on the runtime and on asyncio.

Compiled coroutines run on any loop that drives coroutines; what differs
between loops is how one sleeps, connects and listens.  ``LOOPS["runtime"]``
and ``LOOPS["asyncio"]`` give the same small interface:

    loop.run(coro)                   run coro to completion, return its result
    loop.sleep(seconds)              awaitable
    loop.gather(*coros)              awaitable: their results, in order
    loop.timeout(seconds)            async with: TimeoutError when the body takes longer
    await loop.connect(host, port)   a stream: await read(n), await write(data), close()
    await loop.serve(handler, host, port)   port; handler(stream) runs per connection
"""

import asyncio

import runtime


class RuntimeLoop:
    """The project's own epoll loop (``runtime``)."""

    name = "runtime"

    def __init__(self):
        self.sleep = runtime.sleep
        self.gather = runtime.gather
        self.timeout = runtime.timeout

    def run(self, coro, trace=None):
        return runtime.run(coro, trace=trace)

    async def connect(self, host, port):
        return await runtime.open_connection(host, port)

    async def serve(self, handler, host, port):
        # Closed by the loop on exit, with every socket it opened.
        server = await runtime.start_server(handler, host, port)
        return server.port


class AsyncioStream:
    """asyncio's reader and writer pair, read and written like a ``runtime.Stream``."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    async def read(self, n):
        return await self.reader.read(n)

    async def write(self, data):
        self.writer.write(data)
        await self.writer.drain()

    def close(self):
        self.writer.close()


class _Connections:
    """asyncio's per-connection callback: *handler* with a stream, which is closed after."""

    def __init__(self, handler):
        self.handler = handler

    async def serve_one(self, reader, writer):
        stream = AsyncioStream(reader, writer)
        try:
            await self.handler(stream)
        except asyncio.CancelledError:
            # Discussion: asyncio.run cancels the connection tasks on its way
            # out; on 3.11 the stream's done-callback then calls exception()
            # on a cancelled task and logs the CancelledError that raises.
            # This is the task's outermost coroutine: ending it quietly is
            # what cancellation asks.
            pass
        finally:
            stream.close()


class AsyncioLoop:
    """The standard library's asyncio."""

    name = "asyncio"

    def __init__(self):
        self.sleep = asyncio.sleep
        self.gather = asyncio.gather
        self.timeout = asyncio.timeout
        self.servers = []  # asyncio keeps no strong reference to a serving Server

    def run(self, coro, trace=None):
        if trace:
            raise ValueError("the trace mode is the runtime's: asyncio has no trace=")
        return asyncio.run(coro)

    async def connect(self, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        return AsyncioStream(reader, writer)

    async def serve(self, handler, host, port):
        server = await asyncio.start_server(_Connections(handler).serve_one, host, port)
        self.servers.append(server)
        return server.sockets[0].getsockname()[1]


LOOPS = {"runtime": RuntimeLoop, "asyncio": AsyncioLoop}
