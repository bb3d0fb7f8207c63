"""Random async functions (tests/compiler/test_generated.py's strategy) pickled mid-run.

Each generated function is compiled and run twice under the same random
driver script: straight through, and with the coroutine pickled and loaded
(then deep-copied) at a random suspension, the restored copy driven on.  The
values yielded, the outcome and the side effects must be the same.
"""

import copy
import itertools
import pickle
import sys
import textwrap
import types

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from statemachine_compiler import Options, compile_source
from tests.compiler.differential import PRELUDE, describe_exception
from tests.compiler.test_generated import PROFILE_SETTINGS, async_functions, driver_scripts
from tests.durable.corpus import PAUSE

# The differential prelude's Yield suspends in a generator, which cannot be
# pickled: here it is an iterator object that can.  And the log is the
# module's own, by reference: a spilled ``log.append`` would otherwise be
# pickled with a copy of the list (as pickle copies what locals hold).
PICKLABLE_YIELD = '''
class Log(list):
    def __reduce__(self):
        return the_log, ()


def the_log():
    return log


log = Log()

''' + PAUSE + '''
Yield = Pause
'''

_names = itertools.count()


def load(source):
    """The compiled module, registered in sys.modules so that pickle finds its classes."""
    text = PRELUDE + PICKLABLE_YIELD + textwrap.dedent(source)
    module = types.ModuleType(f"durable_generated_{next(_names)}")
    sys.modules[module.__name__] = module
    exec(compile(compile_source(text, module.__name__, Options(format=False)).code, module.__name__, "exec"), module.__dict__)
    return module


def drive(coroutine, script, restore_at=None):
    """As differential.drive; at suspension ``restore_at`` the coroutine is replaced by its restored copy."""
    trace = []
    action = ("send", None)
    step = 0
    while True:
        try:
            if action[0] == "send":
                yielded = coroutine.send(action[1])
            elif action[0] == "throw":
                yielded = coroutine.throw(action[1])
            else:
                trace.append(("closed", repr(coroutine.close())))
                return trace
        except StopIteration as stop:
            trace.append(("return", repr(stop.value)))
            return trace
        except BaseException as error:  # noqa: BLE001 - everything is observable
            trace.append(("raise", describe_exception(error)))
            return trace
        trace.append(("yield", repr(yielded)))
        if step == restore_at:
            original = coroutine
            coroutine = copy.deepcopy(pickle.loads(pickle.dumps(original)))
            original.state = -1  # dropped without running its finally blocks: it is the copy that goes on
        action = script[step] if step < len(script) else ("send", step)
        step += 1
        if step > 10_000:
            trace.append(("runaway",))
            return trace


# Few examples, not shrunk: each compiles a module, and test_generated.py
# already covers the strategy's programs; this checks only the pickling.
@settings(
    PROFILE_SETTINGS,
    max_examples=min(PROFILE_SETTINGS.max_examples, 25),
    phases=(Phase.explicit, Phase.generate),
)
@given(source=async_functions(), script=driver_scripts(), point=st.integers(0, 6))
def test_random_async_function_pickled_at_a_random_suspension_runs_on_the_same(source, script, point):
    module = load(source)
    try:
        straight = drive(module.f(), script), list(module.log)
        module.log.clear()
        restored = drive(module.f(), script, restore_at=point), list(module.log)
    finally:
        del sys.modules[module.__name__]
    assert restored == straight, (
        f"pickled at suspension {point}, it differs with script {script!r}\n"
        f"source:\n{source}\nstraight: {straight}\nrestored: {restored}"
    )
