"""Orthanc's REST API as an audit source (`orthanc+http://host:8042`).

Orthanc records, for every instance it receives over DICOM, who sent it: the metadata
`RemoteAET`, `CalledAET`, `RemoteIP` and `ReceptionDate`. That makes an Orthanc (or the
Orthanc in front of a PACS) a record of the traffic, not only of the studies:

- `exchanges`: the change log (`/changes`, paged by sequence number, the start of the
  window found by bisection, reading stops at its end: reception dates only grow) gives
  the instances received in the window; each instance's metadata says who sent it. One
  `Exchange` per (study, series, calling AE, called AE, caller's address) with the count
  of objects. Instances that did not come over DICOM (uploaded through REST, made by a
  plugin) have no calling AE and are counted in `notes`, not as exchanges.
- `studies`: `/tools/find` at study and series level (paged: `Since`/`Limit`), with the
  window as a Study Date range (a study without a Study Date is listed only without
  --since/--until, as every PACS query works).
- `headers`: `/instances/{id}/tags`, turned into a pydicom Dataset with the VRs of the
  DICOM dictionary; pixel data is never read (private attributes and values Orthanc
  leaves out of that answer, longer than it shows, are not part of the headers).
- `dose_reports`: the SR series' instances whose SOP Class (metadata `SopClassUid`) is a
  radiation dose SR, whole (`/instances/{id}/file`; an SR has no pixel data).

Only GET, and POST to /tools/find (a query). The URL is shown without credentials.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from pydicom import dcmread
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from ...progress import bar
from ..observed import Exchange, SourceFailed, StudySummary, Window
from ..rdsr import DOSE_SOP_CLASSES
from . import Settings
from .folder import parse_da
from .rest import Rest, keep_element, study_date_query

PAGE = 500
"""Resources per request when paging through /changes and /tools/find."""

NUMBERS = {
    "US": int,
    "SS": int,
    "UL": int,
    "SL": int,
    "UV": int,
    "SV": int,
    "FL": float,
    "FD": float,
}
SINGLE_VALUED = frozenset({"LT", "ST", "UT", "UR"})
"""Text VRs whose backslash is text, not a value separator."""


class OrthancSource:
    """An Orthanc read through its REST API (see the module's docstring)."""

    records_every_association = False  # only the instances it stored

    def __init__(self, url: str, settings: Settings) -> None:
        self.rest = Rest(url, settings, "Orthanc")
        self.name = f"orthanc {self.rest.url}"
        self.notes: list[str] = []
        self._study_ids: dict[str, str] = {}
        self._series: dict[str, dict[str, Any]] = {}
        self._studies: dict[str, str] = {}

    # --- exchanges -------------------------------------------------------------------

    def exchanges(self, window: Window) -> Iterator[Exchange]:
        """Who sent what in the window, from each received instance's metadata."""
        received = self._received(window)
        show = bar(f"reading {len(received)} instances' senders from {self.name}")
        groups: dict[tuple[str, str, str, str, str], list[tuple[datetime | None, str, str]]]
        groups = defaultdict(list)
        no_caller = 0
        for done, instance in enumerate(received, 1):
            sender = self._sender(instance)
            if show:
                show(done, len(received))
            if sender is None:
                continue
            meta, series = sender
            calling = meta.get("RemoteAET", "")
            if not calling:
                no_caller += 1
                continue
            key = (
                series["study_uid"],
                series["series_uid"],
                calling,
                meta.get("CalledAET", ""),
                meta.get("RemoteIP", ""),
            )
            when = _datetime(meta.get("ReceptionDate", ""))
            groups[key].append((when, meta.get("SopClassUid", ""), series["modality"]))
        if no_caller:
            self.notes.append(
                f"{no_caller} instances in {self.name} did not come over DICOM (no calling "
                "AE recorded): not counted as traffic"
            )
        exchanges = [self._exchange(key, rows) for key, rows in groups.items()]
        exchanges.sort(
            key=lambda e: (e.when or datetime.min, e.study_uid, e.calling_ae, e.called_ae)
        )
        yield from exchanges

    def _exchange(
        self, key: tuple[str, str, str, str, str], rows: list[tuple[datetime | None, str, str]]
    ) -> Exchange:
        """One series sent by one caller to one called AE: the first reception, the
        commonest SOP class."""
        study_uid, _series_uid, calling, called, host = key
        times = [when for when, _, _ in rows if when is not None]
        classes = Counter(sop for _, sop, _ in rows if sop)
        return Exchange(
            calling_ae=calling,
            called_ae=called,
            when=min(times) if times else None,
            host=host,
            study_uid=study_uid,
            sop_class=min(classes, key=lambda c: (-classes[c], c)) if classes else "",
            modality=rows[0][2],
            objects=len(rows),
            where=self.name,
        )

    def _received(self, window: Window) -> list[str]:
        """The IDs of the instances received in the window, in reception order."""
        since = self._first_change(window.since) if window.since else 0
        found: list[str] = []
        while True:
            page = self.rest.get_json("/changes", {"since": since, "limit": PAGE})
            for change in page.get("Changes", []):
                day = _datetime(change.get("Date", ""))
                if window.until and day and day.date() > window.until:
                    return found
                if change.get("ChangeType") == "NewInstance" and window.holds(
                    day.date() if day else None
                ):
                    found.append(change["ID"])
            if page.get("Done", True) or page.get("Last", since) <= since:
                return found
            since = page["Last"]

    def _first_change(self, day: date) -> int:
        """The sequence number after which the changes of `day` and later start: a
        bisection over the change log, whose dates only grow."""
        last = int(self.rest.get_json("/changes", {"last": ""}).get("Last", 0))
        low, high = 0, last
        while low < high:
            middle = (low + high) // 2
            changes = self.rest.get_json("/changes", {"since": middle, "limit": 1}).get(
                "Changes", []
            )
            when = _datetime(changes[0].get("Date", "")) if changes else None
            if changes and when is not None and when.date() < day:
                low = int(changes[0]["Seq"])
            else:
                high = middle
        return low

    def _sender(self, instance: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """An instance's metadata and its series (None: deleted since it was listed)."""
        try:
            info = self.rest.get_json(f"/instances/{instance}")
            meta = self.rest.get_json(f"/instances/{instance}/metadata", {"expand": ""})
        except SourceFailed as err:
            if "HTTP 404" in str(err):
                return None
            raise
        return meta, self._series_of(info["ParentSeries"])

    def _series_of(self, series_id: str) -> dict[str, str]:
        """A series' UIDs and modality, each series and study asked for once."""
        if series_id not in self._series:
            series = self.rest.get_json(f"/series/{series_id}")
            study_id = series["ParentStudy"]
            if study_id not in self._studies:
                study = self.rest.get_json(f"/studies/{study_id}")
                self._studies[study_id] = study["MainDicomTags"].get("StudyInstanceUID", "")
            tags = series.get("MainDicomTags", {})
            self._series[series_id] = {
                "study_uid": self._studies[study_id],
                "series_uid": tags.get("SeriesInstanceUID", ""),
                "modality": tags.get("Modality", ""),
            }
        return self._series[series_id]

    # --- studies and headers -----------------------------------------------------------

    def studies(self, window: Window) -> list[StudySummary]:
        """The studies whose Study Date is in the window, with their series' modalities."""
        query = study_date_query(window)
        modalities: dict[str, set[str]] = defaultdict(set)
        for series in self._find("Series", query):
            modality = series.get("MainDicomTags", {}).get("Modality")
            if modality:
                modalities[series["ParentStudy"]].add(modality)
        summaries = []
        for study in self._find("Study", query):
            tags = study.get("MainDicomTags", {})
            uid = tags.get("StudyInstanceUID", "")
            self._study_ids[uid] = study["ID"]
            summaries.append(
                StudySummary(
                    uid,
                    tuple(sorted(modalities.get(study["ID"], ()))),
                    parse_da(tags.get("StudyDate", "")),
                    self.name,
                )
            )
        return sorted(summaries, key=lambda s: s.study_uid)

    def _find(self, level: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Every resource at `level` matching `query`, page by page (an empty page ends
        it: a server may cap a page below what was asked for)."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.rest.post_json(
                "/tools/find",
                {
                    "Level": level,
                    "Query": query,
                    "Expand": True,
                    "Since": len(found),
                    "Limit": PAGE,
                },
            )
            if not page:
                return found
            found.extend(page)

    def headers(self, study: StudySummary) -> list[Dataset]:
        """Every instance's attributes (no pixel data), sorted by SOP Instance UID."""
        study_id = self._study_ids.get(study.study_uid) or self._lookup(study.study_uid)
        if study_id is None:
            return []
        datasets = [
            orthanc_dataset(self.rest.get_json(f"/instances/{instance['ID']}/tags"))
            for instance in self.rest.get_json(f"/studies/{study_id}/instances")
        ]
        return sorted(datasets, key=lambda ds: str(ds.get("SOPInstanceUID", "")))

    def _lookup(self, study_uid: str) -> str | None:
        """Orthanc's ID of a study, by its Study Instance UID."""
        found = self.rest.post_json(
            "/tools/find", {"Level": "Study", "Query": {"StudyInstanceUID": study_uid}}
        )
        return str(found[0]) if found else None

    # --- dose ----------------------------------------------------------------------------

    def dose_reports(self, window: Window) -> Iterator[Dataset]:
        """The radiation dose SRs of the studies in the window, whole."""
        query = {**study_date_query(window), "Modality": "SR"}
        instances = sorted(
            instance
            for series in self._find("Series", query)
            for instance in series.get("Instances", [])
        )
        show = bar(f"looking for dose reports among {len(instances)} SR objects")
        for done, instance in enumerate(instances, 1):
            meta = self.rest.get_json(f"/instances/{instance}/metadata", {"expand": ""})
            if meta.get("SopClassUid") in DOSE_SOP_CLASSES:
                yield self._file(instance)
            if show:
                show(done, len(instances))

    def _file(self, instance: str) -> Dataset:
        body = self.rest.get(f"/instances/{instance}/file", accept="application/dicom")
        try:
            return dcmread(io.BytesIO(body))
        except (InvalidDicomError, ValueError, EOFError) as err:
            raise SourceFailed(
                f"{self.name}/instances/{instance}/file: not a readable DICOM file ({err})"
            ) from None


def orthanc_dataset(tags: dict[str, Any]) -> Dataset:
    """Orthanc's /tags answer (values as text, UTF-8, without VRs) as a pydicom Dataset
    with the VRs of the DICOM dictionary. Private and bulk attributes, and values Orthanc
    did not include (TooLong), are left out."""
    ds = Dataset()
    for key, entry in sorted(tags.items()):
        group, element = key.split(",")
        tag = Tag(int(group, 16), int(element, 16))
        try:
            vr = _choose_vr(dictionary_VR(tag), str(entry.get("Value") or ""))
        except KeyError:
            continue
        if not keep_element(tag, vr) or vr == "AT":
            continue
        kind = entry.get("Type")
        if kind == "Sequence":
            value: Any = Sequence([orthanc_dataset(item) for item in entry.get("Value") or []])
        elif kind == "Null":
            value = None
        elif kind == "String":
            value = _value(vr, entry.get("Value") or "")
        else:
            continue
        ds.add(DataElement(tag, vr, value))
    return ds


def _choose_vr(vr: str, text: str) -> str:
    """The VR of an attribute the dictionary gives two ("US or SS"): the signed one when
    a value is negative (the file said so; Orthanc's text does not)."""
    if " or " not in vr:
        return vr
    choices = vr.split(" or ")
    if "-" in text and len(choices) == 2 and choices[1] in NUMBERS:
        return choices[1]
    return choices[0]


def _value(vr: str, text: str) -> Any:
    """One attribute's value from Orthanc's text: numbers for binary numeric VRs, a list
    when it holds several values."""
    if text == "":
        return None
    if vr in SINGLE_VALUED:
        return text
    parts = text.split("\\")
    if vr in NUMBERS:
        try:
            numbers = [NUMBERS[vr](part) for part in parts if part != ""]
        except ValueError:
            return None
        return numbers[0] if len(numbers) == 1 else numbers
    return parts[0] if len(parts) == 1 else parts


def _datetime(text: str) -> datetime | None:
    """Orthanc's `20261129T191045` (its local time), None when absent or malformed."""
    try:
        return datetime.strptime(text[:15], "%Y%m%dT%H%M%S")
    except ValueError:
        return None
