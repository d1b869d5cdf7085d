"""Where observations come from: one module per kind of source, chosen by the spec the
user gives on the command line.

- a folder, or a DICOM file (Part 10): `folder` (headers, dose SRs; exchanges from the
  files' Source/Receiving AE attributes are not trusted, so none);
- `orthanc+http(s)://host:port`: `orthanc`, Orthanc's REST API (exchanges from each
  instance's RemoteAET/CalledAET metadata, studies, headers, dose SRs);
- `dicomweb+http(s)://host/path`: `dicomweb`, QIDO-RS and WADO-RS metadata (studies,
  headers, dose SRs; never pixel data);
- a DCMTK `storescp -v`/`dcmqrscp -v` log: `dcmtk_log` (exchanges, rejections included);
- a file of DICOM audit messages (PS3.15 A.5 XML, or a syslog capture of them):
  `audit_messages` (exchanges).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..observed import Source, SourceFailed, StudySummary, Unsupported, Window

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


@dataclass(frozen=True)
class Settings:
    """How to reach network sources: credentials (from the environment variables the
    command line names, never shown) and the time each request may take."""

    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    """Seconds for each request (connect, answer)."""
    budget: float = 3600.0
    """Seconds for the whole audit's reading, after which it stops with a message."""


class AssociationRecord:
    """A file that records associations and nothing of the studies in them (a DCMTK log,
    DICOM audit messages): every question but `exchanges` says which sources answer it."""

    records_every_association = True  # every association, stored or not, refused or not
    kind = "this file"
    """How messages name it: `a DCMTK log`, `the audit messages`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.notes: list[str] = []

    def _unsupported(self, what: str) -> Unsupported:
        return Unsupported(
            f"{self.name}: {self.kind} records associations, not {what}; give a folder of "
            "DICOM files, orthanc+http://... or dicomweb+http://..."
        )

    def studies(self, window: Window) -> list[StudySummary]:
        raise self._unsupported("studies")

    def headers(self, study: StudySummary) -> list[Dataset]:
        raise self._unsupported("headers")

    def dose_reports(self, window: Window) -> Iterator[Dataset]:
        raise self._unsupported("dose reports")


SCHEMES = {"orthanc+http", "orthanc+https", "dicomweb+http", "dicomweb+https"}


def open_source(spec: str, settings: Settings) -> Source:
    """The source `spec` names (see the module's docstring); SourceFailed with what to
    write instead when it names none."""
    scheme = spec.partition("://")[0].lower() if "://" in spec else ""
    if scheme.startswith("orthanc+"):
        from .orthanc import OrthancSource

        return OrthancSource(spec.split("+", 1)[1], settings)
    if scheme.startswith("dicomweb+"):
        from .dicomweb import DicomWebSource

        return DicomWebSource(spec.split("+", 1)[1], settings)
    if scheme:
        raise SourceFailed(
            f"{spec.split('@')[-1]}: say which server this is: orthanc+{scheme}://... for "
            f"Orthanc's REST API, dicomweb+{scheme}://.../dicom-web for a DICOMweb server"
        )
    return _file_source(Path(spec))


def _file_source(path: Path) -> Source:
    """A folder of DICOM files, or one file judged by its first bytes: Part 10 (`DICM` at
    byte 128), DICOM audit messages (`<AuditMessage`), else a DCMTK log."""
    if path.is_dir():
        from .folder import FolderSource

        return FolderSource(path)
    if not path.exists():
        raise SourceFailed(f"{path}: no such file or folder")
    from ...fsutil import Refused, read_bounded

    try:
        head = read_bounded(str(path), 4096, head=True)
    except (Refused, OSError) as err:
        raise SourceFailed(f"{path}: cannot read it ({err})") from None
    if head[128:132] == b"DICM":
        from .folder import FolderSource

        return FolderSource(path)
    if b"<AuditMessage" in head:
        from .audit_messages import AuditMessageFile

        return AuditMessageFile(path)
    from .dcmtk_log import DcmtkLog

    return DcmtkLog(path)
