"""What black made of generated lines, kept in the user's cache directory for the next process.

``by_line`` keeps black's lines for each unit, and the templates of their
shapes, for the rest of a process.  A ``compile`` command is a process of its
own, and it paid for black twice: importing it (a fifth of a second) and
formatting the few hundred lines every module's machines have (issue 12).
Here those results are written to one file per black (and per build of this
package's formatting code), in the user's cache directory
(``$STATEMACHINE_COMPILER_CACHE``, else ``sys.pycache_prefix``'s tree, else
``$XDG_CACHE_HOME/statemachine-compiler``, else
``~/.cache/statemachine-compiler``), and read by the next process's first
format: when every unit of a module is found there, black is not even
imported.

Discussion: an entry is what black gave for exactly that unit (or text),
so the output is the same with the file or without it, as it is with the
in-process cache; only where the work is done differs.  The file is named by
a digest of what decides its entries: black's installed files (their path,
size and modification time, without importing black), the Python, and the source of
``by_line`` and ``shapes``; another black or another build of them reads
another file, never a stale one.  It is written as a ``.pyc`` is (a temporary
file, then ``os.replace``), after merging what the file holds by then, so
that concurrent writers each leave a whole file (the last one's; at worst
some entries are learned again).  A file that cannot be read, or is not
one of ours (truncated, another format), is ignored; one that cannot be
written means nothing is kept.  ``sys.dont_write_bytecode`` (``-B``,
``PYTHONDONTWRITEBYTECODE``) means nothing is written, as for the import
hook's entries.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import threading
from hashlib import blake2b

from statemachine_compiler.usercache import cache_directory

__all__ = ["Store", "cache_directory"]

MAGIC = b"statemachine-compiler black store 1\n"
_FORMATTING_SOURCES = ("by_line.py", "shapes.py")

PARTS = ("units", "templates", "texts", "wholes")
# The entries a file keeps of each part; beyond, that part starts again.  Few
# whole texts (each up to ``by_line.WHOLE_LIMIT`` characters): the file is
# read at the start of every compile.
ENTRY_LIMITS = {"units": 50_000, "templates": 50_000, "texts": 10_000, "wholes": 200}


class Store:
    """The file of stored results, and what was learned since it was read or written.

    Four dicts (``PARTS``): units (a unit's key -> black's lines), templates
    (a shape -> the template's pieces and requoted flags), texts (a short
    text given to black -> what black made of it) and wholes (a compiled
    function's text that by_line left to black whole -> black's text).
    ``load()`` reads them, once; ``learn(part, key, value)`` notes a new
    result; ``save()`` writes those, merged with what the file holds by then.
    """

    def __init__(self, directory: str | None = None):
        self._directory = directory
        self._path: str | None = None
        self._new: dict[str, dict] = {part: {} for part in PARTS}
        self._lock = threading.Lock()
        self.loaded = False

    def path(self) -> str | None:
        """The file for this black and this formatting code; None where black is not installed."""
        if self._path is None:
            identity = _identity()
            if identity is None:
                return None
            directory = self._directory if self._directory is not None else cache_directory()
            self._path = os.path.join(directory, f"black-{identity}.formatted")
        return self._path

    def load(self) -> dict[str, dict]:
        """The stored parts, by name; empty after the first call, or where there is no file."""
        if self.loaded:
            return _empty()
        self.loaded = True
        path = self.path()
        return (_read(path) if path is not None else None) or _empty()

    def learn(self, part: str, key, value) -> None:
        with self._lock:
            self._new[part][key] = value

    def save(self) -> None:
        """Write what was learned since the last save, if anything; never raises for I/O."""
        with self._lock:
            new, self._new = self._new, _empty()
        if not any(new.values()) or sys.dont_write_bytecode:
            return
        path = self.path()
        if path is None:
            return
        stored = _read(path) or _empty()
        merged = {}
        for part in PARTS:
            old = stored[part] if len(stored[part]) + len(new[part]) <= ENTRY_LIMITS[part] else {}
            merged[part] = {**old, **new[part]}
        _write(path, MAGIC + marshal.dumps(tuple(merged[part] for part in PARTS)))


def _empty() -> dict[str, dict]:
    return {part: {} for part in PARTS}


def _identity() -> str | None:
    """A digest of what decides the stored entries: black's files, and the formatting code's source."""
    spec = importlib.util.find_spec("black")
    if spec is None or not spec.origin:
        return None
    digest = blake2b(digest_size=12)
    package = os.path.dirname(spec.origin)
    try:
        for name in sorted(os.listdir(package)):
            if name.endswith((".py", ".so", ".pyd")):
                stat = os.stat(os.path.join(package, name))
                digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        digest.update(f"{package}\0{sys.version_info[:2]}\0".encode())
        here = os.path.dirname(__file__)
        for name in _FORMATTING_SOURCES:
            with open(os.path.join(here, name), "rb") as file:
                digest.update(file.read())
    except OSError:
        return None
    return digest.hexdigest()


def _read(path: str) -> dict[str, dict] | None:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    try:
        stored = marshal.loads(memoryview(data)[len(MAGIC) :])
    except (EOFError, ValueError, TypeError):
        return None
    if not (type(stored) is tuple and len(stored) == len(PARTS) and all(type(part) is dict for part in stored)):
        return None
    units, templates, texts, wholes = stored
    well_formed = (
        all(_is_key(key) and _are_strings(lines) for key, lines in units.items())
        and all(
            _is_key(shape) and type(entry) is tuple and len(entry) == 2 and _are_strings(entry[0])
            and type(entry[1]) is tuple and all(type(flag) is bool for flag in entry[1])
            and len(entry[0]) == len(entry[1]) + 1
            for shape, entry in templates.items()
        )
        and all(type(text) is str and type(formatted) is str for text, formatted in texts.items())
        and all(type(text) is str and type(formatted) is str for text, formatted in wholes.items())
    )
    return dict(zip(PARTS, stored, strict=True)) if well_formed else None


def _is_key(key) -> bool:
    return type(key) is tuple and len(key) == 3 and type(key[0]) is str and type(key[1]) is int and type(key[2]) is str


def _are_strings(value) -> bool:
    return type(value) is tuple and all(type(item) is str for item in value)


def _write(path: str, data: bytes) -> None:
    # A name of its own for each writer (process and thread), then os.replace:
    # a reader opens the final name only, and sees a whole file, old or new.
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except OSError:
        return
    try:
        with open(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
