"""What cannot be pickled fails at dumps, saying what and where; changed code fails at loads."""

import asyncio
import copy
import pickle
import re
import socket
import sys

import pytest

import runtime
import runtime.loop.sync  # noqa: F401 - imported here: the modules fixture forgets what a test imports
from runtime.loop.traps import PARK
from runtime.machines.durable import CannotSave, CodeChanged


def suspended(coroutine, steps=1):
    for _ in range(steps):
        coroutine.send(None)
    return coroutine


def test_a_generator_in_a_local_is_named_with_where(compiled):
    module = compiled('''
async def main():
    numbers = (n for n in range(3))
    await Pause("here")
''')
    with pytest.raises(CannotSave) as caught:
        pickle.dumps(suspended(module.main()))
    message = str(caught.value)
    assert "coroutine 'main' suspended at line " in message
    assert "durable_subject.py" in message
    assert "its local 'numbers' is <generator object" in message
    assert "'builtins.generator' object" in message


def test_a_socket_in_a_local_is_named(compiled):
    module = compiled('''
async def main(connection):
    await Pause("here")
''')
    with socket.socket() as connection:
        with pytest.raises(CannotSave, match=r"its local 'connection' is <socket\.socket .*'socket\.socket' object, which cannot be pickled \(cannot pickle 'socket' object\)"):
            pickle.dumps(suspended(module.main(connection)))


def test_an_asyncio_future_in_a_local_is_named(compiled):
    module = compiled('''
async def main(future):
    await Pause("here")
''')
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(CannotSave, match=r"its local 'future' is <Future pending>, a '_asyncio\.Future' object"):
            pickle.dumps(suspended(module.main(loop.create_future())))
    finally:
        loop.close()


def test_awaiting_a_native_coroutine_is_named(compiled):
    module = compiled('''
async def main(awaited):
    await awaited
''')
    # Defined after the import: not compiled, a native coroutine.
    exec("async def native():\n    await Pause('native')\n", module.__dict__)
    coroutine = suspended(module.main(module.native()))
    with pytest.raises(CannotSave, match=r"coroutine 'main' suspended at line \d+ .*: the object it awaits is a native coroutine .*compile the module"):
        pickle.dumps(coroutine)
    coroutine.close()


def test_awaiting_a_generator_based_coroutine_is_named(compiled):
    module = compiled('''
import types

@types.coroutine
def legacy():
    yield "legacy"

async def main():
    await legacy()
''')
    with pytest.raises(CannotSave, match=r"the object it awaits is <generator object legacy .*'builtins\.generator' object"):
        pickle.dumps(suspended(module.main()))


def test_a_lambda_in_a_local_is_named(compiled):
    module = compiled('''
async def main():
    double = lambda x: 2 * x
    await Pause("here")
''')
    with pytest.raises(CannotSave, match=r"its local 'double' is <function main\.<locals>\.<lambda> .*defined inside a function"):
        pickle.dumps(suspended(module.main()))


def test_what_a_local_kept_in_a_cell_holds_is_named_as_any_local(compiled):
    module = compiled('''
async def main(k):
    held = [lambda: 1]
    total = sum(len(held) for _ in range(k))
    await Pause("here")
''')
    with pytest.raises(CannotSave, match=r"its local 'held' holds <function main\.<locals>\.<lambda> .* at held\[0\]"):
        pickle.dumps(suspended(module.main(3)))


def test_a_coroutine_over_cells_loads_and_copies_with_cells_of_its_own(compiled):
    module = compiled('''
async def main(step):
    count = 0
    while True:
        count += step + await Pause(("count", count))
        if (lambda: count)() > 1000:
            return count
''')
    original = suspended(module.main(1))
    assert original.send(10) == ("count", 11)
    loaded = pickle.loads(pickle.dumps(original))
    copied, deep = copy.copy(original), copy.deepcopy(original)
    assert [m.send(10) for m in (original, loaded, copied, deep)] == [("count", 22)] * 4
    assert original.send(100) == ("count", 123)
    assert [m.send(0) for m in (loaded, copied, deep)] == [("count", 23)] * 3  # each its own count


def test_an_async_def_nested_in_a_function_pickles_with_its_cells_and_deep_copies(compiled):
    module = compiled('''
def make(k):
    async def inner():
        value = await Pause("inner")
        return k + value
    async def other():
        nonlocal k
        k += await Pause("other")
        return k
    return inner, other
''')
    inner, other = module.make(1)
    pair = (suspended(inner()), suspended(other()))
    for restored_inner, restored_other in (pickle.loads(pickle.dumps(pair)), copy.deepcopy(pair)):
        with pytest.raises(StopIteration) as done:
            restored_other.send(5)  # k = 6, in the cell the two share
        assert done.value.value == 6
        with pytest.raises(StopIteration) as done:
            restored_inner.send(2)
        assert done.value.value == 8
    for coroutine in pair:
        coroutine.close()


def test_an_async_def_nested_in_an_async_def_nested_in_a_function_pickles_and_deep_copies(compiled):
    module = compiled('''
def make(k):
    async def outer(x):
        async def inner(y):
            nonlocal x
            x += await Pause("inner")
            return k + x + y
        return await inner(1), x
    return outer
''')
    coroutine = suspended(module.make(10)(100))
    for twin in (pickle.loads(pickle.dumps(coroutine)), copy.deepcopy(coroutine)):
        assert finish(twin, 1000) == (1111, 1100)
    assert finish(coroutine, 5) == (116, 105)


def test_the_stub_of_an_async_def_in_a_function_using_none_of_its_variables_pickles_and_deep_copies(compiled):
    module = compiled('''
def make():
    async def inner(n):
        return n + await Pause("inner")
    return inner


async def main():
    inner = make()
    first = await inner(1)
    return first, await inner(2), inner.__qualname__
''')
    coroutine = suspended(module.main())
    for twin in (pickle.loads(pickle.dumps(coroutine)), copy.deepcopy(coroutine)):
        assert finish(twin, 10, 20) == (11, 22, "make.<locals>.inner")
    assert finish(coroutine, 5, 7) == (6, 9, "make.<locals>.inner")


NESTED_IN_ASYNC_DEF = '''
async def outer(k):
    x = 1

    async def inner(y):
        nonlocal x
        x += await Pause("inner")
        return x + k + y

    first = await inner(2)
    return first, x, await inner(0)
'''


def finish(coroutine, *values):
    for value in values:
        try:
            coroutine.send(value)
        except StopIteration as done:
            return done.value
    raise AssertionError("still suspended")


@pytest.mark.parametrize("save", [
    lambda coroutine: pickle.loads(pickle.dumps(coroutine)), copy.deepcopy,
], ids=["pickle", "deepcopy"])
def test_an_async_def_nested_in_an_async_def_is_saved_with_its_own_copy_of_the_enclosing_variables(compiled, save):
    module = compiled(NESTED_IN_ASYNC_DEF)
    coroutine = suspended(module.outer(10))
    twin = save(coroutine)
    assert finish(twin, 100, 1000) == (113, 101, 1111)
    assert finish(coroutine, 5, 7) == (18, 6, 23)  # the original's x was not the twin's


@pytest.mark.parametrize("save", [
    lambda coroutine: pickle.loads(pickle.dumps(coroutine)), copy.deepcopy,
], ids=["pickle", "deepcopy"])
def test_an_enclosing_and_a_nested_coroutine_saved_together_share_one_cell(compiled, save):
    # The nested coroutine's resume closes over the cell of x, as the
    # enclosing one's does: loaded, they share one cell again.
    module = compiled('''
async def outer():
    x = 1

    async def inner():
        nonlocal x
        x += await Pause("inner")
        return x

    coroutine = inner()
    await Pause("outer")
    got = await coroutine
    return got, x
''')
    coroutine = suspended(module.outer())
    twin = save(coroutine)
    assert finish(twin, None, 100) == (101, 101)
    assert finish(coroutine, None, 5) == (6, 6)


def test_an_async_def_in_an_async_def_in_a_function_shares_the_cells_it_is_saved_with(compiled):
    # outer's class is made once, at module level; inner's is found in it again,
    # and its resume's maker in outer's resume, over the loaded cells.
    module = compiled('''
def make(k):
    async def outer(x):
        async def inner(y):
            nonlocal x
            x += await Pause("inner")
            return k + x + y
        coroutine = inner(1)
        await Pause("outer")
        return await coroutine, x
    return outer
''')
    coroutine = suspended(module.make(10)(100))
    for twin in (pickle.loads(pickle.dumps(coroutine)), copy.deepcopy(coroutine)):
        assert finish(twin, None, 1000) == (1111, 1100)
    assert finish(coroutine, None, 5) == (116, 105)


def test_the_inner_coroutine_alone_is_saved_with_copies_of_the_outer_ones_cells(compiled):
    module = compiled(NESTED_IN_ASYNC_DEF)
    coroutine = suspended(module.outer(10))
    inner = coroutine.cr_await
    for twin in (pickle.loads(pickle.dumps(inner)), copy.deepcopy(inner)):
        with pytest.raises(StopIteration) as done:
            twin.send(100)
        assert done.value.value == 113  # a copy of outer's x: 1 + 100
    assert finish(coroutine, 5, 7) == (18, 6, 23)


def test_a_nested_async_def_whose_source_changed_is_not_resumed(compiled):
    module = compiled(NESTED_IN_ASYNC_DEF)
    coroutine = suspended(module.outer(10))
    blobs = pickle.dumps(coroutine), pickle.dumps(coroutine.cr_await)
    compiled(NESTED_IN_ASYNC_DEF.replace("x + k + y", "x + k - y"))
    for blob in blobs:
        with pytest.raises(CodeChanged, match=r"cannot restore coroutine '(outer|outer\.<locals>\.inner)' of module 'durable_subject': the function's source changed"):
            pickle.loads(blob)
    coroutine.close()


def test_an_async_def_nested_in_a_function_that_cannot_be_found_again_is_refused_at_dumps(compiled):
    module = compiled('''
def hidden(function):
    return lambda *args: function(*args)  # the decorated function is reachable by no name


@hidden
def make(k):
    async def inner():
        return k + await Pause("inner")
    return inner
''')
    coroutine = suspended(module.make(1)())
    with pytest.raises(CannotSave, match=r"cannot save coroutine 'make\.<locals>\.inner' suspended at line \d+ .*: it is an async def nested in a function that another process cannot find"):
        pickle.dumps(coroutine)
    # A deep copy needs nothing found again: its class is made once, at module level.
    twin = copy.deepcopy(coroutine)
    with pytest.raises(StopIteration) as done:
        twin.send(2)
    assert done.value.value == 3
    coroutine.close()


def test_a_coroutine_whose_local_holds_itself_or_its_awaiter_pickles(compiled):
    module = compiled('''
async def inner(holder):
    held = [holder]  # the coroutine awaiting this one
    return len(held) + await Pause("inner")


async def outer(box):
    everyone = box  # a list that holds this coroutine itself
    return await inner(box[0])
''')
    box = []
    coroutine = module.outer(box)
    box.append(coroutine)
    suspended(coroutine)
    restored = pickle.loads(pickle.dumps(coroutine))
    assert restored.cr_frame.f_locals["everyone"][0] is restored
    with pytest.raises(StopIteration) as done:
        restored.send(1)
    assert done.value.value == 2
    coroutine.close()


def test_a_running_coroutine_cannot_be_pickled(compiled):
    module = compiled('''
import pickle

async def main():
    await Pause("here")
    return pickle.dumps(THIS[0])

THIS = []
''')
    coroutine = module.main()
    module.THIS.append(coroutine)
    coroutine.send(None)
    with pytest.raises(CannotSave, match=r"cannot save coroutine 'main' .*: it is running"):
        coroutine.send(None)


def test_a_failed_dumps_leaves_the_coroutine_running_on(compiled):
    module = compiled('''
async def main():
    numbers = (n for n in range(3))
    return sum(numbers) + await Pause("here")
''')
    coroutine = suspended(module.main())
    with pytest.raises(CannotSave):
        pickle.dumps(coroutine)
    with pytest.raises(StopIteration) as done:
        coroutine.send(10)
    assert done.value.value == 13


SOURCE = '''
def helper():
    return "helper"


async def main():
    total = await Pause("first")
    return total + await Pause("second")
'''


def test_loading_against_a_changed_function_names_it(compiled, modules):
    blob = pickle.dumps(suspended(compiled(SOURCE).main()))
    compiled(SOURCE.replace('"second"', '"changed"'))
    with pytest.raises(CodeChanged, match=r"cannot restore coroutine 'main' of module 'durable_subject': the function's source changed since it was pickled"):
        pickle.loads(blob)


def test_a_change_elsewhere_in_the_module_does_not_invalidate(compiled):
    blob = pickle.dumps(suspended(compiled(SOURCE).main()))
    changed = "import os\n\n\n" + SOURCE.replace('return "helper"', 'return "changed helper"   # and more')
    compiled(changed)
    restored = pickle.loads(blob)
    restored.send(1)
    with pytest.raises(StopIteration) as done:
        restored.send(2)
    assert done.value.value == 3


def test_loading_without_the_compiled_function_says_so(compiled):
    blob = pickle.dumps(suspended(compiled(SOURCE).main()))
    compiled(SOURCE.replace("async def main", "async def renamed"))
    with pytest.raises(CodeChanged, match=re.escape("module 'durable_subject' has no compiled _main")):
        pickle.loads(blob)


def test_a_failed_load_leaves_no_half_restored_machine_behind(compiled):
    source = SOURCE + '''

async def outer():
    return await main()
'''
    blob = pickle.dumps(suspended(compiled(source).outer()))
    compiled(source.replace('"second"', '"changed"'))
    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with pytest.raises(CodeChanged):
            pickle.loads(blob)
        import gc

        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert unraisable == []


def test_waits_on_the_runtimes_primitives_pickle_and_finish_as_they_would(compiled):
    module = compiled('''
import runtime


async def main(lock, queue):
    async with lock:
        await queue.put("second")
        return await queue.join()
''')
    lock, queue = runtime.Lock(), runtime.Queue(maxsize=1)
    lock._locked = True  # held by someone else: ``async with`` parks
    coroutine = module.main(lock, queue)
    assert coroutine.send(None) == (PARK, lock._waiters)
    restored = pickle.loads(pickle.dumps(coroutine))
    restored_lock, restored_queue = restored.cr_frame.f_locals.values()
    assert len(restored_lock._waiters) == 0  # the waiters are tasks of this process
    restored_queue.put_nowait("first")  # full now: put() parks
    assert restored.send(None) == (PARK, restored_queue._putters)  # the lock was handed over
    restored_queue.get_nowait()
    restored_queue._reserved += 1  # what a getter waking the putter does
    assert restored.send(None) == (PARK, restored_queue._all_done._waiters)  # join() waits
    assert list(restored_queue._items) == ["second"]
    twin = copy.deepcopy(restored)
    for machine in (restored, twin):
        with pytest.raises(StopIteration):
            machine.send(None)
    coroutine.close()


def test_a_closure_loaded_or_copied_is_of_its_one_class_over_cells_of_its_own(compiled):
    # The class of an async def in a plain function is made once, at module
    # level: loading or copying one makes no class, and gives it its own cells.
    module = compiled('''
def make(k):
    async def inner():
        return k + await Pause("inner")
    return inner
''')
    coroutine = suspended(module.make(1)())
    restored, twin = pickle.loads(pickle.dumps(coroutine)), copy.deepcopy(coroutine)
    assert type(restored) is type(twin) is type(coroutine) is type(module.make(2)())
    for machine in (restored, twin, coroutine):
        with pytest.raises(StopIteration) as done:
            machine.send(10)
        assert done.value.value == 11


# -- what cannot be pickled, deep inside what a local holds or the machine awaits --------

DEEP = '''
class Box:
    def __init__(self, content):
        self.content = content


class Holding(Pause):
    """A picklable awaitable that holds what it is given: a custom awaitable's state."""

    def __init__(self, held):
        super().__init__("holding")
        self.held = held


async def in_a_list(connection):
    connections = [1, connection]
    del connection
    await Pause("here")


async def in_an_object(connection):
    box = Box({"socket": connection})
    del connection
    await Pause("here")


async def awaiting_what_holds(futures):
    return await Holding(futures.pop())  # held by nothing but the awaited object


async def outer(connections):
    return await in_an_object(connections.pop())
'''


def assert_no_unraisable(action):
    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        action()
    finally:
        sys.unraisablehook = hook
    assert unraisable == []


@pytest.mark.parametrize("save", [pickle.dumps, copy.deepcopy], ids=["pickle", "deepcopy"])
def test_a_socket_in_a_list_in_a_local_is_named_with_where_and_path(compiled, save):
    module = compiled(DEEP)
    with socket.socket() as connection:
        coroutine = suspended(module.in_a_list(connection))
        with pytest.raises(CannotSave) as caught:
            save(coroutine)
    message = str(caught.value)
    assert re.search(r"cannot save coroutine 'in_a_list' suspended at line \d+ of .*durable_subject\.py: ", message)
    assert "its local 'connections' holds <socket.socket " in message
    assert "a 'socket.socket' object, at connections[1], which cannot be" in message
    assert isinstance(caught.value.__cause__, TypeError)
    coroutine.close()


@pytest.mark.parametrize("save", [pickle.dumps, copy.deepcopy], ids=["pickle", "deepcopy"])
def test_a_socket_in_a_dict_in_an_object_in_a_local_is_named_with_its_path(compiled, save):
    module = compiled(DEEP)
    with socket.socket() as connection:
        coroutine = suspended(module.outer([connection]))
        with pytest.raises(CannotSave) as caught:
            save(coroutine)
    message = str(caught.value)
    # Said by the coroutine that holds it, inside the chain of awaits.
    assert re.search(r"cannot save coroutine 'in_an_object' suspended at line \d+ of ", message)
    assert "its local 'box' holds <socket.socket " in message
    assert "at box.content['socket'], which cannot be" in message
    coroutine.close()


@pytest.mark.parametrize("save", [pickle.dumps, copy.deepcopy], ids=["pickle", "deepcopy"])
def test_an_asyncio_future_held_by_the_awaited_object_is_named(compiled, save):
    module = compiled(DEEP)
    loop = asyncio.new_event_loop()
    try:
        coroutine = suspended(module.awaiting_what_holds([loop.create_future()]))
        with pytest.raises(CannotSave) as caught:
            save(coroutine)
        coroutine.close()
    finally:
        loop.close()
    message = str(caught.value)
    assert re.search(r"cannot save coroutine 'awaiting_what_holds' suspended at line \d+ of ", message)
    assert "the object it awaits holds <Future pending>, a '_asyncio.Future' object, at <awaited>.held" in message


@pytest.mark.parametrize("save", [pickle.dumps, copy.deepcopy], ids=["pickle", "deepcopy"])
def test_a_failed_deep_save_prints_nothing_and_leaves_the_coroutine_going(compiled, save):
    module = compiled(DEEP)
    with socket.socket() as connection:
        coroutine = suspended(module.outer([connection]))

        def fail():
            with pytest.raises(CannotSave):
                save(coroutine)
            import gc

            gc.collect()

        assert_no_unraisable(fail)
        with pytest.raises(StopIteration):
            coroutine.send(None)
