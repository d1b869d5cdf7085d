"""A folder of DICOM files (or one Part 10 file) as an audit source.

The folder is walked once, in sorted order, reading of each file only the few attributes
that place it (Study Instance UID, Study Date, Modality, SOP Class); headers and dose SRs
are read when asked for, never pixel data. Files that are not DICOM, not regular files
(FIFOs, devices) or larger than `MAX_FILE` are skipped and counted in `notes`.

A file does not record who sent it (its Source/Receiving AE attributes, when present, are
written by whoever wrote it and are not evidence of an association), so `exchanges`
is `Unsupported`.
"""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from ...progress import bar
from ..observed import (
    Exchange,
    SourceFailed,
    StudySummary,
    Unsupported,
    Window,
)
from ..rdsr import DOSE_SOP_CLASSES

MAX_FILE = 2 * 2**30
"""Files larger than this are skipped (a header is read without the pixel data, but a
file this large is not an image worth the wait of an audit)."""

_PLACE = ["StudyInstanceUID", "StudyDate", "Modality", "SOPClassUID", "SOPInstanceUID"]


@dataclass(frozen=True)
class _File:
    """Where one DICOM file belongs."""

    path: Path
    study_uid: str
    study_date: date | None
    modality: str
    sop_class: str


class FolderSource:
    """DICOM files under a folder, or one file (see the module's docstring)."""

    records_every_association = False  # no exchanges

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.notes: list[str] = []
        self._files: list[_File] | None = None

    def exchanges(self, window: Window) -> Iterator[Exchange]:
        raise Unsupported(
            f"{self.name}: a folder of files does not record who sent them: give an "
            "Orthanc (orthanc+http://...), a storescp log or audit messages"
        )

    def studies(self, window: Window) -> list[StudySummary]:
        """The studies whose Study Date is in the window (or unknown), sorted by UID."""
        grouped: dict[str, list[_File]] = defaultdict(list)
        for item in self._index():
            grouped[item.study_uid].append(item)
        summaries = []
        for uid, items in sorted(grouped.items()):
            day = next((item.study_date for item in items if item.study_date), None)
            if window.holds(day):
                modalities = tuple(sorted({item.modality for item in items if item.modality}))
                summaries.append(StudySummary(uid, modalities, day, self.name))
        return summaries

    def headers(self, study: StudySummary) -> list[Dataset]:
        """The study's files' headers, without pixel data, sorted by SOP Instance UID."""
        datasets = []
        for item in self._index():
            if item.study_uid == study.study_uid:
                datasets.append(self._read(item.path, pixels=False))
        return sorted(datasets, key=lambda ds: str(ds.get("SOPInstanceUID", "")))

    def dose_reports(self, window: Window) -> Iterator[Dataset]:
        """The radiation dose SRs whose Study Date is in the window, whole, by path."""
        for item in self._index():
            if item.sop_class in DOSE_SOP_CLASSES and window.holds(item.study_date):
                yield self._read(item.path, pixels=True)

    def _read(self, path: Path, *, pixels: bool) -> Dataset:
        try:
            return dcmread(path, stop_before_pixels=not pixels)
        except (OSError, InvalidDicomError, ValueError, EOFError) as err:
            raise SourceFailed(f"{path}: cannot read it as DICOM any more ({err})") from None

    def _index(self) -> list[_File]:
        """Every DICOM file, where it belongs: read once, in sorted order."""
        if self._files is None:
            paths = self._paths()
            show = bar(f"reading {len(paths)} files under {self.name}")
            files: list[_File] = []
            skipped: dict[str, int] = defaultdict(int)
            for done, path in enumerate(paths, 1):
                found = _place(path)
                if isinstance(found, str):
                    skipped[found] += 1
                elif found.study_uid:
                    files.append(found)
                else:
                    skipped["without a Study Instance UID"] += 1
                if show:
                    show(done, len(paths))
            for why, count in sorted(skipped.items()):
                self.notes.append(f"Skipped {count} files under {self.name}: {why}")
            self._files = files
        return self._files

    def _paths(self) -> list[Path]:
        """The files to look at, sorted; symbolic links to folders are not followed."""
        if not self.path.is_dir():
            return [self.path]
        found: list[Path] = []
        errors: list[OSError] = []
        for root, dirs, names in os.walk(self.path, onerror=errors.append):
            dirs.sort()
            found.extend(Path(root) / name for name in sorted(names))
        if errors and not found:
            raise SourceFailed(f"{self.name}: cannot read the folder ({errors[0]})")
        return found


def _place(path: Path) -> _File | str:
    """Where a file belongs, or why it is skipped."""
    try:
        info = path.stat()
    except OSError:
        return "unreadable"
    if not stat.S_ISREG(info.st_mode):
        return "not regular files (FIFOs, devices, sockets)"
    if info.st_size > MAX_FILE:
        return f"larger than {MAX_FILE // 2**30} GiB"
    try:
        ds = dcmread(path, stop_before_pixels=True, specific_tags=_PLACE)
    except PermissionError:
        return "unreadable"
    except (OSError, InvalidDicomError, ValueError, EOFError, AttributeError):
        return "not DICOM files"
    return _File(
        path,
        str(ds.get("StudyInstanceUID", "") or ""),
        parse_da(str(ds.get("StudyDate", "") or "")),
        str(ds.get("Modality", "") or ""),
        str(ds.get("SOPClassUID", "") or ""),
    )


def parse_da(text: str) -> date | None:
    """A DICOM DA (YYYYMMDD) as a date; None when empty or not a date."""
    text = text.strip()
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None
