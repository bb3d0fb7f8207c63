"""What CPython's test_coroutines asserts cannot be done (test_copy, test_pickle), done.

docs/conformance.md lists the two tests as deliberate differences; these are
their own steps, on a compiled coroutine, with the outcome a machine has.
"""

import copy
import pickle

import pytest

SOURCE = '''
async def func():
    return await Pause("paused")
'''


def finish(coroutine, sent="done"):
    assert coroutine.send(None) == "paused"
    with pytest.raises(StopIteration) as stop:
        coroutine.send(sent)
    return stop.value.value


def test_copy_of_a_coroutine_and_of_its_await_iterator(compiled):
    coro = compiled(SOURCE).func()
    twin = copy.copy(coro)
    assert finish(twin, "copy") == "copy"
    aw = coro.__await__()
    aw_twin = copy.copy(aw)
    assert aw_twin.machine is not coro
    assert finish(aw_twin, "await copy") == "await copy"
    assert finish(coro, "original") == "original"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_of_a_coroutine_and_of_its_await_iterator_at_every_protocol(compiled, protocol):
    coro = compiled(SOURCE).func()
    assert finish(pickle.loads(pickle.dumps(coro, protocol))) == "done"
    coro.send(None)  # suspended, too
    restored = pickle.loads(pickle.dumps(coro, protocol))
    with pytest.raises(StopIteration):
        restored.send(1)
    aw = coro.__await__()
    restored = pickle.loads(pickle.dumps(aw, protocol))
    with pytest.raises(StopIteration):
        restored.send(2)
    coro.close()


NESTED_IN_A_METHOD = '''
class CoroutineTest:
    def make(self):
        async def func():
            return await Pause("paused")
        return func()
'''


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_as_cpython_writes_them_nested_in_a_test_method(compiled, protocol):
    module = compiled(NESTED_IN_A_METHOD)
    coro = module.CoroutineTest().make()
    assert finish(copy.copy(coro), "copy") == "copy"
    assert finish(pickle.loads(pickle.dumps(coro, protocol))) == "done"
    assert finish(pickle.loads(pickle.dumps(coro.__await__(), protocol)).machine, "await") == "await"
    assert finish(coro, "original") == "original"
