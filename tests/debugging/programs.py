"""Running one script natively and compiled, in child processes, for the debugging tests."""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = str(ROOT / "runtime")


def environment(**changes):
    """The environment of a child Python that imports this project, and not the user's settings."""
    env = dict(os.environ)
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONBREAKPOINT", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["COLUMNS"] = "200"
    env.update(changes)
    return env


def _interruptible():
    """Let Ctrl-C in, in the child: run from a background job (``make test &``),
    the tests inherit SIGINT ignored, Python keeps it ignored, and asyncio then
    installs no handler of its own: a script that sends itself SIGINT would
    just carry on."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_native(script, *arguments, stdin=None, python=()):
    """``python [python...] script arguments...``."""
    return subprocess.run(
        [sys.executable, *python, str(script), *arguments],
        input=stdin, capture_output=True, text=True, env=environment(), cwd=script.parent, timeout=120,
        preexec_fn=_interruptible,
    )


def run_compiled(script, *arguments, stdin=None, options=()):
    """``statemachine-compiler run [options...] script arguments...``."""
    return subprocess.run(
        [sys.executable, "-m", "statemachine_compiler", "run", *options, str(script), *arguments],
        input=stdin, capture_output=True, text=True, env=environment(), cwd=script.parent, timeout=120,
        preexec_fn=_interruptible,
    )


def debug(script, commands, how="native", program=None):
    """What a pdb session over ``script`` prints (stdout and stderr as one), ``commands`` typed in.

    ``how``: "native" (``python -m pdb``), "--pdb" (``statemachine-compiler
    run --pdb``), "-m pdb" (``statemachine-compiler run -m pdb``) or "run"
    (``statemachine-compiler run``: a ``breakpoint()`` in the script).
    ``program``: what follows on the command line instead of the script's
    path (``["-m", "pkg.app", "A"]``), run in the script's directory.
    """
    commands = "".join(command + "\n" for command in commands)
    program = [str(script)] if program is None else program
    if how == "native":
        argv = [sys.executable, "-m", "pdb", *program]
    elif how == "native-run":
        argv = [sys.executable, *program]
    else:
        options = {"--pdb": ["--pdb"], "-m pdb": ["-m", "pdb"], "run": []}[how]
        argv = [sys.executable, "-m", "statemachine_compiler", "run", *options, *program]
    done = subprocess.run(
        argv, input=commands, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=environment(), cwd=script.parent, timeout=120,
    )
    return done.stdout
