import os


async def f(path):
    if os.path.exists(path):
        log(path)
    for i in range(3):
        log(i)
    return path

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function
import os


class _f(StateMachine):
    """async def f(path), line 4"""

    __slots__ = ("path", "i")
    _name = "f"
    _qualname = "f"
    _lines = (4,)  # source line of each state
    _source_digest = "96767f0ea504a703"  # checked when a pickle is loaded

    def resume(self, value, error):
        if os.path.exists(self.path):
            log(self.path)
        for self.i in range(3):
            log(self.i)
        return self.path


@coroutine_function
def f(path):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.path = path
    return self
