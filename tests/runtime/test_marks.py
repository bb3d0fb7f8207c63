"""The code flags ``runtime.machines.marks`` sets are the ones ``inspect`` reads."""

import inspect

from runtime.machines import marks


def test_flags_are_inspects():
    # marks spells them out so as not to import inspect; they must not drift.
    assert (marks.CO_COROUTINE, marks.CO_ASYNC_GENERATOR) == (inspect.CO_COROUTINE, inspect.CO_ASYNC_GENERATOR)


def test_marked_stubs_are_what_inspect_says():
    def stub():
        pass

    assert inspect.iscoroutinefunction(marks.coroutine_function(stub))
    assert inspect.isasyncgenfunction(marks.async_generator_function(stub))
    assert not inspect.isasyncgenfunction(marks.coroutine_function(stub))


def test_a_function_marked_already_is_returned_as_it_is():
    async def native():
        pass

    async def generator():
        yield

    assert marks.coroutine_function(native) is native
    assert marks.async_generator_function(generator) is generator
