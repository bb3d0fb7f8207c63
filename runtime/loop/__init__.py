"""The event loop: the article's ready queue, timers and ``epoll_wait``, made solid.

- ``kernel``: the loop itself, its design rules, ``run``/``spawn``.
- ``traps``: the single place where a task suspends to ask the kernel for something.
- ``tasks``, ``timeouts``, ``sync``: tasks, scoped timeouts, events/locks/queues.
- ``sockets``, ``streams``: non-blocking I/O over the kernel.
- ``selector_poller``: the ``selectors`` fallback where ``select.epoll`` is missing.
- ``errors``: the exceptions the loop raises.

``import runtime`` gives the public API of all of these.
"""
