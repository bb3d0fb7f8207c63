def test_fetch():
    # the class of main is made once, at module level
    async def main():
        return await fetch(1)

    assert run(main()) == 1

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _test_fetch_main(StateMachine):
    """async def main(), line 3"""

    __slots__ = ()
    _name = "main"
    _qualname = "test_fetch.<locals>.main"
    _lines = (3, 4)  # source line of each state
    _source_digest = "8463629b106282a0"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            # line 4: await fetch(1)
            value = self.run_now(fetch(1), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        return value


def test_fetch():
    # the class of main is made once, at module level
    @coroutine_function
    def main():
        self = _test_fetch_main()
        self.state = 0  # not started
        self._awaiting = None
        return self

    assert run(main()) == 1
