"""What the sources observed, in one vocabulary every audit reads.

A source (a folder of DICOM files, an Orthanc over REST, a DICOMweb server, a DCMTK log,
a file of DICOM audit messages) turns what it holds into these records; an audit never
reads a source's own format. Records carry no more patient identity than the audit needs:
`Exchange` none at all; headers come as pydicom Datasets without pixel data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from ..findings import Location

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


@dataclass(frozen=True)
class Window:
    """The period an audit looks at (`--since`, `--until`), both ends included; None: open."""

    since: date | None = None
    until: date | None = None

    def holds(self, day: date | None) -> bool:
        """Whether `day` is in the window (an unknown day is: the source could not say)."""
        if day is None:
            return True
        return (self.since is None or self.since <= day) and (
            self.until is None or day <= self.until
        )


@dataclass(frozen=True)
class Exchange:
    """One observed DICOM exchange between two AEs: an association request (accepted or
    rejected) or objects transferred in one. For storage, `calling_ae` sent and
    `called_ae` received."""

    calling_ae: str
    called_ae: str
    when: datetime | None = None
    host: str = ""
    """The caller's address as the receiver saw it."""
    accepted: bool = True
    cause: str = ""
    """Why the association was rejected or the transfer failed, as the source words it
    (e.g. "called AE title not recognized", "no acceptable presentation context")."""
    study_uid: str = ""
    sop_class: str = ""
    modality: str = ""
    objects: int = 0
    """Instances transferred (0: an association with no transfer seen, or unknown)."""
    where: str = ""
    """Which source said so (a URL without credentials, a file)."""
    location: Location | None = None
    """The line of the log or message file, when the source is a file."""


@dataclass(frozen=True)
class StudySummary:
    """A study as a study list shows it (QIDO-RS, Orthanc /studies, a folder): enough to
    sample by modality and date before any header is read."""

    study_uid: str
    modalities: tuple[str, ...] = ()
    study_date: date | None = None
    where: str = ""


class Source(Protocol):
    """What an audit asks of a source. A source that cannot answer a question (a log has
    no headers) raises `Unsupported` with a message that says which sources can."""

    name: str
    """How reports name the source: a path, or a URL without credentials."""
    notes: list[str]
    """What the source skipped or could not tell, for the report's notes."""
    records_every_association: bool
    """Whether its exchanges include associations that stored nothing (queries, move
    requests, echoes, refusals): a DCMTK log or audit messages do; Orthanc's REST API
    knows only the instances it stored, so silence there proves nothing of a query AE."""

    def exchanges(self, window: Window) -> Iterator[Exchange]: ...

    def studies(self, window: Window) -> list[StudySummary]: ...

    def headers(self, study: StudySummary) -> list[Dataset]:
        """The study's instances' headers (no pixel data), sorted by SOP Instance UID."""
        ...

    def dose_reports(self, window: Window) -> Iterator[Dataset]:
        """The Radiation Dose SRs (X-Ray, Enhanced X-Ray, Radiopharmaceutical) stored in
        the period, whole (content tree included; they have no pixel data)."""
        ...


class Unsupported(Exception):
    """A source asked for what it does not hold (headers from a log)."""


class SourceFailed(Exception):
    """A source that cannot be read (refused, timed out, not DICOM): the message names the
    source and says what to do; the CLI exits 2 with it."""
