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
