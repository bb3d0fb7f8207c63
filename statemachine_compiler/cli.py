"""Command line: ``statemachine-compiler compile SRC [-o OUT]``, ``run``, ``graph`` and ``explain``.

``run [--include PATTERN]... SCRIPT [ARGS...]`` and ``run [--include
PATTERN]... -m MODULE [ARGS...]`` run a program as ``python`` would, with the
script (or module) compiled and the import hook installed for the patterns.

Argument parsing and error reporting only; the work is in ``build`` and
``runner``.  Every failure is one line on stderr, ``path[:line:col]:
message``, with exit status 2; ``--traceback`` (or the environment variable
``STATEMACHINE_COMPILER_TRACEBACK=1``) adds the Python traceback, for bug
reports.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

__all__ = ["main"]

TRACEBACK_VARIABLE = "STATEMACHINE_COMPILER_TRACEBACK"

DESCRIPTION = "Compile Python async functions into readable state machines."
COMPILE_DESCRIPTION = """\
Compile SOURCE: every async def becomes a state-machine class. A file (or -
for standard input) is printed, or written to -o FILE. A directory is
mirrored into -o DIRECTORY: .py files compiled, other files copied,
__pycache__ skipped. Nothing is written unless everything compiled; an
existing file keeps its permissions, a symlink is followed, a device or FIFO
is written to, never replaced."""
RUN_DESCRIPTION = """\
Run a program as `python SCRIPT ARGS...` or `python -m MODULE ARGS...` would,
with the script (or module) compiled and the import hook installed for the
--include patterns (and for modules carrying the marker comment
`# statemachine-compiler: compile`). Nothing is written beside the script, as
python writes nothing for it; its compiled code is kept in the user's cache
directory (STATEMACHINE_COMPILER_CACHE, else ~/.cache/statemachine-compiler), so
an unchanged script starts without compiling. Imported modules are cached as
their .pyc files are."""
GRAPH_DESCRIPTION = """\
Draw the states of each async def in SOURCE: one node per await (its state
number, line and text), start and finish, and the ways between them (on, round
a loop, into an except or finally clause, return, raise). Graphviz DOT is
printed, or written to -o FILE; -o FILE.svg or FILE.png draws it with
Graphviz's dot program (apt-get install graphviz)."""
EXPLAIN_DESCRIPTION = """\
Write one self-contained HTML page that shows how SOURCE was compiled: for each
async def, its state diagram above its source and the generated code, the
states linked between the three. Printed, or written to -o FILE. Needs
Graphviz's dot program (apt-get install graphviz)."""


def build_parser() -> argparse.ArgumentParser:
    # argparse is imported here, not above: a plain ``run`` command line is
    # read without it (runline), at the start of every program run.
    import argparse

    from statemachine_compiler import __version__

    parser = argparse.ArgumentParser(prog="statemachine-compiler", description=DESCRIPTION)
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}",
        help="print the version and exit",
    )
    _add_traceback_option(parser, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_compile_command(commands)
    _add_run_command(commands)
    _add_graph_command(commands)
    _add_explain_command(commands)
    return parser


def _add_traceback_option(parser, default) -> None:
    parser.add_argument(
        "--traceback", action="store_true", default=default,
        help="when compiling fails, also print the Python traceback"
        f" (or set {TRACEBACK_VARIABLE}=1)",
    )


def _add_compile_command(commands) -> None:
    import argparse

    compile_ = commands.add_parser(
        "compile", help="print or write the compiled source",
        description=COMPILE_DESCRIPTION, usage="%(prog)s [-o OUTPUT] [-j N] [--no-format] [--traceback] SOURCE",
    )
    compile_.add_argument(
        "source", metavar="SOURCE",
        help="a .py file, - for standard input, or a directory (then -o is required)",
    )
    compile_.add_argument(
        "-o", "--output", metavar="OUTPUT",
        help="the file (for a file; - is standard output, the default) or directory to write",
    )
    compile_.add_argument(
        "-j", "--jobs", type=_positive, metavar="N",
        help="compile a directory's files in N processes (default: one per core)",
    )
    compile_.add_argument(
        "--no-format", action="store_true",
        help="do not run black on the generated code: faster, same behaviour",
    )
    _add_traceback_option(compile_, argparse.SUPPRESS)


def _add_run_command(commands) -> None:
    import argparse

    run = commands.add_parser(
        "run", help="run a program with its async functions compiled",
        description=RUN_DESCRIPTION, formatter_class=_run_help_formatter(),
        usage="%(prog)s [--include PATTERN]... [--pdb] (SCRIPT | -m MODULE) [ARGS...]",
    )
    run.add_argument(
        "--include", action="append", default=[], metavar="PATTERN",
        help="also compile the imported modules whose dotted name matches"
        " (fnmatch; 'pkg.*' includes pkg itself; repeatable)",
    )
    run.add_argument(
        "--pdb", action="store_true",
        help="run the program under the debugger, as `python -m pdb SCRIPT` (or"
        " `-m MODULE`) does; `-m pdb [-c COMMAND]... (SCRIPT | -m MODULE)` does the same",
    )
    run.add_argument(
        "-m", dest="module", nargs=argparse.REMAINDER, metavar="MODULE [ARGS...]",
        help="run a module (or a package's __main__) as `python -m` does, with ARGS",
    )
    run.add_argument(
        "program", nargs=argparse.REMAINDER, metavar="SCRIPT [ARGS...]",
        help="the script to run and the arguments it gets as sys.argv[1:]",
    )


def _add_graph_command(commands) -> None:
    import argparse

    graph = commands.add_parser(
        "graph", help="print or draw each compiled function's states",
        description=GRAPH_DESCRIPTION,
    )
    graph.add_argument("source", metavar="SOURCE", help="a .py file")
    graph.add_argument(
        "--function", metavar="NAME",
        help="only this function (its name, or its qualified name: Class.method)",
    )
    graph.add_argument(
        "-o", "--output", metavar="OUTPUT",
        help="the file to write: .svg or .png is drawn, anything else gets DOT (- is standard output, the default)",
    )
    _add_traceback_option(graph, argparse.SUPPRESS)


def _add_explain_command(commands) -> None:
    import argparse

    explain = commands.add_parser(
        "explain", help="write an HTML page lining up source, generated code and states",
        description=EXPLAIN_DESCRIPTION,
    )
    explain.add_argument("source", metavar="SOURCE", help="a .py file")
    explain.add_argument(
        "-o", "--output", metavar="OUTPUT",
        help="the HTML file to write (- is standard output, the default)",
    )
    _add_traceback_option(explain, argparse.SUPPRESS)


def _run_help_formatter():
    import argparse

    class RunHelpFormatter(argparse.HelpFormatter):
        """Shows ``-m MODULE [ARGS...]``: argparse spells any rest-of-line argument ``...``."""

        def _format_args(self, action, default_metavar):
            if action.nargs == argparse.REMAINDER and action.metavar:
                return action.metavar
            return super()._format_args(action, default_metavar)

    return RunHelpFormatter


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        import argparse

        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def main(argv: list[str] | None = None) -> int:
    from statemachine_compiler.runline import plain_run_arguments

    args = plain_run_arguments(sys.argv[1:] if argv is None else argv)
    if args is None:
        args = build_parser().parse_args(argv)
    args.traceback = getattr(args, "traceback", False) or os.environ.get(
        TRACEBACK_VARIABLE, ""
    ) not in ("", "0")
    if args.command == "run":
        # What the program raises is the program's: python's traceback, python's status.
        return run_command(args)
    command = {"graph": graph_command, "explain": explain_command}.get(args.command, compile_command)
    try:
        return command(args)
    except KeyboardInterrupt as error:
        return _report(error, f"{args.source}: interrupted", args)
    except Exception as error:
        from statemachine_compiler.build import describe

        return _report(error, describe(error, args.source), args)


def _report(error: BaseException, message: str, args) -> int:
    if args.traceback:
        import traceback

        traceback.print_exception(error)
    print(message, file=sys.stderr)
    return 2


def compile_command(args) -> int:
    from statemachine_compiler import build
    from statemachine_compiler.pipeline import Options

    if args.source != build.STDIN and os.path.isdir(args.source):
        planner = build.plan_tree
    else:
        planner = build.plan_file
    # A traceback does not cross from a worker process: --traceback compiles here.
    workers = 1 if args.traceback else args.jobs or build.default_workers()
    try:
        jobs = planner(args.source, args.output)
        outputs = build.compile_jobs(
            jobs, Options(format=not args.no_format), workers=workers, progress=sys.stderr
        )
    except build.BuildFailed as failure:
        if args.traceback and failure.first is not None:
            import traceback

            traceback.print_exception(failure.first)
        for line in failure.errors:
            print(line, file=sys.stderr)
        return 2
    build.write_outputs(outputs, sys.stdout)
    return 0


def graph_command(args) -> int:
    from statemachine_compiler.explore.commands import graph_bytes

    return _shown(args, lambda: graph_bytes(args.source, args.function, args.output))


def explain_command(args) -> int:
    from statemachine_compiler.explore.commands import explain_bytes

    return _shown(args, lambda: explain_bytes(args.source))


def _shown(args, make) -> int:
    """Write what ``make()`` returns to -o (or standard output); report what stops it."""
    from statemachine_compiler.explore.commands import NoSuchFunction
    from statemachine_compiler.explore.render import DotMissing
    from statemachine_compiler.output import write_all, write_stdout

    try:
        data = make()
    except DotMissing as error:
        return _report(error, f"{args.output or args.source}: {error}", args)
    except NoSuchFunction as error:
        return _report(error, f"{args.source}: {error}", args)
    if args.output in (None, "-"):
        write_stdout(data, sys.stdout)
    else:
        write_all([(args.output, data, None)])
    return 0


def run_command(args) -> int:
    from statemachine_compiler import runner

    if args.module is not None:
        if not args.module:
            print("statemachine-compiler run: -m needs a module name", file=sys.stderr)
            return 2
        name, *arguments = args.module
        if name == "pdb":
            return _debug_command(arguments, args.include)
        return runner.run_module(name, arguments, args.include, debug=[] if args.pdb else None)
    if not args.program:
        print("statemachine-compiler run: needs a SCRIPT or -m MODULE", file=sys.stderr)
        return 2
    script, *arguments = args.program
    return runner.run_script(script, arguments, args.include, debug=[] if args.pdb else None)


def _debug_command(arguments: list[str], include) -> int:
    """``run -m pdb [-c COMMAND]... (SCRIPT | -m MODULE) [ARGS...]``: the program, compiled, under the debugger."""
    from statemachine_compiler import runner

    commands = []
    while len(arguments) >= 2 and arguments[0] in ("-c", "--command"):
        commands.append(arguments[1])
        arguments = arguments[2:]
    if len(arguments) >= 2 and arguments[0] == "-m":
        name, *rest = arguments[1:]
        return runner.run_module(name, rest, include, debug=commands)
    if not arguments or arguments[0].startswith("-"):
        print(
            "statemachine-compiler run -m pdb: usage: -m pdb [-c COMMAND]... (SCRIPT | -m MODULE) [ARGS...]"
            " (pdb's other options are not supported)",
            file=sys.stderr,
        )
        return 2
    script, *rest = arguments
    return runner.run_script(script, rest, include, debug=commands)
