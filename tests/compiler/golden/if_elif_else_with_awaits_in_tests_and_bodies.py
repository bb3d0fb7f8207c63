async def f(n):
    if n == 0:
        r = await fetch("zero")
    elif await fetch(n) == 1:
        r = "one"
    else:
        r = await fetch("many")
    return r

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(n), line 1"""

    __slots__ = ("n", "r")
    _name = "f"
    _qualname = "f"
    _lines = (1, 3, 4, 7)  # source line of each state
    _source_digest = "8f81dec8e03cd5b1"  # checked when a pickle is loaded

    def resume(self, value, error):
        if (self.state == 0 and self.n == 0) or self.state == 1:
            if self.state == 0:
                # line 3: await fetch("zero")
                value = self.run_now(fetch("zero"), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            self.r = value
            value = None
        else:
            if self.state == 0:
                # line 4: await fetch(n)
                value = self.run_now(fetch(self.n), 2)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 2:
                self.state = self.raise_(error) if error else 0
            if self.state == 0 and value == 1:
                self.r = "one"
            else:
                if self.state == 0:
                    # line 7: await fetch("many")
                    value = self.run_now(fetch("many"), 3)
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 3:
                    self.state = self.raise_(error) if error else 0
                self.r = value
                value = None
        return self.r


@coroutine_function
def f(n):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.n = n
    return self
