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
                awaitable = fetch("zero")
                # line 3: await fetch("zero")
                self.state = 1
                value, error, awaitable = self.run_now(awaitable)
                if awaitable is not None:  # something to wait for
                    return awaitable
            if self.state == 1:
                self.state = 0
                if error is not None:
                    self.reraise(error)
                self.r = value
                value = None
        else:
            if self.state == 0:
                awaitable = fetch(self.n)
                # line 4: await fetch(n)
                self.state = 2
                value, error, awaitable = self.run_now(awaitable)
                if awaitable is not None:  # something to wait for
                    return awaitable
            if self.state == 2:
                self.state = 0
                if error is not None:
                    self.reraise(error)
            if self.state == 0 and value == 1:
                self.r = "one"
            else:
                if self.state == 0:
                    awaitable = fetch("many")
                    # line 7: await fetch("many")
                    self.state = 3
                    value, error, awaitable = self.run_now(awaitable)
                    if awaitable is not None:  # something to wait for
                        return awaitable
                if self.state == 3:
                    self.state = 0
                    if error is not None:
                        self.reraise(error)
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
