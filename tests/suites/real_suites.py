"""Real projects' own test suites, natively and compiled: the second half of ``make conformance``.

    python tests/suites/real_suites.py [--python PY] [--venv DIR] [--timeout S] [--budget S] [SUITE...]

The suites are those of ``SUITES`` below: trio's (shipped in its wheel:
``trio._tests``, ``trio._core._tests``), the others' from their source
distributions, at the versions ``requirements.txt`` pins.  They are installed into a venv of
their own (``.venv-conformance``), made here: none of them is a dependency of
the project.

Each suite is run three times by pytest: natively; with its test modules
compiled (``-p statemachine_compiler.pytest_plugin``, which compiles them on
import and then lets pytest rewrite their asserts); and with the library
compiled too.  ``suite_recorder`` records each test's outcome; a test that
left a coroutine never awaited counts as failed.  The report gives the pass
counts side by side and every test that passes natively and not compiled.

Every test has a time limit (``--timeout``, pytest-timeout) and every run a
budget (``--budget``); the tests a run did not reach in its budget count as
not passed ("not run").
"""

import argparse
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field

import suite_results

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REQUIREMENTS = os.path.join(HERE, "requirements.txt")


@dataclass
class Suite:
    name: str  # the PyPI project
    tests: list  # the patterns that select its test modules (and conftest files)
    library: list  # the patterns that select the library itself
    arguments: list  # pytest's arguments after the common ones
    sdist: bool = True  # the tests come from the source distribution (else the wheel)
    plugins: list = field(default_factory=list)  # -p plugins the suite's own config names
    environment: dict = field(default_factory=dict)  # variables set for its runs
    # The sdist's version when it is not the one requirements.txt pins (its
    # tests then import the package from the source tree, not the installed one).
    version: str = ""
    # Installed for this suite's runs alone (pip --target, first on its path):
    # packages that would change what another suite's tests see.
    packages: list = field(default_factory=list)


SUITES = {
    "trio": Suite(
        "trio",
        tests=["trio._tests.*", "trio._core._tests.*"],
        library=["trio.*"],
        arguments=["--pyargs", "trio._tests", "trio._core._tests"],
        sdist=False,
        plugins=["trio._tests.pytest_plugin"],
    ),
    "anyio": Suite(
        "anyio",
        tests=["tests.*"],
        library=["anyio.*"],
        # Its config's addopts, without the -p of its plugins (named below,
        # after ours) and without network tests.
        arguments=[
            "-o",
            "addopts=",
            "-p",
            "no:asyncio",
            "-p",
            "no:trio",
            "-m",
            "not network",
            "tests",
        ],
        plugins=["anyio.pytest_plugin", "pytest_mock"],
    ),
    "asyncstdlib": Suite(
        "asyncstdlib",
        tests=["unittests.*"],
        library=["asyncstdlib.*"],
        arguments=["unittests"],
    ),
    "aiostream": Suite(
        "aiostream",
        tests=["test_*", "conftest"],
        library=["aiostream.*"],
        arguments=["-o", "addopts=", "tests"],  # its addopts ask for pytest-cov
        plugins=["pytest_asyncio.plugin"],
    ),
    "async-lru": Suite(
        "async-lru",
        tests=["test_*", "conftest"],
        library=["async_lru.*"],
        # Its addopts ask for pytest-cov; its filterwarnings (errors) stay, and
        # make pytest-asyncio's warning about an unset loop scope an error.
        arguments=["-o", "addopts=", "-o", "asyncio_default_fixture_loop_scope=function", "tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "aiolimiter": Suite(
        "aiolimiter",
        tests=["tests.*"],
        library=["aiolimiter.*"],
        arguments=["-o", "addopts=", "tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "async-timeout": Suite(
        "async-timeout",
        tests=["test_*"],
        library=["async_timeout.*"],
        arguments=["-o", "addopts=", "tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "tenacity": Suite(
        "tenacity",
        tests=["tests.*"],
        library=["tenacity.*"],
        # Its asyncio tests (and what they import); the rest is synchronous.
        arguments=["tests/test_asyncio.py", "tests/test_issue_478.py"],
    ),
    "aiosqlite": Suite(
        "aiosqlite",
        tests=["aiosqlite.tests.*"],
        library=["aiosqlite.*"],
        arguments=["aiosqlite/tests/smoke.py"],  # unittest's; not named test_*.py
    ),
    "asgiref": Suite(
        "asgiref",
        tests=["test_*", "conftest"],
        library=["asgiref.*"],
        arguments=["tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "janus": Suite(
        "janus",
        tests=["test_*", "conftest"],
        library=["janus.*"],
        arguments=["-o", "addopts=", "tests"],  # its addopts ask for pytest-cov
        plugins=["pytest_asyncio.plugin"],
    ),
    "aiofiles": Suite(
        "aiofiles",
        tests=["test_*", "conftest"],
        library=["aiofiles.*"],
        arguments=["tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "aiocache": Suite(
        "aiocache",
        tests=["tests.*"],
        library=["aiocache.*"],
        # The memory backend only: no redis or memcached server here.
        arguments=[
            "-o",
            "addopts=",  # its addopts ask for pytest-cov
            "-o",
            "asyncio_default_fixture_loop_scope=function",  # unset: a warning, an error here
            "-k",
            "not redis and not memcached",
            "tests/ut",
            "tests/acceptance",
        ],
        plugins=["pytest_asyncio.plugin", "pytest_mock"],
    ),
    "starlette": Suite(
        "starlette",
        tests=["tests.*"],
        library=["starlette.*"],
        arguments=["tests"],
        plugins=["anyio.pytest_plugin"],
    ),
    "aioitertools": Suite(
        "aioitertools",
        tests=["aioitertools.tests.*"],
        library=["aioitertools.*"],
        # unittest's, inside the package; its modules are not named test_*.py
        arguments=[
            f"aioitertools/tests/{module}.py"
            for module in ("asyncio", "builtins", "helpers", "itertools", "more_itertools")
        ],
    ),
    "aiorwlock": Suite(
        "aiorwlock",
        tests=["test_*", "conftest"],
        library=["aiorwlock.*"],
        # Its filterwarnings (errors) stay: pytest-asyncio's warning about an unset loop scope too.
        arguments=["-o", "asyncio_default_fixture_loop_scope=function", "tests"],
        plugins=["pytest_asyncio.plugin", "suite_event_loop"],
    ),
    "aiojobs": Suite(
        "aiojobs",
        tests=["tests.*"],
        library=["aiojobs.*"],
        # Its sdist has no pytest configuration; its async tests are unmarked.
        arguments=[
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "tests",
        ],
        plugins=["pytest_asyncio.plugin", "pytest_aiohttp.plugin"],
    ),
    "async-generator": Suite(
        "async-generator",
        tests=["async_generator._tests.*"],
        library=["async_generator.*"],
        # Its conftest runs the async tests itself (a send(None) loop).
        arguments=["async_generator/_tests"],
    ),
    "aioconsole": Suite(
        "aioconsole",
        tests=["test_*", "conftest"],
        library=["aioconsole.*"],
        # Its addopts ask for pytest-cov and pytest-repeat (each test twice).
        # Its tests run on asyncio's loop and on uvloop's.
        arguments=["-o", "addopts=", "-o", "asyncio_default_fixture_loop_scope=function", "tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "httpcore": Suite(
        "httpcore",
        tests=["tests.*"],
        library=["httpcore.*"],
        arguments=["tests"],
        # Its tests/_async run on anyio's plugin, and a few on pytest-trio's.
        plugins=["anyio.pytest_plugin", "pytest_trio.plugin"],
    ),
    "httpx": Suite(
        "httpx",
        tests=["tests.*"],
        library=["httpx.*"],
        arguments=["-m", "not network", "tests"],
        plugins=["anyio.pytest_plugin"],
    ),
    "aiosmtpd": Suite(
        "aiosmtpd",
        tests=["aiosmtpd.tests.*"],
        library=["aiosmtpd.*"],
        # Its addopts ask for pytest-cov; its asyncio_mode=auto and
        # filterwarnings (errors) stay.
        arguments=[
            "-o",
            "addopts=",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "aiosmtpd/tests",
        ],
        plugins=["pytest_asyncio.plugin", "pytest_mock"],
    ),
    "aiohttp": Suite(
        "aiohttp",
        tests=["test_*", "conftest"],
        library=["aiohttp.*"],
        # Pure Python (its own switch), from the source tree.  Its addopts ask
        # for pytest-xdist and pytest-cov; its marker selection, its
        # filterwarnings (errors) and xfail_strict stay.  Its web server and
        # client end to end, websockets and sendfile: 11 of its 70 test
        # modules (the whole suite takes over 20 minutes here).
        arguments=[
            "-o",
            "addopts=",
            "-m",
            "not dev_mode and not autobahn and not internal",
            *[
                f"tests/test_{module}.py"
                for module in (
                    "web_functional",
                    "client_functional",
                    "web_response",
                    "streams",
                    "web_middleware",
                    "client_session",
                    "client_ws_functional",
                    "web_websocket_functional",
                    "web_sendfile_functional",
                    "test_utils",
                    "web_server",
                )
            ],
        ],
        plugins=["pytest_mock"],  # its conftest names aiohttp.pytest_plugin itself
        environment={"AIOHTTP_NO_EXTENSIONS": "1"},
    ),
    "hypercorn": Suite(
        "hypercorn",
        # tests/protocol has no __init__.py: its modules are imported as test_h11, ...
        tests=["tests.*", "test_*"],
        library=["hypercorn.*"],
        # Its addopts ask for pytest-cov; its asyncio_mode=strict stays.  Its
        # tests run on asyncio (pytest-asyncio) and on trio (pytest-trio).
        arguments=[
            "-o",
            "addopts=--strict-markers",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "tests",
        ],
        plugins=["pytest_asyncio.plugin", "pytest_trio.plugin"],
    ),
    "uvicorn": Suite(
        "uvicorn",
        tests=["tests.*"],
        library=["uvicorn.*"],
        # Its sdist keeps the package beside tests/ (with an __init__.py), so
        # pytest puts the source tree first on sys.path: the suite tests
        # 0.55.0's own code while httpx's tests keep the uvicorn 0.32.1 they
        # expect installed.
        version="0.55.0",
        packages=["httptools==0.9.0", "websockets==17.4"],
        # Its addopts without -n 8 (pytest-xdist); its benchmarks' marker is
        # pytest-codspeed's, registered here so that they run as plain tests.
        # Its filterwarnings (errors) stay.  Without its httptools
        # parametrizations (the C parser; h11's cover HTTP/1.1 in pure Python,
        # zttp's HTTP/2 too): all of it took 390 s natively, this 185 s.
        # Its other tests still import httptools (test_server.py at the top).
        arguments=[
            "-o",
            "addopts=-rxXs --strict-config --strict-markers",
            "-o",
            "markers=benchmark: a CodSpeed benchmark (run once here)",
            "-k",
            "not httptools",
            "tests",
        ],
        plugins=["anyio.pytest_plugin", "pytest_mock"],
    ),
    "grpclib": Suite(
        "grpclib",
        tests=["test_*"],
        library=["grpclib.*"],
        # Its source distribution ships the test modules but not the files
        # the others import (conftest.py, conn.py, stubs.py, dummy_pb2.py,
        # dummy_grpc.py): the modules that need none of them.  Its config's
        # asyncio_mode=strict and filterwarnings (errors) stay.
        arguments=[
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            *[
                f"tests/test_{module}.py"
                for module in (
                    "client_methods",
                    "compat",
                    "config",
                    "events",
                    "health_check",
                    "health_service",
                    "metadata",
                    "server",
                    "utils",
                )
            ],
        ],
        plugins=["pytest_asyncio.plugin", "suite_loop"],
    ),
    "pyee": Suite(
        "pyee",
        tests=["test_*", "conftest"],
        library=["pyee.*"],
        # Its asyncio, trio and twisted emitters' tests; its addopts (-s,
        # --verbose) stay.
        arguments=["-o", "asyncio_default_fixture_loop_scope=function", "tests"],
        plugins=["pytest_asyncio.plugin", "pytest_trio.plugin"],
    ),
    "asyncclick": Suite(
        "asyncclick",
        tests=["test_*", "conftest"],
        library=["asyncclick.*"],
        # Its config's addopts (-m 'not stress') and filterwarnings (errors)
        # stay, less pytest 9's deprecation of a non-collection iterable given
        # to parametrize (test_basic.py's itertools.chain): an error, its
        # module would not be collected natively.
        arguments=["-W", "ignore::pytest.PytestRemovedIn10Warning", "tests"],
        plugins=["anyio.pytest_plugin"],
    ),
    "aiohappyeyeballs": Suite(
        "aiohappyeyeballs",
        tests=["tests.*"],
        library=["aiohappyeyeballs.*"],
        # Its addopts ask for pytest-cov; its asyncio_mode=auto and
        # pythonpath=src (the same version as installed) stay.
        arguments=["-o", "addopts=", "tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "python-engineio": Suite(
        "python-engineio",
        # tests/ is no package: its modules are async.test_* and common.test_*.
        tests=["async.*", "common.*"],
        library=["engineio.*"],
        # Its tox command's -p no:logging (its tests read the loggers they
        # configure); its asyncio_mode=auto and session loop scope stay.
        arguments=["-p", "no:logging", "tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "python-socketio": Suite(
        "python-socketio",
        tests=["tests.*"],
        library=["socketio.*"],
        # As its tox command, less coverage: -p no:logging.
        arguments=["-p", "no:logging", "tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "aiosmtplib": Suite(
        "aiosmtplib",
        tests=["tests.*"],
        library=["aiosmtplib.*"],
        # Its config stays whole: --import-mode=importlib, asyncio_mode=auto,
        # pythonpath=src (the version installed).
        arguments=["tests"],
        plugins=["pytest_asyncio.plugin"],
    ),
    "aioftp": Suite(
        "aioftp",
        # tests/ is no package.
        tests=["test_*", "conftest"],
        library=["aioftp.*"],
        # Its addopts less -x (a first failure would end the run), --cov and
        # --durations; its --import-mode=importlib and strict asyncio mode stay.
        arguments=["-o", "addopts=", "--import-mode=importlib", "tests"],
        plugins=["pytest_asyncio.plugin", "pytest_mock"],
    ),
    "fastapi": Suite(
        "fastapi",
        # Its tests import the tutorial's apps from docs_src: compiled with them.
        tests=["tests.*", "docs_src.*"],
        library=["fastapi.*"],
        # Its config stays whole (strict markers, warnings as errors, 20 s a test).
        arguments=["tests"],
        plugins=[
            "anyio.pytest_plugin",
            "inline_snapshot.pytest_plugin",
            "xdist.plugin",  # its xdist_group marker
            "pytest_codspeed.plugin",  # the benchmarks' fixture
        ],
    ),
    "graphql-core": Suite(
        "graphql-core",
        tests=["tests.*"],
        library=["graphql.*"],
        # Its config stays whole (--benchmark-disable, 100 s a test; the
        # tests' own anyio marks); the benchmarks run once each, as there.
        arguments=["tests"],
        plugins=["anyio.pytest_plugin", "pytest_describe.plugin", "pytest_benchmark.plugin"],
    ),
}

MODES = ("native", "tests compiled", "library compiled too")


def pinned_versions():
    with open(REQUIREMENTS, encoding="utf-8") as file:
        return dict(re.findall(r"^([\w.-]+)==([\w.]+)$", file.read(), re.MULTILINE))


# -- the venv and the sources --------------------------------------------------------


def ensure_venv(venv, python):
    """Make ``venv`` with the pinned packages and the project; again only when they change."""
    stamp = os.path.join(venv, ".conformance-installed")
    wanted = _install_fingerprint()
    interpreter = os.path.join(venv, "bin", "python")
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as file:
            if file.read() == wanted and os.path.exists(interpreter):
                return interpreter
    if not os.path.exists(interpreter):
        subprocess.run([python, "-m", "venv", venv], check=True)
    pip = [interpreter, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", REQUIREMENTS, "-e", ROOT], check=True)
    with open(stamp, "w", encoding="utf-8") as file:
        file.write(wanted)
    return interpreter


def suite_packages(venv, interpreter, suite):
    """Install ``suite.packages`` into a directory of their own, once; its path (or None)."""
    if not suite.packages:
        return None
    target = os.path.join(venv, "suite-packages", suite.name)
    stamp = os.path.join(target, ".installed")
    wanted = "\n".join(suite.packages)
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as file:
            if file.read() == wanted:
                return target
    shutil.rmtree(target, ignore_errors=True)
    pip = [interpreter, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps"]
    subprocess.run([*pip, "--target", target, *suite.packages], check=True)
    with open(stamp, "w", encoding="utf-8") as file:
        file.write(wanted)
    return target


def _install_fingerprint():
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, os.path.join(ROOT, "pyproject.toml")):
        with open(path, "rb") as file:
            digest.update(file.read())
    return digest.hexdigest()


def source_tree(venv, interpreter, name, version):
    """Download and unpack the source distribution of ``name==version`` once; its directory."""
    sources = os.path.join(venv, "sources")
    # A newer sdist spells its name with underscores (async_lru-2.4.0.tar.gz).
    stem = f"{name.replace('-', '_')}-{version}"
    directory = os.path.join(sources, stem)
    if os.path.isdir(directory):
        return directory
    os.makedirs(sources, exist_ok=True)
    download = [interpreter, "-m", "pip", "download", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*download, "--no-deps", "--no-binary", name, "-d", sources, f"{name}=={version}"],
        check=True,
    )
    archive = os.path.join(sources, f"{stem}.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(sources, filter="data")
    return directory


# -- running a suite -----------------------------------------------------------------


def run_suite(
    suite, mode, interpreter, directory, records, per_test_timeout, budget, packages=None
):
    """Run ``suite`` once in ``mode``; return the Run read back, and how long it took."""
    record = os.path.join(records, f"{suite.name}.{mode.replace(' ', '-')}.jsonl")
    if os.path.exists(record):
        os.unlink(record)
    ours = []
    env = dict(
        os.environ,
        SUITE_RECORD=record,
        PYTHONPATH=os.pathsep.join([HERE, ROOT, *([packages] if packages else [])]),
        # Only the plugins named here: each suite sees the same ones natively and compiled.
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        **suite.environment,
    )
    env.pop("STATEMACHINE_COMPILER_INCLUDE", None)
    # Compiled modules must be cached: compiling trio's tests alone takes minutes.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if mode != "native":
        patterns = suite.tests + (suite.library if mode == "library compiled too" else [])
        env["STATEMACHINE_COMPILER_INCLUDE"] = ",".join(patterns)
        ours = ["-p", "statemachine_compiler.pytest_plugin"]  # first: before what it compiles
    command = [
        interpreter,
        "-m",
        "pytest",
        *ours,
        *[argument for plugin in suite.plugins for argument in ("-p", plugin)],
        "-p",
        "suite_recorder",
        "-p",
        "pytest_timeout",
        f"--timeout={per_test_timeout}",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        "-q",
        "--tb=no",
        "-rN",
        *suite.arguments,
    ]
    started = time.monotonic()
    log_path = record.replace(".jsonl", ".log")
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_interruptible,
        )
        try:
            process.wait(timeout=budget)
            cut_short = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            cut_short = True
    return suite_results.read_run(record), time.monotonic() - started, cut_short


def _interruptible():
    """SIGINT as from a terminal: a run started from a shell's background job inherits
    it ignored, and the suites' KI (Ctrl-C) tests would then fail natively."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# -- the report ----------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys._base_executable, help="the venv's interpreter")
    parser.add_argument("--venv", default=os.path.join(ROOT, ".venv-conformance"))
    parser.add_argument("--timeout", type=int, default=10, help="seconds per test (default 10)")
    parser.add_argument("--budget", type=int, default=1800, help="seconds per run (default 1800)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated, of: " + ", ".join(MODES)
    )
    parser.add_argument(
        "--records",
        help="keep the record and log of each run in this directory (a native record kept"
        " there is reused when --modes leaves native out)",
    )
    parser.add_argument("suites", nargs="*", default=list(SUITES))
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",")]

    venv = os.path.abspath(args.venv)
    interpreter = ensure_venv(venv, args.python)
    versions = pinned_versions()
    records = os.path.abspath(args.records) if args.records else os.path.join(venv, "records")
    os.makedirs(records, exist_ok=True)
    python_version = subprocess.run(
        [interpreter, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The table comes last, every suite side by side, after what each run lost.
    table = [
        f"\nReal suites on CPython {python_version}; per-test timeout {args.timeout} s, per-run budget {args.budget} s",
        "(passed / tests run natively; compiled columns: passed of the tests that pass natively)",
        f"{'suite':<22} {'native':>12} " + " ".join(f"{mode:>22}" for mode in modes if mode != "native"),
    ]
    details = []
    for name in args.suites:
        suite = SUITES[name]
        version = suite.version or versions[name]
        if suite.sdist:
            directory = source_tree(venv, interpreter, name, version)
        else:
            # The tests are imported from the wheel; pytest runs in an empty directory.
            directory = os.path.join(records, f"{name}-cwd")
            os.makedirs(directory, exist_ok=True)
        packages = suite_packages(venv, interpreter, suite)
        runs = {}
        kept_native = os.path.join(records, f"{name}.native.jsonl")
        if "native" not in modes and args.records and os.path.exists(kept_native):
            # Comparing against the native run kept in --records: it is not run again.
            runs["native"] = suite_results.read_run(kept_native)
            details.append(f"{name} native: {len(runs['native'].outcomes)} tests, kept from before")
        for mode in ["native", *[m for m in modes if m != "native"]]:
            if mode in runs:
                continue
            run, seconds, cut_short = run_suite(
                suite, mode, interpreter, directory, records, args.timeout, args.budget, packages
            )
            runs[mode] = run
            details.append(
                f"{name} {mode}: {len(run.outcomes)} tests in {seconds:.0f} s"
                + (f" (cut short at the {args.budget} s budget)" if cut_short else "")
            )
        native = runs["native"]
        columns = [f"{len(native.passed)}/{len(native.outcomes)}"]
        for mode in modes:
            if mode == "native":
                continue
            kept = len(native.passed & runs[mode].passed)
            columns.append(f"{kept}/{len(native.passed)}")
            lost = suite_results.lost(native, runs[mode])
            for what, count in suite_results.commonest(lost):
                details.append(f"{name}: {mode}: {count} tests: {what}")
            for test, what in lost.items():
                details.append(f"{name}: {mode}: passes natively, not compiled: {test}: {what}")
        table.append(
            f"{name + ' ' + version:<22} {columns[0]:>12} "
            + " ".join(f"{c:>22}" for c in columns[1:])
        )
    for line in details:
        print(line)
    print("\n".join(table))
    if not args.records:
        shutil.rmtree(records, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
