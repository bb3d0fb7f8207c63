async def close_all(connections):
    try:
        await connections.flush()
    except OSError:
        # an await inside except: the awaited code still sees the OSError
        await connections.reset()
    try:
        await connections.drain()
    finally:
        # handled here only when an exception is on its way through
        await connections.close()


async def numbers():
    try:
        raise KeyError("no numbers")
    except KeyError:
        yield 0

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.asyncgen import AsyncGeneratorMachine, YieldValue
from runtime.machines.handling import Handling
from runtime.machines.marks import async_generator_function, coroutine_function


class _close_all(StateMachine):
    """async def close_all(connections), line 1"""

    _temporaries = ("_exc1", "_jump1", "_pending1")
    __slots__ = ("connections",) + _temporaries
    _name = "close_all"
    _qualname = "close_all"
    _lines = (1, 3, 6, 8, 11)  # source line of each state
    _source_digest = "6897da071dce22b0"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0 or self.state in (1, 2):
            try:
                if self.state == 2:
                    self.reraise(self._exc1)
                if self.state == 0:
                    # line 3: await connections.flush()
                    value = self.run_now(self.connections.flush(), 1)
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 1:
                    self.state = self.raise_(error) if error else 0
            except OSError as caught:
                self._exc1 = self.entered_except(caught)
                if self.state == 0:
                    # an await inside except: the awaited code still sees the OSError
                    # line 6: await connections.reset()
                    value = self.run_now(Handling(self.connections.reset()), 2)
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 2:
                    self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self._exc1 = None
            self._jump1 = None
        try:
            if self.state == 4 and self._jump1 == "raise":
                # the finally resumes with it in flight
                self.reraise(self._pending1)
            if self.state == 0:
                # line 8: await connections.drain()
                value = self.run_now(self.connections.drain(), 3)
                if self.state:  # suspended: wait for it
                    return value
            elif self.state == 3:
                self.state = self.raise_(error) if error else 0
        except BaseException as caught1:
            self._pending1 = self.entered_except(caught1)
            self._jump1 = "raise"
            raise
        finally:
            if self.state == 0 or self.state == 4:
                if self.state == 0:
                    # handled here only when an exception is on its way through
                    # line 11: await connections.close()
                    value = self.run_now(
                        Handling(
                            self.connections.close(), pending=self._jump1 == "raise"
                        ),
                        4,
                    )
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 4:
                    self.state = self.raise_(error) if error else 0
                self._pending1 = None


@coroutine_function
def close_all(connections):
    self = _close_all()
    self.state = 0  # not started
    self._awaiting = None
    self.connections = connections
    return self


class _numbers(AsyncGeneratorMachine):
    """async def numbers(), line 14"""

    _temporaries = ("_exc1",)
    __slots__ = _temporaries
    _name = "numbers"
    _qualname = "numbers"
    _lines = (14, 18)  # source line of each state
    _source_digest = "c9df948da8b26984"  # checked when a pickle is loaded

    def __init__(self):
        AsyncGeneratorMachine.__init__(self)

    def resume(self, value, error):
        try:
            if self.state == 1:
                self.reraise(self._exc1)
            raise KeyError("no numbers")
        except KeyError as caught:
            self._exc1 = self.entered_except(caught)
            if self.state == 0:
                # line 18: yield 0
                yielded = YieldValue(0, handling=True)
                self.state = 1
                return yielded
            elif self.state == 1:
                self.state = self.raise_(error) if error else 0
        self._exc1 = None


@async_generator_function
def numbers():
    return _numbers()
