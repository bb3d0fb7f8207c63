async def f(state, send, value, error, self):
    resume = await fetch(state)
    return state, send, value, error, self, resume

# output
from runtime.machines.statemachine import StateMachine
from runtime.machines.marks import coroutine_function


class _f(StateMachine):
    """async def f(state, send, value, error, self), line 1"""

    __slots__ = ("state_", "send_", "value", "error", "self", "resume_")
    _name = "f"
    _qualname = "f"
    _lines = (1, 2)  # source line of each state
    _source_digest = "14a41e83aa208a01"  # checked when a pickle is loaded
    _renamed = {"resume_": "resume", "send_": "send", "state_": "state"}

    def resume(frame, value1, error):
        if frame.state == 0:
            # line 2: await fetch(state)
            value1 = frame.run_now(fetch(frame.state_), 1)
            if frame.state:  # suspended: wait for it
                return value1
        elif frame.state == 1:
            frame.state = frame.raise_(error) if error else 0
        frame.resume_ = value1
        value1 = None
        return (
            frame.state_,
            frame.send_,
            frame.value,
            frame.error,
            frame.self,
            frame.resume_,
        )


@coroutine_function
def f(state, send, value, error, self):
    frame = _f()
    frame.state = 0  # not started
    frame._awaiting = None
    frame.state_ = state
    frame.send_ = send
    frame.value = value
    frame.error = error
    frame.self = self
    return frame
