async def f(name):
    return f"{name!r}: {await fetch(name):>8} ({len(name)})"

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(name), line 1"""

    _temporaries = ("_t1",)
    __slots__ = ("name",) + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2)  # source line of each state
    _source_digest = "0c11808805a62a2b"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = f"{self.name!r}"
            # line 2: await fetch(name)
            value = self.run_now(fetch(self.name), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        try:
            return f"{self._t1}: {value:>8} ({len(self.name)})"
        finally:
            value = None


@coroutine_function
def f(name):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.name = name
    return self
