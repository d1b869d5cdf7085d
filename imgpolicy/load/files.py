"""Which files make up an environment, and reading each one safely.

A file belongs to the environment when its top level has `imgpolicy: 1`; other YAML in
the repository (CI configs, Helm charts...) is left alone, so a hook can run on a whole
repo. A cheap byte search for `imgpolicy:` at the start of a line decides which files are
worth parsing at all.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import FORMAT_VERSION
from ..findings import Finding, Location, Related, Severity
from ..model.types import show
from .yaml12 import MapPos, Pos, SeqPos, Span, YAMLLoadError, line_column, load_documents

MAX_FILE_BYTES = 16 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
_MARKER = re.compile(rb"(?:^|\r|\A\xef\xbb\xbf)imgpolicy[ \t]*:", re.MULTILINE)
_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_WIDE_BOMS = (*_UTF32_BOMS, b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One environment file: its data (a mapping) and the positions of every node."""

    path: str
    data: dict[str, Any]
    pos: MapPos
    text: str


class LoadFailed(Exception):
    """A file that cannot be used; `finding` says where and why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def discover(paths: Iterable[str]) -> Iterator[str]:
    """Every YAML file under `paths`, in a stable order; hidden folders are skipped."""
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            found = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(folder, f) for f in files if f.endswith(YAML_SUFFIXES))
            candidates = sorted(found)
        else:
            candidates = [path]
        for candidate in candidates:
            shown = Path(candidate).as_posix()
            if shown not in seen:
                seen.add(shown)
                yield shown


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


def read_source(path: str, *, max_bytes: int = MAX_FILE_BYTES) -> SourceFile | None:
    """The file as an environment file, None when it is not one; `LoadFailed` when broken."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as err:
        if os.path.islink(path) and not os.path.exists(path):
            raise _fail(
                path,
                "YAML006",
                f"file is a link to {os.readlink(path)}, which does not "
                "exist: restore the target or remove the link",
            ) from None
        raise _fail(path, "YAML006", f"cannot read file: {err.strerror}") from None
    if len(raw) > max_bytes:
        raise _fail(
            path,
            "YAML006",
            f"file is larger than {max_bytes // (1024 * 1024)} MiB: "
            "split the environment over several files",
        )
    if not _marked(raw):
        return None
    text = _decode(path, raw)
    try:
        documents = load_documents(text)
    except YAMLLoadError as err:
        raise _fail(path, err.code, err.message, err.line, err.column, err.related) from None
    if not documents:
        return None
    first = documents[0]
    if not isinstance(first.data, dict) or "imgpolicy" not in first.data:
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
    return SourceFile(path, first.data, first.pos, text)


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
    key_span = None
    for part in loc:
        if isinstance(pos, MapPos) and part in pos.keys:
            key_span, pos = pos.keys[part]
        elif isinstance(pos, SeqPos) and isinstance(part, int) and 0 <= part < len(pos.items):
            key_span, pos = None, pos.items[part]
        else:
            break
    return (pos if isinstance(pos, tuple) else pos.span), key_span
