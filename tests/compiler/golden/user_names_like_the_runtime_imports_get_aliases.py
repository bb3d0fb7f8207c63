from myapp.fsm import StateMachine


async def fetch(url):
    for attempt in range(3):
        reply = await get(url)
        if reply:
            return StateMachine(reply)

# output
from runtime.machines.statemachine import EXHAUSTED, StateMachine as StateMachine_
from runtime.machines.marks import coroutine_function
from myapp.fsm import StateMachine


class _fetch(StateMachine_):
    """async def fetch(url), line 4"""

    _temporaries = ("_it1",)
    __slots__ = ("url", "attempt", "reply") + _temporaries
    _name = "fetch"
    _qualname = "fetch"
    _lines = (4, 6)  # source line of each state
    _source_digest = "04705bcdc865dc12"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._it1 = iter(range(3))
        while (
            self.state == 0 and (item := next(self._it1, EXHAUSTED)) is not EXHAUSTED
        ) or self.state == 1:
            if self.state == 0:
                self.attempt = item
                del item
                # line 6: await get(url)
                value = self.run_now(get(self.url), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            self.reply = value
            value = None
            if self.reply:
                return StateMachine(self.reply)
            continue  # back to the test (3.11 specialises the loop here)
        self._it1 = None


@coroutine_function
def fetch(url):
    self = _fetch()
    self.state = 0  # not started
    self._awaiting = None
    self.url = url
    return self
