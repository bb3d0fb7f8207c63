class Client:
    def __init__(self, host):
        self.host = host

    async def get(self, path):
        """Fetch one path from the host."""
        response = await fetch(self.host + path)
        return response.upper()

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _Client_get(StateMachine):
    """async def get(self, path), line 5"""

    __slots__ = ("self", "path", "response")
    _name = "get"
    _qualname = "Client.get"
    _lines = (5, 7)  # source line of each state
    _source_digest = "fae667b28dae9b34"  # checked when a pickle is loaded

    def resume(frame, value, error):
        if frame.state == 0:
            # line 7: await fetch(self.host + path)
            value = frame.run_now(fetch(frame.self.host + frame.path), 1)
            if frame.state:  # suspended: wait for it
                return value
        elif frame.state == 1:
            frame.state = frame.raise_(error) if error else 0
        frame.response = value
        value = None
        return frame.response.upper()


class Client:
    def __init__(self, host):
        self.host = host

    @coroutine_function
    def get(self, path):
        """Fetch one path from the host."""
        frame = _Client_get()
        frame.state = 0  # not started
        frame._awaiting = None
        frame.self = self
        frame.path = path
        return frame
