"""How much code a function becomes: output lines per source line (issue 16).

    python bench/output_size.py

For each golden input (``tests/compiler/golden/*.py``, the part above
``# output``) and each program in ``examples/``, the compiled module's lines
over the source's, counting lines that are neither blank nor only a comment
on both sides (a comment the compiler carries over is not code it added).
The request handler of issue 16 (``request_handler_with_try_for_and_async_with``)
is printed first: the issue's aim is about 4x.  Figures, not assertions.
"""

from __future__ import annotations

import glob
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from statemachine_compiler.pipeline import compile_source  # noqa: E402

HANDLER = "request_handler_with_try_for_and_async_with"


def code_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def golden_inputs():
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "compiler", "golden", "*.py"))):
        with open(path, encoding="utf-8") as file:
            source = file.read().split("\n# output\n")[0]
        yield os.path.basename(path)[: -len(".py")], source


def examples():
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.py"))):
        with open(path, encoding="utf-8") as file:
            yield "examples/" + os.path.basename(path), file.read()


def ratio(name: str, source: str) -> tuple[int, int]:
    output = compile_source(source, name).code
    return code_lines(source), code_lines(output)


def table(title: str, inputs) -> list[float]:
    print(f"{title:<62} {'source':>7} {'output':>7} {'ratio':>6}")
    ratios = []
    for name, source in inputs:
        before, after = ratio(name, source)
        ratios.append(after / before)
        print(f"{name:<62} {before:>7} {after:>7} {after / before:>5.2f}x")
    print(f"{'median':<62} {'':>7} {'':>7} {statistics.median(ratios):>5.2f}x\n")
    return ratios


def main():
    goldens = dict(golden_inputs())
    before, after = ratio(HANDLER, goldens[HANDLER])
    print(f"issue 16's request handler: {before} source lines -> {after} output lines, {after / before:.2f}x (aim: about 4x)\n")
    table("golden input", goldens.items())
    table("example", examples())


if __name__ == "__main__":
    main()
