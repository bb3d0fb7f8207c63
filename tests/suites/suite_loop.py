"""A ``loop`` fixture, the running loop of the test: ``-p suite_loop``.

grpclib's test modules ask for ``loop``, which its repository's
``tests/conftest.py`` gives; its source distribution ships the test modules
without that file.  Here it is the loop pytest-asyncio runs the test in,
natively and compiled alike.
"""

import asyncio

import pytest_asyncio


@pytest_asyncio.fixture
async def loop():
    return asyncio.get_running_loop()
