__cache = {}


class _Account:
    async def deposit(self, amount, __note=None):
        self.__balance = await fetch(amount)
        return dict(__kw=__note), self.__balance


async def lookup(key):
    __hit = __cache.get(key)
    __init__ = await fetch(key)
    return __hit, __init__

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function

__cache = {}


class _Account_deposit(StateMachine):
    """async def deposit(self, amount, __note=None), line 5"""

    __slots__ = ("self", "amount", "_Account__note")
    _name = "deposit"
    _qualname = "_Account.deposit"
    _lines = (5, 6)  # source line of each state
    _source_digest = "38e4330cefb2214c"  # checked when a pickle is loaded

    def resume(frame, value, error):
        if frame.state == 0:
            # line 6: await fetch(amount)
            value = frame.run_now(fetch(frame.amount), 1)
            if frame.state:  # suspended: wait for it
                return value
        elif frame.state == 1:
            frame.state = frame.raise_(error) if error else 0
        try:
            frame.self._Account__balance = value
        finally:
            value = None
        return dict(__kw=frame._Account__note), frame.self._Account__balance


class _Account:

    @coroutine_function
    def deposit(self, amount, __note=None):
        frame = _Account_deposit()
        frame.state = 0  # not started
        frame._awaiting = None
        frame.self = self
        frame.amount = amount
        frame._Account__note = __note
        return frame


class ___(StateMachine):
    """async def lookup(key), line 10"""

    __slots__ = ("key", "__hit", "init_")
    _name = "lookup"
    _qualname = "lookup"
    _lines = (10, 12)  # source line of each state
    _source_digest = "cbbaa75aa2b67eea"  # checked when a pickle is loaded
    _renamed = {"init_": "__init__"}

    def resume(self, value, error):
        if self.state == 0:
            self.__hit = __cache.get(self.key)
            # line 12: await fetch(key)
            value = self.run_now(fetch(self.key), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        self.init_ = value
        value = None
        return self.__hit, self.init_


@coroutine_function
def lookup(key):
    self = ___()
    self.state = 0  # not started
    self._awaiting = None
    self.key = key
    return self
