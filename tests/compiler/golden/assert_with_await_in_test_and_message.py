async def f(n):
    assert await fetch(n), f"bad {await fetch(n)}"
    return n

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(n), line 1"""

    __slots__ = ("n",)
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 2)  # source line of each state
    _source_digest = "411b3145118b61b3"  # checked when a pickle is loaded

    def resume(self, value, error):
        if (self.state == 0 and __debug__) or self.state in (1, 2):
            if self.state == 0:
                # line 2: await fetch(n)
                value = self.run_now(fetch(self.n), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            if (self.state == 0 and not value) or self.state == 2:
                if self.state == 0:
                    # line 2: await fetch(n)
                    value = self.run_now(fetch(self.n), 2)
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 2:
                    self.state = self.raise_(error) if error else 0
                try:
                    raise AssertionError(f"bad {value}")
                finally:
                    value = None
        return self.n


@coroutine_function
def f(n):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.n = n
    return self
