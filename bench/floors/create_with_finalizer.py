"""A floor for the ``create`` case: make a coroutine and run it to the end, with a finalizer.

Counted in place of the compiler's output by
``python bench/instruction_counts.py --case create --compiled bench/floors/create_with_finalizer.py``.
``nothing()`` makes a bare machine; its ``send`` runs ``resume`` and
raises ``StopIteration`` with the result; its ``__del__`` does nothing but
test the state (every coroutine needs one: the "never awaited" warning,
the close when collected).  No checks that it is not running or finished.
Not correct code: the cost of the work itself (docs/performance.md).
"""


class _nothing:
    __slots__ = ("state", "_awaiting")

    def send(self, value):
        self.state = -1
        raise StopIteration(self.resume(value, None))

    def resume(self, value, error):
        pass

    def __del__(self):
        if self.state == 0:
            pass


def nothing():
    self = _nothing()
    self.state = 0
    self._awaiting = None
    return self
