"""Source bytes to text, decoded exactly as Python decodes a module.

The encoding is the one ``tokenize.detect_encoding`` finds, as the
interpreter does: a UTF-8 byte order mark, a PEP 263 declaration
(``# -*- coding: latin-1 -*-``) on one of the first two lines, or UTF-8.
Line endings become ``\\n`` (universal newlines), as ``importlib`` does before
compiling.  What cannot be decoded is a ``CompileError`` at the line and
column of the first bad byte.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from typing import NamedTuple

from statemachine_compiler.diagnostics import CompileError

__all__ = ["DecodedSource", "decode_source"]

# PEP 263's own pattern for the declaration.
DECLARATION = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


class DecodedSource(NamedTuple):
    text: str
    encoding: str  # what to encode the compiled module with: it keeps the declaration


def decode_source(data: bytes, path: str) -> DecodedSource:
    """Decode ``data``, the bytes of the module at ``path``, as Python would."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        encoding = _declared_despite(error, data, path)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise _undecodable(data, path, encoding, error) from None
    return DecodedSource(text.replace("\r\n", "\n").replace("\r", "\n"), encoding)


def _declared_despite(error: SyntaxError, data: bytes, path: str) -> str:
    """The encoding to decode with where ``detect_encoding`` gave up; else raise.

    Discussion: ``detect_encoding`` decodes a line as UTF-8 before it looks
    for a declaration in it; the interpreter reads the declaration from the
    bytes.  So ``# coding: latin-1`` on a line that also holds a Latin-1
    byte is the interpreter's, and a first line that is not UTF-8 without
    a declaration is an undecodable byte, to be reported where it is.
    """
    for line in data.splitlines()[:2]:
        declared = DECLARATION.match(line)
        if declared is not None and not data.startswith(codecs.BOM_UTF8):
            try:
                return codecs.lookup(declared.group(1).decode("ascii")).name
            except LookupError:
                break
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as undecodable:
        raise _undecodable(data, path, "utf-8", undecodable) from None
    # An unknown encoding, or a declaration that contradicts the BOM.
    raise CompileError(path, _declaration_line(data), 1, f"SyntaxError: {error.msg}")


def _declaration_line(data: bytes) -> int:
    for number, line in enumerate(data.splitlines()[:2], start=1):
        if DECLARATION.match(line):
            return number
    return 1


def _undecodable(data: bytes, path: str, encoding: str, error: UnicodeDecodeError) -> CompileError:
    line_start = data.rfind(b"\n", 0, error.start) + 1
    line = data.count(b"\n", 0, line_start) + 1
    # Columns count characters, as CPython's do: decode what comes before.
    column = len(data[line_start : error.start].decode(encoding, errors="replace")) + 1
    byte = data[error.start]
    return CompileError(
        path,
        line,
        column,
        f"SyntaxError: cannot decode byte 0x{byte:02x} as {encoding}: {error.reason}",
    )
