# statemachine-compiler: compile
"""The article's servers, and a keep-alive client for them: HTTP/1.1 with h11, on any loop.

A ``DelayServer`` answers every ``GET`` with the number of seconds the client
should wait before its next request: a short random value, seeded, so a run
can be repeated.  ``GET /anything?wait=S`` makes it think S seconds first
(the crawler uses this to meet its timeout).  With ``flaky=N`` it cuts every
N-th response short, mid-body, and closes the connection: what a crashing
server does to its clients.

``HTTPClient.get(url)`` sends one request on a kept-alive connection to that
server (opening one if none is idle) and returns a ``Response``.  A
connection that fails in any way, cancellation included, is closed and
forgotten, so the next request starts clean; the error goes to the caller.

h11 does the HTTP (it is sans-I/O: bytes in, events out); the loop's streams
(``examples/loops.py``) carry the bytes.
"""

import random
import urllib.parse

import h11

# What a lost connection looks like to the client: refused, reset, closed
# mid-response (h11 sees a message cut short), or closed while idle.
CONNECTION_LOST = (OSError, EOFError, h11.ProtocolError)

_CHUNK = 65536


class Response:
    """An HTTP response: status, body text, and the server's name (its ``Server`` header)."""

    def __init__(self, status, data, server):
        self.status = status
        self.data = data
        self.server = server

    def __repr__(self):
        return f"Response({self.status}, data={self.data!r}, server={self.server!r})"


async def next_event(connection, stream):
    """Return h11's next event, reading from *stream* as long as h11 needs more bytes."""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await stream.read(_CHUNK))  # b"": the peer closed
            continue
        return event


async def send(connection, stream, *events):
    """Turn *events* into bytes with h11 and write them."""
    await stream.write(b"".join(connection.send(event) for event in events))


class DelayServer:
    """An HTTP server answering each request with the delay before the next one."""

    def __init__(self, loop, name, seed, flaky=0, log=None):
        self.loop = loop
        self.name = name
        self.flaky = flaky          # cut every flaky-th response short (0: never)
        self.log = log              # called with one line per event, or None
        self.answered = 0           # requests answered so far, on all connections
        self._delays = random.Random(seed)

    async def start(self, host="127.0.0.1", port=0):
        """Listen on *host*:*port* (0: a free port) and return the server's URL."""
        port = await self.loop.serve(self.handle, host, port)
        return f"http://{host}:{port}/"

    def next_delay(self):
        return round(self._delays.uniform(0.05, 0.5), 2)

    async def handle(self, stream):
        """Serve one connection: requests one after another, until either side closes."""
        connection = h11.Connection(h11.SERVER)
        try:
            while await self.answer(connection, stream):
                connection.start_next_cycle()
        except CONNECTION_LOST as error:
            self._report(f"client went away mid-request ({type(error).__name__}: {error})")

    async def answer(self, connection, stream):
        """Answer one request; return True if the connection stays open for another."""
        request = await next_event(connection, stream)
        if not isinstance(request, h11.Request):
            return False  # ConnectionClosed: the client is done
        while not isinstance(await next_event(connection, stream), h11.EndOfMessage):
            pass  # a GET has no body worth reading
        wait = _query_wait(request.target)
        if wait:
            await self.loop.sleep(wait)
        self.answered += 1
        body = str(self.next_delay()).encode()
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                   ("Server", self.name)]
        if self.flaky and self.answered % self.flaky == 0:
            await send(connection, stream, h11.Response(status_code=200, reason=b"OK", headers=headers),
                       h11.Data(data=body[:1]))
            self._report(f"cut response {self.answered} short and closed the connection")
            return False
        await send(connection, stream, h11.Response(status_code=200, reason=b"OK", headers=headers),
                   h11.Data(data=body), h11.EndOfMessage())
        self._report(f"{request.method.decode()} {request.target.decode()} -> {body.decode()}")
        return connection.our_state is h11.DONE and connection.their_state is h11.DONE

    def _report(self, line):
        if self.log is not None:
            self.log(f"{self.name}: {line}")


def _query_wait(target):
    query = urllib.parse.urlsplit(target.decode()).query
    values = urllib.parse.parse_qs(query).get("wait")
    return float(values[0]) if values else 0.0


class HTTPClient:
    """GET requests over kept-alive connections, any number per server."""

    def __init__(self, loop):
        self.loop = loop
        self._idle = {}  # (host, port) -> idle connections to that server

    async def get(self, url):
        """Send ``GET url`` and return the Response; raise what a lost connection raises."""
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname, parts.port or 80
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        idle = self._idle.setdefault((host, port), [])
        if idle:
            connection = idle.pop()
        else:
            connection = _Connection(await self.loop.connect(host, port))
        try:
            response = await connection.get(parts.netloc, target)
        except BaseException:
            connection.close()  # half a conversation: nothing more can be said on it
            raise
        if connection.reusable():
            idle.append(connection)
        else:
            connection.close()
        return response

    def close(self):
        """Close every idle connection."""
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


class _Connection:
    """One client connection: a stream and the h11 state machine that speaks on it."""

    def __init__(self, stream):
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT)

    async def get(self, netloc, target):
        if self.h11.our_state is h11.DONE:
            self.h11.start_next_cycle()
        await send(self.h11, self.stream,
                   h11.Request(method="GET", target=target, headers=[("Host", netloc)]),
                   h11.EndOfMessage())
        head = await next_event(self.h11, self.stream)
        if not isinstance(head, h11.Response):
            raise ConnectionResetError(f"server closed the connection ({type(head).__name__})")
        server = dict(head.headers).get(b"server", b"").decode() or netloc
        body = bytearray()
        while not isinstance(event := await next_event(self.h11, self.stream), h11.EndOfMessage):
            body += event.data
        return Response(head.status_code, body.decode(), server)

    def reusable(self):
        return self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE

    def close(self):
        self.stream.close()

