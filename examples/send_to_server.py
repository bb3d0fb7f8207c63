"""The article's example: two request loops sharing one thread."""

import runtime


async def http_get(addr):
    # Stands in for a real request: the server answers with the next delay.
    await runtime.sleep(0)
    return Response(data=str(len(addr) % 3))


class Response:
    def __init__(self, data):
        self.data = data


async def send_to_server(addr):
    time_before_next_request = 0
    while True:
        await runtime.sleep(time_before_next_request)
        resp = await http_get(addr)
        time_before_next_request = int(resp.data)
