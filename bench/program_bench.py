"""A realistic asyncio program, run natively and compiled: the ratio a user would feel.

    python bench/program_bench.py [--requests N] [--rounds R]

200 tasks on asyncio each handle N requests.  Handling one request is what
small services do all day: inside ``async with`` (a connection from a pool)
and ``try/finally`` (a counter of requests in flight), parse the request in a
small async helper, look up four keys in a cache whose ``get`` is an async
function that returns at once, and every eighth request give the loop a turn
with ``asyncio.sleep(0)``.  ``SOURCE`` below is that program; it is run as
CPython compiles it and as ``compile_source`` turns it into state machines
(exec'd in memory).  Rounds alternate between the two, the best of each is
kept, and the ratio is compiled / native.
"""

import argparse
import asyncio
import gc
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from statemachine_compiler import compile_source  # noqa: E402

TASKS = 200

SOURCE = '''\
import asyncio


class Pool:
    """Connections handed out by ``async with pool:``."""

    def __init__(self):
        self.free = 4
        self.in_use = 0

    async def __aenter__(self):
        self.in_use += 1
        return self

    async def __aexit__(self, *exc):
        self.in_use -= 1
        return False


class Cache:
    def __init__(self):
        self.data = {f"key{i}": i for i in range(16)}

    async def get(self, key):
        return self.data.get(key, 0)


async def parse(request):
    method, path, size = request.split()
    return method, path, int(size)


async def handle(pool, cache, request, stats):
    stats["in flight"] += 1
    try:
        async with pool as connection:
            method, path, size = await parse(request)
            total = 0
            for key in ("key1", "key5", path, "key9"):
                total += await cache.get(key)
            if size % 8 == 0:
                await asyncio.sleep(0)
            return total + size + connection.in_use
    finally:
        stats["in flight"] -= 1


async def client(pool, cache, number, requests, stats):
    total = 0
    for i in range(requests):
        total += await handle(pool, cache, f"GET key{(number + i) % 16} {i}", stats)
    return total


async def main(tasks, requests):
    pool, cache, stats = Pool(), Cache(), {"in flight": 0}
    clients = [asyncio.create_task(client(pool, cache, n, requests, stats)) for n in range(tasks)]
    return sum(await asyncio.gather(*clients))
'''


def load(compiled):
    text = compile_source(SOURCE, "<program compiled>").code if compiled else SOURCE
    namespace = {"__name__": "program_compiled" if compiled else "program_native"}
    exec(compile(text, "<program>", "exec"), namespace)
    return namespace["main"]


def timed(main, requests):
    gc.collect()
    start = time.perf_counter()
    result = asyncio.run(main(TASKS, requests))
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="requests per task")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; best kept")
    args = parser.parse_args(argv)
    programs = {"native": load(False), "compiled": load(True)}
    best = dict.fromkeys(programs, float("inf"))
    results = {}
    for _ in range(args.rounds):
        for kind, program in programs.items():
            seconds, results[kind] = timed(program, args.requests)
            best[kind] = min(best[kind], seconds)
    if results["native"] != results["compiled"]:
        raise AssertionError(f"compiled gave {results['compiled']}, native {results['native']}")
    requests = TASKS * args.requests
    print(
        f"program_bench: Python {platform.python_version()}, asyncio, {TASKS} tasks x "
        f"{args.requests} requests, best of {args.rounds}"
    )
    for kind in programs:
        print(f"  {kind:<9}{best[kind] * 1e3:>9.1f} ms{best[kind] / requests * 1e6:>9.2f} us/request")
    print(f"  compiled / native: {best['compiled'] / best['native']:.2f}x   (target <= 1.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
