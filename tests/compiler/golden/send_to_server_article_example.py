"""The article's example: two request loops sharing one thread."""

import runtime


async def http_get(addr):
    # Stands in for a real request: the server answers with the next delay.
    await runtime.sleep(0)
    return Response(data=str(len(addr) % 3))


class Response:
    def __init__(self, data):
        self.data = data


async def send_to_server(addr):
    time_before_next_request = 0
    while True:
        await runtime.sleep(time_before_next_request)
        resp = await http_get(addr)
        time_before_next_request = int(resp.data)

# output
"""The article's example: two request loops sharing one thread."""

from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function
import runtime


class _http_get(StateMachine):
    """async def http_get(addr), line 6"""

    __slots__ = ("addr",)
    _name = "http_get"
    _qualname = "http_get"
    _lines = (6, 8)  # source line of each state
    _source_digest = "50f50e64a999f44b"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            # Stands in for a real request: the server answers with the next delay.
            # line 8: await runtime.sleep(0)
            value = self.run_now(runtime.sleep(0), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        return Response(data=str(len(self.addr) % 3))


@coroutine_function
def http_get(addr):
    self = _http_get()
    self.state = 0  # not started
    self._awaiting = None
    self.addr = addr
    return self


class Response:
    def __init__(self, data):
        self.data = data


class _send_to_server(StateMachine):
    """async def send_to_server(addr), line 17"""

    __slots__ = ("addr", "time_before_next_request", "resp")
    _name = "send_to_server"
    _qualname = "send_to_server"
    _lines = (17, 20, 21)  # source line of each state
    _source_digest = "13f0643632c7ae9a"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self.time_before_next_request = 0
        while True:
            if self.state == 0:
                # line 20: await runtime.sleep(time_before_next_request)
                value = self.run_now(runtime.sleep(self.time_before_next_request), 1)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
            if self.state == 0:
                # line 21: await http_get(addr)
                value = self.run_now(http_get(self.addr), 2)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 2:
                self.state = self.raise_(error) if error else 0
            self.resp = value
            value = None
            self.time_before_next_request = int(self.resp.data)


@coroutine_function
def send_to_server(addr):
    self = _send_to_server()
    self.state = 0  # not started
    self._awaiting = None
    self.addr = addr
    return self
