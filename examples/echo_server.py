"""An echo server on the runtime: one task per connection, the article's loop underneath.

    python examples/echo_server.py [PORT]

Then, in another terminal: ``nc 127.0.0.1 8888``.  Ctrl-C stops the server;
every connection task is cancelled and its socket closed on the way out.
"""

import sys

import runtime


async def echo(stream):
    """Send every line back until the client hangs up."""
    while line := await stream.readline():
        await stream.write(line)


async def main(port):
    async with await runtime.start_server(echo, "127.0.0.1", port) as server:
        print(f"echoing on 127.0.0.1:{server.port}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        runtime.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8888))
    except KeyboardInterrupt:
        print("stopped")
