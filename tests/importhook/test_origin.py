"""``sys.set_coroutine_origin_tracking_depth()``: ``cr_origin`` and the never-awaited warning."""

import gc
import importlib
import sys
import warnings

import pytest

from runtime.machines.statemachine import StateMachine
from statemachine_compiler import install_import_hook

CREATORS = '''\
async def corofn():
    pass


def a1():
    return corofn()  # comment in a1


def a2():
    return a1()  # comment in a2
'''


@pytest.fixture
def both(modules):
    """The module imported natively and compiled."""
    modules.write("creators.py", CREATORS)
    native = importlib.import_module("creators")
    modules.forget("creators")
    with install_import_hook(["creators"]):
        compiled = importlib.import_module("creators")
    coroutine = compiled.a1()
    assert isinstance(coroutine, StateMachine)
    coroutine.close()
    return native, compiled


@pytest.fixture
def depth():
    """Set the tracking depth for the test; the old one comes back after it."""
    before = sys.get_coroutine_origin_tracking_depth()
    yield sys.set_coroutine_origin_tracking_depth
    sys.set_coroutine_origin_tracking_depth(before)


def origin(module, function="a2"):
    coroutine = getattr(module, function)()
    try:
        return coroutine.cr_origin
    finally:
        coroutine.close()


def test_origin_is_none_without_tracking(both, depth):
    depth(0)
    assert origin(both[1]) is None


@pytest.mark.parametrize("frames", [1, 2, 3])
def test_origin_names_the_creating_frames_as_natively(both, depth, frames):
    depth(frames)
    native, compiled = both
    expected = origin(native)
    assert [name for _, _, name in expected][:2] == ["a1", "a2"][:frames]
    assert origin(compiled) == expected


def test_origin_stops_at_the_outermost_frame(both, depth):
    depth(1000)
    native, compiled = both
    assert origin(compiled) == origin(native)


def test_switching_tracking_off_stops_recording(both, depth):
    depth(2)
    assert origin(both[1]) is not None
    depth(0)
    assert origin(both[1]) is None


def test_negative_depth_is_refused_and_changes_nothing(depth):
    depth(3)
    with pytest.raises(ValueError):
        sys.set_coroutine_origin_tracking_depth(-1)
    assert sys.get_coroutine_origin_tracking_depth() == 3


@pytest.mark.parametrize("frames", [0, 1, 2])
def test_never_awaited_warning_says_where_it_was_created(both, depth, frames):
    depth(frames)

    def warning(module):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module.a2()
            gc.collect()
        (found,) = [w for w in caught if issubclass(w.category, RuntimeWarning)]
        return str(found.message)

    native, compiled = both
    message = warning(native)
    assert ("Coroutine created at" in message) == (frames > 0)
    assert warning(compiled) == message
