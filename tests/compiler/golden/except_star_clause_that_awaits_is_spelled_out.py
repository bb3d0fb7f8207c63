async def f(client):
    try:
        await client.send_all()
    except* ConnectionError as group:
        await client.report(group)
    except* ValueError:
        client.retry = True
    return "done"

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.handling import Handling
from runtime.machines.exception_groups import ExceptStar
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(client), line 1"""

    _temporaries = ("_star1",)
    __slots__ = ("client", "group") + _temporaries
    _name = "f"
    _qualname = "f"
    _lines = (1, 3, 5)  # source line of each state
    _source_digest = "fe2c667a3aa55e8d"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            self._star1 = None
        if self.state == 0 or self.state == 1:
            try:
                if self.state == 0:
                    # line 3: await client.send_all()
                    value = self.run_now(self.client.send_all(), 1)
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 1:
                    self.state = self.raise_(error) if error else 0
            except BaseException as caught:
                # except*: each clause below takes the part of it that it matches
                self._star1 = ExceptStar(caught)
        if (self.state == 0 and self._star1 is not None) or self.state == 2:
            try:
                if self.state == 2:
                    self.reraise(self._star1.enter())
                # The type is tested while the last part matched (first: all of it) is handled.
                raise self._star1.enter()
            except BaseException:
                self._star1.entered()  # undo what raising it changed: traceback, context
                if (
                    self.state == 0 and self._star1.match(ConnectionError)
                ) or self.state == 2:
                    try:
                        if self.state == 2:
                            self.reraise(self._star1.enter())
                        # The clause runs while the part it matched is handled.
                        raise self._star1.enter()
                    except BaseException as caught4:
                        if self.state == 0:
                            self.group = caught4
                        self._star1.entered()  # undo what raising it changed: traceback, context
                        try:
                            try:
                                if self.state == 0:
                                    # line 5: await client.report(group)
                                    value = self.run_now(
                                        Handling(self.client.report(self.group)), 2
                                    )
                                    if self.state:  # suspended: wait for it
                                        return value
                                elif self.state == 2:
                                    self.state = self.raise_(error) if error else 0
                            except BaseException as caught1:
                                # What a clause raises is kept for the end: the next clauses run first.
                                self._star1.raised(caught1)
                        finally:
                            if self.state == 0:
                                self.group = None
                                del self.group
            try:
                # The type is tested while the last part matched (first: all of it) is handled.
                raise self._star1.enter()
            except BaseException:
                self._star1.entered()  # undo what raising it changed: traceback, context
                if self._star1.match(ValueError):
                    try:
                        # The clause runs while the part it matched is handled.
                        raise self._star1.enter()
                    except BaseException:
                        self._star1.entered()  # undo what raising it changed: traceback, context
                        try:
                            self.client.retry = True
                        except BaseException as caught2:
                            # What a clause raises is kept for the end: the next clauses run first.
                            self._star1.raised(caught2)
            try:
                # Raise what no clause handled, together with what the clauses raised.
                self._star1.reraise()
            except BaseException as caught3:
                # A re-raise, as natively: no line of this statement added to its traceback.
                self._star1.reraising(caught3)
                raise
        self._star1 = None
        return "done"


@coroutine_function
def f(client):
    self = _f()
    self.state = 0  # not started
    self._awaiting = None
    self.client = client
    return self
