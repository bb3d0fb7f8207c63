async def countdown(say):
    await say(12)
    await say(11)
    await say(10)
    await say(9)
    await say(8)
    await say(7)
    await say(6)
    await say(5)
    await say(4)
    await say(3)
    await say(2)
    await say(1)

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _countdown(StateMachine):
    """async def countdown(say), line 1"""

    __slots__ = ("say",)
    _name = "countdown"
    _qualname = "countdown"
    _lines = (  # source line of each state, 10 to a row
        *(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),  # states 0-9
        *(11, 12, 13),  # states 10-12
    )
    _source_digest = "8523c1e784b0f06a"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            awaitable = self.say(12)
            # line 2: await say(12)
            self.state = 1
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 1:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(11)
            # line 3: await say(11)
            self.state = 2
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 2:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(10)
            # line 4: await say(10)
            self.state = 3
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 3:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(9)
            # line 5: await say(9)
            self.state = 4
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 4:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(8)
            # line 6: await say(8)
            self.state = 5
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 5:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(7)
            # line 7: await say(7)
            self.state = 6
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 6:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(6)
            # line 8: await say(6)
            self.state = 7
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 7:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(5)
            # line 9: await say(5)
            self.state = 8
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 8:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(4)
            # line 10: await say(4)
            self.state = 9
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 9:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(3)
            # line 11: await say(3)
            self.state = 10
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 10:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(2)
            # line 12: await say(2)
            self.state = 11
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 11:
            self.state = 0
            if error is not None:
                self.reraise(error)
        if self.state == 0:
            awaitable = self.say(1)
            # line 13: await say(1)
            self.state = 12
            value, error, awaitable = self.run_now(awaitable)
            if awaitable is not None:  # something to wait for
                return awaitable
        if self.state == 12:
            self.state = 0
            if error is not None:
                self.reraise(error)


@coroutine_function
def countdown(say):
    self = _countdown()
    self.state = 0  # not started
    self._awaiting = None
    self.say = say
    return self
