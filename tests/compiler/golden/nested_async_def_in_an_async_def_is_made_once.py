async def main(k):
    total = 0

    async def add(j):
        nonlocal total
        total += j + k
        return await fetch(total)

    return await add(1)

# output
from runtime.machines.statemachine import StateMachine, weak_reference
from runtime.machines.marks import coroutine_function


class _main(StateMachine):
    """async def main(k), line 1"""

    _temporaries = ("resume",)
    __slots__ = ("add",) + _temporaries
    _name = "main"
    _qualname = "main"
    _lines = (1, 9)  # source line of each state
    _source_digest = "05e0dd63b8ad9c2b"  # checked when a pickle is loaded
    _parameters = ("k",)  # locals() lists them first

    @staticmethod
    def make_resume(machine, k):
        # Made for each coroutine, so that the variables nested functions share
        # with it are cells, as natively; machine: a weak reference, no cycle.
        total: "cell"  # unbound until resume binds it

        def resume(value, error):
            nonlocal k, total
            self = machine()
            if self.state == 0:
                total = 0
                # The class, for add(): it holds no self.
                _main_add = self._main_add

                def _make_main_add_resume(machine):
                    # Made here, in main's resume, so that add's coroutines close over
                    # main's cells, as natively; machine: a weak reference, no cycle.

                    def resume(value, error):
                        nonlocal total
                        frame = machine()
                        if frame.state == 0:
                            total += frame.j + k
                            # line 7: await fetch(total)
                            value = frame.run_now(fetch(total), 1)
                            if frame.state:  # suspended: wait for it
                                return value
                        elif frame.state == 1:
                            frame.state = frame.raise_(error) if error else 0
                        return value

                    return resume

                @coroutine_function
                def add(j):
                    frame = _main_add()
                    frame.state = 0  # not started
                    frame._awaiting = None
                    frame.j = j
                    frame.resume = _make_main_add_resume(weak_reference(frame))
                    return frame

                self.add = add
                # line 9: await add(1)
                value = self.run_now(self.add(1), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            return value

        return resume

    class _main_add(StateMachine):
        """async def add(j), line 4"""

        _temporaries = ("resume",)
        __slots__ = ("j",) + _temporaries
        _name = "add"
        _qualname = "main.<locals>.add"
        _lines = (4, 7)  # source line of each state
        _source_digest = "518dd0ebd4b9792c"  # checked when a pickle is loaded
        _resume_maker = "_make_main_add_resume"  # where its resume is made


@coroutine_function
def main(k):
    self = _main()
    self.state = 0  # not started
    self._awaiting = None
    self.resume = self.make_resume(weak_reference(self), k)
    return self
