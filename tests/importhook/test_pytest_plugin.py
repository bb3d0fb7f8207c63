"""``-p statemachine_compiler.pytest_plugin``: test modules compiled, and their asserts still rewritten."""

import subprocess
import sys
import textwrap

from .conftest import subprocess_env

TEST_MODULE = """
import asyncio


async def total(values):
    await asyncio.sleep(0)
    return sum(values)


def test_the_coroutine_is_a_machine():
    coroutine = total([1])
    assert hasattr(coroutine, "resume"), type(coroutine)
    coroutine.close()


def test_a_failing_assert_explains_itself():
    assert asyncio.run(total([1, 2])) == 4
"""


def run_pytest(tmp_path, *arguments, include="test_sample"):
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(TEST_MODULE))
    env = dict(subprocess_env(), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    command = [sys.executable, "-m", "pytest", "-p", "statemachine_compiler.pytest_plugin"]
    command += ["-p", "no:cacheprovider", "--statemachine-include", include, *arguments]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)


def test_test_modules_are_compiled_and_their_asserts_rewritten(tmp_path):
    done = run_pytest(tmp_path, "test_sample.py")

    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    # pytest's explanation of a failed assert: the compared value, and where it came from.
    assert "assert 3 == 4" in done.stdout
    assert "+  where 3 = <function run at" in done.stdout


def test_with_plain_asserts_modules_are_compiled_only(tmp_path):
    done = run_pytest(tmp_path, "--assert=plain", "test_sample.py")

    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert "where 3 =" not in done.stdout


def test_modules_not_selected_are_left_to_pytest(tmp_path):
    done = run_pytest(tmp_path, "test_sample.py", include="other_*")

    assert "2 failed" in done.stdout, done.stdout + done.stderr
    assert "AssertionError: <class 'coroutine'>" in done.stdout
