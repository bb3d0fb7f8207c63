"""Buffered byte streams over sockets, and a TCP server that runs a handler per connection."""

__all__ = ["Stream", "Server", "open_connection", "start_server"]

import socket

from runtime.loop.errors import Cancelled, IncompleteReadError
from runtime.loop.kernel import running_kernel, spawn
from runtime.loop.sockets import close_socket, sock_accept, sock_connect, sock_recv, sock_sendall

_CHUNK = 65536  # bytes asked of recv() when the caller did not say how many


class Stream:
    """A connected socket with a read buffer: ``read``, ``readline``, ``readexactly``, ``write``."""

    def __init__(self, sock):
        self.sock = sock
        self._buffer = bytearray()
        self._eof = False

    def __repr__(self):
        state = "closed" if self.sock.fileno() < 0 else f"fd={self.sock.fileno()}"
        return f"<Stream {state} buffered={len(self._buffer)}>"

    async def _fill(self):
        data = await sock_recv(self.sock, _CHUNK)
        if data:
            self._buffer += data
        else:
            self._eof = True

    async def read(self, n=-1):
        """Return up to *n* bytes (at least one, unless at EOF); with n < 0, read until EOF."""
        if n < 0:
            while not self._eof:
                await self._fill()
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        if not self._buffer and not self._eof:
            if n == 0:
                return b""
            # Discussion: an empty buffer means one recv() straight to the caller, no copy.
            data = await sock_recv(self.sock, n)
            if not data:
                self._eof = True
            return data
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def readline(self):
        """Return bytes up to and including the next ``\\n`` (or whatever is left at EOF)."""
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                end += 1
                break
            if self._eof:
                end = len(self._buffer)
                break
            start = len(self._buffer)
            await self._fill()
        data = bytes(self._buffer[:end])
        del self._buffer[:end]
        return data

    async def readexactly(self, n):
        """Return exactly *n* bytes; raise IncompleteReadError if EOF comes first."""
        while len(self._buffer) < n:
            if self._eof:
                partial = bytes(self._buffer)
                self._buffer.clear()
                raise IncompleteReadError(partial, n)
            await self._fill()
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def write(self, data):
        """Send all of *data*."""
        await sock_sendall(self.sock, data)

    def close(self):
        """Close the socket; a task blocked reading or writing it gets ClosedResourceError."""
        if self.sock.fileno() >= 0:
            close_socket(self.sock)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        self.close()


async def open_connection(host, port):
    """Connect to *host*:*port* over TCP and return a Stream.

    Name resolution uses the blocking ``socket.getaddrinfo``; it is quick for
    addresses and local names, and the standard library has no other.
    """
    kernel = running_kernel()
    error = None
    for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        kernel.sockets.add(sock)
        try:
            await sock_connect(sock, address)
        except BaseException as exc:
            close_socket(sock)
            if not isinstance(exc, OSError):
                raise
            error = exc
            continue
        if family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Stream(sock)
    raise error or OSError(f"cannot resolve {host!r}")


class Server:
    """A listening socket whose connections each run ``handler(stream)`` in a task."""

    def __init__(self, sock, handler):
        self.sock = sock
        self.handler = handler
        self.port = sock.getsockname()[1]
        self._acceptor = spawn(self._accept_forever())

    def __repr__(self):
        state = "closed" if self._acceptor.done() else "serving"
        return f"<Server port={self.port} {state}>"

    async def _accept_forever(self):
        kernel = running_kernel()
        while True:
            try:
                conn, _ = await sock_accept(self.sock)
            except OSError:
                if self.sock.fileno() < 0:
                    return  # closed under us by close()
                raise
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            kernel.sockets.add(conn)
            spawn(self._serve(Stream(conn)))

    async def _serve(self, stream):
        try:
            await self.handler(stream)
        finally:
            stream.close()

    def close(self):
        """Stop accepting; connections already accepted keep running."""
        if self.sock.fileno() >= 0:
            close_socket(self.sock)

    async def serve_forever(self):
        """Wait until the server is closed."""
        try:
            await self._acceptor
        except Cancelled:
            if not self._acceptor.done():
                raise

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        self.close()


async def start_server(handler, host, port, *, backlog=1024):
    """Listen on *host*:*port* (0 picks a free port, see ``Server.port``) and serve *handler*."""
    kernel = running_kernel()
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    kernel.sockets.add(sock)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setblocking(False)
        sock.bind(address)
        sock.listen(backlog)
    except BaseException:
        close_socket(sock)
        raise
    return Server(sock, handler)
