"""The article's program as the article writes it, with asyncio: compiled, it runs there too.

    statemachine-compiler run examples/article_on_asyncio.py [SECONDS]

The same state machines run on asyncio as on the runtime: asyncio drives
them with ``send()`` and ``throw()`` like native coroutines.  The two
servers are the delay servers of ``examples/delay_http.py``, on asyncio.
"""

import asyncio
import sys

from delay_http import DelayServer, HTTPClient
from loops import AsyncioLoop

LOOP = AsyncioLoop()
http = HTTPClient(LOOP)


async def send_to_server(addr):
    time_before_next_request = 0
    while True:
        await asyncio.sleep(time_before_next_request)
        resp = await http.get(addr)
        print(f"{resp.server} answered {resp.data}", flush=True)
        time_before_next_request = float(resp.data)


async def main(addr1, addr2):
    join = asyncio.gather(
        send_to_server(addr1),
        send_to_server(addr2)
    )
    await join


async def for_a_while(seconds):
    addrs = [await DelayServer(LOOP, f"server{n}", seed=n).start() for n in (1, 2)]
    coro = send_to_server(addrs[0])
    print(f"send_to_server() gives a {type(coro).__qualname__} object, and asyncio runs it",
          flush=True)
    coro.close()  # only looked at
    try:
        async with asyncio.timeout(seconds):
            await main(*addrs)
    except TimeoutError:
        print(f"{seconds:g} s are up")
    http.close()


asyncio.run(for_a_while(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0))
