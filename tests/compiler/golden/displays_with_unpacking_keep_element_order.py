async def f(xs, d):
    t = (1, *xs, await fetch(2))
    s = {*xs, await fetch(3)}
    m = {**d, "k": await fetch(4), await fetch(5): 6}
    return [t, s, m]

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(xs, d), line 1"""

    _temporaries = ("_t1", "_t2", "_t3", "_t4")
    __slots__ = ("xs", "d", "t", "s", "m") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 3, 4, 4)  # source line of each state
    _source_digest = "412119b113722250"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = (*self.xs,)
            # line 2: await fetch(2)
            value = self.run_now(fetch(2), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self.t = (1, *self._t1, value)
            finally:
                value = None
            self._t1 = None
            self._t2 = (*self.xs,)
            # line 3: await fetch(3)
            value = self.run_now(fetch(3), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self.s = {*self._t2, value}
            finally:
                value = None
            self._t2 = None
            self._t3 = {**self.d}
            # line 4: await fetch(4)
            value = self.run_now(fetch(4), 3)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 3:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self._t4 = value
            # line 4: await fetch(5)
            value = self.run_now(fetch(5), 4)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 4:
            self.state = self.raise_(error) if error else 0
        try:
            self.m = {**self._t3, "k": self._t4, value: 6}
        finally:
            value = None
        self._t3 = self._t4 = None
        return [self.t, self.s, self.m]


@coroutine_function
def f(xs, d):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.xs = xs
    self.d = d
    return self
