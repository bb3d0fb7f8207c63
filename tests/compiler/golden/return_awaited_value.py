async def f(x):
    if x:
        return await fetch(x)
    return await fetch(None) + 1

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(x), line 1"""

    __slots__ = ("x",)
    _name = "f"
    _qualname = "f"
    _lines = (1, 3, 4)  # source line of each state
    _source_digest = "8de6af746bcc1c5f"  # checked when a pickle is loaded

    def resume(self, value, error):
        if (self.state == 0 and self.x) or self.state == 1:
            if self.state == 0:
                # line 3: await fetch(x)
                value = self.run_now(fetch(self.x), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            return value
        if self.state == 0:
            # line 4: await fetch(None)
            value = self.run_now(fetch(None), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        try:
            return value + 1
        finally:
            value = None


@coroutine_function
def f(x):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.x = x
    return self
