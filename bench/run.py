"""Run every benchmark in bench/, in order, each in its own process.

    python bench/run.py

compiler_bench.py, program_bench.py, compile_speed.py, runtime_bench.py,
import_bench.py, startup_bench.py, durable_bench.py and output_size.py are run with this same
interpreter, from the repository root, their output streamed as it comes.  A
module that does not exist (yet) is skipped with a note.  The exit status is
non-zero when any benchmark that ran failed.
"""

import os
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
MODULES = (
    "compiler_bench.py",
    "program_bench.py",
    "compile_speed.py",
    "runtime_bench.py",
    "import_bench.py",
    "startup_bench.py",
    "durable_bench.py",
    "output_size.py",
)


def main():
    failed = []
    for name in MODULES:
        path = os.path.join(BENCH, name)
        if not os.path.exists(path):
            print(f"== bench/{name}: not there yet, skipped", flush=True)
            continue
        print(f"== bench/{name}", flush=True)
        start = time.perf_counter()
        status = subprocess.call([sys.executable, path], cwd=ROOT)
        elapsed = time.perf_counter() - start
        if status != 0:
            failed.append(name)
            print(f"== bench/{name}: FAILED (exit status {status}) after {elapsed:.1f} s", flush=True)
        else:
            print(f"== bench/{name}: done in {elapsed:.1f} s", flush=True)
        print(flush=True)
    if failed:
        print("failed: " + ", ".join(failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
