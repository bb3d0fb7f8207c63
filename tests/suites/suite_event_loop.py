"""pytest-asyncio's ``event_loop`` fixture, removed in pytest-asyncio 1.0: ``-p suite_event_loop``.

aiorwlock 1.4.0's tests (its newest source distribution that ships them) ask
for ``event_loop``.  Here it is the loop the test runs in, the one
pytest-asyncio's function-scoped runner gives an async fixture; natively and
compiled alike.
"""

import asyncio

import pytest_asyncio


@pytest_asyncio.fixture
async def event_loop():
    return asyncio.get_running_loop()
