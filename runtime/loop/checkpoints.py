"""Checkpoints: a task saved to a file, and resumed by a new process.

    async def workflow():
        for step in range(start, 10):
            do(step)
            await runtime.checkpoint("workflow.ckpt")   # False now; True once restored

    runtime.run(workflow())                              # first run
    runtime.run(runtime.restore("workflow.ckpt"))        # after a crash: goes on from there

Rules:

1. A checkpoint is the task's coroutine, pickled (runtime.machines.durable):
   compiled coroutines only, with everything they stand on.  A task saves
   itself with ``await checkpoint(path)``; another task saves it with
   ``task.checkpoint(path)`` while it sleeps or waits on an Event, Lock,
   Semaphore or Queue.  A task waiting on a file descriptor or on other
   tasks cannot be saved (what it waits on belongs to this process): the
   error says on what it waits, and in which function at which line.
2. Restored, a task asks its new kernel again for what it was waiting on:
   the rest of its sleep in wall-clock time (the time between the checkpoint
   and the restore counts), a park on the restored primitive.  The
   primitives come back with the state they had, less their waiters.
3. The file is written atomically: a temporary file in the same directory,
   flushed to disk, then renamed over the old one.  A process killed while
   writing leaves the previous checkpoint whole.
4. ``restore`` reads only files that start with this module's header, and
   says so otherwise.  Loading a checkpoint runs code, as unpickling does:
   restore only files your own program wrote.
"""

__all__ = ["CheckpointError", "checkpoint", "restore", "save_task"]

import os
import pickle
import tempfile
import time
from time import monotonic

from runtime.loop.traps import CHECKPOINT, JOIN, PARK, READ, SLEEP, WRITE, PendingTrap, trap
from runtime.machines.durable import where_suspended
from runtime.machines.statemachine import Machine

HEADER = b"statemachine-compiler checkpoint 1\n"


class CheckpointError(Exception):
    """Raised by ``restore`` for a file that is no checkpoint, and when a task cannot be saved."""


def checkpoint(path):
    """Save the calling task to *path* and go on (awaitable).

    Its result is False in the running process, and True in a process that
    restored the task from this checkpoint.
    """
    return trap(CHECKPOINT, os.fspath(path))


def save_task(task, path, answer=None):
    """Write *task*'s coroutine to *path*, atomically (``Task.checkpoint``)."""
    if task._done:
        raise CheckpointError(f"cannot checkpoint {task!r}: it is done")
    if answer is not None:
        resumption = ("answer", answer)  # at its own checkpoint trap
    elif task._kernel.current is task:
        raise CheckpointError(
            f"cannot checkpoint {task!r} from inside itself: use 'await runtime.checkpoint(path)'"
        )
    elif task._blocked == SLEEP:
        resumption = ("sleep", time.time() + max(0.0, task._wait[0] - monotonic()))
    elif task._blocked == PARK:
        resumption = ("park", None)
    elif task._blocked is None and task._next_value is None and task._next_exc is None:
        resumption = ("answer", None)  # ready, and nothing to hand it
    else:
        raise CheckpointError(
            f"cannot checkpoint {task!r}: {_waiting(task)}only a task that sleeps, waits on a "
            "primitive of the runtime or is about to run can be saved"
        )
    if not isinstance(task.coro, Machine):
        raise CheckpointError(
            f"cannot checkpoint {task!r}: only compiled coroutines can be checkpointed: "
            f"{task.coro!r} is a native coroutine (compile its module)"
        )
    if task._cancel is not None:
        raise CheckpointError(f"cannot checkpoint {task!r}: a cancellation is pending")
    data = HEADER + pickle.dumps((task.coro, resumption), protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(os.fspath(path), data)


def _waiting(task):
    """``it waits for fd 5 to be readable, in coroutine 'f' suspended at line 3 of app.py: ``."""
    if task._blocked in (READ, WRITE):
        what = f"fd {task._wait} to be {'readable' if task._blocked == READ else 'writable'}"
    elif task._blocked == JOIN:
        what = " or ".join(map(repr, task._wait)) + " to finish"
    else:
        return ""
    return f"it waits for {what}, in {where_suspended(task.coro)}: "


def write_atomically(path, data):
    """Replace *path* with *data*: whole or not at all, even if the process dies meanwhile."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=".checkpoint-", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    # The rename itself reaches the disk with the directory's entry.
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)


def restore(path):
    """Return the coroutine saved in the checkpoint *path*, ready to run as a task."""
    from runtime.machines.durable import innermost_awaited

    path = os.fspath(path)
    with open(path, "rb") as file:
        data = file.read()
    if not data.startswith(HEADER):
        raise CheckpointError(f"{path!r} is not a checkpoint file (it does not start with {HEADER!r})")
    try:
        coroutine, (kind, detail) = pickle.loads(data[len(HEADER):])
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise CheckpointError(f"{path!r} is a damaged checkpoint file ({error})") from error
    waiting = innermost_awaited(coroutine)
    if kind == "sleep":
        waiting.reissue = (SLEEP, max(0.0, detail - time.time()))
    elif kind == "park":
        waiting.reissue = (PARK, waiting.argument if type(waiting) is PendingTrap else waiting.waiters)
    elif type(waiting) is PendingTrap:
        waiting.answer = detail
    return coroutine
