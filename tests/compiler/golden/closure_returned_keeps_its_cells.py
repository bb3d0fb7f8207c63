async def make_counter(step):
    count = 0

    def bump():
        nonlocal count
        count += step
        return count

    await sleep(0)
    return bump

# output
from runtime.machines.statemachine import StateMachine, weak_reference
from runtime.machines.marks import coroutine_function


class _make_counter(StateMachine):
    """async def make_counter(step), line 1"""

    _temporaries = ("resume",)
    __slots__ = ("bump",) + _temporaries
    _name = "make_counter"
    _qualname = "make_counter"
    _lines = (1, 9)  # source line of each state
    _source_digest = "092a00a884570228"  # checked when a pickle is loaded
    _parameters = ("step",)  # locals() lists them first

    @staticmethod
    def make_resume(machine, step):
        # Made for each coroutine, so that the variables nested functions share
        # with it are cells, as natively; machine: a weak reference, no cycle.
        count: "cell"  # unbound until resume binds it

        def resume(value, error):
            nonlocal count, step
            self = machine()
            if self.state == 0:
                count = 0

                def bump():
                    nonlocal count
                    count += step
                    return count

                self.bump = bump
                # line 9: await sleep(0)
                value = self.run_now(sleep(0), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            return self.bump

        return resume


@coroutine_function
def make_counter(step):
    self = _make_counter()
    self.state = 0  # not started
    self._awaiting = None
    self.resume = self.make_resume(weak_reference(self), step)
    return self
