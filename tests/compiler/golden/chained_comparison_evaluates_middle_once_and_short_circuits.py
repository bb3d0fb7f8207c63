async def f(a, b):
    return a < await fetch(b) <= b < await fetch(a)

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(a, b), line 1"""

    _temporaries = ("_t1", "_t2", "_t3", "_t4", "_t5")
    __slots__ = ("a", "b") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 2)  # source line of each state
    _source_digest = "f5488f1638d7007f"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = self.a
            # line 2: await fetch(b)
            value = self.run_now(fetch(self.b), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self._t2 = value
            self._t3 = self._t1 < self._t2
        if (self.state == 0 and self._t3) or self.state == 2:
            if self.state == 0:
                self._t4 = self.b
                self._t5 = self._t2 <= self._t4
            if (self.state == 0 and self._t5) or self.state == 2:
                if self.state == 0:
                    # line 2: await fetch(a)
                    value = self.run_now(fetch(self.a), 2)
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 2:
                    self.state = self.raise_(error) if error else 0
                try:
                    self._t5 = self._t4 < value
                finally:
                    value = None
            self._t3 = self._t5
        return self._t3


@coroutine_function
def f(a, b):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.a = a
    self.b = b
    return self
