"""Pickling a suspended coroutine: a chain of 3 compiled coroutines with 10 locals each.

    python bench/durable_bench.py [--rounds N]

``SOURCE`` is compiled in memory into the module ``durable_bench_program``
(registered in ``sys.modules``, so pickle finds its classes by name), and
``outer()`` is run to its first suspension: three machines, each with ten
locals (ints, a string, a small list), suspended on a picklable awaitable.
Reported: ``pickle.dumps``, ``pickle.loads``, both together (the round trip
a checkpoint takes, less the file), and ``copy.deepcopy``, in microseconds,
best of N batches.  Aim: a round trip under 50 us.
"""

import argparse
import copy
import os
import pickle
import platform
import sys
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from statemachine_compiler import compile_source  # noqa: E402

SOURCE = '''
class Pause:
    def __init__(self):
        self.done = False

    def __await__(self):
        return self

    def __next__(self):
        return self.send(None)

    def send(self, value):
        if self.done:
            raise StopIteration(value)
        self.done = True
        return "paused"


async def inner(seed):
    a, b, c, d, e = seed, seed + 1, seed + 2, seed + 3, seed + 4
    f, g, h = str(seed), [a, b], (c, d)
    i = await Pause()
    return a + b + c + d + e + len(f) + len(g) + len(h) + i


async def middle(seed):
    a, b, c, d, e = seed, seed + 1, seed + 2, seed + 3, seed + 4
    f, g, h = str(seed), [a, b], (c, d)
    i = await inner(seed * 2)
    return a + b + c + d + e + len(f) + len(g) + len(h) + i


async def outer(seed):
    a, b, c, d, e = seed, seed + 1, seed + 2, seed + 3, seed + 4
    f, g, h = str(seed), [a, b], (c, d)
    i = await middle(seed * 3)
    return a + b + c + d + e + len(f) + len(g) + len(h) + i
'''

BATCH = 2000


def load():
    module = types.ModuleType("durable_bench_program")
    sys.modules[module.__name__] = module
    exec(compile(compile_source(SOURCE, "<durable_bench>").code, "<durable_bench>", "exec"), module.__dict__)
    return module


def best_microseconds(operation, rounds):
    best = float("inf")
    for _ in range(rounds):
        # What the operation makes is kept until the batch is timed: closing
        # a suspended coroutine when it is dropped is no part of saving it.
        made = [None] * BATCH
        start = time.perf_counter()
        for n in range(BATCH):
            made[n] = operation()
        best = min(best, (time.perf_counter() - start) / BATCH)
        for machine in made:
            if hasattr(machine, "close"):
                machine.close()
    return best * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="batches of 2000; best kept")
    args = parser.parse_args(argv)
    coroutine = load().outer(1)
    assert coroutine.send(None) == "paused"
    blob = pickle.dumps(coroutine)
    restored = pickle.loads(blob)
    expected = coroutine.cr_frame.f_locals
    assert restored.cr_frame.f_locals == expected
    assert len(expected) == 9 and restored.cr_await.cr_await.cr_await is not None
    figures = {
        "pickle.dumps": best_microseconds(lambda: pickle.dumps(coroutine), args.rounds),
        "pickle.loads": best_microseconds(lambda: pickle.loads(blob), args.rounds),
        "dumps + loads": best_microseconds(lambda: pickle.loads(pickle.dumps(coroutine)), args.rounds),
        "copy.deepcopy": best_microseconds(lambda: copy.deepcopy(coroutine), args.rounds),
    }
    print(
        f"durable_bench: Python {platform.python_version()}, a chain of 3 suspended coroutines, "
        f"10 locals each ({len(blob)} bytes pickled), best of {args.rounds} x {BATCH}"
    )
    for name, microseconds in figures.items():
        print(f"  {name:<15}{microseconds:>8.1f} us")
    print(f"  round trip: {figures['dumps + loads']:.1f} us   (target < 50 us)")
    for machine in (coroutine, restored):
        machine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
