def make_worker(base):
    scale = 2

    async def worker(x):
        y = await fetch(x)
        return base + y * scale

    return worker

# output
from runtime.machines.statemachine import StateMachine, weak_reference
from runtime.machines.marks import coroutine_function


class _make_worker_worker(StateMachine):
    """async def worker(x), line 4"""

    _temporaries = ("resume",)
    __slots__ = ("x", "y") + _temporaries
    _name = "worker"
    _qualname = "make_worker.<locals>.worker"
    _lines = (4, 5)  # source line of each state
    _source_digest = "a3756e5dbcf19edf"  # checked when a pickle is loaded
    _resume_maker = "_make_make_worker_worker_resume"  # where its resume is made


def make_worker(base):
    scale = 2

    @_make_worker_worker.resume_maker
    def _make_make_worker_worker_resume(machine):
        # Made here, in make_worker, so that worker's coroutines close over
        # make_worker's variables, as natively; machine: a weak reference, no cycle.

        def resume(value, error):
            self = machine()
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

        return resume

    @coroutine_function
    def worker(x):
        self = _make_worker_worker()
        self.state = 0  # not started
        self._awaiting = None
        self.x = x
        self.resume = _make_make_worker_worker_resume(weak_reference(self))
        return self

    return worker
