async def f(flag):
    return (await fetch("yes")) if flag else (await fetch("no"))

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(flag), line 1"""

    _temporaries = ("_t1",)
    __slots__ = ("flag",) + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 2)  # source line of each state
    _source_digest = "3cb2f528f12ce865"  # checked when a pickle is loaded

    def resume(self, value, error):
        if (self.state == 0 and self.flag) or self.state == 1:
            if self.state == 0:
                # line 2: (await fetch("yes"))
                value = self.run_now(fetch("yes"), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            self._t1 = value
        else:
            if self.state == 0:
                # line 2: (await fetch("no"))
                value = self.run_now(fetch("no"), 2)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 2:
                self.state = self.raise_(error) if error else 0
            self._t1 = value
        return self._t1


@coroutine_function
def f(flag):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.flag = flag
    return self
