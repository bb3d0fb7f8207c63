async def f(box, d, k):
    total = 1
    total += await fetch(2)
    box.count -= await fetch(3)
    d[k] *= await fetch(4)
    return total

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(box, d, k), line 1"""

    _temporaries = ("_t1", "_t2", "_t3", "_t4", "_t5", "_t6")
    __slots__ = ("box", "d", "k", "total") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 3, 4, 5)  # source line of each state
    _source_digest = "299806a9bb885f97"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self.total = 1
            self._t1 = self.total
            # line 3: await fetch(2)
            value = self.run_now(fetch(2), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self._t1 += value
            finally:
                value = None
            self.total = self._t1
            self._t1 = None
            self._t2 = self.box
            self._t3 = self._t2.count
            # line 4: await fetch(3)
            value = self.run_now(fetch(3), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            try:
                self._t3 -= value
            finally:
                value = None
            self._t2.count = self._t3
            self._t2 = self._t3 = None
            self._t4 = self.d
            self._t5 = self.k
            self._t6 = self._t4[self._t5]
            # line 5: await fetch(4)
            value = self.run_now(fetch(4), 3)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 3:
            self.state = self.raise_(error) if error else 0
        try:
            self._t6 *= value
        finally:
            value = None
        self._t4[self._t5] = self._t6
        self._t4 = self._t5 = self._t6 = None
        return self.total


@coroutine_function
def f(box, d, k):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.box = box
    self.d = d
    self.k = k
    return self
