async def f(n):
    if (m := await fetch(n)) > 1:
        log(m)
    return m

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(n), line 1"""

    _temporaries = ("_t1",)
    __slots__ = ("n", "m") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2)  # source line of each state
    _source_digest = "b324751a681ef92e"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            # line 2: await fetch(n)
            value = self.run_now(fetch(self.n), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self._t1 = value
            self.m = self._t1
        if self._t1 > 1:
            log(self.m)
        self._t1 = None
        return self.m


@coroutine_function
def f(n):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.n = n
    return self
