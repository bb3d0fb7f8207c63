import functools


@functools.lru_cache
async def f(a: int, b: str = "x", *args, c=None, **kwargs) -> int:
    """Docs stay on the stub."""
    return a + await fetch(b)

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function
import functools


class _f(StateMachine):
    """async def f(a: int, b: str = "x", *args, c=None, **kwargs) -> int, line 5"""

    _temporaries = ("_t1",)
    __slots__ = ("a", "b", "c", "args", "kwargs") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (5, 7)  # source line of each state
    _source_digest = "1d1c2a152d813909"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = self.a
            # line 7: await fetch(b)
            value = self.run_now(fetch(self.b), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        try:
            return self._t1 + value
        finally:
            value = None


@functools.lru_cache
@coroutine_function
def f(a: int, b: str = "x", *args, c=None, **kwargs) -> int:
    """Docs stay on the stub."""
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.a = a
    self.b = b
    self.c = c
    self.args = args
    self.kwargs = kwargs
    return self
