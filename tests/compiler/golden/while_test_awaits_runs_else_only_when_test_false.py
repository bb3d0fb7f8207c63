async def f(n):
    i = 0
    while await fetch(i) < n:
        i += 1
        if i == 5:
            break
    else:
        log("done")
    return i

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(n), line 1"""

    _temporaries = ("_ended1",)
    __slots__ = ("n", "i") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 3)  # source line of each state
    _source_digest = "0aeefe4b80c67c99"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self.i = 0
            self._ended1 = False
        while True:
            if self.state == 0:
                # line 3: await fetch(i)
                value = self.run_now(fetch(self.i), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            if not value < self.n:
                self._ended1 = True
                break
            self.i += 1
            if self.i == 5:
                break
        if self._ended1:
            log("done")
        return self.i


@coroutine_function
def f(n):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.n = n
    return self
