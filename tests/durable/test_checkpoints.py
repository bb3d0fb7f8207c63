"""Checkpoints of tasks on the runtime: saved in one process, restored in another."""

import pickle
import re
import signal
import subprocess
import sys
import textwrap

import pytest

import runtime
from runtime.loop.checkpoints import HEADER, CheckpointError
from runtime.loop.traps import SLEEP
from tests.durable.corpus import PRELUDE
from tests.importhook.conftest import subprocess_env

PROGRAM = '''
import os
import sys

import runtime


async def counter(path):
    for step in range(1, 4):
        print("step", step, flush=True)
        if step == 3 and os.environ.get("KILL_WHILE_WRITING"):
            os.fsync = lambda fd: os.kill(os.getpid(), 9)  # dies with the data not yet renamed
        restored = await runtime.checkpoint(path)
        print("after", step, "restored" if restored else "saved", flush=True)
    return "counted"


async def sleeper(event, queue):
    slept = await runtime.sleep(30)
    got = await event.wait()
    item = await queue.get()
    return slept, got, item


async def save_waiting(path):
    event, queue = runtime.Event(), runtime.Queue()
    task = runtime.spawn(sleeper(event, queue))
    await runtime.sleep(0)
    task.checkpoint(path + ".sleeping")
    task._kernel.cancel(task)  # only to wake it now: its sleep is in the checkpoint
    task = runtime.spawn(sleeper_waiting(event, queue))
    await runtime.sleep(0)
    task.checkpoint(path + ".event")
    event.set()
    await runtime.sleep(0)
    await runtime.sleep(0)
    task.checkpoint(path + ".queue")
    task.cancel()


async def sleeper_waiting(event, queue):
    got = await event.wait()
    item = await queue.get()
    return got, item


async def in_timeout(path):
    async with runtime.timeout(5):
        await runtime.checkpoint(path)


async def wake(path):
    task = runtime.spawn(runtime.restore(path))
    await runtime.sleep(0)
    frame = task.coro.cr_frame.f_locals
    print("restored", task, frame["event"], frame["queue"], flush=True)
    frame["event"].set()
    frame["queue"].put_nowait("item")
    return await task


if __name__ == "__main__":
    command, path = sys.argv[1:]
    if command == "count":
        print(runtime.run(counter(path)))
    elif command == "restore":
        print(runtime.run(runtime.restore(path)))
    elif command == "save-waiting":
        runtime.run(save_waiting(path))
    elif command == "remaining":
        from runtime.machines.durable import innermost_awaited

        restored = runtime.restore(path)
        print(*innermost_awaited(restored).reissue)
        restored.close()
    elif command == "in-timeout":
        runtime.run(in_timeout(path))
    elif command == "wake":
        print(runtime.run(wake(path)))
'''


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "checkpointed.py"
    path.write_text(PROGRAM, encoding="utf-8")

    def run(*args, expect=0, output="stdout", **env):
        done = subprocess.run(
            [sys.executable, "-m", "statemachine_compiler", "run", str(path), *map(str, args)],
            env=subprocess_env(STATEMACHINE_COMPILER_QUIET="1", **env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == expect, done.stdout + done.stderr
        return getattr(done, output).splitlines()

    return run


def test_a_task_checkpointed_at_each_step_restores_in_a_new_process(program, tmp_path):
    checkpoint = tmp_path / "counter.checkpoint"
    assert program("count", checkpoint)[-1] == "counted"
    assert program("restore", checkpoint) == ["after 3 restored", "counted"]


def test_a_process_killed_while_writing_leaves_the_previous_checkpoint(program, tmp_path):
    checkpoint = tmp_path / "counter.checkpoint"
    lines = program("count", checkpoint, expect=-signal.SIGKILL, KILL_WHILE_WRITING="1")
    assert lines == ["step 1", "after 1 saved", "step 2", "after 2 saved", "step 3"]
    assert checkpoint.read_bytes().startswith(HEADER)
    # The checkpoint of step 2, whole: the kill left only a temporary file.
    assert program("restore", checkpoint) == ["after 2 restored", "step 3", "after 3 saved", "counted"]


def test_a_sleeping_task_resumes_with_the_time_that_was_left(program, tmp_path):
    checkpoint = tmp_path / "waiting"
    program("save-waiting", checkpoint)
    code, remaining = program("remaining", f"{checkpoint}.sleeping")[0].split()
    assert int(code) == SLEEP
    assert 0 < float(remaining) < 30


def test_tasks_waiting_on_an_event_and_a_queue_wait_again_on_the_restored_ones(program, tmp_path):
    checkpoint = tmp_path / "waiting"
    program("save-waiting", checkpoint)
    lines = program("wake", f"{checkpoint}.event")
    assert lines[0].startswith("restored <Task") and "blocked on park" in lines[0]
    assert "<Event unset waiters=1>" in lines[0]
    assert lines[-1] == "(True, 'item')"
    lines = program("wake", f"{checkpoint}.queue")
    assert "<Event set waiters=0>" in lines[0] and "getters=1" in lines[0]
    assert lines[-1] == "(True, 'item')"


def test_restore_refuses_a_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "not-a-checkpoint"
    path.write_bytes(pickle.dumps("something else"))
    with pytest.raises(CheckpointError, match=r"is not a checkpoint file \(it does not start with"):
        runtime.restore(path)
    path.write_bytes(HEADER + b"\x80\x05damaged")
    with pytest.raises(CheckpointError, match="is a damaged checkpoint file"):
        runtime.restore(path)


def test_a_task_cannot_checkpoint_itself_but_through_the_trap(tmp_path):
    async def main():
        return runtime.current_task().checkpoint(tmp_path / "x")

    with pytest.raises(CheckpointError, match=r"from inside itself: use 'await runtime.checkpoint\(path\)'"):
        runtime.run(main())


def test_a_native_task_cannot_be_checkpointed(tmp_path):
    async def main():
        await runtime.checkpoint(tmp_path / "x")

    with pytest.raises(CheckpointError, match=r"only compiled coroutines can be checkpointed: .*main.* is a native coroutine"):
        runtime.run(main())
    assert not (tmp_path / "x").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left either


def test_the_readme_shows_checkpoint_and_restore():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Durable coroutines", 1)[1]
    for shown in ("runtime.checkpoint(", "runtime.restore(", "copy.deepcopy", "pickle"):
        assert shown in section, textwrap.shorten(section, 200)


def test_a_task_inside_a_timeout_scope_cannot_be_saved_and_says_why(program, tmp_path):
    errors = program("in-timeout", tmp_path / "x", expect=1, output="stderr")
    assert re.match(
        r"runtime\.machines\.durable\.CannotSave: cannot save coroutine 'in_timeout' suspended at line \d+ "
        r".*: the value '_with\d*' it keeps for the statement it is suspended in holds <Task 1 in_timeout\(\) running>, "
        r"a 'runtime\.loop\.tasks\.Task' object, at _with\d*\.manager\._task, which cannot be pickled \(cannot pickle <Task 1 "
        r"in_timeout\(\) running>: a task belongs to the loop",
        errors[-1],
    )
    assert not (tmp_path / "x").exists()


WAITING = '''
import runtime


async def reader(connection):
    await runtime.wait_readable(connection)


async def joiner(other):
    return await other


async def forever():
    await runtime.sleep(30)
'''


def test_a_task_waiting_on_io_or_a_join_cannot_be_saved_and_says_on_what_and_where(compiled, tmp_path):
    import socket

    module = compiled(WAITING)
    errors = []

    async def main():
        left, right = socket.socketpair()
        with left, right:
            sleeper = runtime.spawn(module.forever())
            waiting = [runtime.spawn(module.reader(left)), runtime.spawn(module.joiner(sleeper))]
            await runtime.sleep(0)
            for task in waiting:
                with pytest.raises(CheckpointError) as caught:
                    task.checkpoint(tmp_path / "x")
                errors.append(str(caught.value))
                task.cancel()
            sleeper.cancel()
            return left.fileno()

    descriptor = runtime.run(main())
    reading, joining = errors
    lines = (PRELUDE + WAITING).splitlines()
    read_at = lines.index("    await runtime.wait_readable(connection)") + 1
    join_at = lines.index("    return await other") + 1
    assert re.match(
        rf"cannot checkpoint <Task \d+ reader\(\) blocked on read fd {descriptor}>: it waits for fd {descriptor} "
        rf"to be readable, in coroutine 'reader' suspended at line {read_at} of .*durable_subject\.py: only a task",
        reading,
    ), reading
    assert re.match(
        r"cannot checkpoint <Task \d+ joiner\(\) blocked on join>: it waits for <Task \d+ forever\(\) blocked "
        rf"on sleep> to finish, in coroutine 'joiner' suspended at line {join_at} of .*durable_subject\.py: only a task",
        joining,
    ), joining
    assert not (tmp_path / "x").exists()
