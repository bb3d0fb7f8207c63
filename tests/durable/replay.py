"""The two halves of the pickle corpus test, each run in a process of its own.

``replay.py record DIR OUT``: imports each program of ``corpus.py`` (written
as modules to DIR, compiled by the import hook), drives ``main()`` straight
through, and pickles it at every suspension.  ``replay.py restore DIR IN
OUT`` loads each pickle in this new process and drives it on.  Both write
what they observed: events (``("yield", label)``, ``("out", printed)``,
``("return", value)``, ``("raise", exception)``).
"""

import contextlib
import importlib
import io
import pickle
import sys


def describe_exception(error, depth=0):
    if error is None or depth > 5:
        return None
    return (
        type(error).__name__,
        tuple(repr(a) for a in error.args),
        describe_exception(error.__cause__, depth + 1),
        describe_exception(error.__context__, depth + 1),
        error.__suppress_context__,
    )


def step(coroutine, action, events):
    """Do ``action`` to the coroutine; return False once it finished."""
    out = io.StringIO()
    finished = True
    with contextlib.redirect_stdout(out):
        try:
            if action[0] == "send":
                yielded = coroutine.send(action[1])
                finished = False
            elif action[0] == "throw":
                yielded = coroutine.throw(action[1])
                finished = False
            else:
                events.append(("closed", repr(coroutine.close())))
        except StopIteration as stop:
            events.append(("return", repr(stop.value)))
        except BaseException as error:  # noqa: BLE001 - everything is observable
            events.append(("raise", describe_exception(error)))
    if out.getvalue():
        events.insert(len(events) - finished, ("out", out.getvalue()))
    if not finished:
        events.append(("yield", repr(yielded)))
    return not finished


def action_at(script, point):
    return script.get(point, ("send", point))


def drive(coroutine, script, point, events, snapshots=None):
    """Drive from suspension ``point`` (-1: not started) to the end."""
    action = ("send", None) if point < 0 else action_at(script, point)
    while step(coroutine, action, events):
        point += 1
        if snapshots is not None:
            snapshots.append((point, len(events), pickle.dumps(coroutine)))
        action = action_at(script, point)


def record(names):
    observed = {}
    for name in names:
        module = importlib.import_module(name)
        events, snapshots = [], []
        drive(module.main(), getattr(module, "SCRIPT", {}), -1, events, snapshots)
        observed[name] = (events, snapshots)
    return observed


def restore(recorded):
    resumed = {}
    for name, (_events, snapshots) in recorded.items():
        module = importlib.import_module(name)
        script = getattr(module, "SCRIPT", {})
        runs = []
        for point, _index, blob in snapshots:
            events = []
            drive(pickle.loads(blob), script, point, events)
            runs.append(events)
        resumed[name] = runs
    return resumed


def main(argv):
    command, directory, *files = argv
    sys.path.insert(0, directory)
    from statemachine_compiler import install_import_hook

    install_import_hook(include=["durable_*"], quiet=True)
    if command == "record":
        (out,) = files
        import corpus_names

        observed = record(corpus_names.NAMES)
    else:
        inp, out = files
        with open(inp, "rb") as file:
            observed = restore(pickle.load(file))
    with open(out, "wb") as file:
        pickle.dump(observed, file)


if __name__ == "__main__":
    main(sys.argv[1:])
