"""Reading and writing the files imgpolicy touches, safely.

Every file the tool reads (environment files, configuration, baselines, templates,
importer sources, existing documents) goes through `read_bounded`: regular files only (a
FIFO would block forever, a device never ends), at most a given number of bytes. Every
file it writes goes through `write_atomic`: the old file stays intact until the new one is
complete.
"""

from __future__ import annotations

import os
import stat
import tempfile

MiB = 1024 * 1024


class ReadRefused(OSError):
    """A file that is not read: not a regular file, or larger than the limit.

    `reason` is a sentence for the user, without the path (callers add where it is).
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def strerror(self) -> str:  # type: ignore[override]
        return self.reason


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


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

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
        if info.st_size > limit:
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
    if len(data) > limit:  # grew while being read
        raise ReadRefused(f"is larger than {_size(limit)}")
    return data


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit} bytes"


def _mode(path: str) -> int:
    """The permissions the file keeps: the old file's, else what the umask gives a new one
    (the temp file is private, 0600, until it is renamed)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mode = _mode(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".imgpolicy-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
