"""``compile``: a file, standard input or a whole tree, compiled, then written.

    plan_file("app.py", "out.py")       # one Job; output None is standard output
    plan_tree("src", "build")           # a Job per file: .py compiled, the rest copied
    outputs = compile_jobs(jobs, options, workers=4)
    write_outputs(outputs)

1. Everything is compiled before anything is written, and a tree is
   written all or nothing (``output.write_all``).
2. A tree is compiled in parallel, one process per core by default: each
   file is independent.  A progress line shows on a terminal.
3. An output that would land on an input (the tree itself, a directory
   inside it, a source file) is refused before anything is compiled.
4. Every error is collected and reported: ``compile_jobs`` raises
   ``BuildFailed`` with all of them.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from dataclasses import dataclass

from statemachine_compiler.decoding import decode_source
from statemachine_compiler.diagnostics import CompileError
from statemachine_compiler.output import write_all, write_stdout

__all__ = [
    "BuildFailed",
    "Job",
    "compile_jobs",
    "default_workers",
    "plan_file",
    "plan_tree",
    "write_outputs",
]

STDIN = "-"
SKIPPED_DIRECTORIES = frozenset({"__pycache__"})  # bytecode of the sources, not data
PROGRESS_MIN_FILES = 5  # trees of fewer files compile too fast to need a progress line


class BuildFailed(Exception):
    """Raised by ``compile_jobs`` and ``plan_*`` with every error found (one line each)."""

    def __init__(self, errors: list[str], first: BaseException | None = None):
        super().__init__("\n".join(errors))
        self.errors = errors
        self.first = first  # for --traceback


@dataclass(frozen=True)
class Job:
    source: str  # a path, or "-" for standard input
    destination: str | None  # None: standard output
    compiled: bool = True  # False: a data file, copied


@dataclass(frozen=True)
class Output:
    destination: str | None
    data: bytes
    mode: int | None  # permissions for a new file (a copied file's own); None: the umask's


def plan_file(source: str, output: str | None) -> list[Job]:
    """The job of compiling one file (or standard input) to ``output`` (None: stdout)."""
    if output == STDIN:
        output = None
    if source != STDIN:
        if not os.path.exists(source):
            raise _failure(source, errno.ENOENT)
        if output is not None and _same_file(source, output):
            raise BuildFailed([f"{output}: is the source file itself; not overwriting it"])
    return [Job(source, output)]


def plan_tree(source: str, output: str | None) -> list[Job]:
    """The jobs that mirror the tree ``source`` into ``output``: .py compiled, the rest copied."""
    if output is None or output == STDIN:
        raise BuildFailed([f"{source}: a directory needs -o OUTPUT_DIRECTORY"])
    source_root, output_root = os.path.realpath(source), os.path.realpath(output)
    if output_root == source_root:
        raise BuildFailed([f"{output}: is the source directory itself; not overwriting it"])
    if output_root.startswith(source_root + os.sep):
        raise BuildFailed(
            [f"{output}: is inside the source directory {source}; choose an output outside it"]
        )
    if os.path.exists(output) and not os.path.isdir(output):
        raise _failure(output, errno.ENOTDIR)
    jobs = []
    inputs = set()
    for relative in _tree_files(source):
        path = os.path.join(source, relative)
        inputs.add(os.path.realpath(path))
        jobs.append(Job(path, os.path.join(output, relative), compiled=relative.endswith(".py")))
    for job in jobs:  # the source tree inside the output tree: `compile src -o .`
        if os.path.realpath(job.destination) in inputs:
            raise BuildFailed([f"{job.destination}: is a source file; not overwriting it"])
    return jobs


def _tree_files(root: str) -> list[str]:
    """The relative paths of the files under ``root``, sorted; errors raise ``OSError``."""

    def fail(error: OSError) -> None:
        raise error

    found = []
    for directory, subdirectories, files in os.walk(root, onerror=fail):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
        relative = os.path.relpath(directory, root)
        for name in sorted(files):
            found.append(name if relative == "." else os.path.join(relative, name))
    return found


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _failure(path: str, code: int) -> BuildFailed:
    error = OSError(code, os.strerror(code), path)
    return BuildFailed([describe(error)], error)


# -- compiling -----------------------------------------------------------------------


def compile_jobs(jobs: list[Job], options, workers: int = 1, progress=None) -> list[Output]:
    """Compile (or read) every job; raise ``BuildFailed`` naming every file that failed.

    ``progress`` is the stream a progress line goes to, when it is a terminal.
    """
    compiled = sum(job.compiled for job in jobs)
    meter = Progress(compiled, progress)
    outputs, errors, first = [], [], None
    for job, outcome in _outcomes(jobs, options, workers if compiled > 1 else 1):
        if job.compiled:
            meter.advance(job.source)
        if isinstance(outcome, BaseException):
            first = first or outcome
            errors.append(describe(outcome, job.source))
        else:
            outputs.append(outcome)
    meter.finish()
    if errors:
        raise BuildFailed(errors, first)
    return outputs


def _outcomes(jobs: list[Job], options, workers: int):
    """Yield ``(job, Output or the exception)`` for each job, in the jobs' order."""
    if workers <= 1:
        for job in jobs:
            yield job, run_job(job, options)
        return
    import multiprocessing

    # Discussion: processes, not threads: compiling is pure Python.  The
    # workers ignore ^C; the parent stops them all at once.
    pool = multiprocessing.Pool(min(workers, len(jobs)), initializer=_ignore_interrupts)
    try:
        results = pool.imap(_run_job_in_worker, [(job, options) for job in jobs])
        for job, outcome in zip(jobs, results, strict=True):
            yield job, outcome
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _ignore_interrupts() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_job_in_worker(arguments):
    return run_job(*arguments)


def run_job(job: Job, options) -> Output | BaseException:
    """Compile or read one job; an error is returned, not raised (it crosses processes)."""
    try:
        if not job.compiled:
            return Output(job.destination, _read(job.source), _permissions(job.source))
        return Output(job.destination, compile_file(job.source, options), None)
    except Exception as error:
        return error


def compile_file(source: str, options) -> bytes:
    """Return the compiled module at ``source`` ("-": standard input), encoded as it was."""
    from statemachine_compiler.pipeline import compile_source

    path = "<stdin>" if source == STDIN else source
    data = sys.stdin.buffer.read() if source == STDIN else _read(source)
    decoded = decode_source(data, path)
    code = compile_source(decoded.text, path, options).code
    try:
        return code.encode(decoded.encoding)
    except UnicodeEncodeError as error:  # generated text the declared encoding cannot hold
        raise CompileError(path, 1, 1, f"cannot encode the output as {decoded.encoding}: {error.reason}") from None


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _permissions(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


class Progress:
    """``[ 12/340] pkg/module.py`` on one line of a terminal, rewritten as files finish."""

    def __init__(self, total: int, stream):
        self.total = total
        self.done = 0
        self.stream = stream
        self.shown = (
            stream is not None and total >= PROGRESS_MIN_FILES and _is_terminal(stream)
        )

    def advance(self, path: str) -> None:
        self.done += 1
        if self.shown:
            width = len(str(self.total))
            self.stream.write(f"\r\x1b[K[{self.done:>{width}}/{self.total}] {path}")
            self.stream.flush()

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- writing and reporting -----------------------------------------------------------


def write_outputs(outputs: list[Output], stdout) -> None:
    """Put every output in place: files all or nothing, standard output last."""
    write_all([(o.destination, o.data, o.mode) for o in outputs if o.destination is not None])
    for output in outputs:
        if output.destination is None:
            write_stdout(output.data, stdout)


def describe(error: BaseException, path: str | None = None) -> str:
    """The one-line report of ``error``: ``path[:line:col]: message``."""
    if isinstance(error, CompileError):
        return str(error)
    if isinstance(error, OSError):
        message = error.strerror or str(error)
        path = error.filename or path
    else:
        message = f"internal error: {type(error).__name__}: {error} (--traceback shows where)"
    return f"{path}: {message}" if path else message


def default_workers() -> int:
    """How many processes ``-j`` uses by default: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
