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
            awaitable = fetch("value")
            # line 2: await fetch("value")
            self.state = 1
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 1:
            self.state = 0
            if error is not None:
                self.reraise(error)
            self._t1 = value
            self._t2 = self.d
        if self.state == 0:
            awaitable = fetch("key")
            # line 2: await fetch("key")
            self.state = 2
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 2:
            self.state = 0
            if error is not None:
                self.reraise(error)
            try:
                self._t2[value] = self._t1
            finally:
                value = None
            self._t1 = self._t2 = None
        if self.state == 0:
            awaitable = fetch(1)
            # line 3: await fetch(1)
            self.state = 3
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 3:
            self.state = 0
            if error is not None:
                self.reraise(error)
            try:
                self.box.value = value
            finally:
                value = None
        if self.state == 0:
            awaitable = fetch((1, 2))
            # line 4: await fetch((1, 2))
            self.state = 4
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 4:
            self.state = 0
            if error is not None:
                self.reraise(error)
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
