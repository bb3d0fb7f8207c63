async def handle(request, db, log):
    # one request: read the body, store each item, always answer
    log.info("start %s", request.path)
    try:
        body = await request.read()  # the whole body, at once
        saved = 0
        for item in body.items():
            # every item goes through one transaction
            async with db.transaction() as tx:
                await tx.insert(item)
            saved += 1
        status = 200
    except ValueError as error:
        log.warning("bad body: %s", error)
        status = 400
    finally:
        await request.close()  # the connection, whatever happened
    log.info("done %s", status)
    return status

# output
from runtime.machines.statemachine import EXHAUSTED, StateMachine
from runtime.machines.handling import Handling
from runtime.machines.contexts import AsyncWith
from runtime.machines.marks import coroutine_function


class _handle(StateMachine):
    """async def handle(request, db, log), line 1"""

    _temporaries = ("_jump1", "_pending1", "_it1", "_with1", "_exc1")
    __slots__ = (
        *("request", "db", "log", "body", "saved", "item", "tx", "status", "error"),
        *_temporaries,
    )
    _name = "handle"
    _qualname = "handle"
    _lines = (1, 5, 9, 10, 9, 9, 17)  # source line of each state
    _source_digest = "439586df14935d2a"  # checked when a pickle is loaded

    def resume(self, value, error):
        if self.state == 0:
            # one request: read the body, store each item, always answer
            self.log.info("start %s", self.request.path)
            self._jump1 = None
        try:
            if self.state == 6 and self._jump1 == "raise":
                # the finally resumes with it in flight
                self.reraise(self._pending1)
            if self.state == 0 or self.state in (1, 2, 3, 4, 5):
                try:
                    if self.state == 0:
                        # the whole body, at once
                        # line 5: await request.read()
                        value = self.run_now(self.request.read(), 1)
                        if self.state:  # suspended: wait for it
                            return value
                    elif self.state == 1:
                        self.state = self.raise_(error) if error else 0
                    if self.state == 0:
                        self.body = value
                        value = None
                        self.saved = 0
                        self._it1 = iter(self.body.items())
                    while (
                        self.state == 0
                        and (item1 := next(self._it1, EXHAUSTED)) is not EXHAUSTED
                    ) or self.state in (2, 3, 4, 5):
                        if self.state == 0:
                            self.item = item1
                            del item1
                            # every item goes through one transaction
                            self._with1 = AsyncWith(self.db.transaction())
                            # line 9: async with db.transaction() as tx
                            value = self.run_now(self._with1.enter(), 2)
                            if self.state:  # suspended: wait for it
                                return value
                        elif self.state == 2:
                            self.state = self.raise_(error) if error else 0
                        if self.state == 0:
                            self.tx = value
                            value = None
                        try:
                            if self.state == 4:
                                self.reraise(self._exc1)
                            if self.state == 0:
                                # line 10: await tx.insert(item)
                                value = self.run_now(self.tx.insert(self.item), 3)
                                if self.state:  # suspended: wait for it
                                    return value
                            elif self.state == 3:
                                self.state = self.raise_(error) if error else 0
                        except BaseException as caught:
                            self._exc1 = self.entered_except(caught)
                            if self.state == 0:
                                # line 9: async with db.transaction() as tx
                                value = self.run_now(self._with1.exit(caught), 4)
                                if self.state:  # suspended: wait for it
                                    return value
                            elif self.state == 4:
                                self.state = self.raise_(error) if error else 0
                            if not value:
                                raise
                        else:
                            if self.state == 0:
                                # line 9: async with db.transaction() as tx
                                value = self.run_now(self._with1.exit(), 5)
                                if self.state:  # suspended: wait for it
                                    return value
                            elif self.state == 5:
                                self.state = self.raise_(error) if error else 0
                        self._exc1 = None
                        self.saved += 1
                        continue  # back to the test (3.11 specialises the loop here)
                    self._it1 = None
                    self.status = 200
                except ValueError as caught1:
                    self._exc1 = self._with1 = self._it1 = None
                    self.error = caught1
                    try:
                        self.log.warning("bad body: %s", self.error)
                        self.status = 400
                    finally:
                        self.error = None
                        del self.error
        except BaseException as caught2:
            self._exc1 = self._with1 = self._it1 = None
            self._pending1 = self.entered_except(caught2)
            self._jump1 = "raise"
            raise
        finally:
            if self.state == 0 or self.state == 6:
                if self.state == 0:
                    # the connection, whatever happened
                    # line 17: await request.close()
                    value = self.run_now(
                        Handling(self.request.close(), pending=self._jump1 == "raise"),
                        6,
                    )
                    if self.state:  # suspended: wait for it
                        return value
                elif self.state == 6:
                    self.state = self.raise_(error) if error else 0
                self._pending1 = None
        self.log.info("done %s", self.status)
        return self.status


@coroutine_function
def handle(request, db, log):
    self = _handle()
    self.state = 0  # not started
    self._awaiting = None
    self.request = request
    self.db = db
    self.log = log
    return self
