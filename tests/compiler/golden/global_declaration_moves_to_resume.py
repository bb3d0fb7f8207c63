total = 0


async def f():
    global total
    total = await fetch(5)
    total += 1
    return total

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function

total = 0


class _f(StateMachine):
    """async def f(), line 4"""

    __slots__ = ()
    _name = "f"
    _qualname = "f"
    _lines = (4, 6)  # source line of each state
    _source_digest = "c8a900f72e8a5ac2"  # checked when a pickle is loaded

    def resume(self, value, error):
        global total
        if self.state == 0:
            # line 6: await fetch(5)
            value = self.run_now(fetch(5), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        total = value
        value = None
        total += 1
        return total


@coroutine_function
def f():
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    return self
