"""A cache of parsed environment files, like ruff's: unchanged files are not parsed again.

Parsing YAML into data plus a position for every node is most of what a check costs, and
a pre-commit hook checks an environment that hardly changes between two commits. Each
parsed file is kept in `.imgpolicy_cache/` at the environment root (`--cache-dir`,
`IMGPOLICY_CACHE_DIR` or the configuration's `cache_dir:` move it; `--no-cache` turns it
off), under the SHA-256 of its bytes, in a folder named after everything that can change
what a parse gives: the imgpolicy version and the loader's own source, the Python and
libyaml versions, the parser's limits. An entry is never trusted across those, and one
that is corrupt, truncated or for other content is ignored and written again.

Why `marshal` and not `pickle`: the entries hold plain data only (dict, list, str, int,
float, bool, None, and the positions as tuples), which `marshal` reads as fast and without
constructing arbitrary objects. Reading untrusted bytes is still risky (a crafted entry
can crash the interpreter), so an entry is only read from a folder that this user owns and
nobody else may write, and only when the entry itself is such a file (opened without
following a link). Otherwise the cache is not used, and `-v` says why once.

The data of a file is read back at once; its positions (a third of an entry, and as slow
to rebuild as the data is fast) only when a finding first needs a line and column in that
file, so a clean environment never rebuilds them. Each entry is written to a temporary
file in the same folder and renamed over the old one, so concurrent runs never read half
an entry. The folder holds a CACHEDIR.TAG and a `.gitignore` of `*`, so backups skip it
and git never commits it; deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import struct
import sys
from collections.abc import Callable
from typing import Any

from .. import FORMAT_VERSION, __version__, fsutil
from . import files as _files
from . import yaml12
from .files import SourceFile
from .yaml12 import MapPos, Pos, SeqPos

FOLDER_NAME = ".imgpolicy_cache"
ENV_VAR = "IMGPOLICY_CACHE_DIR"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by imgpolicy.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
_MAGIC = b"imgpolicy parse cache 1\n"
_DIGEST = 32
_HEADER = struct.Struct(f"<{len(_MAGIC)}s{_DIGEST}s{_DIGEST}s{_DIGEST}sQ")
"""magic, salt (what the parse depends on), content digest, payload checksum, data size."""
_OPEN_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_OPEN_ENTRY = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_CREATE_ENTRY = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_LOADER_MODULES = (yaml12, _files)
"""Modules whose code decides what a parse gives: a change to them is a new cache."""


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


def salt() -> bytes:
    """A digest of everything besides a file's bytes that decides what parsing it gives."""
    parts = [
        f"imgpolicy {__version__} format {FORMAT_VERSION}",
        f"python {sys.implementation.cache_tag} {sys.version}",
        f"marshal {marshal.version}",
        f"yaml {yaml12.yaml.__version__} {_libyaml_version()} {yaml12._Loader.__name__}",
        f"limits {yaml12.MAX_NODES} {yaml12.MAX_DEPTH} {sys.get_int_max_str_digits()}",
    ]
    digest = hashlib.sha256("\n".join(parts).encode())
    for module in (*_LOADER_MODULES, sys.modules[__name__]):
        digest.update(_source_of(module))
    return digest.digest()


def _libyaml_version() -> str:
    try:
        return str(yaml12.yaml._yaml.get_version_string())
    except AttributeError:  # PyYAML without libyaml
        return "pure"


def _source_of(module: Any) -> bytes:
    """A module's own code (its version is not bumped by every edit during development);
    its name when the code cannot be read (a frozen or zipped install)."""
    path = getattr(module, "__file__", None)
    try:
        return fsutil.read_bounded(path, fsutil.MiB) if path else module.__name__.encode()
    except (OSError, fsutil.ReadRefused):
        return module.__name__.encode()


class ParseCache:
    """The cache folder of one run: `parse` gives a file's parsed content, from an entry
    when there is a good one, else by parsing it and keeping the result."""

    def __init__(self, folder: str, entries_fd: int, salt: bytes, say: Callable[[str], None]):
        self.folder = folder
        self._fd = entries_fd
        self._salt = salt
        self._say = say
        self._writable = True
        self._swept = False
        self.hits = 0
        self.misses = 0

    @classmethod
    def open(cls, folder: str, say: Callable[[str], None] | None = None) -> ParseCache | None:
        """The cache in `folder` (created when missing), or None when it cannot be used
        safely or at all; `say` hears why, once."""
        tell = say or _verbose_note
        new = not os.path.lexists(folder)
        try:
            root_fd = _safe_folder(folder)
        except _Unsafe as why:
            tell(f"cache not used: {folder} {why}")
            return None
        except OSError as err:
            tell(f"cache not used: cannot create or open {folder}: {err.strerror or err}")
            return None
        digest = salt()
        try:
            if new:  # never a folder that was there before, such as `--cache-dir .`
                _mark(folder, root_fd)
            entries_fd = _safe_folder(digest.hex()[:16], root_fd)
        except _Unsafe as why:
            tell(f"cache not used: {os.path.join(folder, digest.hex()[:16])} {why}")
            return None
        except OSError as err:
            tell(f"cache not used: cannot create or open {folder}: {err.strerror or err}")
            return None
        finally:
            os.close(root_fd)
        return cls(folder, entries_fd, digest, tell)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()

    def report(self) -> None:
        """Under -v: how many files came from the cache (the rest were parsed)."""
        total = self.hits + self.misses
        if total:
            self._say(f"cache: {self.hits} of {total} parsed files from {self.folder}")

    def parse(
        self, path: str, raw: bytes, parse: Callable[[str, bytes], SourceFile | None]
    ) -> SourceFile | None:
        """`parse(path, raw)`, or what it gave for the same bytes before. Only a file that
        parses is kept: errors and non-members are cheap to find again and name `path`."""
        if self._fd < 0:
            return parse(path, raw)
        content = hashlib.sha256(raw).digest()
        cached = self._read(path, raw, content)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        source = parse(path, raw)
        if source is not None:
            self._write(content, source)
        return source

    def _read(self, path: str, raw: bytes, content: bytes) -> SourceFile | None:
        """The entry for `content` as a SourceFile of `path`; None when there is none or
        it cannot be trusted (then it is simply written again)."""
        entry = _read_entry(self._fd, content.hex())
        if entry is None or len(entry) < _HEADER.size:
            return None
        magic, entry_salt, entry_content, checksum, data_size = _HEADER.unpack_from(entry)
        payload = memoryview(entry)[_HEADER.size :]
        if (
            magic != _MAGIC
            or entry_salt != self._salt
            or entry_content != content
            or data_size > len(payload)
            or hashlib.blake2b(payload, digest_size=_DIGEST).digest() != checksum
        ):
            return None
        try:
            data = marshal.loads(payload[:data_size])
        except (EOFError, ValueError, TypeError):
            return None
        if type(data) is not dict or "imgpolicy" not in data:
            return None
        text = _files._decode(path, raw)
        return SourceFile(path, data, StoredPositions(payload[data_size:], text), text)

    def _write(self, content: bytes, source: SourceFile) -> None:
        """Keep `source`'s data and positions; a cache that cannot be written is given up
        for this run (said once under -v), never an error of the check."""
        if not self._writable:
            return
        if not self._swept:  # temporary files of runs that were killed while writing
            fsutil.remove_stale_temps(os.path.join(self.folder, self._salt.hex()[:16]))
            self._swept = True
        try:
            data = marshal.dumps(source.data)
            positions = marshal.dumps(plain_positions(source.pos))
        except ValueError:  # pragma: no cover - the loader makes plain data only
            return
        checksum = hashlib.blake2b(data + positions, digest_size=_DIGEST).digest()
        header = _HEADER.pack(_MAGIC, self._salt, content, checksum, len(data))
        try:
            _write_entry(self._fd, content.hex(), (header, data, positions))
        except OSError as err:
            self._writable = False
            self._say(f"cache not written: {self.folder}: {err.strerror or err}")


class _Unsafe(Exception):
    """A cache folder or entry that someone else could have written."""


def _verbose_note(message: str) -> None:
    """A line on standard error under -v (the cache never speaks otherwise)."""
    from .. import progress

    if progress.settings().verbose:
        try:
            sys.stderr.write(f"imgpolicy: {message}\n")
        except (OSError, ValueError):
            pass


def _safe_folder(name: str, parent_fd: int | None = None) -> int:
    """An open descriptor of folder `name` (created owner-only when missing), refused with
    `_Unsafe` unless this user owns it and nobody else may write to it: whoever can write
    an entry decides what the loader reads."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
    except FileExistsError:
        pass
    fd = os.open(name, _OPEN_DIR, dir_fd=parent_fd)
    try:
        _owned_by_me(os.fstat(fd), "folder")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _owned_by_me(info: os.stat_result, what: str) -> None:
    if info.st_uid != os.geteuid():
        raise _Unsafe(f"is owned by another user (uid {info.st_uid}): remove the {what}")
    if info.st_mode & 0o022:
        raise _Unsafe(
            f"is writable by other users (mode {stat.filemode(info.st_mode)}): "
            f"chmod go-w it, or remove the {what}"
        )


def _mark(folder: str, fd: int) -> None:
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


def _read_entry(folder_fd: int, name: str) -> bytes | None:
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
        _owned_by_me(info, "entry")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except (_Unsafe, OSError):
        return None
    finally:
        os.close(fd)


def _write_entry(folder_fd: int, name: str, chunks: tuple[bytes, ...]) -> None:
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


# --- positions as plain data --------------------------------------------------------------
# A span is a 4-tuple; a mapping (span, {key: (key span, value)}); a sequence
# [span, item, ...]. Shared nodes (YAML aliases) stay shared: marshal keeps references.


def plain_positions(pos: Pos) -> Any:
    """`pos` as plain tuples, lists and dicts that marshal can write."""
    memo: dict[int, Any] = {}

    def walk(node: Pos) -> Any:
        if type(node) is tuple:
            return node
        done = memo.get(id(node))
        if done is not None:
            return done
        if isinstance(node, MapPos):
            out: Any = (node.span, {k: (ks, walk(v)) for k, (ks, v) in node.keys.items()})
        else:
            assert isinstance(node, SeqPos)
            out = [node.span, *(walk(item) for item in node.items)]
        memo[id(node)] = out
        return out

    return walk(pos)


def positions_from_plain(plain: Any) -> Pos:
    """The position tree `plain_positions` was given."""
    memo: dict[int, Pos] = {}

    def walk(node: Any) -> Pos:
        if type(node) is tuple and len(node) == 4:
            return node
        done = memo.get(id(node))
        if done is not None:
            return done
        out: MapPos | SeqPos
        if type(node) is tuple:
            out = MapPos(node[0])
            out.keys = {k: (ks, walk(v)) for k, (ks, v) in node[1].items()}
        else:
            out = SeqPos(node[0])
            out.items = [walk(item) for item in node[1:]]
        memo[id(node)] = out
        return out

    return walk(plain)


class StoredPositions(MapPos):
    """A file's positions as kept in the cache, rebuilt on first use: most files of a
    clean environment never need a line and column. Should the stored form not read back,
    the file's text is parsed again for them, so a position is never wrong, only slower."""

    __slots__ = ("_blob", "_text", "_tree")

    def __init__(self, blob: memoryview, text: str):  # no super().__init__: lazy
        self._blob: memoryview | None = blob
        self._text = text
        self._tree: MapPos | None = None

    def _load(self) -> MapPos:
        if self._tree is None:
            tree: Pos | None = None
            try:
                tree = positions_from_plain(marshal.loads(self._blob))  # type: ignore[arg-type]
            except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError):
                tree = None
            if not isinstance(tree, MapPos):
                tree = yaml12.load_documents(self._text)[0].pos
            assert isinstance(tree, MapPos)
            self._tree, self._blob = tree, None
        return self._tree

    @property
    def keys(self) -> dict[Any, tuple[yaml12.Span, Pos]]:  # type: ignore[override]
        return self._load().keys

    @property
    def span(self) -> yaml12.Span:  # type: ignore[override]
        return self._load().span
