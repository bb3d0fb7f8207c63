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
from runtime.machines.statemachine import EXHAUSTED, StateMachine, context_manager
from runtime.machines.handling import Handling
from runtime.machines.marks import coroutine_function


class _handle(StateMachine):
    """async def handle(request, db, log), line 1"""

    __slots__ = (
        "request",
        "db",
        "log",
        "body",
        "saved",
        "item",
        "tx",
        "status",
        "error",
        "_jump1",
        "_ret1",
        "_pending1",
        "_it1",
        "_mgr1",
        "_exit1",
        "_exited1",
        "_enter1",
        "_jump2",
        "_ret2",
        "_pending2",
        "_exc1",
    )
    _name = "handle"
    _qualname = "handle"
    _lines = (1, 5, 9, 10, 9, 9, 17)  # source line of each state
    _source_digest = "439586df14935d2a"  # checked when a pickle is loaded
    _temporaries = (
        "_jump1",
        "_ret1",
        "_pending1",
        "_it1",
        "_mgr1",
        "_exit1",
        "_exited1",
        "_enter1",
        "_jump2",
        "_ret2",
        "_pending2",
        "_exc1",
    )

    def __init__(self, request, db, log):
        self.state = 0  # not started
        self._awaiting = None
        self.request = request
        self.db = db
        self.log = log

    def resume(self, value, error1):
        if self.state == 0:
            # one request: read the body, store each item, always answer
            self.log.info("start %s", self.request.path)
            self._jump1 = None
        try:
            if self.state == 6 and self._jump1 == "raise":
                self.reraise(self._pending1)  # the finally resumes with it in flight
            if self.state == 0 or self.state in (1, 2, 3, 4, 5):
                try:
                    try:
                        if self.state == 0:
                            # the whole body, at once
                            awaitable = self.request.read()
                            self.state = 1  # line 5: await request.read()
                            value, error1, awaitable = self.run_now(awaitable)
                            if awaitable is not None:  # something to wait for
                                return awaitable
                        if self.state == 1:
                            self.state = 0
                            if error1 is not None:
                                self.reraise(error1)
                            self.body = value
                            self.saved = 0
                            self._it1 = iter(self.body.items())
                        while (
                            self.state == 0
                            and (item1 := next(self._it1, EXHAUSTED)) is not EXHAUSTED
                        ) or self.state in (2, 3, 4, 5):
                            if self.state == 0:
                                self.item = item1
                                self._mgr1 = self.db.transaction()
                                self._enter1, self._exit1 = context_manager(
                                    self._mgr1, True
                                )
                                awaitable = self._enter1(self._mgr1)
                                self.state = (
                                    2  # line 9: async with db.transaction() as tx
                                )
                                value, error1, awaitable = self.run_now(awaitable)
                                if awaitable is not None:  # something to wait for
                                    return awaitable
                            if self.state == 2:
                                self.state = 0
                                if error1 is not None:
                                    self.reraise(error1)
                                self.tx = value
                                self._exited1 = False
                                self._jump2 = None
                            try:
                                if self.state == 5 and self._jump2 == "raise":
                                    self.reraise(
                                        self._pending2
                                    )  # the finally resumes with it in flight
                                if self.state == 0 or self.state in (3, 4):
                                    try:
                                        try:
                                            if self.state == 4:
                                                self.reraise(self._exc1)
                                            if self.state == 0:
                                                awaitable = self.tx.insert(self.item)
                                                self.state = (
                                                    3  # line 10: await tx.insert(item)
                                                )
                                                value, error1, awaitable = self.run_now(
                                                    awaitable
                                                )
                                                if (
                                                    awaitable is not None
                                                ):  # something to wait for
                                                    return awaitable
                                            if self.state == 3:
                                                self.state = 0
                                                if error1 is not None:
                                                    self.reraise(error1)
                                        except BaseException as caught1:
                                            if self.state == 0:
                                                self._exc1 = caught1
                                            else:  # resumed: drop the frame of the raise that got us here
                                                caught1.__traceback__ = (
                                                    caught1.__traceback__.tb_next
                                                )
                                            try:
                                                if self.state == 0:
                                                    self._exited1 = True
                                                    awaitable = Handling(
                                                        self._exit1(
                                                            self._mgr1,
                                                            type(caught1),
                                                            caught1,
                                                            caught1.__traceback__,
                                                        )
                                                    )
                                                    self.state = 4  # line 9: async with db.transaction() as tx
                                                    value, error1, awaitable = (
                                                        self.run_now(awaitable)
                                                    )
                                                    if (
                                                        awaitable is not None
                                                    ):  # something to wait for
                                                        return awaitable
                                                if self.state == 4:
                                                    self.state = 0
                                                    if error1 is not None:
                                                        self.reraise(error1)
                                                if self.state == 0 and not value:
                                                    raise
                                            finally:
                                                if self.state == 0:
                                                    self._exc1 = None
                                    except BaseException as caught2:
                                        self._jump2 = "raise"
                                        self._pending2 = caught2
                                        raise
                            finally:
                                if self.state == 5 and self._jump2 == "raise":
                                    self._pending2.__traceback__ = (
                                        self._pending2.__traceback__.tb_next
                                    )
                                if self.state == 0 or self.state == 5:
                                    if (
                                        self.state == 0 and not self._exited1
                                    ) or self.state == 5:
                                        if self.state == 0:
                                            awaitable = Handling(
                                                self._exit1(
                                                    self._mgr1, None, None, None
                                                ),
                                                pending=self._jump2 == "raise",
                                            )
                                            self.state = 5  # line 9: async with db.transaction() as tx
                                            value, error1, awaitable = self.run_now(
                                                awaitable
                                            )
                                            if (
                                                awaitable is not None
                                            ):  # something to wait for
                                                return awaitable
                                        if self.state == 5:
                                            self.state = 0
                                            if error1 is not None:
                                                self.reraise(error1)
                                    if self._jump2 == "return":
                                        return self._ret2
                            self.saved += 1
                        self._it1 = None
                        self.status = 200
                    except ValueError as caught3:
                        if self.state == 0:
                            self.error = caught3
                        try:
                            self.log.warning("bad body: %s", self.error)
                            self.status = 400
                        finally:
                            if self.state == 0:
                                self.error = None
                                del self.error
                except BaseException as caught:
                    self._jump1 = "raise"
                    self._pending1 = caught
                    raise
        finally:
            if self.state == 6 and self._jump1 == "raise":
                self._pending1.__traceback__ = self._pending1.__traceback__.tb_next
            if self.state == 0 or self.state == 6:
                if self.state == 0:
                    # the connection, whatever happened
                    awaitable = Handling(
                        self.request.close(), pending=self._jump1 == "raise"
                    )
                    self.state = 6  # line 17: await request.close()
                    value, error1, awaitable = self.run_now(awaitable)
                    if awaitable is not None:  # something to wait for
                        return awaitable
                if self.state == 6:
                    self.state = 0
                    if error1 is not None:
                        self.reraise(error1)
                    if self._jump1 == "return":
                        return self._ret1
        self.log.info("done %s", self.status)
        return self.status


@coroutine_function
def handle(request, db, log):
    return _handle(request, db, log)
