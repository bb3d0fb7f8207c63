"""Command line: ``statemachine-compiler compile SRC [-o OUT]`` and ``run``.

``run [--include PATTERN]... SCRIPT [ARGS...]`` and ``run [--include
PATTERN]... -m MODULE [ARGS...]`` run a program as ``python`` would, with the
script (or module) compiled and the import hook installed for the patterns.

Argument parsing only; the work is in ``pipeline``.  Errors in the input are
printed as ``path:line:col: message`` with exit status 2, and nothing is
written: outputs are produced in full before any file is touched.
"""

from __future__ import annotations

import argparse
import os
import sys

from statemachine_compiler.diagnostics import CompileError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statemachine-compiler",
        description="Compile Python async functions into readable state machines.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    compile_ = commands.add_parser("compile", help="print or write the compiled source")
    compile_.add_argument("source", help="a .py file, or a directory (then -o is required)")
    compile_.add_argument("-o", "--output", help="output file or directory")
    compile_.add_argument(
        "--no-format", action="store_true", help="skip black on the generated code"
    )
    run = commands.add_parser(
        "run",
        help="run a program with its async functions compiled",
        usage="%(prog)s [--include PATTERN]... (SCRIPT | -m MODULE) [ARGS...]",
    )
    run.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATTERN",
        help="also compile the modules whose dotted name matches (fnmatch; repeatable)",
    )
    run.add_argument(
        "-m", dest="module", nargs=argparse.REMAINDER, metavar="MODULE",
        help="run a module as `python -m` does",
    )
    run.add_argument("program", nargs=argparse.REMAINDER, metavar="SCRIPT [ARGS...]")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "compile":
        return compile_command(args)
    if args.command == "run":
        return run_command(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


def compile_command(args) -> int:
    # Imported here: `run` with a warm cache does without libcst and black
    # (and pathlib).
    from pathlib import Path

    from statemachine_compiler.pipeline import Options, compile_source

    options = Options(format=not args.no_format)
    source = Path(args.source)
    if not source.exists():
        print(f"{source}: no such file or directory", file=sys.stderr)
        return 2
    if source.is_dir():
        if not args.output:
            print(f"{source}: a directory needs -o OUTPUT_DIRECTORY", file=sys.stderr)
            return 2
        pairs = [(path, Path(args.output) / path.relative_to(source)) for path in sorted(source.rglob("*.py"))]
    else:
        pairs = [(source, Path(args.output) if args.output else None)]
    outputs = []
    failed = False
    for path, destination in pairs:
        try:
            text = path.read_text(encoding="utf-8")
            outputs.append((destination, compile_source(text, str(path), options).code))
        except CompileError as error:
            print(error, file=sys.stderr)
            failed = True
        except UnicodeDecodeError as error:
            print(f"{path}:1:1: cannot decode as UTF-8: {error.reason}", file=sys.stderr)
            failed = True
    if failed:
        return 2
    for destination, code in outputs:
        if destination is None:
            sys.stdout.write(code)
        else:
            _write_atomically(destination, code)
    return 0


def run_command(args) -> int:
    from statemachine_compiler import runner

    if args.module is not None:
        if not args.module:
            print("run: -m needs a module name", file=sys.stderr)
            return 2
        name, *arguments = args.module
        return runner.run_module(name, arguments, args.include)
    if not args.program:
        print("run: needs a SCRIPT or -m MODULE", file=sys.stderr)
        return 2
    script, *arguments = args.program
    return runner.run_script(script, arguments, args.include)


def _write_atomically(path, text: str) -> None:  # path: a pathlib.Path
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
