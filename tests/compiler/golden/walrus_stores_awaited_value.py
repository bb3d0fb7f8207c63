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
            awaitable = fetch(self.n)
            # line 2: await fetch(n)
            self.state = 1
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 1:
            self.state = 0
            if error is not None:
                self.reraise(error)
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
