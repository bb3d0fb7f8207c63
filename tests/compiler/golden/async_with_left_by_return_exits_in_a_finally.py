async def first_row(pool, query):
    async with pool.connection() as connection:
        async for row in connection.execute(query):
            return row
    return None

# output
from runtime.machines.statemachine import StateMachine, async_iterator, next_awaitable
from runtime.machines.handling import Handling
from runtime.machines.contexts import AsyncWith
from runtime.machines.marks import coroutine_function


class _first_row(StateMachine):
    """async def first_row(pool, query), line 1"""

    _temporaries = ("_with1", "_jump1", "_ret1", "_pending1", "_ait1", "_exc1")
    __slots__ = ("pool", "query", "connection", "row") + _temporaries
    _name = "first_row"
    _qualname = "first_row"
    _lines = (1, 2, 3, 2, 2)  # source line of each state
    _source_digest = "b50844c74d34ae8e"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._with1 = AsyncWith(self.pool.connection())
            # line 2: async with pool.connection() as connection
            value = self.run_now(self._with1.enter(), 1)
            if self.state:  # suspended: wait for it
                return value
        elif self.state == 1:
            self.state = self.raise_(error) if error else 0
        if self.state == 0:
            self.connection = value
            value = None
            self._jump1 = None
        try:
            if self.state == 4 and self._jump1 == "raise":
                # the finally resumes with it in flight
                self.reraise(self._pending1)
            if self.state == 0 or self.state in (2, 3):
                try:
                    if self.state == 3:
                        self.reraise(self._exc1)
                    if self.state == 0:
                        self._ait1 = async_iterator(self.connection.execute(self.query))
                    while True:
                        try:
                            if self.state == 0:
                                # line 3: async for row in connection.execute(query)
                                value = self.run_now(next_awaitable(self._ait1), 2)
                                if self.state:  # suspended: wait for it
                                    return value
                            elif self.state == 2:
                                self.state = self.raise_(error) if error else 0
                            self.row = value
                            value = None
                        except StopAsyncIteration:
                            break
                        self._ret1 = self.row
                        self._jump1 = "return"
                        return self._ret1
                    self._ait1 = None
                except BaseException as caught:
                    self._ait1 = None
                    self._exc1 = self.entered_except(caught)
                    if self.state == 0:
                        # line 2: async with pool.connection() as connection
                        value = self.run_now(self._with1.exit(caught), 3)
                        if self.state:  # suspended: wait for it
                            return value
                    elif self.state == 3:
                        self.state = self.raise_(error) if error else 0
                    if not value:
                        raise
                self._exc1 = None
        except BaseException as caught1:
            self._exc1 = self._ait1 = None
            self._pending1 = self.entered_except(caught1)
            self._jump1 = "raise"
            raise
        finally:
            if self.state == 0 or self.state == 4:
                if self.state == 0:
                    self._ait1 = None
                if (self.state == 0 and not self._with1.exited) or self.state == 4:
                    if self.state == 0:
                        # line 2: async with pool.connection() as connection
                        value = self.run_now(
                            Handling(
                                self._with1.exit(), pending=self._jump1 == "raise"
                            ),
                            4,
                        )
                        if self.state:  # suspended: wait for it
                            return value
                    elif self.state == 4:
                        self.state = self.raise_(error) if error else 0
                self._pending1 = None
                if self._jump1 == "return":
                    return self._ret1
        return None


@coroutine_function
def first_row(pool, query):
    self = _first_row()
    self.state = 0  # not started
    self._awaiting = None
    self.pool = pool
    self.query = query
    return self
