async def f(rows):
    total = 0
    for row in rows:
        if row is None:
            break
        total += await fetch(row)
    else:
        log("all rows")
    return total

# output
from runtime.machines.statemachine import EXHAUSTED, StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(rows), line 1"""

    _temporaries = ("_it1", "_t1")
    __slots__ = ("rows", "total", "row") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 6)  # source line of each state
    _source_digest = "f1126be2e31e7fbc"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self.total = 0
            self._it1 = iter(self.rows)
        while (
            self.state == 0 and (item := next(self._it1, EXHAUSTED)) is not EXHAUSTED
        ) or self.state == 1:
            if self.state == 0:
                self.row = item
                del item
                if self.row is None:
                    break
                self._t1 = self.total
                # line 6: await fetch(row)
                value = self.run_now(fetch(self.row), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            try:
                self._t1 += value
            finally:
                value = None
            self.total = self._t1
            self._t1 = None
            continue  # back to the test (3.11 specialises the loop here)
        else:
            self._it1 = None
            log("all rows")
        self._it1 = None
        return self.total


@coroutine_function
def f(rows):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.rows = rows
    return self
