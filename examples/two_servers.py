"""The article's program, for real: two HTTP servers, one client, one thread.

    statemachine-compiler run examples/two_servers.py                  # 5 s, two local servers
    statemachine-compiler run examples/two_servers.py --trace-every 1  # and a loop turn each second
    RUNTIME_TRACE=1 statemachine-compiler run examples/two_servers.py --duration 0.5   # every turn
    statemachine-compiler run examples/two_servers.py --loop asyncio   # the same code on asyncio
    statemachine-compiler run examples/two_servers.py --serve          # servers only, for curl
    statemachine-compiler run examples/two_servers.py --servers URL URL   # servers elsewhere

"Imagine a simple program whose job is to periodically send requests to
server1 and server2.  The delay before the next request is determined by
the previous response."  ``send_to_server`` and ``main`` are the article's;
the servers (``examples/delay_http.py``) answer each request with that
delay, over HTTP/1.1 kept alive.  A lost connection is reported and
reconnected to.  ``statemachine-compiler compile examples/two_servers.py``
shows what the two coroutines become.
"""

import argparse
import sys
import time

from delay_http import CONNECTION_LOST, DelayServer, HTTPClient
from loops import LOOPS

import runtime

RECONNECT_DELAY = 0.1  # seconds before trying a lost server again

LOOP = LOOPS["runtime"]()  # --loop asyncio replaces it
client = HTTPClient(LOOP)
started = time.monotonic()


def sleep(seconds):
    """The loop's sleep: ``runtime.sleep``, or ``asyncio.sleep`` with ``--loop asyncio``."""
    return LOOP.sleep(seconds)


def gather(*coros):
    """The loop's gather: run the coroutines concurrently, return their results."""
    return LOOP.gather(*coros)


def report(line):
    print(f"{time.monotonic() - started:7.3f} s  {line}", flush=True)


async def http_get(addr):
    """GET *addr*; when the connection is lost, say so and try again."""
    while True:
        try:
            resp = await client.get(addr)
        except CONNECTION_LOST as error:
            report(f"{addr}: connection lost ({type(error).__name__}: {error}); reconnecting")
            await sleep(RECONNECT_DELAY)
            continue
        report(f"{resp.server} answered {resp.data}")
        return resp


async def send_to_server(addr):
    time_before_next_request = 0
    while True:
        await sleep(time_before_next_request)
        resp = await http_get(addr)
        time_before_next_request = float(resp.data)


async def main(addr1, addr2):
    join = gather(
        send_to_server(addr1),
        send_to_server(addr2)
    )
    await join


async def start_servers(flaky, log=None):
    """Start server1 and server2 on free loopback ports; return their URLs."""
    servers = [DelayServer(LOOP, f"server{n}", seed=n, flaky=flaky, log=log) for n in (1, 2)]
    return [await server.start() for server in servers]


async def run_for(seconds, servers, flaky):
    """The article's main, with local servers unless given some, stopped after *seconds*."""
    addrs = servers or await start_servers(flaky)
    report(f"{LOOP.name} loop; server1 at {addrs[0]}, server2 at {addrs[1]}")
    try:
        async with LOOP.timeout(seconds):
            await main(*addrs)
    except TimeoutError:
        report(f"{seconds:g} s are up: stopping")
    client.close()


async def serve(flaky):
    for addr in await start_servers(flaky, log=report):
        report(f"listening on {addr}  (try: curl {addr})")
    while True:
        await sleep(3600)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, metavar="SECONDS",
                        help="how long the client runs (default 5)")
    parser.add_argument("--servers", nargs=2, metavar="URL",
                        help="talk to these two servers instead of starting local ones")
    parser.add_argument("--serve", action="store_true",
                        help="only start the two servers, until Ctrl-C")
    parser.add_argument("--loop", choices=sorted(LOOPS), default="runtime",
                        help="the event loop to run on (default: runtime)")
    parser.add_argument("--trace-every", type=float, metavar="SECONDS",
                        help="print one traced turn of the runtime's loop every SECONDS")
    parser.add_argument("--flaky", type=int, default=0, metavar="N",
                        help="local servers cut every N-th response short (default: never)")
    return parser.parse_args(argv)


def run(args):
    global LOOP, client
    LOOP = LOOPS[args.loop]()
    client = HTTPClient(LOOP)
    trace = None
    if args.trace_every is not None:
        trace = runtime.LoopTrace(file=sys.stdout, every=args.trace_every or None)
    coro = serve(args.flaky) if args.serve else run_for(args.duration, args.servers, args.flaky)
    try:
        LOOP.run(coro, trace=trace)
    except KeyboardInterrupt:
        report("stopped")


if __name__ == "__main__":
    run(parse_arguments(sys.argv[1:]))
