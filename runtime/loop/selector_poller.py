"""The ``selectors`` fallback, for systems without ``select.epoll``.

The kernel speaks the small part of the epoll interface it needs:
``register``, ``modify``, ``unregister``, ``poll``, ``close``, with epoll's
event bits and ``EPOLLONESHOT`` semantics.  :class:`SelectorPoller` offers the
same methods over any ``selectors`` selector, so the kernel has one code path.
"""

__all__ = ["SelectorPoller", "EPOLLIN", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLONESHOT"]

import select
import selectors

# Linux's values; only the kernel and this module look at them.
EPOLLIN = getattr(select, "EPOLLIN", 0x001)
EPOLLOUT = getattr(select, "EPOLLOUT", 0x004)
EPOLLERR = getattr(select, "EPOLLERR", 0x008)
EPOLLHUP = getattr(select, "EPOLLHUP", 0x010)
EPOLLONESHOT = getattr(select, "EPOLLONESHOT", 1 << 30)


class SelectorPoller:
    """Give a ``selectors`` selector the epoll methods the kernel uses, one-shot included."""

    def __init__(self, selector):
        self._selector = selector
        self._armed = {}  # fd -> event mask currently watched (0: registered but disarmed)

    def __repr__(self):
        return f"<SelectorPoller {type(self._selector).__name__} fds={len(self._armed)}>"

    def register(self, fd, mask):
        """Start watching *fd* for *mask*; raise FileExistsError if already registered."""
        if fd in self._armed:
            raise FileExistsError(17, "fd already registered", fd)
        self._armed[fd] = 0
        self._arm(fd, mask)

    def modify(self, fd, mask):
        """Change what *fd* is watched for; raise FileNotFoundError if it is not registered."""
        if fd not in self._armed:
            raise FileNotFoundError(2, "fd not registered", fd)
        self._arm(fd, mask)

    def unregister(self, fd):
        """Stop watching *fd*."""
        if self._armed.pop(fd, None):
            self._selector.unregister(fd)

    def poll(self, timeout=-1, maxevents=-1):
        """Wait up to *timeout* seconds (-1: forever) and return ``[(fd, epoll mask), ...]``."""
        ready = self._selector.select(None if timeout < 0 else timeout)
        events = []
        for key, mask in ready:
            fd = key.fd
            bits = (EPOLLIN if mask & selectors.EVENT_READ else 0) | (
                EPOLLOUT if mask & selectors.EVENT_WRITE else 0)
            # Discussion: EPOLLONESHOT disarms the fd after one report; the
            # kernel re-arms it for whoever still waits, exactly as with epoll.
            self._selector.unregister(fd)
            self._armed[fd] = 0
            events.append((fd, bits))
        return events

    def close(self):
        """Close the underlying selector."""
        self._armed.clear()
        self._selector.close()

    def _arm(self, fd, mask):
        want = (selectors.EVENT_READ if mask & EPOLLIN else 0) | (
            selectors.EVENT_WRITE if mask & EPOLLOUT else 0)
        had = self._armed[fd]
        if had and want:
            self._selector.modify(fd, want)
        elif want:
            self._selector.register(fd, want)
        elif had:
            self._selector.unregister(fd)
        self._armed[fd] = want
