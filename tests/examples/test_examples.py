"""Every example, run compiled (``statemachine-compiler run examples/X.py``), its output checked.

Each runs in a subprocess for a second or two, on loopback only.  The
request lines carry times, and delays are random (seeded), so the checks
are about what happened (both servers answered, a lost connection was
reported and the server answered again), never about timing.
"""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSWER = re.compile(r"(server[12]) answered (\d+\.\d+)")


def run_example(*args, timeout=30, env=None):
    """Run ``statemachine-compiler run examples/...`` and return its stdout; fail on a bad exit."""
    command = [sys.executable, "-m", "statemachine_compiler", "run", f"examples/{args[0]}", *args[1:]]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert done.returncode == 0, f"exit status {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def answers(output):
    return [(server, float(delay)) for server, delay in ANSWER.findall(output)]


def assert_both_servers_answered_in_turn(output):
    got = answers(output)
    servers = [server for server, _ in got]
    assert {"server1", "server2"} <= set(servers), output
    first_two = servers.index("server2"), servers.index("server1")
    assert max(first_two) < len(servers) - 1, f"one server's requests did not wait for the other's:\n{output}"
    assert all(0.05 <= delay <= 0.5 for _, delay in got), output


# -- the article's program -------------------------------------------------------------

def test_two_servers_interleaves_requests_to_both_servers():
    output = run_example("two_servers.py", "--duration", "1")
    assert "runtime loop; server1 at http://127.0.0.1:" in output
    assert_both_servers_answered_in_turn(output)
    assert output.rstrip().endswith("1 s are up: stopping"), output


def test_two_servers_waits_the_delay_each_server_answered():
    output = run_example("two_servers.py", "--duration", "1")
    times = {}
    for line in output.splitlines():
        match = re.match(r"\s*(\d+\.\d+) s  (server[12]) answered (\d+\.\d+)", line)
        if match:
            when, server, delay = float(match[1]), match[2], float(match[3])
            if server in times:
                previous, waited = times[server]
                assert when >= previous + waited, f"{server} asked again too early:\n{output}"
            times[server] = when, delay
    assert len(times) == 2, output


def test_two_servers_reconnects_to_a_server_that_cuts_a_response_short():
    output = run_example("two_servers.py", "--duration", "1", "--flaky", "2")
    lost = [n for n, line in enumerate(output.splitlines()) if "connection lost" in line]
    assert lost, output
    assert "RemoteProtocolError" in output, output  # h11 saw the body cut short
    after = "\n".join(output.splitlines()[lost[0] + 1:])
    assert answers(after), f"nothing answered after the connection was lost:\n{output}"


def test_two_servers_on_asyncio():
    output = run_example("two_servers.py", "--duration", "1", "--loop", "asyncio", "--flaky", "3")
    assert "asyncio loop; server1 at" in output
    assert_both_servers_answered_in_turn(output)
    assert "connection lost" in output


def test_two_servers_traced_turns_show_the_three_steps():
    output = run_example("two_servers.py", "--duration", "1", "--trace-every", "0.3")
    for expected in ("-- turn 1 at", "epoll_wait(timeout=", "ready queue: task 1",
                     "run task 1 run_for", "before  run_for line", "after   run_for line",
                     "blocked on join"):
        assert expected in output, f"{expected!r} missing from:\n{output}"
    assert len(re.findall(r"^-- turn \d+", output, re.M)) >= 3, output
    assert_both_servers_answered_in_turn(output)


def test_runtime_trace_environment_variable_traces_every_turn():
    env = {**os.environ, "RUNTIME_TRACE": "1"}
    command = [sys.executable, "-m", "statemachine_compiler", "run", "examples/two_servers.py",
               "--duration", "0.3"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    turns = [int(n) for n in re.findall(r"^-- turn (\d+)", done.stderr, re.M)]
    assert turns[:3] == [1, 2, 3], done.stderr[:2000]
    assert re.search(r"-> fd \d+ readable: task \d+ reads", done.stderr), done.stderr[:4000]
    assert re.search(r"run task \d+ send_to_server", done.stderr)


class Servers:
    """``two_servers.py --serve`` in a subprocess, and the URLs it listens on."""

    def __init__(self, *options):
        command = [sys.executable, "-m", "statemachine_compiler", "run",
                   "examples/two_servers.py", "--serve", *options]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.urls = []
        while len(self.urls) < 2:
            line = self.process.stdout.readline()
            assert line, f"the servers did not start: {self.process.stderr.read()}"
            self.urls += re.findall(r"listening on (http://\S+)", line)

    def stop(self):
        self.process.terminate()
        output, errors = self.process.communicate(timeout=10)
        return output, errors


@pytest.fixture
def servers():
    started = Servers()
    yield started
    if started.process.poll() is None:
        started.stop()


def test_serve_alone_then_a_client_pointed_at_them(servers):
    output = run_example("two_servers.py", "--duration", "1", "--servers", *servers.urls)
    assert f"server1 at {servers.urls[0]}" in output
    assert_both_servers_answered_in_turn(output)
    served, _ = servers.stop()
    assert re.search(r"server1: GET / -> \d+\.\d+", served), served


def test_servers_survive_a_client_that_hangs_up_mid_request(servers):
    host, port = servers.urls[0].removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as rude:
        rude.sendall(b"GET / HTTP/1.1\r\nHo")  # and gone
    with socket.create_connection((host, int(port)), timeout=5) as polite:
        polite.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += polite.recv(4096)
    assert reply.startswith(b"HTTP/1.1 200"), reply
    served, _ = servers.stop()
    assert "server1: client went away mid-request" in served, served


def test_client_keeps_trying_a_server_that_is_not_there():
    with socket.socket() as probe:  # a free port, with nobody listening once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nobody = f"http://127.0.0.1:{port}/"
    output = run_example("two_servers.py", "--duration", "0.5", "--servers", nobody, nobody)
    assert "ConnectionRefusedError" in output, output
    assert output.count("reconnecting") >= 4, output  # each server, a few times


# -- the other examples ----------------------------------------------------------------

def test_echo_server_echoes_every_client_line():
    output = run_example("echo_server.py", "--clients", "3")
    assert "echoing on 127.0.0.1:" in output
    assert "client 3 got 'client 3 line 2'" in output
    assert output.rstrip().endswith("9 of 9 lines echoed back intact"), output


def test_crawler_keeps_to_its_limit_and_times_out_slow_pages():
    output = run_example("crawler.py", "--pages", "8", "--limit", "2", "--timeout", "0.2")
    assert re.search(r"/page/3\?wait=1 -> timed out after 0.2 s", output), output
    assert re.search(r"/page/0 -> \d+\.\d+ from server1", output), output
    assert output.rstrip().endswith(
        "8 pages, 6 fetched, 2 timed out; at most 2 in flight (limit 2)"), output


def test_pipeline_passes_every_item_through_a_bounded_queue():
    output = run_example("pipeline.py", "--items", "6", "--workers", "2", "--queue", "2")
    held = [int(n) for n in re.findall(r"queue holds (\d+)", output)]
    assert len(held) == 6 and max(held) <= 2, output
    assert "worker 1 squared" in output and "worker 2 squared" in output, output
    assert output.rstrip().endswith("results: [0, 1, 4, 9, 16, 25]"), output


def test_article_program_runs_compiled_on_asyncio():
    output = run_example("article_on_asyncio.py", "0.6")
    assert "send_to_server() gives a _send_to_server object, and asyncio runs it" in output
    assert_both_servers_answered_in_turn(output)
    assert output.rstrip().endswith("0.6 s are up"), output


def test_simulated_send_to_server_prints_each_record():
    output = run_example("send_to_server.py", "0.2")
    assert re.search(r"send_to_server at 0x[0-9a-f]+: state 2 \(line 40\) \{addr='server1'", output), output
    assert "server2 answered" in output


def test_readme_walkthrough_names_the_lines_two_servers_has():
    lines = (ROOT / "examples" / "two_servers.py").read_text().splitlines()
    readme = (ROOT / "README.md").read_text()
    for number, text in ((62, "async def send_to_server(addr):"),
                         (65, "await sleep(time_before_next_request)"),
                         (66, "resp = await http_get(addr)")):
        assert lines[number - 1].strip() == text, (
            f"examples/two_servers.py line {number} is no longer {text!r}: "
            "update the line numbers in README.md, 'Reading make demo'")
        assert f"line {number}" in readme


# -- durable coroutines ------------------------------------------------------------------

def test_durable_counter_killed_between_steps_continues_in_a_new_process(tmp_path):
    import signal

    command = [sys.executable, "-m", "statemachine_compiler", "run", "examples/durable_counter.py",
               str(tmp_path), "--steps", "5"]
    for stop_after in (2, 4):
        with subprocess.Popen([*command, "--stop-after", str(stop_after)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
            lines = []
            for line in process.stdout:
                lines.append(line)
                if line.startswith("waiting to be killed"):
                    process.send_signal(signal.SIGKILL)
                    break
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL, "".join(lines) + process.stderr.read()
        assert lines[-2].startswith(f"step {stop_after} checkpointed"), lines
    output = run_example("durable_counter.py", str(tmp_path), "--steps", "5")
    assert output.splitlines() == [
        f"restoring {tmp_path / 'workflow.checkpoint'}",
        "step 4 checkpointed (restored here), total 10",  # where the checkpoint left it
        "step 5 checkpointed, total 15",
        "total 15",
    ]
    # Each step's work done once: none lost, none repeated.
    assert (tmp_path / "done.txt").read_text().split() == ["1", "2", "3", "4", "5"]
    assert not (tmp_path / "workflow.checkpoint").exists()


def test_fork_search_explores_every_branch_by_deep_copying_at_each_choice():
    output = run_example("fork_search.py", "10")
    assert output.splitlines() == [
        "TTT    3 + 5 + 2 = 10",
        "TFT    3 + 7 = 10",
        "11 branches explored",
    ]


def test_readme_shows_what_compile_prints_for_send_to_server():
    # "What a compiled function looks like" quotes the output; it must be the output.
    from statemachine_compiler import compile_source

    path = ROOT / "examples" / "send_to_server.py"
    printed = compile_source(path.read_text(encoding="utf-8"), str(path)).code
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("class _send_to_server(StateMachine):")
    stub = readme.index("def send_to_server(addr):\n", start)
    end = readme.index("    return self\n", stub) + len("    return self\n")
    quoted = readme[start:end]
    assert quoted in printed, "update README.md's excerpt: statemachine-compiler compile examples/send_to_server.py"
