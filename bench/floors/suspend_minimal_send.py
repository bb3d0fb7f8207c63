"""A floor for the ``suspend`` case: a suspension round trip through the least ``send`` can be.

Counted in place of the compiler's output by
``python bench/instruction_counts.py --case suspend --compiled bench/floors/suspend_minimal_send.py``.
``suspend_loop(n)`` awaits ``SUSPEND`` (whose ``__await__`` is a
generator, as in the bench) n times; its ``send`` is written by hand as
the loop itself: no state, no running flag, no ``throw``, nothing but the
generator's own protocol.  Not correct code: the cost of the work itself
(docs/performance.md).
"""


class Suspend:
    __slots__ = ()

    def __await__(self):
        return (yield)


SUSPEND = Suspend()


class _suspend_loop:
    __slots__ = ("n", "_range", "_iterator")

    def send(self, value):
        iterator = self._iterator
        if iterator is not None:
            try:
                return iterator.send(value)
            except StopIteration:
                self._iterator = None
        if next(self._range, None) is None:
            raise StopIteration(self.n)
        iterator = self._iterator = SUSPEND.__await__()
        return iterator.send(None)


def suspend_loop(n):
    self = _suspend_loop()
    self.n = n
    self._range = iter(range(n))
    self._iterator = None
    return self
