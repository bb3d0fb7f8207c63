"""Running one script natively and compiled, in child processes, for the debugging tests."""

import os
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


def run_native(script, *arguments, stdin=None, python=()):
    """``python [python...] script arguments...``."""
    return subprocess.run(
        [sys.executable, *python, str(script), *arguments],
        input=stdin, capture_output=True, text=True, env=environment(), cwd=script.parent, timeout=120,
    )


def run_compiled(script, *arguments, stdin=None, options=()):
    """``statemachine-compiler run [options...] script arguments...``."""
    return subprocess.run(
        [sys.executable, "-m", "statemachine_compiler", "run", *options, str(script), *arguments],
        input=stdin, capture_output=True, text=True, env=environment(), cwd=script.parent, timeout=120,
    )
