async def f(command):
    match await fetch(command):
        case ["go", direction] if direction != "up":
            await fetch(direction)
            result = direction
        case ["stop"]:
            result = "stopped"
        case _:
            result = await fetch(None)
    return result

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(command), line 1"""

    __slots__ = ("command", "direction", "result")
    _name = "f"
    _qualname = "f"
    _lines = (1, 2, 4, 9)  # source line of each state
    _source_digest = "a2f152d097882cfa"  # checked when a pickle is loaded
    _may_read_unbound = True  # a local may be read before it is bound

    def resume(self, value, error):
        if self.state == 0:
            # line 2: await fetch(command)
            value = self.run_now(fetch(self.command), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            matched = 0
            try:
                match value:
                    case ["go", direction] if (
                        self.bind(direction=direction) and self.direction != "up"
                    ):
                        matched = 1
                    case ["stop"]:
                        self.result = "stopped"
                    case _:
                        matched = 3
            finally:
                value = None
        if (self.state == 0 and matched == 1) or self.state == 2:
            if self.state == 0:
                # line 4: await fetch(direction)
                value = self.run_now(fetch(self.direction), 2)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 2:
                self.state = self.raise_(error) if error else 0
            self.result = self.direction
        elif (self.state == 0 and matched == 3) or self.state == 3:
            if self.state == 0:
                # line 9: await fetch(None)
                value = self.run_now(fetch(None), 3)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 3:
                self.state = self.raise_(error) if error else 0
            self.result = value
            value = None
        return self.result


@coroutine_function
def f(command):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.command = command
    return self
