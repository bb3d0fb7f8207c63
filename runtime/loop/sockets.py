"""Socket operations for tasks: try the call first, wait for readiness only if it would block.

The sockets must be non-blocking (``sock.setblocking(False)``); the ones the
runtime creates or accepts are.  To close a socket another task may be
waiting on, use :func:`close_socket`: the waiter is woken with
``ClosedResourceError`` instead of waiting forever on a number the kernel
can no longer watch.
"""

__all__ = [
    "sock_accept", "sock_recv", "sock_recv_into", "sock_sendall", "sock_connect",
    "close_socket",
]

import errno
import os
import socket

from runtime.loop import kernel as kernel_module
from runtime.loop.traps import READ, WRITE, trap


async def sock_recv(sock, n):
    """Receive up to *n* bytes from *sock*; ``b""`` means the peer closed."""
    while True:
        try:
            return sock.recv(n)
        except BlockingIOError:
            pass
        await trap(READ, sock.fileno())


async def sock_recv_into(sock, buf, nbytes=0):
    """Receive into the writable buffer *buf* and return the number of bytes received."""
    while True:
        try:
            return sock.recv_into(buf, nbytes)
        except BlockingIOError:
            pass
        # Discussion: waiting outside the except clause keeps the
        # BlockingIOError from living on (and chaining) while we sleep.
        await trap(READ, sock.fileno())


async def sock_sendall(sock, data):
    """Send all of *data*, waiting for the socket to drain as often as needed."""
    try:
        sent = sock.send(data)
    except BlockingIOError:
        sent = 0
    kind = data.__class__
    if sent == (len(data) if kind is bytes or kind is bytearray
                else data.nbytes if kind is memoryview else memoryview(data).nbytes):
        return
    view = memoryview(data).cast("B")[sent:]
    while view:
        await trap(WRITE, sock.fileno())
        try:
            view = view[sock.send(view):]
        except BlockingIOError:
            pass


async def sock_connect(sock, address):
    """Connect *sock* to *address* (already resolved, e.g. ``("127.0.0.1", 8000)``)."""
    try:
        sock.connect(address)
        return
    except BlockingIOError:
        pass
    except InterruptedError:
        pass
    await trap(WRITE, sock.fileno())
    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        raise OSError(err, f"connect to {address!r} failed: {os.strerror(err)}")


async def sock_accept(sock):
    """Accept a connection on the listening *sock*; return ``(conn, address)``, conn non-blocking."""
    while True:
        try:
            conn, address = sock.accept()
        except BlockingIOError:
            pass
        else:
            conn.setblocking(False)
            return conn, address
        await trap(READ, sock.fileno())


def close_socket(sock):
    """Close *sock* (a socket or raw fd), waking any task waiting on it with ClosedResourceError.

    Discussion: once an fd is closed, epoll silently forgets it, so a task
    waiting on it would never wake.  Always close an fd that a task may be
    waiting on through this function (Stream and Server do).
    """
    fd = sock if sock.__class__ is int else sock.fileno()
    kernel = kernel_module._running
    if fd >= 0 and kernel is not None:
        kernel.forget_fd(fd)
        kernel.sockets.discard(sock)
    if sock.__class__ is int:
        try:
            os.close(fd)
        except OSError as error:
            if error.errno != errno.EBADF:
                raise
    else:
        sock.close()
