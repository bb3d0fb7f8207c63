"""The ``asend()``/``athrow()``/``aclose()`` awaitables at their edges: native == compiled.

CPython changed their rules in 3.13 (Objects/genobject.c, gh-117881 and its
follow-ups): a ``throw()`` into a step that has not started is refused while
another step of the generator runs; a step that ends is closed for good,
however it was driven ("cannot reuse already awaited aclose()/athrow()");
``close()`` throws GeneratorExit in; a step collected unawaited warns.  Each
case runs on the interpreter at hand, so on 3.11 and 3.12 it pins the older
rules, on 3.13 the new ones.
"""

import sys
import textwrap

import pytest

from tests.compiler.differential import assert_same, no_collector  # noqa: F401 (a fixture)
from tests.compiler.test_frameworks import MODULE_NAME, both

STEPS = """
import gc
import types
import warnings

@types.coroutine
def suspend():
    return (yield "suspended")

class MyExc(Exception):
    pass

def attempt(label, action):
    try:
        log.append((label, "returned", repr(action())))
    except BaseException as error:
        log.append((label, type(error).__name__, error.args))

async def awaiting_forever():
    while True:
        try:
            await suspend()
        except MyExc:
            log.append("caught")
    return
    yield

async def yield_then_await_forever():
    try:
        yield
    except MyExc:
        pass
    while True:
        try:
            await suspend()
        except MyExc:
            log.append("caught")

async def two():
    try:
        yield 1
        yield 2
    finally:
        log.append("finally")

def step_of(agen, method):
    if method == "asend":
        return agen.asend(None)
    if method == "athrow":
        return agen.athrow(MyExc)
    return agen.aclose()
"""

CASES = {
    # A second step, thrown into (or sent, or closed) while an asend() runs.
    "a_step_used_while_an_asend_runs": """
        async def main():
            for method in ("asend", "athrow", "aclose"):
                for how in ("throw", "send", "close"):
                    agen = awaiting_forever()
                    running = agen.asend(None)
                    running.send(None)
                    second = step_of(agen, method)
                    label = f"{method}().{how}"
                    if how == "throw":
                        attempt(label, lambda: second.throw(MyExc))
                    elif how == "send":
                        attempt(label, lambda: second.send(None))
                    else:
                        attempt(label, second.close)
                    attempt(label + " then send", lambda: second.send(None))
                    attempt(label + " then throw", lambda: second.throw(MyExc))
                    log.append((label, "running", agen.ag_running))
                    attempt(label + ": the first goes on", lambda: running.send(None))
                    attempt(label + ": the first thrown into", lambda: running.throw(MyExc))
                    running.close()
                    attempt(label + ": aclose", lambda: agen.aclose().send(None))
    """,
    # The same while an athrow() runs (CPython's *_concurrent_with_throw).
    "a_step_thrown_into_while_an_athrow_runs": """
        async def main():
            for method in ("asend", "athrow"):
                agen = yield_then_await_forever()
                attempt("start", lambda: agen.asend(None).send(None))
                running = agen.athrow(MyExc)
                attempt("athrow().throw", lambda: running.throw(MyExc))
                second = agen.asend(MyExc) if method == "asend" else agen.athrow(MyExc)
                attempt(f"{method}().throw", lambda: second.throw(MyExc))
                attempt(f"{method}().send", lambda: second.send(None))
                attempt("the first goes on", lambda: running.send(None))
                running.close()
    """,
    # A step driven to its end by throw() (or send()), then used again.
    "a_finished_step_used_again": """
        async def main():
            for method in ("aclose", "athrow", "asend"):
                for thrown in (GeneratorExit, MyExc):
                    agen = two()
                    step = step_of(agen, method)
                    attempt(f"{method} throw {thrown.__name__}", lambda: step.throw(thrown))
                    attempt("throw again", lambda: step.throw(thrown))
                    attempt("send", lambda: step.send(None))
                    attempt("close", step.close)
                    attempt("send after close", lambda: step.send(None))
                    log.append(("running", agen.ag_running))
            for method in ("aclose", "athrow", "asend"):
                agen = two()
                attempt("first", lambda: agen.asend(None).send(None))
                step = step_of(agen, method)
                attempt(f"{method} of a started generator, throw", lambda: step.throw(MyExc))
                attempt("throw again", lambda: step.throw(MyExc))
                attempt("send", lambda: step.send(None))
    """,
    # StopIteration thrown in at the start: 3.11 makes it a RuntimeError
    # (PEP 479), as for any generator that has not started; 3.12 lets it out.
    "stop_iteration_thrown_into_an_unstarted_generator": """
        async def main():
            for method in ("aclose", "athrow", "asend"):
                step = step_of(two(), method)
                attempt(f"{method} throw StopIteration", lambda: step.throw(StopIteration))
                attempt("throw again", lambda: step.throw(StopIteration))
                attempt("send", lambda: step.send(None))
    """,
    # close() of a step that never ran: 3.13 throws GeneratorExit in, and so
    # closes the generator.
    "closing_a_step_that_never_ran": """
        async def main():
            for method in ("aclose", "athrow", "asend"):
                agen = two()
                step = step_of(agen, method)
                attempt(f"{method} closed unstarted", step.close)
                attempt("send", lambda: step.send(None))
                attempt("throw", lambda: step.throw(MyExc))
                attempt("the generator after", lambda: agen.asend(None).send(None))
                attempt("aclose", lambda: agen.aclose().send(None))
                agen = two()
                attempt("first", lambda: agen.asend(None).send(None))
                attempt(f"{method} closed unstarted, generator at a yield", step_of(agen, method).close)
                log.append(("running", agen.ag_running))
                attempt("the generator after", lambda: agen.asend(None).send(None))
                attempt("aclose", lambda: agen.aclose().send(None))
    """,
    # An athrow() step that ends on a later send (after an await) stays
    # open: sent again, it resumes the generator (CPython's athrow_send).
    "an_athrow_step_ended_after_an_await_is_sent_again": """
        async def caught_then_awaits():
            try:
                yield 1
            except MyExc:
                await suspend()
                yield "after"
            yield "more"

        async def main():
            agen = caught_then_awaits()
            attempt("first", lambda: agen.asend(None).send(None))
            step = agen.athrow(MyExc)
            attempt("athrow", lambda: step.send(None))
            attempt("athrow, after the await", lambda: step.send(None))
            for _ in range(3):
                attempt("sent again", lambda: step.send(None))
            attempt("thrown into", lambda: step.throw(MyExc))
    """,
    # athrow() and aclose() of a generator that is over: StopIteration.
    "steps_of_a_generator_that_is_over": """
        async def main():
            agen = two()
            for method in ("asend", "asend", "asend", "athrow", "aclose", "athrow"):
                attempt(method, lambda: step_of(agen, method).send(None))
    """,
    # The firstiter hook runs when a step is made (not when it is first
    # sent); the finalizer when a generator it saw is collected unfinished,
    # even one that never ran (3.13's close() of a step closes that one).
    "asyncgen_hooks_when_steps_are_made": """
        import sys

        def made_and_dropped(make):
            agen = two()
            log.append(make)
            if make == "asend":
                step = agen.asend(None)
            elif make == "athrow":
                step = agen.athrow(MyExc)
            elif make == "aclose":
                step = agen.aclose()
            elif make == "__anext__":
                step = agen.__anext__()
            else:
                step = agen.asend(None)
                attempt("thrown into", lambda: step.throw(MyExc))
            log.append("made")
            step.close()
            del step, agen
            log.append("dropped")

        async def main():
            old = sys.get_asyncgen_hooks()
            sys.set_asyncgen_hooks(
                firstiter=lambda agen: log.append(("firstiter", agen.__name__)),
                finalizer=lambda agen: log.append(("finalizer", agen.__name__)),
            )
            try:
                for make in ("asend", "athrow", "aclose", "__anext__", "asend, thrown into"):
                    made_and_dropped(make)
            finally:
                sys.set_asyncgen_hooks(*old)
    """,
    # 3.13: a step collected before it was awaited warns, naming the method,
    # the generator and the line that let go of it; 3.11 and 3.12 say nothing.
    "a_step_never_awaited_warns_from_3_13": """
        def caught(make):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                make()
                gc.collect()
            return [(w.category.__name__, str(w.message)) for w in seen]

        def awaited_to_its_end(agen):
            step = agen.asend(None)
            try:
                step.send(None)
            except StopIteration:
                pass

        async def main():
            log.append(caught(lambda: two().asend(None)))
            log.append(caught(lambda: two().athrow(MyExc)))
            log.append(caught(lambda: two().aclose()))
            log.append(caught(lambda: two().__anext__()))
            log.append(caught(lambda: two().asend(None).close()))
            log.append(caught(lambda: awaited_to_its_end(two())))
            agen = two()
            awaited_to_its_end(agen)
            log.append(caught(lambda: agen.asend(None)))
            log.append(caught(lambda: attempt("refused", lambda: agen.asend(None).throw(MyExc))))
            agen = None
            gc.collect()
    """,
    # The warning as an error: unraisable, with the generator as its object.
    "a_step_never_awaited_warning_as_error": """
        import sys

        async def main():
            seen = []
            hook = sys.unraisablehook
            sys.unraisablehook = lambda arguments: seen.append(
                (type(arguments.exc_value).__name__, str(arguments.exc_value), arguments.object is agen)
            )
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    agen = two()
                    agen.athrow(MyExc)
                    gc.collect()
            finally:
                sys.unraisablehook = hook
            log.append(seen)
    """,
    # An athrow() with arguments that throw() refuses (athrow(None), a bad
    # traceback, ...), started or thrown into with them, at a yield or while
    # the generator awaits a plain generator (on 3.11 and 3.12 another step
    # can leave it there): natively the delegate refuses them, and the
    # generator gets the TypeError at its await.  Then the step that was in
    # flight, sent again, runs (or finds the end of) what the other left.
    "a_step_with_arguments_throw_refuses": """
        async def gen_awaiting(inner_catches):
            try:
                yield "first"
            except MyExc:
                log.append("caught at yield")
            while True:
                try:
                    log.append(("inner got", await suspend()))
                except (MyExc, TypeError) as error:
                    log.append(("caught at await", type(error).__name__, str(error)))
                    if not inner_catches:
                        raise
                yield "after"

        ARGUMENTS = {
            "None": (None,),
            "int": (1,),
            "instance with value": (MyExc("x"), "value"),
            "bad traceback": (MyExc, None, "tb"),
            "class with value": (MyExc, "value"),
            "good": (MyExc,),
        }

        async def main():
            for catches in (False, True):
                for label, arguments in ARGUMENTS.items():
                    for how in ("send", "throw", "throw the same", "close"):
                        for concurrent in (False, True):
                            log.append(("case", catches, label, how, concurrent))
                            agen = gen_awaiting(catches)
                            attempt("start", lambda: agen.asend(None).send(None))
                            first = None
                            if concurrent:
                                first = agen.asend(None)
                                attempt("first send", lambda: first.send(None))
                            second = agen.athrow(*arguments)
                            with warnings.catch_warnings():
                                warnings.simplefilter("ignore", DeprecationWarning)
                                if how == "send":
                                    attempt(how, lambda: second.send(None))
                                elif how == "throw":
                                    attempt(how, lambda: second.throw(MyExc))
                                elif how == "throw the same":
                                    attempt(how, lambda: second.throw(*arguments))
                                else:
                                    attempt(how, second.close)
                                log.append(("running", agen.ag_running, agen.ag_await is not None))
                                attempt("second again", lambda: second.send(None))
                            if first is not None:
                                attempt("first again", lambda: first.send("x"))
                                first.close()
                            attempt("next", lambda: agen.asend(None).send(None))
                            attempt("aclose", lambda: agen.aclose().send(None))
                for label, arguments in ARGUMENTS.items():
                    log.append(("unstarted", label))
                    agen = gen_awaiting(catches)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        attempt("athrow", lambda: agen.athrow(*arguments).send(None))
                    attempt("then", lambda: agen.asend(None).send(None))
                    attempt("aclose", lambda: agen.aclose().send(None))
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_and_compiled_agree(name):
    assert_same(STEPS + textwrap.dedent(CASES[name]), "main()")


NEVER_AWAITED_LINE = """
    import gc
    import warnings

    async def gen():
        yield 1

    def drop():
        gen().athrow(ValueError)

    def run():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            drop()
            gc.collect()
        return [(str(w.message), w.filename, w.lineno) for w in caught]
"""


def test_never_awaited_step_warning_names_the_users_line():
    native, compiled = both(NEVER_AWAITED_LINE)
    expected = native["run"]()
    if sys.version_info >= (3, 13):
        assert expected == [("coroutine method 'athrow' of 'gen' was never awaited", f"<{MODULE_NAME}>", 9)]
    else:
        assert expected == []
    assert compiled["run"]() == expected


# After a step raises out to its caller, or aclose() ends it, the generator
# is freed by reference counting alone, with what its locals held: no cycle
# through the frames of the step's machinery on the exception's traceback
# (nor the thrown exception kept by the step).  Then anext(), athrow() and
# aclose() of the finished generator, which leave nothing behind either.
# (The steps after the first are quiet: the locals of a generator that
# raised stay with it until it goes, where natively they go with the
# exception's traceback; see docs/conformance.md.)
STEPS_THAT_END_THE_GENERATOR = """
    import weakref

    class Tracked:
        def __init__(self, name):
            self.name = name

        def __del__(self):
            log.append(("freed", self.name))

    async def gen(name, how):
        held = Tracked(name)
        try:
            yield 1
            if how == "raises":
                raise MyExc("sent")
            yield 2
        finally:
            if how == "aclose raises":
                raise KeyError("in finally")

    def step(make, quiet=False):
        try:
            make().send(None)
        except BaseException as error:
            if not quiet:
                log.append(("raised", type(error).__name__))

    class ThrownInto:
        # Drives a step by throw(): before 3.13 that runs the generator unchecked.

        def __init__(self, step):
            self.step = step

        def send(self, value):
            return self.step.throw(MyExc)

    def run(label, how, act, then):
        agen = gen(label, how)
        step(lambda: agen.asend(None))
        step(lambda: act(agen))
        if then is not None:
            step(lambda: then(agen), quiet=True)
        ref = weakref.ref(agen)
        del agen
        return ref

    ENDING = [
        ("athrow raises out", "", lambda g: g.athrow(MyExc)),
        ("athrow of an instance raises out", "", lambda g: g.athrow(MyExc("i"))),
        ("athrow of three arguments raises out", "", lambda g: g.athrow(MyExc, MyExc("v"), None)),
        ("athrow(GeneratorExit) raises out", "", lambda g: g.athrow(GeneratorExit)),
        ("athrow refused", "", lambda g: g.athrow(None)),
        ("asend raises out", "raises", lambda g: g.asend(None)),
        ("anext raises out", "raises", lambda g: g.__anext__()),
        ("aclose raises out", "aclose raises", lambda g: g.aclose()),
        ("aclose", "", lambda g: g.aclose()),
        ("athrow().throw() raises out", "", lambda g: ThrownInto(g.athrow(KeyError))),
        ("asend().throw() raises out", "", lambda g: ThrownInto(g.asend(None))),
        ("aclose().throw() raises out", "", lambda g: ThrownInto(g.aclose())),
    ]
    THEN = [
        ("", None),
        (", then anext", lambda g: g.__anext__()),
        (", then athrow", lambda g: g.athrow(MyExc)),
        (", then athrow of an instance", lambda g: g.athrow(MyExc("again"))),
        (", then aclose", lambda g: g.aclose()),
    ]

    async def main():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for label, how, act in ENDING:
                for then_label, then in THEN:
                    log.append(label + then_label)
                    ref = run(label + then_label, how, act, then)
                    log.append(("gone", ref() is None))
"""


@pytest.mark.usefixtures("no_collector")
def test_a_generator_a_step_ended_is_freed_by_reference_counting():
    assert_same(STEPS + textwrap.dedent(STEPS_THAT_END_THE_GENERATOR), "main()")
