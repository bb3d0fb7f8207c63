"""The bytecode cache: used when fresh, never when stale, never in the way."""

import os
import subprocess
import sys
import textwrap

import pytest

import statemachine_compiler
from runtime.machines.statemachine import StateMachine
from statemachine_compiler import importhook, install_import_hook
from statemachine_compiler.importhook import cache_path

from .conftest import subprocess_env

SOURCE = """
async def answer():
    return {value}
"""


@pytest.fixture
def compilations(monkeypatch):
    """The list of paths the compiler was run on."""
    compiled = []
    compile_to_code = importhook.compile_to_code

    def counting(source, path):
        compiled.append(path)
        return compile_to_code(source, path)

    monkeypatch.setattr(importhook, "compile_to_code", counting)
    return compiled


def import_answer(modules):
    modules.forget("cached")
    with install_import_hook(["cached"]):
        import cached
    coroutine = cached.answer()
    assert isinstance(coroutine, StateMachine)
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value


def test_second_import_uses_the_cache(modules, compilations):
    path = modules.write("cached.py", SOURCE.format(value=1))
    assert import_answer(modules) == 1
    assert os.path.exists(cache_path(str(path)))
    assert import_answer(modules) == 1
    assert len(compilations) == 1, "the second import compiled again"


def test_cache_file_sits_next_to_pyc_under_its_own_tag(modules):
    path = modules.write("cached.py", SOURCE.format(value=1))
    import_answer(modules)
    (entry,) = (modules.root / "__pycache__").iterdir()
    assert entry.name == f"cached.{sys.implementation.cache_tag}.opt-statemachine1.pyc"
    assert str(entry) == cache_path(str(path))


def test_edited_source_is_compiled_again_even_with_the_same_size_and_mtime(modules, compilations):
    path = modules.write("cached.py", SOURCE.format(value=1))
    assert import_answer(modules) == 1
    stat = os.stat(path)
    path.write_text(textwrap.dedent(SOURCE.format(value=2)))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(path).st_size == stat.st_size
    assert import_answer(modules) == 2, "a stale cache entry was used"
    assert len(compilations) == 2


def test_new_compiler_version_compiles_again(modules, compilations, monkeypatch):
    modules.write("cached.py", SOURCE.format(value=1))
    import_answer(modules)
    monkeypatch.setattr(statemachine_compiler, "__version__", "99.0")
    import_answer(modules)
    assert len(compilations) == 2, "the cache of another compiler version was used"
    import_answer(modules)
    assert len(compilations) == 2


def test_truncated_cache_file_is_ignored(modules, compilations):
    path = modules.write("cached.py", SOURCE.format(value=1))
    import_answer(modules)
    cached = cache_path(str(path))
    with open(cached, "r+b") as file:
        file.truncate(30)
    assert import_answer(modules) == 1
    assert len(compilations) == 2


def test_dont_write_bytecode_means_no_cache(modules, compilations, monkeypatch):
    path = modules.write("cached.py", SOURCE.format(value=1))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert import_answer(modules) == 1
    assert not os.path.exists(cache_path(str(path)))


def test_pythondontwritebytecode_means_no_cache(tmp_path):
    (tmp_path / "cached.py").write_text(textwrap.dedent(SOURCE.format(value=5)))
    program = (
        "from statemachine_compiler import install_import_hook\n"
        "install_import_hook(['cached'])\n"
        "import cached\n"
        "print(type(cached.answer()).__qualname__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env=subprocess_env(PYTHONDONTWRITEBYTECODE="1"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "_answer"
    assert not (tmp_path / "__pycache__").exists()


def test_cache_directory_that_cannot_be_created_means_no_cache_and_no_error(modules):
    modules.write("cached.py", SOURCE.format(value=3))
    (modules.root / "__pycache__").write_text("a file where the directory would go")
    assert import_answer(modules) == 3
    assert not os.path.isdir(modules.root / "__pycache__")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_directory_means_no_cache_and_no_error(modules):
    path = modules.write("cached.py", SOURCE.format(value=4))
    os.chmod(modules.root, 0o555)
    try:
        assert import_answer(modules) == 4
    finally:
        os.chmod(modules.root, 0o755)
    assert not os.path.exists(cache_path(str(path)))


def test_processes_importing_at_once_all_succeed(tmp_path):
    # Many functions, so that compiling takes long enough for the writes to overlap.
    body = "\n".join(f"async def f{i}(x):\n    return await g(x) + {i}\n" for i in range(150))
    (tmp_path / "crowded.py").write_text("async def g(x):\n    return x\n\n" + body)
    go = tmp_path / "go"
    program = textwrap.dedent(f"""
        import os, time
        while not os.path.exists({str(go)!r}):
            time.sleep(0.001)
        from statemachine_compiler import install_import_hook
        install_import_hook(['crowded'])
        import crowded
        coroutine = crowded.f149(1)
        try:
            coroutine.send(None)
        except StopIteration as stop:
            print(type(coroutine).__qualname__, stop.value)
    """)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", program],
            cwd=tmp_path,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    go.touch()
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "_f149 150"
    (entry,) = (tmp_path / "__pycache__").iterdir()  # no temporary file left behind
    assert entry.name.endswith(".opt-statemachine1.pyc")


def test_warm_import_in_a_fresh_process_does_not_import_the_compiler(tmp_path):
    (tmp_path / "warm.py").write_text(textwrap.dedent(SOURCE.format(value=7)))
    program = (
        "import sys\n"
        "from statemachine_compiler import install_import_hook\n"
        "install_import_hook(['warm'])\n"
        "import warm\n"
        "print(type(warm.answer()).__qualname__, sorted(m for m in ('libcst', 'black') if m in sys.modules))\n"
    )

    def run():
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", program],
            cwd=tmp_path,
            env=subprocess_env(),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert run()[0] == "_answer"  # compiles, and writes the cache
    assert run() == ["_answer", "[]"], "a warm import loaded the compiler"


def test_edited_compiler_file_compiles_again_even_with_the_same_size_and_mtime(modules, compilations, monkeypatch, tmp_path):
    # Files in a directory stand for the compiler's: the key follows their contents.
    package = tmp_path / "compiler_copy"
    package.mkdir()
    for source in ("__init__.py", "pipeline.py"):
        (package / source).write_text(f"# {source}\n")
    monkeypatch.setattr(statemachine_compiler, "__file__", str(package / "__init__.py"))
    importhook.compiler_fingerprint.cache_clear()
    try:
        modules.write("cached.py", SOURCE.format(value=1))
        import_answer(modules)
        import_answer(modules)
        assert len(compilations) == 1
        stat = os.stat(package / "pipeline.py")
        (package / "pipeline.py").write_text("# pipeline.pz\n")  # same size, same time
        os.utime(package / "pipeline.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
        importhook.compiler_fingerprint.cache_clear()  # a new process
        import_answer(modules)
        assert len(compilations) == 2, "the cache of another build of the compiler was used"
    finally:
        importhook.compiler_fingerprint.cache_clear()


# -- how a warm import decides the entry is fresh ------------------------------------
#
# A warm import looks at the source's stat (its times, size and inode), not
# its contents, once the entry is old enough to trust them (see
# importhook.read_cache); until then, and whenever the stat differs, it
# compares a digest of the contents.  The tests set the clock forward so
# that entries are old enough at once.


@pytest.fixture
def later(monkeypatch):
    """Make every clock reading an hour late: entries are written long after their source changed."""
    hour = 3600 * 10**9
    clock = importhook.time_ns
    monkeypatch.setattr(importhook, "time_ns", lambda: clock() + hour)


@pytest.fixture
def source_reads(monkeypatch):
    """The paths of the sources the loader read."""
    read = []
    get_data = importhook.StateMachineLoader.get_data

    def counting(self, path):
        if path.endswith(".py"):
            read.append(path)
        return get_data(self, path)

    monkeypatch.setattr(importhook.StateMachineLoader, "get_data", counting)
    return read


def test_warm_import_reads_the_cache_but_not_the_source(modules, compilations, source_reads, later):
    path = modules.write("cached.py", SOURCE.format(value=1))
    assert import_answer(modules) == 1
    assert source_reads == [str(path)]
    assert import_answer(modules) == 1
    assert source_reads == [str(path)], "the warm import read the source"
    assert len(compilations) == 1


def test_edit_that_restores_size_and_mtime_is_seen_by_its_ctime(modules, compilations, later):
    path = modules.write("cached.py", SOURCE.format(value=1))
    assert import_answer(modules) == 1
    stat = os.stat(path)
    path.write_text(textwrap.dedent(SOURCE.format(value=2)))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert import_answer(modules) == 2, "a stale cache entry was used"
    assert len(compilations) == 2


def test_touched_source_is_checked_by_contents_and_not_compiled_again(modules, compilations, source_reads, later):
    path = modules.write("cached.py", SOURCE.format(value=1))
    assert import_answer(modules) == 1
    os.utime(path)  # new times, same contents: a checkout, a `touch`
    assert import_answer(modules) == 1
    assert len(compilations) == 1, "an unchanged source was compiled again"
    assert len(source_reads) == 2  # the first compile, then the check of the contents
    assert import_answer(modules) == 1
    assert len(source_reads) == 2, "the entry was not given the source's new stat"


def test_moved_module_is_checked_by_contents(modules, compilations, later):
    path = modules.write("cached.py", SOURCE.format(value=1))
    assert import_answer(modules) == 1
    os.rename(path, path.with_name("elsewhere.py"))
    os.rename(path.with_name("elsewhere.py"), path)  # an editor's save: another inode
    assert import_answer(modules) == 1
    assert len(compilations) == 1


def test_entry_written_just_after_an_edit_is_checked_by_contents(modules, compilations, source_reads, monkeypatch):
    # Discussion: a file system keeps times to some granularity (two seconds
    # on FAT), so an edit just after the compile may leave the stat as it
    # was.  A fixed stat stands for that here.
    monkeypatch.setattr(importhook, "source_stamp", lambda path: (1, 2, 3, 4))
    clock = importhook.time_ns
    monkeypatch.setattr(importhook, "time_ns", lambda: 1 + importhook.RACY_NS // 2)
    path = modules.write("cached.py", SOURCE.format(value=1))
    assert import_answer(modules) == 1
    monkeypatch.setattr(importhook, "time_ns", clock)
    path.write_text(textwrap.dedent(SOURCE.format(value=2)))  # the same stat, as far as we know
    assert import_answer(modules) == 2, "an entry written within the file system's granularity was trusted"
    assert len(compilations) == 2


def test_new_compiler_version_compiles_again_when_the_stat_matches(modules, compilations, monkeypatch, later):
    modules.write("cached.py", SOURCE.format(value=1))
    import_answer(modules)
    monkeypatch.setattr(statemachine_compiler, "__version__", "99.0")
    import_answer(modules)
    assert len(compilations) == 2, "the cache of another compiler version was used"


def test_another_optimization_level_has_its_own_entry(tmp_path):
    (tmp_path / "cached.py").write_text(textwrap.dedent(SOURCE.format(value=1)))
    program = (
        "from statemachine_compiler import install_import_hook\n"
        "install_import_hook(['cached'])\n"
        "import cached\n"
        "print(cached.__cached__)\n"
    )

    def cached(*flags):
        done = subprocess.run(
            [sys.executable, *flags, "-c", program],
            cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert cached() != cached("-O") != cached("-OO")


@pytest.fixture
def compiler_copy(monkeypatch, tmp_path):
    """Files in a directory that stand for the compiler's: the key follows them."""
    package = tmp_path / "compiler_copy"
    package.mkdir()
    for source in ("__init__.py", "pipeline.py"):
        (package / source).write_text(f"# {source}\n")
    monkeypatch.setattr(statemachine_compiler, "__file__", str(package / "__init__.py"))
    importhook.compiler_fingerprint.cache_clear()
    yield package
    importhook.compiler_fingerprint.cache_clear()


def test_compiler_files_old_enough_are_known_by_their_stamps_not_read(compiler_copy, monkeypatch, later):
    read = []
    read_file = importhook._read_file
    monkeypatch.setattr(importhook, "_read_file", lambda path: read.append(path) or read_file(path))
    first = importhook.compiler_fingerprint()
    assert read == []
    stat = os.stat(compiler_copy / "pipeline.py")
    (compiler_copy / "pipeline.py").write_text("# pipeline.pz\n")  # same size, same time
    os.utime(compiler_copy / "pipeline.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    importhook.compiler_fingerprint.cache_clear()  # a new process
    assert importhook.compiler_fingerprint() != first


def test_compiler_file_changed_just_now_is_known_by_its_contents(compiler_copy, monkeypatch):
    read = []
    read_file = importhook._read_file
    monkeypatch.setattr(importhook, "_read_file", lambda path: read.append(path) or read_file(path))
    first = importhook.compiler_fingerprint()
    assert sorted(read) == sorted(str(compiler_copy / name) for name in ("__init__.py", "pipeline.py"))
    importhook.compiler_fingerprint.cache_clear()
    assert importhook.compiler_fingerprint() == first
