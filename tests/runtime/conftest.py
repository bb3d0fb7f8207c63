"""Shared fixtures for the runtime tests."""

import os

import pytest


def open_fds():
    """Return the set of file descriptors open in this process."""
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_fd_leak():
    """Fail the test if it leaves a file descriptor open."""
    before = open_fds()
    yield
    leaked = open_fds() - before
    assert not leaked, f"file descriptors left open: {sorted(leaked)}"
