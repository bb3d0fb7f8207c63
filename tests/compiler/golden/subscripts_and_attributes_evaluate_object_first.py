async def f(box, d):
    x = box.items[await fetch("k")]
    y = (await fetch(box)).value
    z = d[await fetch(1) : await fetch(2)]
    return x, y, z

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(box, d), line 1"""

    _temporaries = ("_t1", "_t2", "_t3")
    __slots__ = ("box", "d", "x", "y", "z") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 3, 4, 4)  # source line of each state
    _source_digest = "c5fb508924bf4bb3"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._t1 = self.box.items
            # line 2: await fetch("k")
            value = self.run_now(fetch("k"), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self.x = self._t1[value]
            finally:
                value = None
            self._t1 = None
            # line 3: (await fetch(box))
            value = self.run_now(fetch(self.box), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self.y = value.value
            finally:
                value = None
            self._t2 = self.d
            # line 4: await fetch(1)
            value = self.run_now(fetch(1), 3)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 3:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self._t3 = value
            # line 4: await fetch(2)
            value = self.run_now(fetch(2), 4)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 4:
            self.state = self.raise_(error) if error else 0
        try:
            self.z = self._t2[self._t3 : value]
        finally:
            value = None
        self._t2 = self._t3 = None
        return self.x, self.y, self.z


@coroutine_function
def f(box, d):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.box = box
    self.d = d
    return self
