async def main(k):
    total = 0

    async def add(j):
        nonlocal total
        total += j + k
        return await fetch(total)

    return await add(1)

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _main(StateMachine):
    """async def main(k), line 1"""

    __slots__ = ("k", "add", "total")
    _name = "main"
    _qualname = "main"
    _lines = (1, 9)  # source line of each state
    _source_digest = "05e0dd63b8ad9c2b"  # checked when a pickle is loaded
    _may_read_unbound = True  # a local may be read before it is bound

    def resume(self, value, error):
        if self.state == 0:
            self.total = 0

            @coroutine_function
            def add(j):
                frame = self._main_add()
                frame.state = 0  # not started
                frame._awaiting = None
                frame.outer = self
                frame.j = j
                return frame

            self.add = add
            awaitable = self.add(1)
            # line 9: await add(1)
            self.state = 1
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 1:
            self.state = 0
            if error is not None:
                self.reraise(error)
            return value

    class _main_add(StateMachine):
        """async def add(j), line 4"""

        _temporaries = ("outer",)
        __slots__ = ("j",) + _temporaries
        _name = "add"
        _qualname = "main.<locals>.add"
        _lines = (4, 7)  # source line of each state
        _source_digest = "518dd0ebd4b9792c"  # checked when a pickle is loaded

        def resume(frame, value, error):
            if frame.state == 0:
                frame.outer.total += frame.j + frame.outer.k
                awaitable = fetch(frame.outer.total)
                # line 7: await fetch(total)
                frame.state = 1
                value, error, awaitable = frame.run_now(awaitable)
                if awaitable is not None:  # something to wait for
                    return awaitable
            if frame.state == 1:
                frame.state = 0
                if error is not None:
                    frame.reraise(error)
                return value


@coroutine_function
def main(k):
    self = _main()
    self.state = 0  # not started
    self._awaiting = None
    self.k = k
    return self
