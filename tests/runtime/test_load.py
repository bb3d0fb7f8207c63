"""Load: 10,000 concurrent loopback connections, 100,000 concurrent sleeping tasks."""

import os
import random
import resource
import subprocess
import sys

import pytest

import runtime

CONNECTIONS = 10_000
SLEEPERS = 100_000
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture
def fd_limit():
    """Raise the soft fd limit for the test; the client runs in its own process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = CONNECTIONS + 200
    if hard < needed:
        pytest.skip(f"hard fd limit {hard} < {needed}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_ten_thousand_concurrent_connections_echo_correctly(fd_limit, no_fd_leak):
    peak = 0
    active = 0

    async def handler(stream):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            while line := await stream.readline():
                await stream.write(line)
        finally:
            active -= 1

    async def main():
        async with await runtime.start_server(handler, "127.0.0.1", 0) as server:
            client = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "load_client.py"),
                 str(server.port), str(CONNECTIONS)],
                stdout=subprocess.PIPE, cwd=ROOT,
                env=dict(os.environ, PYTHONPATH=ROOT))
            try:
                async with runtime.timeout(100):
                    await runtime.wait_readable(client.stdout)  # the client is done
                output = client.stdout.read().decode()
            finally:
                client.stdout.close()
                client.wait()
        return output, client.returncode

    output, code = runtime.run(main())
    assert code == 0
    assert output.split() == ["ok", str(CONNECTIONS)], output
    assert peak == CONNECTIONS, f"only {peak} connections were open at once"


def test_hundred_thousand_concurrent_sleeping_tasks_complete():
    rng = random.Random(1)
    delays = [rng.uniform(0, 0.02) for _ in range(SLEEPERS)]
    finished = 0
    peak = 0

    async def sleeper(delay):
        nonlocal finished
        await runtime.sleep(delay)
        await runtime.sleep(delay / 2)
        finished += 1

    async def main():
        nonlocal peak
        tasks = [runtime.spawn(sleeper(d)) for d in delays]
        await runtime.sleep(0)  # every task has started and is asleep now
        peak = len(runtime.current_task()._kernel.tasks)
        for task in tasks:
            await task

    runtime.run(main())
    assert finished == SLEEPERS
    assert peak == SLEEPERS + 1
