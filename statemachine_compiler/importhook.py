"""Compile selected modules into state machines as they are imported.

    with install_import_hook(["myapp.*"]):
        import myapp.server          # every async def in it is now a machine class

1. A module is selected by its dotted name (an ``include`` pattern, fnmatch
   style; ``pkg.*`` selects ``pkg`` itself too) or by the marker comment
   ``# statemachine-compiler: compile`` on one of its first five lines.
2. Unselected modules are not touched.  The finder sits in ``sys.meta_path``
   just before ``PathFinder`` and looks a module up as ``PathFinder`` does;
   an unselected one gets that very spec, unchanged, which is what the
   import system would have got from ``PathFinder`` next (asked once, not
   twice).
3. Compiled bytecode is cached next to the ordinary ``.pyc`` under its own tag
   (``mod.cpython-311.opt-statemachine1.pyc``), keyed on the compiler's
   version and files and on the source: its stat, which a warm import
   checks, and a digest of its contents, checked where the stat cannot be
   trusted (see ``read_cache``).  A stale entry is never used, a write is
   atomic (temporary file, then ``os.replace``), and a directory we cannot
   write to, or ``sys.dont_write_bytecode``, means no cache, not an error.
4. The generated code is compiled under the user's filename with its line
   numbers mapped back to the source, and each ``resume`` code object takes the
   name of the function it runs: tracebacks, pdb, pytest and
   ``inspect.getsource`` show the user's code.
5. A module the compiler rejects fails its import as a broken module does
   natively: with a ``SyntaxError`` (``CompileError``) carrying the file, line,
   column and text, and none of the compiler's frames in its traceback.
6. The hook prints nothing, except that a first import whose compiling takes
   longer than a second says so, once per process, on stderr (not with
   ``quiet=True`` or ``STATEMACHINE_COMPILER_QUIET=1``).
"""

from __future__ import annotations

import _imp
import functools
import marshal
import os
import sys

# Discussion: what this module imports, a program run through the hook pays
# for at start-up.  typing and ast (a few milliseconds each) are only named
# here; fnmatch (re, enum) is imported for a pattern with a wildcard; the
# two names importlib.util re-exports (it imports contextlib) are taken from
# where it takes them, the import system's own module, always loaded.
from importlib import _bootstrap
from importlib._bootstrap_external import MAGIC_NUMBER, cache_from_source
from importlib.machinery import PathFinder, SourceFileLoader
from time import time_ns
from types import CodeType, FunctionType

import statemachine_compiler
from statemachine_compiler.diagnostics import CompileError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from collections.abc import Callable

try:
    # Discussion: hashlib imports OpenSSL's bindings, a few milliseconds at
    # the start of every program run through the hook, for one hash that
    # the interpreter's own module provides.
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

__all__ = [
    "ImportHook",
    "StateMachineFinder",
    "StateMachineLoader",
    "cache_path",
    "compile_to_code",
    "install_import_hook",
]

MARKER = b"# statemachine-compiler: compile"
MARKER_LINES = 5  # the marker counts on any of the first five lines

# Bump when the cache file layout or the meaning of its contents changes
# without the compiler's version changing.
CACHE_FORMAT = 1

QUIET_VARIABLE = "STATEMACHINE_COMPILER_QUIET"  # set (not empty, not 0): no slow-compile notice


# -- compiling a module ---------------------------------------------------------------


def compile_to_code(
    source: bytes | str, path: str, *, tree_pass: Callable[[ast.Module], None] | None = None
) -> CodeType:
    """Compile ``source`` (the text of the file at ``path``) into a module code object.

    ``tree_pass``, if given, edits the generated module's tree (its positions
    already those of the source) before it becomes code: pytest's assertion
    rewriting (``statemachine_compiler.pytest_plugin``).

    Raises ``CompileError`` (a ``SyntaxError``) for input the compiler does
    not handle, with the offending line as its ``text``.
    """
    # Imported here, not above: with a warm cache a program never pays for
    # importing ast, libcst and black.
    from statemachine_compiler.modulecode import module_code

    return module_code(source, path, tree_pass=tree_pass)


# -- the cache ----------------------------------------------------------------------


def cache_path(source_path: str) -> str:
    """Return where the compiled bytecode of ``source_path`` is cached."""
    tag = f"statemachine{CACHE_FORMAT}"
    if sys.flags.optimize:
        tag += f"o{sys.flags.optimize}"
    return cache_from_source(source_path, optimization=tag)


def compiler_key() -> bytes:
    """What an entry must begin with to have been written by this compiler for this Python."""
    digest = blake2b(digest_size=16)
    digest.update(f"{statemachine_compiler.__version__}/{CACHE_FORMAT}\0".encode())
    digest.update(compiler_fingerprint())
    return MAGIC_NUMBER + digest.digest()


@functools.lru_cache(maxsize=None)
def compiler_fingerprint() -> bytes:
    """What tells this build of the compiler from another: its source files, by stamp or contents.

    Discussion: the version number alone would let a cache entry written by
    an earlier build of the same version (a development checkout) be used;
    what the compiler emits depends on its code, so the key does.  Found once
    per process, on its first cache lookup, from the stamps of its files
    (see read_cache: a stamp is exact once it is old enough), a tenth of a
    millisecond; reading and hashing the package's half megabyte took ten
    times that, at the start of every program run through the hook.  While a
    file changed too recently for its stamp to be trusted, the contents are
    hashed instead (and the entries then written are compiled again once
    the stamps are old enough: a development checkout's cost, never a
    stale entry).
    """
    package = os.path.dirname(statemachine_compiler.__file__)
    files = sorted(_source_files(package, ""))
    stamps = [_packed(source_stamp(path)) for _, path in files]
    digest = blake2b(digest_size=16)
    if _NO_STAMP not in stamps:
        digest.update(b"stamps\0")
        for (relative, _), stamp in zip(files, stamps, strict=True):
            digest.update(relative.encode() + b"\0" + stamp)
    else:
        digest.update(b"contents\0")
        for relative, path in files:
            digest.update(relative.encode() + b"\0")
            digest.update(_read_file(path))
    return digest.digest()


def _source_files(directory: str, prefix: str):
    """Yield ``(relative path, path)`` of every ``.py`` file under ``directory``."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    yield from _source_files(entry.path, f"{prefix}{entry.name}/")
            elif entry.name.endswith(".py"):
                yield f"{prefix}{entry.name}", entry.path


# Discussion: what a warm import checks.  The entry must stand for the
# source as it is now, and reading and hashing the source on every import was
# most of what the hook added to a warm import.  The standard loader trusts the
# source's mtime (in seconds) and size; an edit that keeps both (a tool that
# restores times, two saves in one second) then runs stale code.  Here the
# entry keeps the source's stamp (modification and change times in
# nanoseconds, size, inode) and a digest of its contents, and a warm import
# stats the source: the same stamp means the same file.  The change time is
# what makes that exact: nothing but the kernel sets it, on every write and
# every utime().  Two cases are checked by contents instead (read, hashed,
# compared with the digest), as git checks its "racily clean" index entries:
#
# - the stamp differs (a touch, a checkout, a move): same contents, and the
#   entry is given the new stamp, so that the next import stats again;
# - the entry was written within RACY_NS of the source's last change: a file
#   system keeps times to some granularity (2 s on FAT), so an edit in that
#   window could leave the stamp as it was.  Such an entry is stamped with
#   zeros, which no stat matches.
RACY_NS = 2 * 10**9
_STAMP = slice(36, 68)  # after the compiler's key (20 bytes) and the source's digest (16)
_HEADER = _STAMP.stop
_NO_STAMP = bytes(_STAMP.stop - _STAMP.start)


def source_stamp(path: str):
    """The source's ``(mtime_ns, ctime_ns, size, inode)``, or None if it cannot be stat-ed."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino


class SourceFile:
    """The source a cache entry stands for: its stamp, taken first, and its contents when needed.

    The stamp is taken before the contents are read, so that an edit made
    after the read changes the stamp the entry is written with.
    """

    def __init__(self, path: str, read: Callable[[str], bytes] | None = None):
        self.path = path
        self.stamp = source_stamp(path)
        self._read = read or _read_file
        self._contents = None

    @property
    def contents(self) -> bytes:
        """The source's bytes, read once (raises ``OSError`` as reading a module does)."""
        if self._contents is None:
            self._contents = self._read(self.path)
        return self._contents

    def packed_stamp(self) -> bytes:
        """The stamp as an entry keeps it; zeros where it is missing or too recent to trust."""
        return _packed(self.stamp)


def _packed(stamp) -> bytes:
    """``stamp`` as bytes; zeros where it is missing or too recent to trust."""
    if stamp is None or time_ns() - max(stamp[0], stamp[1]) < RACY_NS:
        return _NO_STAMP
    return b"".join((number & 0xFFFF_FFFF_FFFF_FFFF).to_bytes(8, "little") for number in stamp)


def read_cache(path: str, source: SourceFile) -> CodeType | None:
    """Return the code cached at ``path`` if it was compiled, by this compiler, from ``source``."""
    try:
        data = _read_file(path)
    except OSError:
        return None
    key = compiler_key()
    if len(data) < _HEADER or data[: len(key)] != key:
        return None  # another compiler or Python
    stamp = source.packed_stamp()
    if stamp == _NO_STAMP or data[_STAMP] != stamp:
        if data[len(key) : _STAMP.start] != _digest(source.contents):
            return None  # stale: another source
        if stamp != _NO_STAMP:
            _write(path, data[: _STAMP.start] + stamp + data[_HEADER:], source.path)
    try:
        code = marshal.loads(memoryview(data)[_HEADER:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def _digest(contents: bytes) -> bytes:
    return blake2b(contents, digest_size=16).digest()


def _read_file(path: str) -> bytes:
    # Discussion: read as the import system reads a module or its .pyc
    # (FileLoader.get_data: io.open_code, then read), not with os.read,
    # although that is faster: whatever watches imports' I/O sees ours alike,
    # the open_code hook and audit events included, and blocking-call
    # detectors that let the import system read files (blockbuster, which
    # anyio's test suite runs) let the hook too.
    return _IMPORT_SYSTEM_FILES.get_data(path)


# A loader of no module: only its get_data and _cache_bytecode are used.
_IMPORT_SYSTEM_FILES = SourceFileLoader("<statemachine-compiler cache>", __file__)


def write_cache(path: str, source: SourceFile, code: CodeType) -> None:
    """Store ``code``, compiled from ``source``, at ``path``; give up silently where we cannot write."""
    header = compiler_key() + _digest(source.contents) + source.packed_stamp()
    _write(path, header + marshal.dumps(code), source.path)


def _write(path: str, data: bytes, source_path: str) -> None:
    if sys.dont_write_bytecode:
        return
    # Discussion: written as the import system writes a .pyc
    # (SourceFileLoader._cache_bytecode: the source's permissions, parent
    # directories made, a temporary file then os.replace, an OSError ignored),
    # for the same reason as _read_file.  Readers open the final name only, so
    # a concurrent import sees the old file, the new one, or none.
    _IMPORT_SYSTEM_FILES._cache_bytecode(source_path, path, data)


# -- the import system ---------------------------------------------------------------


# Discussion: for a module that does not compile, an ``import`` statement
# prints the importing line and then the error, with no frame of the import
# system, because CPython cuts every run of importlib frames that ends in one
# named ``_call_with_frames_removed`` (import.c, ``remove_importlib_frames``;
# it knows them by their file names).  The loader's ``exec_module`` and the
# function that raises the compile error have their code under importlib's
# file name so that the import system's frames, theirs and ``get_code``'s are
# cut alike, on 3.11 to 3.13.  They do nothing else: any other error, and the
# module's own code, run as with importlib's own ``exec_module``.  (Their code
# is renamed, not compiled from text: the first compile() of a process sets
# up the ast types, 2 ms at the start of every program run through the hook.)


def _call_with_frames_removed(error):
    raise error.with_traceback(None)


def _exec_module(self, module):
    try:
        code = self.get_code(module.__name__)
    except CompileError as error:
        failure = error
    else:
        return _bootstrap._call_with_frames_removed(exec, code, module.__dict__)
    _call_with_frames_removed(failure)  # outside the except: no context to chain


def _importlib_framed_exec_module():
    namespace = {"__builtins__": __builtins__, "CompileError": CompileError, "_bootstrap": _bootstrap}
    for function, name in ((_call_with_frames_removed, "_call_with_frames_removed"), (_exec_module, "exec_module")):
        code = function.__code__.replace(
            co_filename="<frozen importlib._bootstrap_external>", co_name=name, co_qualname=name
        )
        namespace[name] = FunctionType(code, namespace, name)
    return namespace["exec_module"]


class StateMachineLoader(SourceFileLoader):
    """A source loader whose code is the compiled module, cached under its own tag."""

    exec_module = _importlib_framed_exec_module()

    def __init__(self, fullname, path, cached=None, quiet=False):
        super().__init__(fullname, path)
        self.cached = cached  # where the cache entry is; the finder already knows
        self.quiet = quiet  # no notice of a slow first compile

    def get_code(self, fullname):
        source_path = self.get_filename(fullname)
        source = SourceFile(source_path, self.get_data)
        cached = self.cached if source_path == self.path and self.cached else cache_path(source_path)
        code = read_cache(cached, source)
        if code is None:
            contents = source.contents  # raises OSError, as for any module
            try:
                with SlowCompileNotice(fullname, quiet=self.quiet):
                    code = self.source_to_code(contents, source_path)
            except CompileError as error:
                # Discussion: the compiler's frames (libcst, the passes) say
                # nothing about the user's module; the error itself says where.
                raise error.with_traceback(None) from None
            write_cache(cached, source, code)
        else:
            _fix_filename(code, source_path)
        return code

    def source_to_code(self, data, path, *, _optimize=-1):
        return compile_to_code(data, path)


class SlowCompileNotice:
    """Around a compile: say once per process, on stderr, that a first import is compiling.

    Discussion: a cold cache makes a program's first run compile each
    selected module, seconds for a big one; silent, that looks like a hang.
    The notice comes only when a compile has taken ``DELAY`` seconds, from a
    timer thread, so that a fast one prints nothing.
    """

    DELAY = 1.0  # seconds
    given = False  # once per process

    def __init__(self, fullname: str, quiet: bool = False):
        self.fullname = fullname
        self.quiet = quiet or os.environ.get(QUIET_VARIABLE, "") not in ("", "0")
        self.timer = None

    def __enter__(self):
        if not (self.quiet or SlowCompileNotice.given):
            import threading  # only when compiling, which imports far more

            self.timer = threading.Timer(self.DELAY, self.give)
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(self, *exc_info):
        if self.timer is not None:
            self.timer.cancel()

    def give(self) -> None:
        if SlowCompileNotice.given:
            return
        SlowCompileNotice.given = True
        print(
            f"statemachine-compiler: compiling {self.fullname} on its first import"
            f" (cached for the next runs; {QUIET_VARIABLE}=1 hides this)",
            file=sys.stderr,
            flush=True,
        )


def _fix_filename(code: CodeType, path: str) -> None:
    # The module may have moved since it was cached: point co_filename at
    # where it is now, as CPython does for its own .pyc files.
    if code.co_filename != path:
        _imp._fix_co_filename(code, path)


_WILDCARDS = frozenset("*?[")  # what makes fnmatch's pattern more than a name


class StateMachineFinder:
    """Find modules as ``PathFinder`` does; claim the selected ones for the compiler.

    Discussion: a meta path finder is any object with ``find_spec``.
    ``importlib.abc.MetaPathFinder`` would add nothing but the import of
    ``importlib.abc`` (and ``typing`` with it): 9 ms at the start of every
    program run through the hook.
    """

    def __init__(self, include=(), marker=True, quiet=False):
        self.include = tuple(include)
        self.marker = marker
        self.quiet = quiet

    def find_spec(self, fullname, path=None, target=None):
        if not self.include and not self.marker:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None:
            return None
        if (
            type(spec.loader) is not SourceFileLoader
            or not spec.origin
            or not (self.selects_name(fullname) or (self.marker and _may_carry_marker(spec.origin)))
        ):
            return spec if self._precedes_path_finder() else None
        spec.cached = cache_path(spec.origin)
        spec.loader = StateMachineLoader(fullname, spec.origin, spec.cached, self.quiet)
        return spec

    def _precedes_path_finder(self) -> bool:
        """Tell whether ``PathFinder`` is the next finder: then its answer may be given for it."""
        meta_path = sys.meta_path
        try:
            index = meta_path.index(self)
        except ValueError:
            return False
        return index + 1 < len(meta_path) and meta_path[index + 1] is PathFinder

    def selects_name(self, fullname: str) -> bool:
        for pattern in self.include:
            if pattern.endswith(".*") and fullname == pattern[:-2]:
                return True
            if fullname == pattern:
                return True
            if _WILDCARDS.intersection(pattern):
                from fnmatch import fnmatchcase

                if fnmatchcase(fullname, pattern):
                    return True
        return False

    def __repr__(self):
        return f"<StateMachineFinder include={list(self.include)!r} marker={self.marker}>"


def _may_carry_marker(path: str) -> bool:
    """Tell whether the module at ``path`` is marked, reading none of the standard library."""
    # Discussion: a program importing asyncio imports some fifty modules of
    # the standard library, none of which carries the marker; reading the
    # head of each was most of what the hook cost a program's start-up.
    # Packages installed under the standard library's own directory (a
    # system Python's site-packages) are still read.
    if path.startswith(_STANDARD_LIBRARY):
        rest = path[len(_STANDARD_LIBRARY) :]
        if not rest.startswith(("site-packages", "dist-packages")):
            return False
    return has_marker(path)


_STANDARD_LIBRARY = os.path.join(os.path.dirname(os.__file__), "")


def has_marker(path: str) -> bool:
    """Tell whether one of the first lines of the file at ``path`` is the marker comment."""
    try:
        head = _read_file(path)
    except OSError:
        return False
    if MARKER not in head:
        return False
    return any(line.strip() == MARKER for line in head.split(b"\n", MARKER_LINES)[:MARKER_LINES])


class ImportHook:
    """The handle ``install_import_hook`` returns: ``uninstall()``, or use it in ``with``."""

    def __init__(self, finder: StateMachineFinder):
        self.finder = finder

    def uninstall(self) -> None:
        try:
            sys.meta_path.remove(self.finder)
        except ValueError:
            pass  # already uninstalled

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.uninstall()

    def __repr__(self):
        installed = "installed" if self.finder in sys.meta_path else "uninstalled"
        return f"<ImportHook {installed} {self.finder!r}>"


def install_import_hook(include=(), *, marker: bool = True, quiet: bool = False) -> ImportHook:
    """Compile the modules ``include`` selects (and those with the marker) when imported.

    ``include`` holds fnmatch patterns of dotted module names; ``marker=False``
    ignores the marker comment.  ``quiet=True`` (or the environment variable
    ``STATEMACHINE_COMPILER_QUIET=1``) silences the one notice the hook can
    print, when a first import compiles for more than a second.  Modules
    already imported are not recompiled.  Returns a handle whose
    ``uninstall()`` (or the end of a ``with`` block) removes the hook.
    """
    if isinstance(include, str):
        include = [include]
    finder = StateMachineFinder(include, marker, quiet)
    # Just before PathFinder: the finders that come first (built-in and
    # frozen modules, other hooks) keep coming first.
    try:
        index = sys.meta_path.index(PathFinder)
    except ValueError:
        index = 0
    sys.meta_path.insert(index, finder)
    return ImportHook(finder)
