"""The ``await`` case with the caller's locals as real locals of ``resume``, the machinery as it is.

Counted in place of the compiler's output by
``python bench/instruction_counts.py --case await --compiled bench/floors/await_locals_in_resume.py``.
``leaf`` is what the compiler emits today; ``await_leaf``'s ``resume``
keeps ``total`` and ``i`` in Python locals and awaits through ``run_now``,
with no state tests in its loop.  Not correct code (a suspension would lose
the locals, and there is no resume point): what the "locals as real locals
of resume" design could save at most on this case (docs/performance.md).
"""

from runtime.machines.marks import coroutine_function
from runtime.machines.statemachine import StateMachine


class _leaf(StateMachine):
    """async def leaf(x), line 1"""

    __slots__ = ("x",)
    _name = "leaf"
    _qualname = "leaf"
    _lines = (1,)
    _source_digest = "floor"

    def resume(self, value, error):
        return self.x


@coroutine_function
def leaf(x):
    self = _leaf()
    self.state = 0
    self._awaiting = None
    self.x = x
    return self


class _await_leaf(StateMachine):
    """async def await_leaf(n), line 4"""

    __slots__ = ("n",)
    _name = "await_leaf"
    _qualname = "await_leaf"
    _lines = (4, 7)
    _source_digest = "floor"

    def resume(self, value, error):
        total = 0
        for i in range(self.n):
            total += self.run_now(leaf(i), 1)
        return total


@coroutine_function
def await_leaf(n):
    self = _await_leaf()
    self.state = 0
    self._awaiting = None
    self.n = n
    return self
