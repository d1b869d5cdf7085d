"""What an Orthanc's DICOM server accepts, per Orthanc version: transfer syntaxes and
storage SOP classes.

Orthanc's C-STORE SCP does not accept "everything pydicom knows". It accepts:

- transfer syntaxes: its own list (`DicomTransferSyntaxes.json` in Orthanc's sources),
  filtered by `AcceptedTransferSyntaxes` (Orthanc >= 1.9.0; its wildcards are matched
  against that list only) and the `...TransferSyntaxAccepted` group options, and then only
  those its DCMTK can negotiate (`LookupDcmtkTransferSyntax`): RFC 2557 MIME encapsulation
  and XML encoding are in the list, and in `/tools/accepted-transfer-syntaxes`, but DCMTK
  has no transfer syntax for them, so no association ever accepts them. Before 1.9.0 the
  three uncompressed syntaxes are always accepted and each group option (default true)
  adds its group; the MPEG-4 group exists since 1.6.0, H.265 since 1.9.0.
- storage SOP classes: `dcmAllStorageSOPClassUIDs` of the DCMTK it is linked with (plus
  any SOP class with `UnknownSopClassAccepted`), so they depend on that DCMTK's version.

The table was read from Orthanc's sources up to 1.12.4 (June 2024; its transfer syntax
list did not change from 1.9.0 until December 2025) and from DCMTK's release tags
(`scripts/orthanc_tables.py` regenerates `DCMTK_STORAGE`). Orthanc's mainline then added
JPEG XL (December 2025) and HTJ2K (April 2026) transfer syntaxes, for builds with DCMTK
3.6.9 or later; no release that has them is in this table, so an Orthanc newer than
`NEWEST` is read as `NEWEST` and the import says so (over `--url`, the server's own list
is used instead).

Which DCMTK: the version Orthanc's official static builds of that release use
(`DCMTK_STATIC_VERSION` in `OrthancFrameworkParameters.cmake`). A distribution build may
link a newer DCMTK (Debian 12: Orthanc 1.10.1 with DCMTK 3.6.7, where the static build
has 3.6.6); DCMTK only adds storage SOP classes between releases (since 3.6.2), so the
official build's list is what that Orthanc accepts at least.

When the version is not known (a configuration file says nothing about it), the import
uses `NEWEST` for the transfer syntaxes (unchanged since 1.9.0) and the storage SOP
classes of `UNKNOWN_VERSION_DCMTK`, the oldest DCMTK of any Orthanc >= 1.9.0 build, which
every such Orthanc accepts: claiming a SOP class the server rejects would make routes
pass `check` that fail on the wire (and `imgpolicy probe` report it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

Version = tuple[int, int, int]

NEWEST: Version = (1, 12, 4)
"""The newest Orthanc release this table was checked against."""
ACCEPTED_OPTION_SINCE: Version = (1, 9, 0)
"""`AcceptedTransferSyntaxes` (and `/tools/accepted-transfer-syntaxes`) exist since 1.9.0."""
UNKNOWN_VERSION_DCMTK = "3.6.6"


@dataclass(frozen=True, slots=True)
class Syntax:
    """One entry of Orthanc's transfer syntax list."""

    uid: str
    group: str | None
    """The `...TransferSyntaxAccepted` option that adds or removes it; None: uncompressed."""
    since: Version
    """The first Orthanc whose SCP can accept it."""
    negotiable: bool = True
    """False: in Orthanc's list but DCMTK has no such transfer syntax, so never accepted."""


def _group(option: str, since: Version, *uids: str) -> list[Syntax]:
    return [Syntax(uid, option, since) for uid in uids]


_TS = "1.2.840.10008.1.2"
SYNTAXES: tuple[Syntax, ...] = (
    Syntax(_TS, None, (0, 0, 0)),
    Syntax(f"{_TS}.1", None, (0, 0, 0)),
    *_group("DeflatedTransferSyntaxAccepted", (0, 7, 2), f"{_TS}.1.99"),
    Syntax(f"{_TS}.2", None, (0, 0, 0)),
    *_group(
        "JpegTransferSyntaxAccepted",
        (0, 7, 2),
        *(f"{_TS}.4.{n}" for n in (*range(50, 67), 70)),
    ),
    *_group("JpegLosslessTransferSyntaxAccepted", (0, 7, 2), f"{_TS}.4.80", f"{_TS}.4.81"),
    *_group("Jpeg2000TransferSyntaxAccepted", (0, 7, 2), *(f"{_TS}.4.{n}" for n in range(90, 94))),
    *_group("JpipTransferSyntaxAccepted", (0, 7, 2), f"{_TS}.4.94", f"{_TS}.4.95"),
    *_group("Mpeg2TransferSyntaxAccepted", (0, 7, 2), f"{_TS}.4.100", f"{_TS}.4.101"),
    *_group("Mpeg4TransferSyntaxAccepted", (1, 6, 0), *(f"{_TS}.4.{n}" for n in range(102, 107))),
    *_group("H265TransferSyntaxAccepted", (1, 9, 0), f"{_TS}.4.107", f"{_TS}.4.108"),
    *_group("RleTransferSyntaxAccepted", (0, 7, 2), f"{_TS}.5"),
    Syntax(f"{_TS}.6.1", None, (1, 9, 0), negotiable=False),  # RFC 2557 MIME encapsulation
    Syntax(f"{_TS}.6.2", None, (1, 9, 0), negotiable=False),  # XML encoding
)
"""Orthanc's `DicomTransferSyntaxes.json` (42 entries since 1.9.0) and the groups of
`GetTransferSyntaxGroup` ("JpegLossless" is JPEG-LS there)."""

GROUP_OPTIONS: dict[str, Version] = {}
for _syntax in SYNTAXES:
    if _syntax.group:
        GROUP_OPTIONS.setdefault(_syntax.group, _syntax.since)
NEVER_NEGOTIATED = frozenset(s.uid for s in SYNTAXES if not s.negotiable)

OFFICIAL_DCMTK: tuple[tuple[Version, str], ...] = (
    ((0, 0, 0), "3.6.0"),
    ((1, 5, 5), "3.6.4"),
    ((1, 6, 0), "3.6.5"),
    ((1, 9, 0), "3.6.6"),
    ((1, 11, 2), "3.6.7"),
    ((1, 12, 3), "3.6.8"),
)
"""From this Orthanc release on, its static builds use this DCMTK (before 1.5.5 the
builds used 3.6.0 or 3.6.2: 3.6.0, the smaller list, is assumed)."""


def parse_version(text: str) -> Version | None:
    """`1.10.1`, `1.12` or `1.9.7-r123` as a tuple; None for anything else ("mainline")."""
    match = re.fullmatch(r"\s*(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?(?:[-+~.][\w.+~-]*)?\s*", text)
    if not match:
        return None
    return (int(match[1]), int(match[2]), int(match[3] or 0))


def show(version: Version) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True)
class Profile:
    """What one Orthanc version accepts; `version` None: not known (see the module)."""

    version: Version | None

    @property
    def table_version(self) -> Version:
        """The row of the table used: the version, capped at `NEWEST`."""
        return min(self.version or NEWEST, NEWEST)

    @property
    def dcmtk(self) -> str:
        if self.version is None:
            return UNKNOWN_VERSION_DCMTK
        return [dcmtk for since, dcmtk in OFFICIAL_DCMTK if since <= self.version][-1]

    @property
    def has_accepted_option(self) -> bool:
        return self.table_version >= ACCEPTED_OPTION_SINCE

    def known(self) -> list[str]:
        """Orthanc's list for this version, what `AcceptedTransferSyntaxes` patterns
        and its default ("all") are matched against."""
        return [s.uid for s in SYNTAXES if s.since <= self.table_version]

    def groups(self) -> dict[str, list[str]]:
        """The group options this version reads -> their transfer syntaxes."""
        found: dict[str, list[str]] = {}
        for syntax in SYNTAXES:
            if syntax.group and syntax.since <= self.table_version:
                found.setdefault(syntax.group, []).append(syntax.uid)
        return found

    def default_accepted(self) -> list[str]:
        """What this version accepts when no transfer syntax option is set."""
        if self.has_accepted_option:
            return self.known()
        return [s.uid for s in SYNTAXES if s.since <= self.table_version and s.negotiable]

    def storage_sop_classes(self) -> frozenset[str]:
        return dcmtk_storage(self.dcmtk)

    def describe(self) -> str:
        """The version as the header says it, with the table row and DCMTK used."""
        if self.version is None:
            return (
                f"Orthanc's version is not known (give --orthanc-version): transfer syntaxes "
                f"of Orthanc {show(NEWEST)} (the same since 1.9.0), storage SOP classes of "
                f"DCMTK {self.dcmtk}, which every Orthanc since 1.9.0 accepts"
            )
        text = f"Orthanc {show(self.version)}"
        if self.version > NEWEST:
            text += (
                f" (newer than this table, read as {show(NEWEST)}: later Orthancs may also "
                "accept JPEG XL and HTJ2K; import over --url for the server's own list)"
            )
        return f"{text}, storage SOP classes of DCMTK {self.dcmtk} (its official build's)"


def matcher(pattern: str) -> re.Pattern[str]:
    """Orthanc's wildcard (`Toolbox::WildcardToRegularExpression`), matched against the
    whole UID: `*` any run of characters, dots included, `?` one character."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def dcmtk_releases() -> list[str]:
    return list(DCMTK_STORAGE)


@cache
def dcmtk_storage(release: str) -> frozenset[str]:
    """`dcmAllStorageSOPClassUIDs` of one DCMTK release (retired classes included)."""
    uids: set[str] = set()
    for name, (added, removed) in DCMTK_STORAGE.items():
        uids = (uids | set(added)) - set(removed)
        if name == release:
            return frozenset(uids)
    raise KeyError(release)


# --- generated by scripts/orthanc_tables.py from DCMTK's release tags -------------------
# Each release: (storage SOP classes it adds, those it removes) relative to the one above.

DCMTK_STORAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "3.6.0": (  # 119 storage SOP classes
        (
            "1.2.840.10008.5.1.1.27",
            "1.2.840.10008.5.1.1.29",
            "1.2.840.10008.5.1.1.30",
            "1.2.840.10008.5.1.4.1.1.1",
            "1.2.840.10008.5.1.4.1.1.1.1",
            "1.2.840.10008.5.1.4.1.1.1.1.1",
            "1.2.840.10008.5.1.4.1.1.1.2",
            "1.2.840.10008.5.1.4.1.1.1.2.1",
            "1.2.840.10008.5.1.4.1.1.1.3",
            "1.2.840.10008.5.1.4.1.1.1.3.1",
            "1.2.840.10008.5.1.4.1.1.2",
            "1.2.840.10008.5.1.4.1.1.2.1",
            "1.2.840.10008.5.1.4.1.1.3",
            "1.2.840.10008.5.1.4.1.1.3.1",
            "1.2.840.10008.5.1.4.1.1.4",
            "1.2.840.10008.5.1.4.1.1.4.1",
            "1.2.840.10008.5.1.4.1.1.4.2",
            "1.2.840.10008.5.1.4.1.1.4.3",
            "1.2.840.10008.5.1.4.1.1.5",
            "1.2.840.10008.5.1.4.1.1.6",
            "1.2.840.10008.5.1.4.1.1.6.1",
            "1.2.840.10008.5.1.4.1.1.6.2",
            "1.2.840.10008.5.1.4.1.1.7",
            "1.2.840.10008.5.1.4.1.1.7.1",
            "1.2.840.10008.5.1.4.1.1.7.2",
            "1.2.840.10008.5.1.4.1.1.7.3",
            "1.2.840.10008.5.1.4.1.1.7.4",
            "1.2.840.10008.5.1.4.1.1.8",
            "1.2.840.10008.5.1.4.1.1.9",
            "1.2.840.10008.5.1.4.1.1.9.1",
            "1.2.840.10008.5.1.4.1.1.9.1.1",
            "1.2.840.10008.5.1.4.1.1.9.1.2",
            "1.2.840.10008.5.1.4.1.1.9.1.3",
            "1.2.840.10008.5.1.4.1.1.9.2.1",
            "1.2.840.10008.5.1.4.1.1.9.3.1",
            "1.2.840.10008.5.1.4.1.1.9.4.1",
            "1.2.840.10008.5.1.4.1.1.9.4.2",
            "1.2.840.10008.5.1.4.1.1.9.5.1",
            "1.2.840.10008.5.1.4.1.1.9.6.1",
            "1.2.840.10008.5.1.4.1.1.10",
            "1.2.840.10008.5.1.4.1.1.11",
            "1.2.840.10008.5.1.4.1.1.11.1",
            "1.2.840.10008.5.1.4.1.1.11.2",
            "1.2.840.10008.5.1.4.1.1.11.3",
            "1.2.840.10008.5.1.4.1.1.11.4",
            "1.2.840.10008.5.1.4.1.1.11.5",
            "1.2.840.10008.5.1.4.1.1.12.1",
            "1.2.840.10008.5.1.4.1.1.12.1.1",
            "1.2.840.10008.5.1.4.1.1.12.2",
            "1.2.840.10008.5.1.4.1.1.12.2.1",
            "1.2.840.10008.5.1.4.1.1.12.3",
            "1.2.840.10008.5.1.4.1.1.13.1.1",
            "1.2.840.10008.5.1.4.1.1.13.1.2",
            "1.2.840.10008.5.1.4.1.1.13.1.3",
            "1.2.840.10008.5.1.4.1.1.20",
            "1.2.840.10008.5.1.4.1.1.66",
            "1.2.840.10008.5.1.4.1.1.66.1",
            "1.2.840.10008.5.1.4.1.1.66.2",
            "1.2.840.10008.5.1.4.1.1.66.3",
            "1.2.840.10008.5.1.4.1.1.66.4",
            "1.2.840.10008.5.1.4.1.1.66.5",
            "1.2.840.10008.5.1.4.1.1.67",
            "1.2.840.10008.5.1.4.1.1.77.1",
            "1.2.840.10008.5.1.4.1.1.77.1.1",
            "1.2.840.10008.5.1.4.1.1.77.1.1.1",
            "1.2.840.10008.5.1.4.1.1.77.1.2",
            "1.2.840.10008.5.1.4.1.1.77.1.2.1",
            "1.2.840.10008.5.1.4.1.1.77.1.3",
            "1.2.840.10008.5.1.4.1.1.77.1.4",
            "1.2.840.10008.5.1.4.1.1.77.1.4.1",
            "1.2.840.10008.5.1.4.1.1.77.1.5.1",
            "1.2.840.10008.5.1.4.1.1.77.1.5.2",
            "1.2.840.10008.5.1.4.1.1.77.1.5.3",
            "1.2.840.10008.5.1.4.1.1.77.1.5.4",
            "1.2.840.10008.5.1.4.1.1.77.1.6",
            "1.2.840.10008.5.1.4.1.1.77.2",
            "1.2.840.10008.5.1.4.1.1.78.1",
            "1.2.840.10008.5.1.4.1.1.78.2",
            "1.2.840.10008.5.1.4.1.1.78.3",
            "1.2.840.10008.5.1.4.1.1.78.4",
            "1.2.840.10008.5.1.4.1.1.78.5",
            "1.2.840.10008.5.1.4.1.1.78.6",
            "1.2.840.10008.5.1.4.1.1.78.7",
            "1.2.840.10008.5.1.4.1.1.78.8",
            "1.2.840.10008.5.1.4.1.1.79.1",
            "1.2.840.10008.5.1.4.1.1.80.1",
            "1.2.840.10008.5.1.4.1.1.88.1",
            "1.2.840.10008.5.1.4.1.1.88.2",
            "1.2.840.10008.5.1.4.1.1.88.3",
            "1.2.840.10008.5.1.4.1.1.88.4",
            "1.2.840.10008.5.1.4.1.1.88.11",
            "1.2.840.10008.5.1.4.1.1.88.22",
            "1.2.840.10008.5.1.4.1.1.88.33",
            "1.2.840.10008.5.1.4.1.1.88.40",
            "1.2.840.10008.5.1.4.1.1.88.50",
            "1.2.840.10008.5.1.4.1.1.88.59",
            "1.2.840.10008.5.1.4.1.1.88.65",
            "1.2.840.10008.5.1.4.1.1.88.67",
            "1.2.840.10008.5.1.4.1.1.88.69",
            "1.2.840.10008.5.1.4.1.1.88.70",
            "1.2.840.10008.5.1.4.1.1.104.1",
            "1.2.840.10008.5.1.4.1.1.104.2",
            "1.2.840.10008.5.1.4.1.1.128",
            "1.2.840.10008.5.1.4.1.1.129",
            "1.2.840.10008.5.1.4.1.1.130",
            "1.2.840.10008.5.1.4.1.1.131",
            "1.2.840.10008.5.1.4.1.1.481.1",
            "1.2.840.10008.5.1.4.1.1.481.2",
            "1.2.840.10008.5.1.4.1.1.481.3",
            "1.2.840.10008.5.1.4.1.1.481.4",
            "1.2.840.10008.5.1.4.1.1.481.5",
            "1.2.840.10008.5.1.4.1.1.481.6",
            "1.2.840.10008.5.1.4.1.1.481.7",
            "1.2.840.10008.5.1.4.1.1.481.8",
            "1.2.840.10008.5.1.4.1.1.481.9",
            "1.2.840.10008.5.1.4.34.1",
            "1.2.840.10008.5.1.4.43.1",
            "1.2.840.10008.5.1.4.44.1",
            "1.2.840.10008.5.1.4.45.1",
        ),
        (),
    ),
    "3.6.2": (  # 158 storage SOP classes
        (
            "1.2.840.10008.5.1.4.1.1.2.2",
            "1.2.840.10008.5.1.4.1.1.4.4",
            "1.2.840.10008.5.1.4.1.1.11.6",
            "1.2.840.10008.5.1.4.1.1.11.7",
            "1.2.840.10008.5.1.4.1.1.11.8",
            "1.2.840.10008.5.1.4.1.1.11.9",
            "1.2.840.10008.5.1.4.1.1.11.10",
            "1.2.840.10008.5.1.4.1.1.11.11",
            "1.2.840.10008.5.1.4.1.1.13.1.4",
            "1.2.840.10008.5.1.4.1.1.13.1.5",
            "1.2.840.10008.5.1.4.1.1.14.1",
            "1.2.840.10008.5.1.4.1.1.14.2",
            "1.2.840.10008.5.1.4.1.1.30",
            "1.2.840.10008.5.1.4.1.1.66.6",
            "1.2.840.10008.5.1.4.1.1.68.1",
            "1.2.840.10008.5.1.4.1.1.68.2",
            "1.2.840.10008.5.1.4.1.1.77.1.5.5",
            "1.2.840.10008.5.1.4.1.1.77.1.5.6",
            "1.2.840.10008.5.1.4.1.1.77.1.5.7",
            "1.2.840.10008.5.1.4.1.1.77.1.5.8",
            "1.2.840.10008.5.1.4.1.1.81.1",
            "1.2.840.10008.5.1.4.1.1.82.1",
            "1.2.840.10008.5.1.4.1.1.88.34",
            "1.2.840.10008.5.1.4.1.1.88.35",
            "1.2.840.10008.5.1.4.1.1.88.68",
            "1.2.840.10008.5.1.4.1.1.88.71",
            "1.2.840.10008.5.1.4.1.1.88.72",
            "1.2.840.10008.5.1.4.1.1.88.73",
            "1.2.840.10008.5.1.4.1.1.90.1",
            "1.2.840.10008.5.1.4.1.1.128.1",
            "1.2.840.10008.5.1.4.1.1.200.2",
            "1.2.840.10008.5.1.4.1.1.501.1",
            "1.2.840.10008.5.1.4.1.1.501.2.1",
            "1.2.840.10008.5.1.4.1.1.501.2.2",
            "1.2.840.10008.5.1.4.1.1.501.3",
            "1.2.840.10008.5.1.4.1.1.501.4",
            "1.2.840.10008.5.1.4.1.1.501.5",
            "1.2.840.10008.5.1.4.1.1.501.6",
            "1.2.840.10008.5.1.4.1.1.601.1",
            "1.2.840.10008.5.1.4.1.1.601.2",
            "1.2.840.10008.5.1.4.34.7",
            "1.2.840.10008.5.1.4.34.10",
        ),
        (
            "1.2.840.10008.5.1.4.43.1",
            "1.2.840.10008.5.1.4.44.1",
            "1.2.840.10008.5.1.4.45.1",
        ),
    ),
    "3.6.4": (  # 159 storage SOP classes
        ("1.2.840.10008.5.1.4.1.1.104.3",),
        (),
    ),
    "3.6.5": (  # 165 storage SOP classes
        (
            "1.2.840.10008.5.1.4.1.1.88.74",
            "1.2.840.10008.5.1.4.1.1.88.75",
            "1.2.840.10008.5.1.4.1.1.481.10",
            "1.2.840.10008.5.1.4.1.1.481.11",
            "1.2.840.10008.5.1.4.1.1.481.12",
            "1.2.840.10008.5.1.4.1.1.481.13",
        ),
        (),
    ),
    "3.6.6": (  # 181 storage SOP classes
        (
            "1.2.840.10008.5.1.4.1.1.9.6.2",
            "1.2.840.10008.5.1.4.1.1.9.7.1",
            "1.2.840.10008.5.1.4.1.1.9.7.2",
            "1.2.840.10008.5.1.4.1.1.9.7.3",
            "1.2.840.10008.5.1.4.1.1.9.7.4",
            "1.2.840.10008.5.1.4.1.1.9.8.1",
            "1.2.840.10008.5.1.4.1.1.77.1.7",
            "1.2.840.10008.5.1.4.1.1.104.4",
            "1.2.840.10008.5.1.4.1.1.104.5",
            "1.2.840.10008.5.1.4.1.1.481.14",
            "1.2.840.10008.5.1.4.1.1.481.15",
            "1.2.840.10008.5.1.4.1.1.481.16",
            "1.2.840.10008.5.1.4.1.1.481.17",
            "1.2.840.10008.5.1.4.1.1.481.18",
            "1.2.840.10008.5.1.4.1.1.481.19",
            "1.2.840.10008.5.1.4.1.1.481.20",
        ),
        (),
    ),
    "3.6.7": (  # 186 storage SOP classes
        (
            "1.2.840.10008.5.1.4.1.1.88.76",
            "1.2.840.10008.5.1.4.1.1.91.1",
            "1.2.840.10008.5.1.4.1.1.200.8",
            "1.2.840.10008.5.1.4.1.1.481.21",
            "1.2.840.10008.5.1.4.1.1.481.22",
        ),
        (),
    ),
    "3.6.8": (  # 192 storage SOP classes
        (
            "1.2.840.10008.5.1.4.1.1.6.3",
            "1.2.840.10008.5.1.4.1.1.9.1.4",
            "1.2.840.10008.5.1.4.1.1.11.12",
            "1.2.840.10008.5.1.4.1.1.481.23",
            "1.2.840.10008.5.1.4.1.1.481.24",
            "1.2.840.10008.5.1.4.1.1.481.25",
        ),
        (),
    ),
    "3.6.9": (  # 199 storage SOP classes
        (
            "1.2.840.10008.5.1.4.1.1.66.7",
            "1.2.840.10008.5.1.4.1.1.66.8",
            "1.2.840.10008.5.1.4.1.1.77.1.8",
            "1.2.840.10008.5.1.4.1.1.77.1.9",
            "1.2.840.10008.5.1.4.1.1.88.77",
            "1.2.840.10008.5.1.4.1.1.601.3",
            "1.2.840.10008.5.1.4.1.1.601.4",
        ),
        (),
    ),
}
