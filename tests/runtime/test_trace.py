"""The trace mode: run(..., trace=...) or RUNTIME_TRACE=1 narrates each turn of the loop."""

import io
import re
import socket

import pytest

import runtime
from runtime.loop.kernel import Kernel, TracingKernel, running_kernel
from runtime.loop.trace import LoopTrace


def traced(coro, **options):
    """Run *coro* traced into a string; return (result, what the trace printed)."""
    out = io.StringIO()
    result = runtime.run(coro, trace=LoopTrace(file=out, **options))
    return result, out.getvalue()


async def kernel_type():
    await runtime.sleep(0)
    return type(running_kernel())


def test_untraced_run_uses_the_plain_kernel(monkeypatch):
    monkeypatch.delenv("RUNTIME_TRACE", raising=False)
    assert runtime.run(kernel_type()) is Kernel


def test_runtime_trace_environment_variable_chooses_the_tracing_kernel(monkeypatch, capsys):
    monkeypatch.setenv("RUNTIME_TRACE", "1")
    assert runtime.run(kernel_type()) is TracingKernel
    assert "-- turn 1 at" in capsys.readouterr().err


def test_trace_false_overrides_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("RUNTIME_TRACE", "1")
    assert runtime.run(kernel_type(), trace=False) is Kernel
    assert capsys.readouterr().err == ""


def test_trace_true_prints_every_turn_to_stderr(monkeypatch, capsys):
    monkeypatch.delenv("RUNTIME_TRACE", raising=False)

    async def main():
        for _ in range(3):
            await runtime.sleep(0)
        return "done"

    assert runtime.run(main(), trace=True) == "done"
    err = capsys.readouterr().err
    assert [line.split(" at ")[0] for line in err.splitlines() if line.startswith("-- turn")] \
        == ["-- turn 1", "-- turn 2", "-- turn 3", "-- turn 4"], err
    assert "after   done: returned 'done'" in err


def test_records_before_and_after_show_the_line_and_the_variables():
    async def main():
        count = 1
        await runtime.sleep(0.001)
        count = 2
        await runtime.sleep(0.001)
        return count

    result, trace = traced(main())
    assert result == 2
    before_first = main.__code__.co_firstlineno
    assert f"before  test_records_before_and_after_show_the_line_and_the_variables.<locals>.main line {before_first} {{}}" in trace, trace
    assert "{count=1}" in trace and "{count=2}" in trace, trace
    assert "blocked on sleep" in trace


def test_trace_names_the_timer_the_epoll_wait_and_what_expired():
    async def main():
        await runtime.sleep(0.01)

    _, trace = traced(main())
    assert "nearest timer in 0.0" in trace and "main asleep" in trace, trace
    assert "epoll_wait(timeout=0.0" in trace, trace
    assert "timers due: task" in trace, trace


def test_trace_names_the_ready_fd_and_the_task_waiting_on_it():
    left, right = socket.socketpair()
    left.setblocking(False)
    fd = left.fileno()

    async def reader():
        return await runtime.sock_recv(left, 10)

    async def main():
        task = runtime.spawn(reader())
        await runtime.sleep(0.005)
        right.send(b"hello")
        return await task

    try:
        result, trace = traced(main())
    finally:
        left.close()
        right.close()
    assert result == b"hello"
    assert re.search(rf"-> fd {fd} readable: task \d+ reads", trace), trace
    assert "awaiting sock_recv line" in trace, trace


def test_trace_every_prints_only_some_turns():
    async def main():
        for _ in range(50):
            await runtime.sleep(0)

    _, trace = traced(main(), every=60)
    assert trace.count("-- turn") == 1, trace


def test_exceptions_pass_through_a_traced_loop():
    async def main():
        await runtime.sleep(0)
        raise ValueError("from main")

    with pytest.raises(ValueError, match="from main"):
        traced(main())


def test_trace_works_over_the_selectors_fallback():
    import selectors

    async def main():
        await runtime.sleep(0.001)
        return "ok"

    out = io.StringIO()
    assert runtime.run(main(), selector=selectors.SelectSelector,
                       trace=LoopTrace(file=out)) == "ok"
    assert "epoll_wait(timeout=" in out.getvalue()
