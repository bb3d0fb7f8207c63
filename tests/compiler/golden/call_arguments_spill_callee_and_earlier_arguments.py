async def f(g, items, options):
    return g(log(1), *items, await fetch(2), key=await fetch(3), **options)

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(g, items, options), line 1"""

    _temporaries = ("_t1", "_t2", "_t3", "_t4")
    __slots__ = ("g", "items", "options") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 2)  # source line of each state
    _source_digest = "d95834b023d6a335"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = self.g
            self._t2 = log(1)
            self._t3 = (*self.items,)
            # line 2: await fetch(2)
            value = self.run_now(fetch(2), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self._t4 = value
            # line 2: await fetch(3)
            value = self.run_now(fetch(3), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        try:
            return self._t1(self._t2, *self._t3, self._t4, key=value, **self.options)
        finally:
            value = None


@coroutine_function
def f(g, items, options):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.g = g
    self.items = items
    self.options = options
    return self
