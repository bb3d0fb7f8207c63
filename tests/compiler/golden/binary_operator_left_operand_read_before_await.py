async def f(a):
    return a * 2 + await fetch(a) - -(await fetch(3))

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(a), line 1"""

    _temporaries = ("_t1", "_t2")
    __slots__ = ("a",) + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 2)  # source line of each state
    _source_digest = "690239acc85eca45"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = self.a * 2
            # line 2: await fetch(a)
            value = self.run_now(fetch(self.a), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self._t2 = self._t1 + value
            finally:
                value = None
            # line 2: (await fetch(3))
            value = self.run_now(fetch(3), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        try:
            return self._t2 - -value
        finally:
            value = None


@coroutine_function
def f(a):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.a = a
    return self
