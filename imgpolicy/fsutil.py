"""Reading and writing the files imgpolicy touches, safely.

Every file the tool reads (environment files, configuration, baselines, templates,
importer sources, existing documents) goes through `read_bounded`: regular files only (a
FIFO would block forever, a device never ends), at most a given number of bytes. Every
file it writes goes through `write_atomic`: the old file stays intact until the new one is
complete; a device or a named pipe the user names (`/dev/stdout`, `/dev/null`, a FIFO) is
written in place, never replaced by a regular file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from typing import TextIO

MiB = 1024 * 1024


class Refused(OSError):
    """A file imgpolicy will not read or write. `reason` is a sentence for the user,
    without the path (callers add where it is); it is also the error's `strerror`, so
    callers that print `err.strerror` for any OSError need no special case."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def strerror(self) -> str:  # type: ignore[override]
        return self.reason


class ReadRefused(Refused):
    """A file that is not read: not a regular file, or larger than the limit."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def read_bounded(path: str, limit: int, *, head: bool = False) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them (with `head`, its
    first `limit` bytes however long it is: enough to tell what kind of file it is).

    Opened without blocking (a FIFO swapped in after the check cannot hang the read) and
    checked with fstat on the open descriptor, so what is read is what was checked.
    Raises `ReadRefused` for anything but a regular file, or one larger than `limit`;
    `OSError` when it cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadRefused(f"is {_kind(info.st_mode)}, not a file imgpolicy reads")
        if info.st_size > limit and not head:
            raise ReadRefused(f"is larger than {_size(limit)}")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 * MiB))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if head:
        return data[:limit]
    if len(data) > limit:  # grew while being read
        raise ReadRefused(f"is larger than {_size(limit)}")
    return data


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit} bytes"


class OutputRefused(Refused):
    """An output path imgpolicy will not write: read-only, one of the inputs, a FIFO nobody
    reads."""


_TEMP = re.compile(r"\.imgpolicy-(\d+)-[^/]*\.tmp")
"""Our temp files: `.imgpolicy-<pid>-<random>.tmp`, so a later run can tell whose they are."""
_PENDING: set[str] = set()
"""Temp files being written now; removed on SIGTERM."""
_STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def names_stdout(path: str) -> bool:
    """Whether `path` is how the user names standard output (`-`, `/dev/stdout`...)."""
    if path == "-":
        return True
    absolute = os.path.normpath(os.path.abspath(path))
    return absolute in (*_STDOUT_NAMES, f"/proc/{os.getpid()}/fd/1")


def refuse_inputs(path: str, inputs: Iterable[str], what: str = "an input file") -> None:
    """Raise `OutputRefused` when `path` is the same file (by device and inode, whatever
    the name or link) as one of `inputs`: writing a report over an environment file, the
    configuration or the baseline would destroy what was just checked."""
    try:
        target = os.stat(path)
    except OSError:
        return
    if not stat.S_ISREG(target.st_mode):
        return
    for name in inputs:
        try:
            info = os.stat(name)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino):
            shown = "" if os.path.abspath(name) == os.path.abspath(path) else f" ({name})"
            raise OutputRefused(f"is {what}{shown}: choose another output file")


def _mode(path: str) -> int:
    """The permissions the file keeps: the old file's, else what the umask gives a new one
    (the temp file is private, 0600, until it is renamed)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _in_place(path: str) -> bool:
    """Whether `path` must be written where it is: a device, FIFO or socket (also through a
    link such as /dev/stdout -> /proc/self/fd/1 -> a pipe), anything under /proc, or a link
    under /dev: a rename would replace them with a regular file (as root: the device entry
    itself). A plain file under /dev/shm is an ordinary file."""
    absolute = os.path.abspath(path)
    if absolute.startswith("/proc/"):
        return True
    try:
        if absolute.startswith("/dev/") and stat.S_ISLNK(os.lstat(path).st_mode):
            return True
        info = os.stat(path)
    except OSError:
        return False
    return not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode))


def _write_in_place(path: str, data: bytes) -> None:
    """Write into an existing device or FIFO. A FIFO is opened without blocking first: with
    no reader, that fails at once (ENXIO) instead of waiting forever."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise OutputRefused(
            "does not exist, and imgpolicy creates no files in /dev or /proc"
        ) from None
    if stat.S_ISSOCK(info.st_mode):
        raise OutputRefused("is a socket: imgpolicy writes files, devices and named pipes")
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if stat.S_ISREG(info.st_mode):
        flags |= os.O_TRUNC
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ENXIO and stat.S_ISFIFO(info.st_mode):
            raise OutputRefused("is a named pipe (FIFO) that nobody is reading") from None
        raise
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temps(folder: str) -> list[str]:
    """Remove our temp files in `folder` left by a process that no longer runs (killed
    between writing and renaming); returns their paths. Others' temps are left alone."""
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMP.fullmatch(name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            path = os.path.join(folder, name)
            try:
                os.unlink(path)
                removed.append(path)
            except OSError:
                pass
    return removed


def _on_sigterm(signum: int, frame: object) -> None:
    """Remove the temp files being written, then die of SIGTERM as if not caught."""
    for tmp in list(_PENDING):
        try:
            os.unlink(tmp)
        except OSError:
            pass
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _guard_sigterm() -> None:
    """Install the SIGTERM cleanup once, from the main thread, unless someone else handles
    SIGTERM already."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def write_atomic(path: str, text: str) -> None:
    """Write `text` (UTF-8) to `path`: a regular file is replaced atomically (a temp file
    in the same folder renamed over it, so a reader never sees half of it, and a link is
    replaced rather than followed); a device or FIFO is written in place. Missing parent
    folders are created. A read-only file is refused (`OutputRefused`), not replaced."""
    data = text.encode("utf-8")  # fails before anything is touched (a lone surrogate)
    if _in_place(path):
        _write_in_place(path, data)
        return
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISREG(info.st_mode) and not info.st_mode & 0o222:
        raise OutputRefused("is read-only: make it writable (chmod u+w) or choose another file")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temps(folder)
    mode = _mode(path)
    _guard_sigterm()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".imgpolicy-{os.getpid()}-", suffix=".tmp")
    _PENDING.add(tmp)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        _PENDING.discard(tmp)


@contextlib.contextmanager
def folder_lock(folder: str) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (flock on the folder itself, so no lock file is
    left behind): writers of a set of files that belong together (the architecture
    documents) take it, so two runs never leave a mix of their files."""
    os.makedirs(folder, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class StdoutSink(io.RawIOBase):
    """Standard output's file descriptor, for the console script. When the reader goes away
    (`| head`: EPIPE), the rest of the output is dropped and the command ends as it would
    have, so its exit status does not depend on how fast the reader quit. Any other error
    (a full disk: ENOSPC) is kept in `failed` and raised; a short write is retried by the
    buffer above, so a partial report never ends with exit 0."""

    def __init__(self, fd: int):
        super().__init__()
        self.fd = fd
        self.reader_gone = False
        self.failed: OSError | None = None

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def write(self, data) -> int:  # data: a bytes-like buffer
        if self.reader_gone:
            return len(data)
        try:
            return os.write(self.fd, data)
        except BrokenPipeError:
            self.reader_gone = True
            return len(data)
        except OSError as err:
            self.failed = err
            raise


def guarded_stdout(stream: TextIO) -> tuple[TextIO, StdoutSink]:
    """A text stream like `stream` (same encoding and error handling) over a `StdoutSink`."""
    sink = StdoutSink(stream.fileno())
    wrapper = io.TextIOWrapper(
        io.BufferedWriter(sink),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=bool(getattr(stream, "line_buffering", False)),
    )
    return wrapper, sink
