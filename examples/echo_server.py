"""An echo server and its clients on the runtime: one task per connection, one thread.

    statemachine-compiler run examples/echo_server.py [PORT]        # serve until Ctrl-C
    statemachine-compiler run examples/echo_server.py --clients 3   # serve, talk to it, stop

Then, in another terminal: ``nc 127.0.0.1 8888``.  Ctrl-C stops the server;
every connection task is cancelled and its socket closed on the way out.
With ``--clients N`` the server listens on a free port, N clients each send
a few lines at once and check every echo, and the program exits.
"""

import argparse

import runtime

LINES = 3  # lines each client sends


async def echo(stream):
    """Send every line back until the client hangs up."""
    while line := await stream.readline():
        await stream.write(line)


async def client(number, port):
    """Send a few lines, read each echo back, and return how many came back right."""
    stream = await runtime.open_connection("127.0.0.1", port)
    right = 0
    async with stream:
        for n in range(LINES):
            line = f"client {number} line {n}\n".encode()
            await stream.write(line)
            answer = await stream.readline()
            right += answer == line
            print(f"client {number} got {answer.decode().strip()!r}", flush=True)
    return right


async def serve(port):
    async with await runtime.start_server(echo, "127.0.0.1", port) as server:
        print(f"echoing on 127.0.0.1:{server.port}", flush=True)
        await server.serve_forever()


async def serve_and_talk(clients):
    async with await runtime.start_server(echo, "127.0.0.1", 0) as server:
        print(f"echoing on 127.0.0.1:{server.port}", flush=True)
        results = await runtime.gather(*(client(n, server.port) for n in range(1, clients + 1)))
    print(f"{sum(results)} of {clients * LINES} lines echoed back intact", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8888)
    parser.add_argument("--clients", type=int, help="start N clients, then stop")
    args = parser.parse_args()
    try:
        runtime.run(serve_and_talk(args.clients) if args.clients else serve(args.port))
    except KeyboardInterrupt:
        print("stopped")


if __name__ == "__main__":
    main()
