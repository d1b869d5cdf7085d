"""A DICOMweb server as an audit source (`dicomweb+http://host/dicom-web`).

- `studies`: QIDO-RS `/studies?StudyDate=...&includefield=ModalitiesInStudy`, paged with
  `limit`/`offset` (an empty page ends it: servers may cap a page below what was asked);
- `headers`: WADO-RS `/studies/{uid}/metadata`, DICOM JSON read by pydicom; bulk data
  (pixel data and any BulkDataURI) is never fetched, private attributes are left out;
- `dose_reports`: QIDO-RS `/instances?SOPClassUID=...` for each radiation dose SR class,
  then each one's metadata (the whole content tree).

DICOMweb does not say who sent a study, so `exchanges` is `Unsupported`. Only GET.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydicom.dataset import Dataset

from ...progress import bar
from ..observed import Exchange, SourceFailed, StudySummary, Unsupported, Window
from ..rdsr import DOSE_SOP_CLASSES
from . import Settings
from .folder import parse_da
from .rest import Rest, keep_element, study_date_query

PAGE = 200
"""Results per QIDO-RS request."""

JSON = "application/dicom+json"
STUDY_UID, SERIES_UID, SOP_UID = "0020000D", "0020000E", "00080018"
STUDY_DATE, MODALITIES = "00080020", "00080061"


class DicomWebSource:
    """A QIDO-RS/WADO-RS server (see the module's docstring)."""

    records_every_association = False  # no exchanges

    def __init__(self, url: str, settings: Settings) -> None:
        self.rest = Rest(url, settings, "DICOMweb")
        self.name = f"dicomweb {self.rest.url}"
        self.notes: list[str] = []

    def exchanges(self, window: Window) -> Iterator[Exchange]:
        raise Unsupported(
            f"{self.name}: DICOMweb does not record who sent a study: give an Orthanc "
            "(orthanc+http://...), a storescp log or audit messages"
        )

    def studies(self, window: Window) -> list[StudySummary]:
        """The studies whose Study Date is in the window, with their modalities."""
        summaries = [
            StudySummary(
                _first(found, STUDY_UID),
                tuple(sorted(_values(found, MODALITIES))),
                parse_da(_first(found, STUDY_DATE)),
                self.name,
            )
            for found in self._qido(
                "/studies", {**study_date_query(window), "includefield": MODALITIES}
            )
        ]
        return sorted((s for s in summaries if s.study_uid), key=lambda s: s.study_uid)

    def headers(self, study: StudySummary) -> list[Dataset]:
        """The study's instances' headers from WADO-RS metadata, by SOP Instance UID."""
        datasets = self._metadata(f"/studies/{study.study_uid}/metadata")
        return sorted(datasets, key=lambda ds: str(ds.get("SOPInstanceUID", "")))

    def dose_reports(self, window: Window) -> Iterator[Dataset]:
        """The radiation dose SRs of the studies in the window, whole."""
        found = sorted(
            (_first(item, STUDY_UID), _first(item, SERIES_UID), _first(item, SOP_UID))
            for sop_class in sorted(DOSE_SOP_CLASSES)
            for item in self._qido(
                "/instances", {**study_date_query(window), "SOPClassUID": sop_class}
            )
        )
        show = bar(f"reading {len(found)} dose reports from {self.name}")
        for done, (study, series, instance) in enumerate(found, 1):
            path = f"/studies/{study}/series/{series}/instances/{instance}/metadata"
            yield from self._metadata(path)
            if show:
                show(done, len(found))

    def _qido(self, path: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Every QIDO-RS result for `query`, page by page."""
        results: list[dict[str, Any]] = []
        while True:
            page = self._json(path, {**query, "limit": PAGE, "offset": len(results)})
            if not page:
                return results
            results.extend(page)

    def _metadata(self, path: str) -> list[Dataset]:
        return [dicom_json_dataset(item) for item in self._json(path, None)]

    def _json(self, path: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
        body = self.rest.get(path, params, accept=JSON)
        try:
            answer = json.loads(body) if body.strip() else []
        except ValueError:
            answer = None
        if not isinstance(answer, list):
            raise SourceFailed(
                f"{self.name}{path}: the answer is not DICOM JSON; is {self.rest.url} the "
                "DICOMweb root (e.g. http://host:8042/dicom-web)?"
            )
        return answer


def dicom_json_dataset(item: dict[str, Any]) -> Dataset:
    """DICOM JSON as a Dataset, without bulk data or private attributes (the same
    headers every source gives)."""
    return Dataset.from_json(_headers_only(item))


def _headers_only(item: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, element in item.items():
        vr = element.get("vr", "UN")
        if "BulkDataURI" in element or not keep_element(int(key, 16), vr):
            continue
        if vr == "SQ" and element.get("Value"):
            element = {**element, "Value": [_headers_only(child) for child in element["Value"]]}
        kept[key] = element
    return kept


def _values(item: dict[str, Any], tag: str) -> list[str]:
    return [str(value) for value in item.get(tag, {}).get("Value", []) if value is not None]


def _first(item: dict[str, Any], tag: str) -> str:
    values = _values(item, tag)
    return values[0] if values else ""
