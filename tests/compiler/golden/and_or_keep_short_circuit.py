async def f(a, b):
    x = a and await fetch("and")
    y = b or await fetch("or")
    return x, y

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(a, b), line 1"""

    _temporaries = ("_t1", "_t2")
    __slots__ = ("a", "b", "x", "y") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 3)  # source line of each state
    _source_digest = "d04f4304dda56312"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = self.a
        if (self.state == 0 and self._t1) or self.state == 1:
            if self.state == 0:
                # line 2: await fetch("and")
                value = self.run_now(fetch("and"), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            self._t1 = value
        if self.state == 0:
            self.x = self._t1
            self._t1 = None
            self._t2 = self.b
        if (self.state == 0 and not self._t2) or self.state == 2:
            if self.state == 0:
                # line 3: await fetch("or")
                value = self.run_now(fetch("or"), 2)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 2:
                self.state = self.raise_(error) if error else 0
            self._t2 = value
        self.y = self._t2
        self._t2 = None
        return self.x, self.y


@coroutine_function
def f(a, b):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.a = a
    self.b = b
    return self
