"""A producer/consumer pipeline: an async generator feeds a bounded queue, workers drain it.

    statemachine-compiler run examples/pipeline.py [--items 8] [--workers 2] [--queue 2]

``readings()`` is an async generator: it produces one reading at a time,
sleeping a little between them (a sensor, a socket).  ``produce`` puts each
into a ``runtime.Queue`` of ``--queue`` places, so it waits whenever the
workers fall behind (back-pressure); each worker takes readings off the queue
and works on them; a ``None`` per worker says the stream is over.
"""

import argparse

import runtime


async def readings(count):
    """Yield *count* readings, one every few milliseconds."""
    for n in range(count):
        await runtime.sleep(0.002)
        yield n


async def produce(queue, count, workers):
    async for reading in readings(count):
        await queue.put(reading)
        print(f"produced {reading} (queue holds {queue.qsize()})", flush=True)
    for _ in range(workers):
        await queue.put(None)


async def work(name, queue, results):
    while (reading := await queue.get()) is not None:
        await runtime.sleep(0.005)  # the work takes longer than producing
        results.append(reading * reading)
        print(f"{name} squared {reading}", flush=True)


async def main(count, workers, size):
    queue = runtime.Queue(maxsize=size)
    results = []
    await runtime.gather(
        produce(queue, count, workers),
        *(work(f"worker {n}", queue, results) for n in range(1, workers + 1)),
    )
    print(f"results: {sorted(results)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=2)
    args = parser.parse_args()
    runtime.run(main(args.items, args.workers, args.queue))
