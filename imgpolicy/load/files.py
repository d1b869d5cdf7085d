"""Which files make up an environment, and reading each one safely.

Every `*.yaml` / `*.yml` under the environment's folders belongs to it, unless excluded
by the configuration's `exclude:` globs (hidden files and folders always are). A member
must say so with `imgpolicy: 1` at its top level: one without it (or with a misspelled
marker) is a YAML010 error, never skipped silently, because a skipped file is a file whose
plaintext password or lossy route nobody checks. A cheap byte search for `imgpolicy:` at
the start of a line decides which files are worth parsing at all; an unmarked file only
has its top-level keys scanned, for a did-you-mean.

Folders that cannot be listed are YAML006 errors; linked folders are followed once (each
real folder is read once, so a link loop ends); files are read with
`fsutil.read_bounded`, so a FIFO or a device never blocks or floods the check.
"""

from __future__ import annotations

import codecs
import difflib
import errno
import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import FORMAT_VERSION, fsutil
from ..findings import Finding, Location, Related, Severity
from ..model.types import show
from .yaml12 import (
    MapPos,
    Pos,
    SeqPos,
    Span,
    YAMLLoadError,
    line_column,
    load_data,
    load_documents,
    locate_path,
    mapping_keys,
)

if TYPE_CHECKING:
    from .cache import ParseCache

MAX_FILE_BYTES = 16 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
_MARKER = re.compile(rb"(?:^|\r|\A\xef\xbb\xbf)imgpolicy[ \t]*:", re.MULTILINE)
_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_WIDE_BOMS = (*_UTF32_BOMS, b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One environment file: its data (a mapping) and the positions of every node (made
    when first asked for: see `LazyPositions`)."""

    path: str
    data: dict[str, Any]
    pos: MapPos
    text: str
    keys: frozenset[Any] | None = None
    """Every mapping key in `data`: the loader always gives them (None only for a file
    built some other way, whose text the redactor then screens instead)."""


class LazyPositions(MapPos):
    """A file's positions, made when a finding first needs a line and column in it.

    The position tree takes more memory than the data it describes (a 100,000-AE estate
    would need gigabytes for it), and a clean check never reads it. So a file is loaded
    as plain data, and its text is parsed again, once, for positions only on first use
    (`parse_positions`); a subclass may have a faster way (the parse cache's stored ones).
    """

    __slots__ = ("_read", "_text", "_tree")

    SCANS_BEFORE_TREE = 8
    """How many times over a file's lines partial scans may read before the whole tree,
    about three scans' work, is the cheaper way to answer."""

    def __init__(self, text: str):  # no super().__init__: nothing is built yet
        self._text = text
        self._tree: MapPos | None = None
        self._read = 0  # lines read by partial scans so far

    def locate(self, loc: tuple) -> tuple[Span, Span | None] | None:
        """`locate(self, loc)` by a partial scan of the text, while the tree is not built
        and scans have not yet read the file many times over (rules prepare locations that
        they seldom use); None when the tree should answer."""
        if self._tree is not None:
            return None
        if self._read > self.SCANS_BEFORE_TREE * (self._text.count("\n") + 1):
            return None
        found = locate_path(self._text, loc)
        if found is not None:
            self._read += found[0][2]  # the scan stopped where the node ends
        return found

    def _make(self) -> MapPos:
        """The tree, built now (only called once)."""
        return parse_positions(self._text)

    def _load(self) -> MapPos:
        if self._tree is None:
            self._tree = self._make()
        return self._tree

    @property
    def built(self) -> bool:
        """Whether anything has asked for a position in this file yet."""
        return self._tree is not None

    @property
    def keys(self) -> dict[Any, tuple[Span, Pos]]:  # type: ignore[override]
        return self._load().keys

    @property
    def span(self) -> Span:  # type: ignore[override]
        return self._load().span


def parse_positions(text: str) -> MapPos:
    """The position tree of a file that loaded as an environment file (its first document
    is a mapping, so the tree is a `MapPos`)."""
    pos = load_documents(text)[0].pos
    assert isinstance(pos, MapPos)
    return pos


class LoadFailed(Exception):
    """A file that cannot be used; `finding` says where and why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


@dataclass(frozen=True)
class Exclusions:
    """The configuration's `exclude:` globs, gitignore-like, relative to `base` (the folder
    of the configuration file that declares them): `name.yaml` or `charts/` match at any
    depth, a pattern with a `/` inside is anchored to `base`, `**` spans folders, a
    trailing `/` matches folders only (and everything in them)."""

    patterns: tuple[str, ...] = ()
    base: str | None = None
    source: str | None = None
    """The configuration file the patterns come from, named in the summary."""

    def matches(self, path: str, root: str, is_dir: bool) -> bool:
        """Whether `path` (found under the walked `root`) is excluded."""
        if not self.patterns:
            return False
        rel = _relative(path, self.base or root)
        if rel is None:
            rel = _relative(path, root) or Path(path).as_posix()
        return any(
            regex.fullmatch(rel) and (is_dir or not dir_only)
            for regex, dir_only in _compiled(self.patterns)
        )


def _relative(path: str, base: str) -> str | None:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
    return None if rel == ".." or rel.startswith("../") else Path(rel).as_posix()


@functools.lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[tuple[re.Pattern, bool], ...]:
    return tuple(glob_regex(p) for p in patterns)


def glob_regex(pattern: str) -> tuple[re.Pattern, bool]:
    """A gitignore-like glob as a regex over POSIX relative paths, and whether it matches
    folders only (a trailing `/`)."""
    dir_only = pattern.endswith("/")
    body = pattern.strip("/") if pattern.startswith("/") else pattern.rstrip("/")
    anchored = pattern.startswith("/") or "/" in body
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "" if anchored else "(?:[^/]+/)*"
    return re.compile(prefix + "".join(out)), dir_only


@dataclass
class Survey:
    """What a walk of the environment's paths found."""

    files: list[str] = field(default_factory=list)
    """Candidate files, in a stable order (explicitly named files first, as given)."""
    excluded: list[str] = field(default_factory=list)
    """Files and folders left out by `exclude:` globs."""
    problems: list[LoadFailed] = field(default_factory=list)
    """Folders that could not be listed."""


def survey(paths: Iterable[str], exclusions: Exclusions | None = None) -> Survey:
    """Every YAML file under `paths`. A file named in `paths` is always a candidate; in
    folders, hidden entries and `exclusions` are left out, linked folders are followed
    once, and a folder that cannot be listed is a YAML006 problem rather than a silence."""
    exclusions = exclusions or Exclusions()
    found = Survey()
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            candidates = sorted(_walk(path, exclusions, found))
        else:
            candidates = [path]
        for candidate in candidates:
            shown = Path(candidate).as_posix()
            if shown not in seen:
                seen.add(shown)
                found.files.append(shown)
    return found


def _walk(root: str, exclusions: Exclusions, found: Survey) -> list[str]:
    """The YAML files under `root`, recording exclusions and unreadable folders in `found`."""

    def unreadable(err: OSError) -> None:
        folder = Path(err.filename or root).as_posix()
        found.problems.append(
            _fail(
                folder,
                "YAML006",
                f"cannot read folder: {err.strerror}: make it readable, or exclude it in "
                f".imgpolicy.yaml (exclude: [{folder}/])",
            )
        )

    visited: set[tuple[int, int]] = set()
    try:
        info = os.stat(root)
        visited.add((info.st_dev, info.st_ino))
    except OSError:
        pass
    files = []
    for folder, dirs, names in os.walk(root, onerror=unreadable, followlinks=True):
        kept = []
        for name in sorted(dirs):
            full = os.path.join(folder, name)
            if name.startswith("."):
                continue
            if exclusions.matches(full, root, is_dir=True):
                found.excluded.append(Path(full).as_posix() + "/")
                continue
            try:
                info = os.stat(full)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) in visited:  # a second link to it, or a loop
                continue
            visited.add((info.st_dev, info.st_ino))
            kept.append(name)
        dirs[:] = kept
        for name in names:
            if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                continue
            full = os.path.join(folder, name)
            if exclusions.matches(full, root, is_dir=False):
                found.excluded.append(Path(full).as_posix())
            else:
                files.append(full)
    found.excluded.sort()
    return files


def discover(paths: Iterable[str], exclusions: Exclusions | None = None) -> Iterator[str]:
    """Every candidate YAML file under `paths`, in a stable order (see `survey`)."""
    yield from survey(paths, exclusions).files


def _fail(
    path: str,
    code: str,
    message: str,
    line: int = 1,
    column: int = 1,
    related: tuple[tuple[str, int, int], ...] = (),
) -> LoadFailed:
    return LoadFailed(
        Finding(
            code,
            Severity.ERROR,
            message,
            Location(path, line, column, line, column + 1),
            tuple(Related(Location(path, ln, col, ln, col + 1), msg) for msg, ln, col in related),
        )
    )


def _marked(raw: bytes) -> bool:
    """Whether a line starts with `imgpolicy:` (read in a UTF-16/32 file too, to reject it)."""
    if raw.startswith(_WIDE_BOMS):
        raw = raw.decode("utf-32" if raw.startswith(_UTF32_BOMS) else "utf-16", "replace").encode()
    return _MARKER.search(raw) is not None


def _decode(path: str, raw: bytes) -> str:
    if raw.startswith(_WIDE_BOMS):
        raise _fail(path, "YAML005", "file is UTF-16 or UTF-32 encoded: save it as UTF-8")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = line_column(raw[: err.start].decode("utf-8"))
        raise _fail(
            path,
            "YAML005",
            f"file is not valid UTF-8 (byte 0x{raw[err.start]:02x}): save it as UTF-8",
            line,
            column,
        ) from None


def _read(path: str, max_bytes: int) -> bytes:
    """The file's bytes (bounded; FIFOs and devices refused); `LoadFailed` YAML006 when it
    cannot be read, saying why in the user's terms."""
    try:
        return fsutil.read_bounded(path, max_bytes)
    except fsutil.ReadRefused as refused:
        if refused.reason.startswith("is larger"):
            raise _fail(
                path,
                "YAML006",
                f"file {refused.reason}: split the environment over several files",
            ) from None
        raise _fail(
            path,
            "YAML006",
            f"file {refused.reason}: remove it, or exclude it in .imgpolicy.yaml "
            f"(exclude: [{Path(path).as_posix()}])",
        ) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _fail(
                path,
                "YAML006",
                f"file is a symbolic link loop ({' -> '.join(_link_chain(path))}): "
                "point the link at a real file or remove it",
            ) from None
        if os.path.islink(path) and not os.path.exists(path):
            raise _fail(
                path,
                "YAML006",
                f"file is a link to {os.readlink(path)}, which does not "
                "exist: restore the target or remove the link",
            ) from None
        raise _fail(path, "YAML006", f"cannot read file: {err.strerror}") from None


def _link_chain(path: str, limit: int = 8) -> list[str]:
    """`env/a.yaml -> b.yaml -> a.yaml`: the links followed until one comes round again."""
    chain = [Path(path).as_posix()]
    seen = {os.path.abspath(path)}
    current = path
    for _ in range(limit):
        try:
            target = os.readlink(current)
        except OSError:
            break
        current = os.path.join(os.path.dirname(current), target)
        chain.append(target)
        if os.path.abspath(current) in seen:
            break
        seen.add(os.path.abspath(current))
    return chain


def read_source(path: str, *, max_bytes: int = MAX_FILE_BYTES) -> SourceFile | None:
    """The file as an environment file, None when it is not one; `LoadFailed` when broken."""
    raw = _read(path, max_bytes)
    if not _marked(raw):
        return None
    return _parse(path, raw)


def read_member(
    path: str,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    hint: str = "",
    cache: ParseCache | None = None,
) -> SourceFile | None:
    """A file of the environment: its content, None when it holds no data at all (empty
    or comments only); `LoadFailed` when broken, and YAML010 when it does not carry
    `imgpolicy: 1` at its top level. `hint` is its path as `exclude:` would name it; with
    a `cache`, unchanged bytes are not parsed again (`load/cache.py`)."""
    raw = _read(path, max_bytes)
    source = None
    if _marked(raw):  # then seldom blank: a large file is not split into lines for nothing
        source = cache.parse(path, raw, _parse) if cache is not None else _parse(path, raw)
    if source is None:
        if _blank(raw):
            return None
        raise _unmarked(path, raw, hint or Path(path).as_posix())
    return source


_BLANK_LINE = re.compile(rb"[ \t]*(?:#[^\r\n]*)?(?:---|\.\.\.)?[ \t]*")
_TOP_KEY = re.compile(rb"^(['\"]?)([A-Za-z_][\w.-]*)\1[ \t]*:", re.MULTILINE)


def _blank(raw: bytes) -> bool:
    """Whether the file holds no YAML data: blank lines, comments, document markers."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    return all(_BLANK_LINE.fullmatch(line) for line in raw.splitlines())


def _unmarked(path: str, raw: bytes, hint: str) -> LoadFailed:
    """YAML010 for a file without the marker: at a misspelled `imgpolicy` key when there is
    one (did you mean), else at its first line."""
    fix = (
        f"add `imgpolicy: {FORMAT_VERSION}` as the first line, or exclude it in "
        f".imgpolicy.yaml (exclude: [{hint}])"
    )
    keys = [(m.group(2).decode("ascii"), m.start(2)) for m in _TOP_KEY.finditer(raw[: 64 * 1024])]
    names = [k for k, _ in keys]
    close = difflib.get_close_matches("imgpolicy", names, n=1, cutoff=0.7)
    if close and close[0] != "imgpolicy":
        offset = dict(keys)[close[0]]
        line, column = line_column(raw[:offset].decode("utf-8", "replace"))
        return _fail(
            path,
            "YAML010",
            f"not an environment file: top-level key '{close[0]}' is not 'imgpolicy' "
            f"(did you mean 'imgpolicy: {FORMAT_VERSION}'?): correct the marker, or exclude "
            f"the file in .imgpolicy.yaml (exclude: [{hint}])",
            line,
            column,
        )
    return _fail(
        path,
        "YAML010",
        f"not an environment file: no `imgpolicy: {FORMAT_VERSION}` at its top level, so "
        f"nothing in it would be checked: {fix}",
    )


def _parse(path: str, raw: bytes) -> SourceFile | None:
    """Parse a marked file into plain data, positions to follow when needed; None when the
    marker is not at the first document's top level. Anything wrong with it is reported by
    `_parse_positioned`, which builds the positions its message needs."""
    text = _decode(path, raw)
    keys: set[Any] = set()
    try:
        documents = load_data(text, keys=keys)
    except YAMLLoadError as err:
        raise _fail(path, err.code, err.message, err.line, err.column, err.related) from None
    if not documents:
        return None
    first = documents[0]
    if type(first) is not dict or "imgpolicy" not in first:
        return None
    version = first["imgpolicy"]
    if (
        type(version) is not int
        or version != FORMAT_VERSION
        or any(d is not None for d in documents[1:])
    ):
        return _parse_positioned(path, text)  # raises YAML008 at the version or document
    return SourceFile(path, first, LazyPositions(text), text, frozenset(keys))


def _parse_positioned(path: str, text: str) -> SourceFile | None:
    """`_parse` building the positions at once: the slow path, for the errors it reports."""
    try:
        documents = load_documents(text)
    except YAMLLoadError as err:
        raise _fail(path, err.code, err.message, err.line, err.column, err.related) from None
    if not documents:
        return None
    first = documents[0]
    if not isinstance(first.data, dict) or "imgpolicy" not in first.data:
        return None
    if not isinstance(first.pos, MapPos):  # a mapping always has a MapPos
        return None
    _, version_pos = first.pos.keys["imgpolicy"]
    version_span = version_pos if isinstance(version_pos, tuple) else version_pos.span
    extra = [d for d in documents[1:] if d.data is not None]
    if extra:
        second = extra[0].pos
        line = (second.span if not isinstance(second, tuple) else second)[0]
        raise _fail(
            path,
            "YAML008",
            "an imgpolicy file holds one YAML document: move the "
            "document after '---' to a file of its own",
            line,
            1,
        )
    version = first.data["imgpolicy"]
    if type(version) is not int or version != FORMAT_VERSION:  # not True, 1.0 or "1"
        if isinstance(version, str) and version.strip() == str(FORMAT_VERSION):
            fix = f"write it as a number, without quotes: imgpolicy: {FORMAT_VERSION}"
        elif (
            isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
        ):
            fix = (
                f"this imgpolicy reads format {FORMAT_VERSION}; upgrade imgpolicy to read "
                f"format {version}"
            )
        else:
            fix = f"write imgpolicy: {FORMAT_VERSION}"
        raise _fail(
            path,
            "YAML008",
            f"unsupported format version imgpolicy: {show(version)}: {fix}",
            *version_span[:2],
        )
    keys: set[Any] = set()
    mapping_keys(first.data, keys)
    return SourceFile(path, first.data, first.pos, text, frozenset(keys))


def node_at(pos: Pos, loc: tuple) -> Pos:
    """The position node on the path `loc` (or the deepest one that exists)."""
    for part in loc:
        if isinstance(pos, MapPos) and part in pos.keys:
            pos = pos.keys[part][1]
        elif isinstance(pos, SeqPos) and isinstance(part, int) and 0 <= part < len(pos.items):
            pos = pos.items[part]
        else:
            break
    return pos


def locate(pos: Pos, loc: tuple) -> tuple[Span, Span | None]:
    """Span of the deepest node on the path `loc`, and of its key when it is a mapping value.

    A path that leaves the data (a missing key) stops at the last node that exists, which
    is where the user has to add something.
    """
    if isinstance(pos, LazyPositions):
        found = pos.locate(loc)
        if found is not None:
            return found
    key_span = None
    for part in loc:
        if isinstance(pos, MapPos) and part in pos.keys:
            key_span, pos = pos.keys[part]
        elif isinstance(pos, SeqPos) and isinstance(part, int) and 0 <= part < len(pos.items):
            key_span, pos = None, pos.items[part]
        else:
            break
    return (pos if isinstance(pos, tuple) else pos.span), key_span
