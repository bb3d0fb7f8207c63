def make_worker(base):
    scale = 2

    async def worker(x):
        y = await fetch(x)
        return base + y * scale

    return worker

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


def make_worker(base):
    scale = 2

    class _make_worker_worker(StateMachine):
        """async def worker(x), line 4"""

        __slots__ = ("x", "y")
        _name = "worker"
        _qualname = "make_worker.<locals>.worker"
        _lines = (4, 5)  # source line of each state
        _source_digest = "a3756e5dbcf19edf"  # checked when a pickle is loaded

        def resume(self, value, error):
            if self.state == 0:
                # line 5: await fetch(x)
                value = self.run_now(fetch(self.x), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            self.y = value
            value = None
            return base + self.y * scale

    @coroutine_function
    def worker(x):
        self = _make_worker_worker()
        self.state = 0  # not started
        self._awaiting = None
        self.x = x
        return self

    return worker
