"""How long the compiled output is, against its source: one row per file.

    python tools/output_ratio.py [--json] [FILE_OR_DIR ...]

With no argument: every golden input (``tests/compiler/golden/*.py``, the part
above ``# output``) and every file in ``examples/``.  A row gives the source's
lines, the output's lines (black-formatted, as ``compile`` prints it), their
ratio, and the deepest indentation of the output in levels (four spaces).
Blank lines count: they are what a reader scrolls past.  Issue 16 asks for
at most about 4x on ``request_handler_with_try_for_and_async_with``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from statemachine_compiler import compile_source  # noqa: E402
from statemachine_compiler.pipeline import Options  # noqa: E402

MARKER = "\n# output\n"


def sources(paths: list[str]) -> list[tuple[str, str]]:
    """(name, source text) for each file; golden files give their input only."""
    if not paths:
        paths = [str(ROOT / "tests/compiler/golden"), str(ROOT / "examples")]
    found = []
    for path in map(Path, paths):
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            text = file.read_text(encoding="utf-8")
            text = text.partition(MARKER)[0].rstrip("\n") + "\n"
            found.append((f"{file.parent.name}/{file.stem}", text))
    return found


def measure(name: str, source: str) -> dict:
    code = compile_source(source, f"{name}.py", Options(format=True)).code
    lines = code.splitlines()
    depth = max((len(line) - len(line.lstrip(" "))) // 4 for line in lines if line.strip())
    source_lines = len(source.splitlines())
    return {
        "name": name,
        "source": source_lines,
        "output": len(lines),
        "ratio": round(len(lines) / source_lines, 2),
        "depth": depth,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    rows = [measure(name, source) for name, source in sources(arguments.paths)]
    if arguments.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return
    width = max(len(row["name"]) for row in rows)
    print(f"{'file':<{width}}  source  output  ratio  depth")
    for row in rows:
        print(f"{row['name']:<{width}}  {row['source']:>6}  {row['output']:>6}  {row['ratio']:>5.2f}  {row['depth']:>5}")
    total_source = sum(row["source"] for row in rows)
    total_output = sum(row["output"] for row in rows)
    print(f"{'all':<{width}}  {total_source:>6}  {total_output:>6}  {total_output / total_source:>5.2f}")


if __name__ == "__main__":
    os.environ.setdefault("STATEMACHINE_COMPILER_QUIET", "1")
    main()
