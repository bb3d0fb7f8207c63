"""Where ``statemachine-compiler run`` keeps the compiled code of the scripts it runs.

``python app.py`` never caches ``app.py``: compiling it to bytecode takes a
millisecond.  Compiling it into state machines takes libcst, a tenth of a
second to import and more to run, on every start of the program.  So ``run``
keeps the script's compiled code, but never beside the script, where
``python`` would have written nothing: in the user's cache directory
(``$STATEMACHINE_COMPILER_CACHE``, else ``sys.pycache_prefix``'s tree, else
``$XDG_CACHE_HOME/statemachine-compiler``, else
``~/.cache/statemachine-compiler``), one file per script path, keyed on the
source (its stat, and its contents where the stat cannot be trusted), the
compiler and the Python as the import hook's entries are.  A
stale entry is never used; ``sys.dont_write_bytecode`` (``-B``,
``PYTHONDONTWRITEBYTECODE``) means nothing is written; a cache directory that
cannot be written means no cache, not an error.
"""

from __future__ import annotations

import os
import sys
from types import CodeType

from statemachine_compiler.importhook import (
    CACHE_FORMAT,
    SourceFile,
    blake2b,
    compile_to_code,
    read_cache,
    write_cache,
)
from statemachine_compiler.usercache import cache_directory

__all__ = ["compiled_script", "script_cache_path"]


def compiled_script(path: str) -> CodeType:
    """The compiled module code of the script at ``path`` (absolute), from the cache if it is there.

    Raises ``OSError`` when the script cannot be read and ``CompileError``
    when it does not compile, as ``compile_to_code`` does.
    """
    source = SourceFile(path, _read)
    cached = script_cache_path(path)
    code = read_cache(cached, source)
    if code is not None and code.co_filename == path:
        return code
    code = compile_to_code(source.contents, path)
    write_cache(cached, source, code)
    return code


def script_cache_path(path: str) -> str:
    """The cache file for the script at the absolute ``path``."""
    # Discussion: named by a hash of the path, not mirrored under it as
    # sys.pycache_prefix mirrors modules: a script may sit anywhere (/tmp,
    # a mount), and a flat directory is one mkdir.  The script's name is
    # kept in front so that a person looking in the directory sees whose
    # entry it is.
    name = os.path.basename(path).replace(".", "_")
    digest = blake2b(path.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    tag = f"{sys.implementation.cache_tag}.statemachine{CACHE_FORMAT}"
    if sys.flags.optimize:
        tag += f"o{sys.flags.optimize}"
    return os.path.join(cache_directory(), f"{name}-{digest}.{tag}.pyc")


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
