"""Client side of the 10,000-connection load test, run in its own process.

Usage: python load_client.py PORT CONNECTIONS

Opens CONNECTIONS connections (at most 200 handshakes at a time), holds them
all open at once, then sends a distinct line on each and checks its echo.
Prints ``ok N`` on success.
"""

import resource
import sys

import runtime


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


async def main(port, count):
    connecting = runtime.Semaphore(200)
    all_open = runtime.Event()
    opened = 0

    async def one(i):
        nonlocal opened
        async with connecting:
            stream = await runtime.open_connection("127.0.0.1", port)
        async with stream:
            opened += 1
            if opened == count:
                all_open.set()
            await all_open.wait()
            line = f"connection {i}\n".encode()
            await stream.write(line)
            return await stream.readline() == line

    results = await runtime.gather(*(one(i) for i in range(count)))
    return sum(results)


if __name__ == "__main__":
    port, count = int(sys.argv[1]), int(sys.argv[2])
    raise_fd_limit(count + 100)
    print("ok", runtime.run(main(port, count)), flush=True)
