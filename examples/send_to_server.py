"""The article's program: two request loops sharing one thread.

    statemachine-compiler compile examples/send_to_server.py   # what it becomes
    statemachine-compiler run examples/send_to_server.py       # run it, compiled

``send_to_server`` is the article's function.  The servers are simulated:
each answers with the delay before the next request.  ``main`` lets the two
loops run for a moment and prints, at every step, the record the article
describes: function name, the line it will continue at, and its variables.
"""

import sys

import runtime

ANSWERS = {"server1": [0.02, 0.05, 0.01], "server2": [0.03, 0.01, 0.04]}


class Response:
    def __init__(self, data):
        self.data = data

    def __repr__(self):
        return f"Response(data={self.data!r})"


async def http_get(addr):
    # A real request would wait for the socket; the simulated one just waits.
    await runtime.sleep(0.01)
    answers = ANSWERS[addr]
    answers.append(answers.pop(0))
    print(f"  {addr} answered {answers[-1]}")
    return Response(data=str(answers[-1]))


async def send_to_server(addr):
    time_before_next_request = 0
    while True:
        await runtime.sleep(time_before_next_request)
        resp = await http_get(addr)
        time_before_next_request = float(resp.data)


async def main(seconds):
    first = send_to_server("server1")
    second = send_to_server("server2")
    tasks = [runtime.spawn(first), runtime.spawn(second)]
    for _ in range(4):
        await runtime.sleep(seconds / 4)
        for coroutine in (first, second):
            print(repr(coroutine))
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    runtime.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.2))
