"""A concurrent crawler of the local delay servers: a concurrency limit and a timeout per request.

    statemachine-compiler run examples/crawler.py [--pages 12] [--limit 3] [--timeout 0.3]

It starts two ``DelayServer``s (``examples/delay_http.py``) and fetches
``--pages`` pages from them, at most ``--limit`` at a time
(``runtime.Semaphore``), each within ``--timeout`` seconds
(``runtime.timeout``).  Every fourth page asks its server to think for a
second first (``?wait=1``), so it times out; the crawl goes on.
"""

import argparse

from delay_http import DelayServer, HTTPClient
from loops import RuntimeLoop

import runtime

LOOP = RuntimeLoop()
in_flight = 0      # requests being made right now
most_in_flight = 0  # the most there ever were at once


async def fetch(client, url, limit, seconds):
    """GET *url* once a slot of *limit* is free, within *seconds*; return a line for the log."""
    global in_flight, most_in_flight
    async with limit:
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        try:
            async with runtime.timeout(seconds):
                resp = await client.get(url)
            return f"{url} -> {resp.data} from {resp.server}"
        except TimeoutError:
            return f"{url} -> timed out after {seconds} s"
        finally:
            in_flight -= 1


async def crawl(pages, limit, seconds):
    servers = [await DelayServer(LOOP, f"server{n}", seed=n).start() for n in (1, 2)]
    urls = [f"{servers[n % 2]}page/{n}" + ("?wait=1" if n % 4 == 3 else "")
            for n in range(pages)]
    client = HTTPClient(LOOP)
    slots = runtime.Semaphore(limit)
    lines = await runtime.gather(*(fetch(client, url, slots, seconds) for url in urls))
    client.close()
    for line in lines:
        print(line)
    timed_out = sum("timed out" in line for line in lines)
    print(f"{pages} pages, {pages - timed_out} fetched, {timed_out} timed out; "
          f"at most {most_in_flight} in flight (limit {limit})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=0.3)
    args = parser.parse_args()
    runtime.run(crawl(args.pages, args.limit, args.timeout))


if __name__ == "__main__":
    main()
