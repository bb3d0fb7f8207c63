"""Run the same async source natively and compiled, and compare what is observable.

``run_both(source, call, script)`` executes ``source`` twice: once as it is,
once through the compiler.  ``call`` is an expression (``"f(3)"``) that makes
the coroutine; the deterministic driver then steps it:

- every value the coroutine yields to the driver is recorded;
- at the n-th suspension the driver does ``script[n]``: ``("send", v)``,
  ``("throw", exception)`` or ``("close",)``; past the end of the script it
  sends the suspension's number;
- the outcome (returned value, or the exception with its type, args,
  ``__cause__`` and ``__context__`` chains) is recorded.

The module-level list ``log`` is shared with the source, so side effects in
order are part of the comparison.  The source gets a small prelude: ``Yield``
(an awaitable that yields its label once and returns what is sent back) and
``tick`` (an async function awaiting it).
"""

from __future__ import annotations

import gc
import sys
import textwrap

import pytest

from statemachine_compiler import compile_source
from statemachine_compiler.modulecode import module_code

PRELUDE = '''
log = []


class Yield:
    """Suspends once: the driver receives ``label`` and sends back the result."""

    def __init__(self, label=None):
        self.label = label

    def __await__(self):
        return (yield self.label)


class Ready:
    """An awaitable that does not suspend."""

    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self.value
        yield


async def tick(label=None):
    return await Yield(label)


async def ready(value):
    return value
'''


def describe_exception(error: BaseException | None, depth: int = 0):
    if error is None or depth > 5:
        return None
    return (
        type(error).__name__,
        tuple(repr(a) for a in error.args),
        describe_exception(error.__cause__, depth + 1),
        describe_exception(error.__context__, depth + 1),
        error.__suppress_context__,
    )


@pytest.fixture
def no_collector():
    """Only reference counting frees anything: a cycle shows as a missing or late "freed"."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def load(source: str, compiled: bool, name: str = "subject", mapped: bool = False):
    """The namespace ``source`` runs in; ``mapped``: compiled as the import hook does, lines the source's."""
    text = PRELUDE + textwrap.dedent(source)
    if compiled and mapped:
        code = module_code(text, f"<{name}>")
    else:
        if compiled:
            text = compile_source(text, f"<{name}>").code
        code = compile(text, f"<{name}>", "exec")
    namespace = {"__name__": name}
    exec(code, namespace)
    return namespace


def drive(coroutine, script=()):
    trace = []
    action = ("send", None)
    step = 0
    while True:
        try:
            if action[0] == "send":
                yielded = coroutine.send(action[1])
            elif action[0] == "throw":
                yielded = coroutine.throw(action[1])
            else:
                result = coroutine.close()
                trace.append(("closed", repr(result)))
                return trace
        except StopIteration as stop:
            trace.append(("return", repr(stop.value)))
            return trace
        except BaseException as error:  # noqa: BLE001 - everything is observable
            trace.append(("raise", describe_exception(error)))
            return trace
        trace.append(("yield", repr(yielded)))
        if step > 10_000:
            trace.append(("runaway",))
            return trace
        action = script[step] if step < len(script) else ("send", step)
        step += 1


def run(source: str, call: str, script=(), compiled=False, mapped=False):
    namespace = load(source, compiled, mapped=mapped)
    coroutine = eval(call, namespace)
    trace = drive(coroutine, script)
    return trace, list(namespace["log"])


def run_both(source: str, call: str, script=(), mapped=False):
    """Return (native, compiled) observations; each is (trace, log).

    ``mapped``: the compiled code's lines are the source's (``module_code``),
    for sources that log line numbers.
    """
    sys_exc = sys.exc_info()
    native = run(source, call, script, compiled=False)
    compiled = run(source, call, script, compiled=True, mapped=mapped)
    assert sys.exc_info() == sys_exc
    return native, compiled


def assert_same(source: str, call: str, script=(), mapped=False):
    native, compiled = run_both(source, call, script, mapped=mapped)
    assert compiled == native, (
        f"compiled differs from native for {call} with script {script!r}\n"
        f"native:   {native}\ncompiled: {compiled}"
    )
    return native


def suspension_count(source: str, call: str) -> int:
    trace, _ = run(source, call)
    return sum(1 for event in trace if event[0] == "yield")


def assert_same_under_every_script(source: str, call: str, exception: BaseException | None = None):
    """Compare plain runs, and a throw and a close at each suspension."""
    exception = exception if exception is not None else ValueError("thrown")
    assert_same(source, call)
    for point in range(suspension_count(source, call)):
        before = [("send", n) for n in range(point)]
        assert_same(source, call, [*before, ("throw", exception)])
        assert_same(source, call, [*before, ("close",)])
