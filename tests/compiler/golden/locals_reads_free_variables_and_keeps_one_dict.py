def make(base):
    async def scaled(x):
        y = await fetch(x)
        return base * y, locals()

    return scaled

# output
from runtime.machines.statemachine import StateMachine, weak_reference
from runtime.machines.marks import coroutine_function


class _make_scaled(StateMachine):
    """async def scaled(x), line 2"""

    _temporaries = ("resume", "_f_locals")
    __slots__ = ("x", "y") + _temporaries
    _name = "scaled"
    _qualname = "make.<locals>.scaled"
    _lines = (2, 3)  # source line of each state
    _source_digest = "a838053be0d68b08"  # checked when a pickle is loaded
    _resume_maker = "_make_make_scaled_resume"  # where its resume is made


def make(base):
    @_make_scaled.resume_maker
    def _make_make_scaled_resume(machine):
        # Made here, in make, so that scaled's coroutines close over
        # make's variables, as natively; machine: a weak reference, no cycle.

        def resume(value, error):
            self = machine()
            if self.state == 0:
                # line 3: await fetch(x)
                value = self.run_now(fetch(self.x), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            self.y = value
            value = None
            return base * self.y, self.saved_locals({"base": lambda: base})

        return resume

    @coroutine_function
    def scaled(x):
        self = _make_scaled()
        self.state = 0  # not started
        self._awaiting = None
        self.x = x
        self.resume = _make_make_scaled_resume(weak_reference(self))
        return self

    return scaled
