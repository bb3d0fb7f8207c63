class Account:
    def reader(self, extra):
        # its class is made once, at module level; its resume at each call, here
        async def inner():
            return self.balance + extra + await fetch()

        return inner

# output
from runtime.machines.statemachine import StateMachine, weak_reference
from runtime.machines.marks import coroutine_function


class _Account_reader_inner(StateMachine):
    """async def inner(), line 4"""

    _temporaries = ("_t1", "resume")
    __slots__ = _temporaries
    _name = "inner"
    _qualname = "Account.reader.<locals>.inner"
    _lines = (4, 5)  # source line of each state
    _source_digest = "0f342b70cda14d1e"  # checked when a pickle is loaded
    _resume_maker = "_make_Account_reader_inner_resume"  # where its resume is made


class Account:
    def reader(self, extra):
        # its class is made once, at module level; its resume at each call, here
        @_Account_reader_inner.resume_maker
        def _make_Account_reader_inner_resume(machine):
            # Made here, in reader, so that inner's coroutines close over
            # reader's variables, as natively; machine: a weak reference, no cycle.

            def resume(value, error):
                frame = machine()
                if frame.state == 0:
                    frame._t1 = self.balance + extra
                    # line 5: await fetch()
                    value = frame.run_now(fetch(), 1)
                    if frame.state:  # suspended: wait for it
                        return value
                elif frame.state == 1:
                    frame.state = frame.raise_(error) if error else 0
                try:
                    return frame._t1 + value
                finally:
                    value = None

            return resume

        @coroutine_function
        def inner():
            frame = _Account_reader_inner()
            frame.state = 0  # not started
            frame._awaiting = None
            frame.resume = _make_Account_reader_inner_resume(weak_reference(frame))
            return frame

        return inner
