"""Cache folders that are safe to read back: the parse cache (`load/cache.py`) and the
whole-check result cache (`result_cache.py`) keep their entries here.

Whoever can write an entry decides what imgpolicy reads back, so a folder or entry is used
only when this user owns it and nobody else may write to it (opened as descriptors, links
not followed), and every entry is written whole or not at all (an owner-only temporary
file renamed over it). A folder imgpolicy makes gets a CACHEDIR.TAG and a `.gitignore` of
`*`. This module imports nothing of the model or the loader: a result-cache hit must not.
"""

from __future__ import annotations

import os
import stat
import sys

from . import fsutil

FOLDER_NAME = ".imgpolicy_cache"
ENV_VAR = "IMGPOLICY_CACHE_DIR"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by imgpolicy.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
_OPEN_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_OPEN_ENTRY = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_CREATE_ENTRY = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def cache_folder(
    paths: tuple[str, ...] | list[str], explicit: str | None, configured: str | None
) -> str:
    """Where the cache lives: `--cache-dir`, else IMGPOLICY_CACHE_DIR, else the
    configuration's `cache_dir:`, else `.imgpolicy_cache` in the environment root (the
    first PATH when it is a folder, else the folder holding it)."""
    chosen = explicit or os.environ.get(ENV_VAR) or configured
    if chosen:
        return chosen
    first = paths[0] if paths else "."
    root = first if os.path.isdir(first) else os.path.dirname(first) or "."
    return os.path.join(root, FOLDER_NAME)


class Unsafe(Exception):
    """A cache folder or entry that someone else could have written."""


def verbose_note(message: str) -> None:
    """A line on standard error under -v (the caches never speak otherwise)."""
    from . import progress

    if progress.settings().verbose:
        try:
            sys.stderr.write(f"imgpolicy: {message}\n")
            sys.stderr.flush()  # a hit exits at once: the note must not wait in a buffer
        except (OSError, ValueError):
            pass


def safe_folder(name: str, parent_fd: int | None = None, *, create: bool = True) -> int:
    """An open descriptor of folder `name` (created owner-only when missing and `create`),
    refused with `Unsafe` unless this user owns it and nobody else may write to it:
    whoever can write an entry decides what is read back."""
    if create:
        try:
            os.mkdir(name, 0o700, dir_fd=parent_fd)
        except FileExistsError:
            pass
    fd = os.open(name, _OPEN_DIR, dir_fd=parent_fd)
    try:
        owned_by_me(os.fstat(fd), "folder")
    except BaseException:
        os.close(fd)
        raise
    return fd


def owned_by_me(info: os.stat_result, what: str) -> None:
    """`Unsafe` unless this user owns the file or folder and nobody else may write it."""
    if info.st_uid != os.geteuid():
        raise Unsafe(f"is owned by another user (uid {info.st_uid}): remove the {what}")
    if info.st_mode & 0o022:
        raise Unsafe(
            f"is writable by other users (mode {stat.filemode(info.st_mode)}): "
            f"chmod go-w it, or remove the {what}"
        )


def mark_folder(folder: str, fd: int) -> None:
    """CACHEDIR.TAG (backup tools skip the folder) and a `.gitignore` of `*` (git never
    commits it), written when the folder is made."""
    for name, text in (
        ("CACHEDIR.TAG", CACHEDIR_TAG),
        (".gitignore", "# created by imgpolicy\n*\n"),
    ):
        try:
            os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            fsutil.write_atomic(os.path.join(folder, name), text)


def read_entry(folder_fd: int, name: str) -> bytes | None:
    """The bytes of entry `name`, None when missing or not a regular file of this user
    that nobody else may write (a link is not followed)."""
    try:
        fd = os.open(name, _OPEN_ENTRY, dir_fd=folder_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        owned_by_me(info, "entry")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except (Unsafe, OSError):
        return None
    finally:
        os.close(fd)


def write_entry(folder_fd: int, name: str, chunks: tuple[bytes, ...]) -> None:
    """Write entry `name` whole or not at all: an owner-only temporary file in the same
    folder, renamed over the entry (a concurrent run sees the old entry or the new one).
    The temporary name is the one `fsutil.remove_stale_temps` knows, so one left by a
    killed run is removed by the next."""
    temp = f".imgpolicy-{os.getpid()}-{os.urandom(6).hex()}.tmp"
    fd = os.open(temp, _CREATE_ENTRY, 0o600, dir_fd=folder_fd)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(temp, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=folder_fd)
        except OSError:
            pass
        raise
