"""Writing the compiler's outputs as a text editor saves a file, all or nothing.

1. A regular file is replaced atomically (a temporary file next to it, then
   ``os.replace``) and keeps its permissions and, where we may, its owner.
   A new file gets the permissions the umask gives.
2. A symbolic link is followed: its target is written, the link stays.
3. Anything else that is not a directory (a terminal, a FIFO, ``/dev/null``,
   ``/dev/stdout``) is opened and written, never replaced.
4. ``write_all`` stages every output first (temporary files, directories it
   needs), then puts them all in place; if staging fails anywhere, what it
   staged is removed and the output tree is as it was.

Errors are ``OSError`` naming the user's path (``error.filename``), never a
temporary one.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

__all__ = ["write_all", "write_stdout"]

NEW_FILE_MODE = 0o666  # what the umask is taken from, as open() does


@dataclass
class Staged:
    path: str  # as the user named it, for messages
    target: str  # the file really written: the path with its links followed
    temporary: str | None  # None: written in place when committed (a device, a FIFO)
    data: bytes | None = None  # what a written-in-place output gets


def write_all(outputs: list[tuple[str, bytes, int | None]]) -> None:
    """Write each ``(path, data, mode_if_new)``: all of them, or, on an error, none.

    ``mode_if_new`` is the permissions of a file that does not exist yet
    (None: those the umask gives).
    """
    transaction = Transaction()
    try:
        for path, data, mode in outputs:
            transaction.stage(path, data, mode)
    except BaseException:
        transaction.roll_back()
        raise
    transaction.commit()


def write_stdout(data: bytes, stream) -> None:
    """Write ``data`` to ``stream`` (standard output), leaving nothing buffered behind.

    Discussion: through the text layer, a write that fails (a full disk)
    leaves the data in the buffer, and the interpreter tries again at exit
    and prints a second error; the descriptor itself is written directly.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # a stream without a descriptor (captured)
        stream.flush()
        if hasattr(stream, "buffer"):  # the bytes as they are, in the source's encoding
            stream.buffer.write(data)
            stream.buffer.flush()
        else:
            stream.write(data.decode("utf-8", errors="surrogateescape"))
            stream.flush()
        return
    try:
        stream.flush()
        _write_fd(fd, data)
    except OSError as error:
        raise _naming(error, "<stdout>") from None


class Transaction:
    """Outputs staged next to where they go, then put in place together."""

    def __init__(self):
        self.staged: list[Staged] = []
        self.created_directories: list[str] = []  # to remove again on failure, deepest last

    def stage(self, path: str, data: bytes, mode: int | None) -> None:
        try:
            self._stage(path, data, mode)
        except OSError as error:
            raise _naming(error, path) from None

    def _stage(self, path: str, data: bytes, mode: int | None) -> None:
        try:
            status = os.stat(path)  # through any links
        except FileNotFoundError:
            status = None
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if status is not None and not stat.S_ISREG(status.st_mode):
            # Opened by the name given: /dev/stdout's link leads to no name.
            self.staged.append(Staged(path, path, None, data))
            return
        target = os.path.realpath(path)
        self._make_directories(os.path.dirname(target))
        temporary = _create_temporary(target)
        self.staged.append(Staged(path, target, temporary))
        fd = os.open(temporary, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            if status is not None:
                _copy_ownership(fd, status)
            elif mode is not None:
                os.fchmod(fd, mode & ~_umask())
            _write_fd(fd, data)
        finally:
            os.close(fd)

    def _make_directories(self, directory: str) -> None:
        missing = []
        while not os.path.isdir(directory):
            if os.path.lexists(directory):
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
            missing.append(directory)
            directory = os.path.dirname(directory)
        for directory in reversed(missing):
            os.mkdir(directory)
            self.created_directories.append(directory)

    def commit(self) -> None:
        # In place first: writing a device can fail (a full disk) while
        # nothing else has been touched yet.
        for staged in self.staged:
            if staged.temporary is None:
                try:
                    with open(staged.target, "wb") as file:
                        file.write(staged.data)
                except OSError as error:
                    self.roll_back()
                    raise _naming(error, staged.path) from None
        for staged in self.staged:
            if staged.temporary is not None:
                os.replace(staged.temporary, staged.target)
                staged.temporary = None

    def roll_back(self) -> None:
        for staged in self.staged:
            if staged.temporary is not None:
                _remove(staged.temporary)
        for directory in reversed(self.created_directories):
            try:
                os.rmdir(directory)
            except OSError:
                pass


def _create_temporary(target: str) -> str:
    """Create an empty file next to ``target``, with the umask's permissions."""
    directory, name = os.path.split(target)
    while True:
        # os.urandom, as secrets.token_hex: importing secrets (and random) was a cost of every start.
        temporary = os.path.join(directory, f".{name}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        except FileExistsError:
            continue
        os.close(fd)
        return temporary


def _copy_ownership(fd: int, status: os.stat_result) -> None:
    """Give the replacement the permissions (and owner) of the file it replaces."""
    if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.fchown(fd, status.st_uid, status.st_gid)
        except OSError:
            pass  # not ours to give away: an editor keeps going too
    os.fchmod(fd, stat.S_IMODE(status.st_mode))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _naming(error: OSError, path: str) -> OSError:
    """The same error, about the user's ``path``."""
    return OSError(error.errno, error.strerror or str(error), path)
