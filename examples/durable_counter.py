"""A workflow of numbered steps that survives being killed: each step is checkpointed.

    statemachine-compiler run examples/durable_counter.py STATE_DIR [--steps N] [--stop-after K]

Each step appends its number to STATE_DIR/done.txt (the work), then the
workflow saves itself with ``await runtime.checkpoint(...)``.  Run again
after the process was killed (``kill -9``), it restores the last checkpoint
in the new process and goes on with the next step: no step is lost, and none
is done twice, as long as the kill comes between steps.  ``--stop-after K``
makes it wait, after the checkpoint of step K, to be killed (the test does).
"""

import argparse
import os
import time

import runtime


def do_the_work(state_dir, step):
    # A function of its own: an open file cannot be saved in a checkpoint,
    # so the workflow holds none across its awaits.
    with open(os.path.join(state_dir, "done.txt"), "a") as done:
        done.write(f"{step}\n")


async def workflow(state_dir, steps):
    checkpoint = os.path.join(state_dir, "workflow.checkpoint")
    total = 0
    for step in range(1, steps + 1):
        total += step
        do_the_work(state_dir, step)
        restored = await runtime.checkpoint(checkpoint)
        print(f"step {step} checkpointed{' (restored here)' if restored else ''}, total {total}", flush=True)
        await runtime.sleep(0.01)
        if step == STOP_AFTER:
            print(f"waiting to be killed after step {step}", flush=True)
            while True:
                time.sleep(1)  # blocks the whole loop: nothing else may run before the kill
    return total


STOP_AFTER = None


def main():
    global STOP_AFTER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state_dir")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--stop-after", type=int)
    args = parser.parse_args()
    STOP_AFTER = args.stop_after
    checkpoint = os.path.join(args.state_dir, "workflow.checkpoint")
    if os.path.exists(checkpoint):
        print("restoring", checkpoint, flush=True)
        coroutine = runtime.restore(checkpoint)
    else:
        coroutine = workflow(args.state_dir, args.steps)
    print("total", runtime.run(coroutine))
    os.remove(checkpoint)  # the workflow is over: a next run starts afresh


if __name__ == "__main__":
    main()
