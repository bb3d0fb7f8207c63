async def f(box, d):
    d[await fetch("key")] = await fetch("value")
    box.value = await fetch(1)
    a, b = await fetch((1, 2))
    return a + b

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(box, d), line 1"""

    _temporaries = ("_t1", "_t2")
    __slots__ = ("box", "d", "a", "b") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 2, 3, 4)  # source line of each state
    _source_digest = "250392f099a8f2f6"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            # line 2: await fetch("value")
            value = self.run_now(fetch("value"), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self._t1 = value
            self._t2 = self.d
            # line 2: await fetch("key")
            value = self.run_now(fetch("key"), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self._t2[value] = self._t1
            finally:
                value = None
            self._t1 = self._t2 = None
            # line 3: await fetch(1)
            value = self.run_now(fetch(1), 3)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 3:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self.box.value = value
            finally:
                value = None
            # line 4: await fetch((1, 2))
            value = self.run_now(fetch((1, 2)), 4)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 4:
            self.state = self.raise_(error) if error else 0
        try:
            self.a, self.b = value
        finally:
            value = None
        return self.a + self.b


@coroutine_function
def f(box, d):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.box = box
    self.d = d
    return self
