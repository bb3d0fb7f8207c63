"""A floor for the ``await`` case: the least a class-based machine can do, with a finalizer.

Counted in place of the compiler's output by
``python bench/instruction_counts.py --case await --compiled bench/floors/await_with_finalizer.py``.
The caller is a compiled machine with its locals as real locals of
``resume``; the awaited coroutine is a bare class that returns at once,
with a ``__del__`` that does nothing but test the state (every coroutine
needs one: the "never awaited" warning, the close when collected), no
checks that it was not started or is not running.  Not correct code: the
cost of a design with nothing but the work itself (docs/performance.md).
"""

from runtime.machines.marks import coroutine_function
from runtime.machines.statemachine import StateMachine


class _leaf:
    __slots__ = ("x", "state", "_awaiting")

    def resume(self, value, error):
        return self.x

    def __del__(self):
        if self.state == 0:
            pass


def leaf(x):
    self = _leaf()
    self.state = 0
    self._awaiting = None
    self.x = x
    return self


class _await_leaf(StateMachine):
    __slots__ = ("n",)
    _name = "await_leaf"
    _qualname = "await_leaf"
    _lines = (1, 2)
    _source_digest = "floor"

    def resume(self, value, error):
        total = 0
        for i in range(self.n):
            total += leaf(i).resume(None, None)
        return total


@coroutine_function
def await_leaf(n):
    self = _await_leaf()
    self.state = 0
    self._awaiting = None
    self.n = n
    return self
