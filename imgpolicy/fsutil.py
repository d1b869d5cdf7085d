"""Writing files the user owns: atomically, so an error midway leaves the old file intact."""

from __future__ import annotations

import os
import stat
import tempfile


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
