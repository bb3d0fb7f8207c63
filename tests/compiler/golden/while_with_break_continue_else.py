async def f(n):
    i = 0
    while i < n:
        i += 1
        if i == 2:
            continue
        if await fetch(i) == "stop":
            break
    else:
        await fetch("else")
    return i

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(n), line 1"""

    __slots__ = ("n", "i")
    _name = "f"
    _qualname = "f"
    _lines = (1, 7, 10)  # source line of each state
    _source_digest = "2aff7a2fd15a1d98"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self.i = 0
        while (self.state == 0 and self.i < self.n) or self.state == 1:
            if self.state == 0:
                self.i += 1
                if self.i == 2:
                    continue
                # line 7: await fetch(i)
                value = self.run_now(fetch(self.i), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            if value == "stop":
                break
            continue  # back to the test (3.11 specialises the loop here)
        else:
            if self.state == 0:
                # line 10: await fetch("else")
                value = self.run_now(fetch("else"), 2)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 2:
                self.state = self.raise_(error) if error else 0
        return self.i


@coroutine_function
def f(n):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.n = n
    return self
