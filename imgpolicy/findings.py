"""What every check reports: a code, a severity, a message and where it is.

Load errors, schema errors and (later) policy rules all produce `Finding`s, so every
output format handles them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning or info") from None


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A region of a file; lines and columns are 1-based, the end is exclusive."""

    path: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Related:
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding does not count: an inline comment or the baseline, with its reason."""

    kind: str  # "inline" | "baseline"
    reason: str


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    location: Location | None
    related: tuple[Related, ...] = field(default=())
    entity: str = ""
    """What the finding is about, independent of lines: `route:ct-to-pacs`, `ae:CT_1`
    (built by `imgpolicy.identity`)."""
    suppressed: Suppression | None = None
    detail: str = ""
    """What tells this finding apart from others of the same code and entity, in words that
    do not change with dates, counts or wording (a SOP class, a transfer syntax); part of
    its fingerprint (`imgpolicy.identity`), never shown on its own."""
    suppressible: bool = True
    """False for a safety finding that no inline comment or baseline may hide, whether its
    whole rule is a safety rule or only this finding is (lossy mammography in the US)."""

    def sort_key(self) -> tuple:
        loc = self.location
        where = (loc.path, loc.line, loc.column) if loc else ("", 0, 0)
        return (*where, self.code, self.message)
