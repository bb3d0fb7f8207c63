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
            # line 2: await say(12)
            value = self.run_now(self.say(12), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 3: await say(11)
            value = self.run_now(self.say(11), 2)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 2:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 4: await say(10)
            value = self.run_now(self.say(10), 3)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 3:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 5: await say(9)
            value = self.run_now(self.say(9), 4)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 4:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 6: await say(8)
            value = self.run_now(self.say(8), 5)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 5:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 7: await say(7)
            value = self.run_now(self.say(7), 6)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 6:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 8: await say(6)
            value = self.run_now(self.say(6), 7)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 7:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 9: await say(5)
            value = self.run_now(self.say(5), 8)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 8:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 10: await say(4)
            value = self.run_now(self.say(4), 9)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 9:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 11: await say(3)
            value = self.run_now(self.say(3), 10)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 10:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 12: await say(2)
            value = self.run_now(self.say(2), 11)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 11:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            # line 13: await say(1)
            value = self.run_now(self.say(1), 12)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 12:
            self.state = self.raise_(error) if error else 0


@coroutine_function
def countdown(say):
    self = _countdown()
    self.state = 0  # not started
    self._awaiting = None
    self.say = say
    return self
