"""Deterministic cost of one echo round trip: callgrind instructions and Python calls, per server.

    python bench/echo_counts.py [--server NAME ...] [--calls-only]

runtime_bench.py's echo figures are wall-clock rates on a shared machine:
noisy.  Here each server of runtime_bench.py (the runtime's, native and
compiled, and asyncio's, with the same handler) echoes over one connection
to a client process that waits a few milliseconds before each message, so
that every round trip takes the same path through the server (woken by
epoll, one read, one send, one read that would block, back to the loop).
The server is run twice, for a small and a larger number of round trips;
the difference of the two totals divided by the difference of the counts is
the cost of one round trip in steady state (start-up, imports, the accept
and warm-up cancel out).  Counted: instructions under ``valgrind
--tool=callgrind`` (the client is not under valgrind), and Python calls
(``sys.setprofile``'s "call" events: Python frames entered, generators and
coroutines resumed included) without valgrind.  The compiled handler is
compiled here, once: libcst never runs under valgrind.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)

import runtime_bench  # noqa: E402  (the servers' source and parameters)

SERVERS = ("runtime", "compiled", "asyncio")
COUNTS = (100, 400)  # round trips per run: small, large
PAUSE = 0.004  # seconds the client waits before each message: the server is idle again by then

# The runtime's servers: runtime_bench.RUNTIME_SERVER's handler, with a main
# that serves one connection and returns, so that the process ends by itself.
RUNTIME_ONE_CONNECTION = runtime_bench.RUNTIME_SERVER.split("async def main")[0] + """
async def main():
    sock = listener()
    announce(sock)
    conn, _ = await runtime.sock_accept(sock)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await runtime.spawn(handle(conn))
"""

ASYNCIO_ONE_CONNECTION = """
import asyncio
import socket


async def handle(loop, conn):
    buf = bytearray(MESSAGE * 4)
    view = memoryview(buf)
    try:
        while True:
            n = await loop.sock_recv_into(conn, buf)
            if not n:
                break
            await loop.sock_sendall(conn, view[:n])
    except ConnectionError:
        pass
    conn.close()


async def main():
    loop = asyncio.get_running_loop()
    sock = listener()
    announce(sock)
    conn, _ = await loop.sock_accept(sock)
    conn.setblocking(False)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await loop.create_task(handle(loop, conn))
"""


def serve(name, path, profile):
    """Run the server in ``path`` (a child process, maybe under valgrind) until its client hangs up."""
    sys.path.insert(0, ROOT)
    namespace = {"__name__": "echo", "MESSAGE": runtime_bench.MESSAGE,
                 "listener": runtime_bench.listener, "announce": runtime_bench.announce}
    with open(path) as file:
        exec(compile(file.read(), path, "exec"), namespace)
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    if profile:
        sys.setprofile(count)
    if name == "asyncio":
        import asyncio

        asyncio.run(namespace["main"]())
    else:
        import runtime

        runtime.run(namespace["main"]())
    sys.setprofile(None)
    if profile:
        print(calls, file=sys.stderr, flush=True)


def client(port, n):
    sock = socket.create_connection((runtime_bench.HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    message = b"x" * runtime_bench.MESSAGE
    for _ in range(n):
        time.sleep(PAUSE)
        sock.sendall(message)
        got = 0
        while got < len(message):
            got += len(sock.recv(65536))
    sock.close()


def total(name, path, n, valgrind):
    """Instructions (valgrind) or Python calls of one server run serving ``n`` round trips."""
    command = [sys.executable, __file__, "--child", name, path]
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        if valgrind:
            command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}"] + command
        else:
            command.append("--profile")
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, "PYTHONHASHSEED": "0"})
        try:
            port = int(server.stdout.readline())
            client(port, n)
            _, err = server.communicate(timeout=600)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    if server.returncode:
        raise RuntimeError(f"{name} {n}: {err[-2000:]}")
    if valgrind:
        return int(re.search(r"Collected : (\d+)", err).group(1))
    return int(err.split()[-1])


def per_round_trip(name, path, valgrind):
    small, large = COUNTS
    return (total(name, path, large, valgrind) - total(name, path, small, valgrind)) / (large - small)


def sources():
    from statemachine_compiler import compile_source

    return {"runtime": RUNTIME_ONE_CONNECTION,
            "compiled": compile_source(RUNTIME_ONE_CONNECTION, "<echo>").code,
            "asyncio": ASYNCIO_ONE_CONNECTION}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("SERVER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--server", action="append", choices=SERVERS)
    parser.add_argument("--calls-only", action="store_true", help="count Python calls, not instructions")
    args = parser.parse_args()
    if args.child:
        serve(*args.child, args.profile)
        return
    sys.path.insert(0, ROOT)
    table = sources()
    names = args.server or SERVERS
    print(f"one echo round trip, Python {sys.version.split()[0]}")
    print(f"  {'server':<10}{'Python calls':>14}{'instructions':>14}")
    with tempfile.TemporaryDirectory() as scratch:
        rows = {}
        for name in names:
            path = os.path.join(scratch, f"{name}.py")
            with open(path, "w") as file:
                file.write(table[name])
            calls = per_round_trip(name, path, valgrind=False)
            instructions = None if args.calls_only else per_round_trip(name, path, valgrind=True)
            rows[name] = calls, instructions
            shown = "" if instructions is None else f"{instructions:,.0f}"
            print(f"  {name:<10}{calls:>14.1f}{shown:>14}", flush=True)
        if "asyncio" in rows and rows["asyncio"][1]:
            base = rows["asyncio"][1]
            print("  asyncio's instructions over each server's (the speed-up, as runtime_bench's ratio):")
            for name, (_, instructions) in rows.items():
                print(f"    {name:<10}{base / instructions:.2f}x")


if __name__ == "__main__":
    main()
