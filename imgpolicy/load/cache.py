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
following a link). Otherwise the cache is not used, and `-v` says why once. One entry is
a pickle: the model's built validator (`model/prebuilt.py`), which only pickle can write
and which these same rules guard, since reading a pickle runs code.

An entry holds a file's data, read back at once, and its positions once a run has needed
them: the loader makes positions only when a finding first needs a line and column in a
file (`files.LazyPositions`), and then the entry is written again with them, so the next
run reads them back instead of parsing the file again. A clean environment never builds
them, and its entries hold none. Each entry is written to a temporary
file in the same folder and renamed over the old one, so concurrent runs never read half
an entry. The folder holds a CACHEDIR.TAG and a `.gitignore` of `*`, so backups skip it
and git never commits it; deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .. import FORMAT_VERSION, __version__, fsutil
from ..cachedir import ENV_VAR as ENV_VAR  # re-exported: the CLI and tests name them here
from ..cachedir import FOLDER_NAME as FOLDER_NAME
from ..cachedir import Unsafe as _Unsafe
from ..cachedir import cache_folder as cache_folder
from ..cachedir import mark_folder as _mark
from ..cachedir import read_entry as _read_entry
from ..cachedir import safe_folder as _safe_folder
from ..cachedir import verbose_note as _verbose_note
from ..cachedir import write_entry as _write_entry
from . import files as _files
from . import yaml12
from .files import LazyPositions, SourceFile
from .yaml12 import MapPos, Pos, SeqPos

_MAGIC = b"imgpolicy parse cache 1\n"
_DIGEST = 32
_HEADER = struct.Struct(f"<{len(_MAGIC)}s{_DIGEST}s{_DIGEST}s{_DIGEST}sQ")
"""magic, salt (what the parse depends on), content digest, payload checksum, data size."""
_LOADER_MODULES = (yaml12, _files)
"""Modules whose code decides what a parse gives: a change to them is a new cache."""


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
        self.validator_read = False
        self._validator_name = ""
        self._validator_wanted = False

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
            validator = " and the model's validator" if self.validator_read else ""
            self._say(f"cache: {self.hits} of {total} parsed files{validator} from {self.folder}")

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
        if source is None:
            return None
        self._write(content, source)
        return replace(source, pos=self._positions(b"", source, content))

    def use_prebuilt_validator(self) -> None:
        """Validate with the environment file's validator as an earlier run built it
        (`model/prebuilt.py`), when this cache keeps a good one for this model."""
        from ..model import prebuilt

        self._validator_name = f"validator-{prebuilt.salt()[:32]}"
        if self._fd < 0:
            return
        entry = _read_entry(self._fd, self._validator_name)
        payload = _checked(entry, _VALIDATOR_MAGIC) if entry is not None else None
        self.validator_read = payload is not None and prebuilt.install(payload)
        self._validator_wanted = not self.validator_read

    def keep_validator(self) -> None:
        """Keep the validator this run built, for the next run (see above)."""
        if not self._validator_wanted:
            return
        from ..model import prebuilt

        self._validator_wanted = False
        blob = prebuilt.built()
        if blob is not None:
            self._keep(self._validator_name, (_VALIDATOR_MAGIC, _checksum(blob), blob))

    def _positions(self, stored: bytes | memoryview, source: SourceFile, content: bytes):
        """Positions of a file the cache holds: from the entry when it has them, else
        parsed again when first needed and then added to the entry."""

        def keep(tree: MapPos) -> None:
            self._write(content, source, tree)

        return StoredPositions(stored, source.text, keep)

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
            or _checksum(payload) != checksum
        ):
            return None
        try:
            data, keys = marshal.loads(payload[:data_size])
        except (EOFError, ValueError, TypeError):
            return None
        if type(data) is not dict or "imgpolicy" not in data:
            return None
        if keys is not None and type(keys) is not frozenset:
            return None
        text = _files._decode(path, raw)
        source = SourceFile(path, data, LazyPositions(text), text, keys)
        return replace(source, pos=self._positions(payload[data_size:], source, content))

    def _write(self, content: bytes, source: SourceFile, positions: MapPos | None = None) -> None:
        """Keep a file's data and keys (and its positions, when made)."""
        if not self._writable or self._fd < 0:
            return
        try:
            stored = marshal.dumps((source.data, source.keys))
            tree = marshal.dumps(plain_positions(positions)) if positions is not None else b""
        except ValueError:  # pragma: no cover - the loader makes plain data only
            return
        checksum = _checksum(stored + tree)
        header = _HEADER.pack(_MAGIC, self._salt, content, checksum, len(stored))
        self._keep(content.hex(), (header, stored, tree))

    def _keep(self, name: str, chunks: tuple[bytes, ...]) -> None:
        """Write an entry whole; a cache that cannot be written is given up for this run
        (said once under -v), never an error of the check."""
        if not self._writable or self._fd < 0:
            return
        if not self._swept:  # temporary files of runs that were killed while writing
            fsutil.remove_stale_temps(os.path.join(self.folder, self._salt.hex()[:16]))
            self._swept = True
        try:
            _write_entry(self._fd, name, chunks)
        except OSError as err:
            self._writable = False
            self._say(f"cache not written: {self.folder}: {err.strerror or err}")


_VALIDATOR_MAGIC = b"imgpolicy validator 1\n"


def _checksum(payload: bytes | memoryview) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST).digest()


def _checked(entry: bytes, magic: bytes) -> memoryview | None:
    """The payload of an entry written as (magic, checksum, payload); None when it is
    another kind of entry, truncated or damaged."""
    start = len(magic) + _DIGEST
    payload = memoryview(entry)[start:]
    if entry[: len(magic)] != magic or entry[len(magic) : start] != _checksum(payload):
        return None
    return payload


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


class StoredPositions(LazyPositions):
    """A file's positions as kept in the cache (`blob`, empty when the entry has none),
    rebuilt on first use: most files of a clean environment never need a line and column.
    When the entry has none, or they do not read back, the file's text is parsed again
    for them (a position is never wrong, only slower) and `keep` hears of the new tree."""

    __slots__ = ("_blob", "_keep")

    def __init__(
        self,
        blob: bytes | memoryview,
        text: str,
        keep: Callable[[MapPos], None] | None = None,
    ):
        super().__init__(text)
        self._blob: bytes | memoryview | None = blob if len(blob) else None
        self._keep = keep

    def _make(self) -> MapPos:
        blob, self._blob = self._blob, None
        if blob is not None:
            try:
                tree = positions_from_plain(marshal.loads(blob))
            except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError):
                tree = None
            if isinstance(tree, MapPos):
                return tree
        made = super()._make()
        if self._keep is not None:
            self._keep(made)
        return made
