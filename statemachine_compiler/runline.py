"""The command line of ``statemachine-compiler run``, read without argparse when it is a plain one.

Discussion: building the command line's parser imports argparse (gettext
with it, and shutil, with its compression modules, to learn the terminal's
width for a help that is never printed) and makes the options of four
commands: most of what ``run`` added to the start-up of a program whose
compiled code was cached (issue 13).  So the shapes a program is run with,

    run [--include PATTERN | --include=PATTERN | --pdb]... SCRIPT [ARGS...]
    run [--include PATTERN | --include=PATTERN | --pdb]... -m MODULE [ARGS...]

are read here, into what argparse makes of them.  Anything else (``--help``,
an option abbreviated or unknown, ``--``, a missing value, a word that
starts with ``-`` where a script or module name stands) is not read here,
and argparse reads it, with its messages.  tests/compiler/test_cli.py checks the two
readings agree.
"""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["plain_run_arguments"]


def plain_run_arguments(argv: list[str]) -> SimpleNamespace | None:
    """The ``run`` command's arguments in ``argv`` (what follows the program's name), or None.

    None: not a plain ``run`` command line, for argparse to read.
    """
    if not argv or argv[0] != "run":
        return None
    include, pdb = [], False
    rest = argv[1:]
    while rest:
        word = rest[0]
        if word == "--pdb":
            pdb, rest = True, rest[1:]
        elif word == "--include" and len(rest) > 1 and not rest[1].startswith("-"):
            include.append(rest[1])
            rest = rest[2:]
        elif word.startswith("--include="):
            include.append(word.partition("=")[2])
            rest = rest[1:]
        else:
            break
    if not rest:
        return None
    module, program = None, rest
    if rest[0] == "-m" and len(rest) > 1:
        module, program = rest[1:], []
    if (module or program)[0].startswith("-"):
        return None
    return SimpleNamespace(command="run", include=include, pdb=pdb, module=module, program=program)
