"""Client side of the 10,000-connection load test, run in its own process.

Usage: python load_client.py PORT CONNECTIONS

Opens CONNECTIONS connections (at most 200 handshakes at a time), holds them
all open at once, then sends a distinct line on each and checks its echo, and
closes them only when every one has been echoed.  Prints ``ok N`` on success.
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
    all_echoed = runtime.Event()
    opened = echoed = 0

    async def one(i):
        nonlocal opened, echoed
        async with connecting:
            stream = await runtime.open_connection("127.0.0.1", port)
        async with stream:
            opened += 1
            if opened == count:
                all_open.set()
            await all_open.wait()
            line = f"connection {i}\n".encode()
            try:
                await stream.write(line)
                ok = await stream.readline() == line
            finally:
                # Close nothing until every connection has been echoed (or
                # failed): then all of the server's handlers are running at
                # once, however slowly it accepted them.
                echoed += 1
                if echoed == count:
                    all_echoed.set()
            await all_echoed.wait()
            return ok

    results = await runtime.gather(*(one(i) for i in range(count)))
    return sum(results)


if __name__ == "__main__":
    port, count = int(sys.argv[1]), int(sys.argv[2])
    raise_fd_limit(count + 100)
    print("ok", runtime.run(main(port, count)), flush=True)
