async def f(d):
    del d[await fetch("k")], d["other"]
    return d

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(d), line 1"""

    _temporaries = ("_t1",)
    __slots__ = ("d",) + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2)  # source line of each state
    _source_digest = "b4f5d1f893471e0b"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = self.d
            # line 2: await fetch("k")
            value = self.run_now(fetch("k"), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        try:
            del self._t1[value]
        finally:
            value = None
        del self.d["other"]
        self._t1 = None
        return self.d


@coroutine_function
def f(d):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.d = d
    return self
