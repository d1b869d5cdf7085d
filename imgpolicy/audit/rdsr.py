"""Radiation Dose SRs as plain numbers: what `audit dose` compares with the environment.

A dose SR is a tree of content items named by codes (PS3.16): TID 10011 "CT Radiation
Dose" for CT, TID 10001 "Projection X-Ray Radiation Dose" for radiography, fluoroscopy,
angiography and mammography, TID 10021 "Radiopharmaceutical Radiation Dose" (RRDSR) for
NM/PET. `read` walks the tree by concept name codes (DCM scheme), converts each measured
value from its UCUM unit to the unit the environment's reference levels use, and keeps the
header attributes that place the study (date, device, procedure code, description).

Robust by design: these objects come from every vendor's console, so a missing item, an
unknown unit or a malformed value is None (and counted in `unreadable`), never a crash.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydicom.dataset import Dataset
from pydicom.uid import (
    EnhancedXRayRadiationDoseSRStorage,
    RadiopharmaceuticalRadiationDoseSRStorage,
    XRayRadiationDoseSRStorage,
)

# Concept names (DCM, PS3.16 Annex D) the audit reads.
DOSE_SOP_CLASSES = frozenset(
    {
        str(XRayRadiationDoseSRStorage),
        str(EnhancedXRayRadiationDoseSRStorage),
        str(RadiopharmaceuticalRadiationDoseSRStorage),
    }
)
"""The radiation dose SRs a dose audit reads (X-Ray: TID 10001/10011, Enhanced X-Ray,
Radiopharmaceutical); the sources list them by it."""

XRAY_DOSE_REPORT = "113701"
RADIOPHARMACEUTICAL_DOSE_REPORT = "113500"
CT_ACCUMULATED_DOSE_DATA = "113811"
CT_DLP_TOTAL = "113813"
CT_ACQUISITION = "113819"
MEAN_CTDIVOL = "113830"
DLP = "113838"
ACQUISITION_PROTOCOL = "125203"
DAP_TOTAL = "113722"
DOSE_RP_TOTAL = "113725"
FLUORO_TIME_TOTAL = "113730"
ACCUMULATED_AGD = "111637"
ADMINISTERED_ACTIVITY = "113507"
PROCEDURE_REPORTED = "121058"
_MAMMOGRAPHY = {("SCT", "71651007"), ("SRT", "P5-40010")}
"""Procedure reported: Mammography (SNOMED CT, and its legacy SNOMED RT code)."""

_UNITS: dict[str, dict[str, float]] = {
    "mGy": {"mGy": 1, "Gy": 1000, "cGy": 10, "dGy": 100, "uGy": 0.001},
    "mGy*cm": {"mGy.cm": 1, "Gy.cm": 1000, "mGy.mm": 0.1, "cGy.cm": 10},
    "Gy*cm2": {
        "Gy.cm2": 1,
        "Gy.m2": 1e4,
        "dGy.cm2": 0.1,
        "cGy.cm2": 0.01,
        "mGy.cm2": 1e-3,
        "uGy.cm2": 1e-6,
        "mGy.m2": 10,
        "uGy.m2": 1e-2,
    },
    "min": {"min": 1, "s": 1 / 60, "ms": 1 / 60000, "h": 60},
    "MBq": {"MBq": 1, "GBq": 1000, "kBq": 1e-3, "Bq": 1e-6, "mCi": 37, "uCi": 0.037},
}
"""UCUM unit (as Measurement Units Code Sequence gives it) -> factor to the unit the
reference levels use. RDSRs give DAP in Gy.m2 and fluoroscopy time in s; the levels use
Gy*cm2 and minutes."""

UNIT_OF = {
    "ctdivol_mgy": "mGy",
    "dlp_mgy_cm": "mGy*cm",
    "dap_gy_cm2": "Gy*cm2",
    "air_kerma_mgy": "mGy",
    "agd_mgy": "mGy",
    "activity_mbq": "MBq",
    "fluoro_time_min": "min",
}
"""Each metric of model/dose.py's METRICS with the unit its name says."""

_MAX_DEPTH = 32
_MAX_ITEMS = 100_000
"""Bounds on the content tree walked: a real RDSR of a long fluoroscopy case has a few
thousand items, nesting under ten."""

Kind = Literal["ct", "projection", "mammography", "radiopharmaceutical"]


@dataclass(frozen=True)
class Code:
    """A coded entry (procedure code), as `SCHEME:VALUE` matches it."""

    scheme: str
    value: str
    meaning: str = ""


@dataclass(frozen=True)
class CtEvent:
    """One CT irradiation event (TID 10013): the protocol and its dose."""

    protocol: str
    ctdivol_mgy: float | None
    dlp_mgy_cm: float | None


@dataclass(frozen=True)
class DoseReport:
    """What one dose SR says, in plain numbers and the units of model/dose.py's METRICS.

    `metrics` holds the study's figure per metric, the one a reference level is compared
    with: the total DLP; the highest CTDIvol of the irradiation events (the main
    acquisition's, not the sum of localizer and scan); DAP, reference-point air kerma and
    fluoroscopy time summed over the planes; the accumulated AGD of the more exposed breast;
    the administered activity summed over the administrations."""

    kind: Kind
    study_uid: str = ""
    sop_uid: str = ""
    study_date: date | None = None
    modality: str = ""
    """The header's Modality when it names the equipment (not "SR"); else CT, MG or NM from
    the content; "" for a projection report that does not say which (DX, XA or RF)."""
    manufacturer: str = ""
    serial_number: str = ""
    station: str = ""
    sending_ae: str = ""
    """The AE title that sent the object, when the file says (Source AE Title, 0002,0016)."""
    procedure_codes: tuple[Code, ...] = ()
    description: str = ""
    patient_id: str = ""
    accession: str = ""
    patient_age_years: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    accumulated_ctdivol_mgy: float | None = None
    """The sum of the events' CTDIvol: what a CT Dose Check alert value is compared with
    (NEMA XR 25 accumulates over the examination; summing every event is the upper bound)."""
    events: tuple[CtEvent, ...] = ()
    unreadable: tuple[str, ...] = ()
    """Measured values that could not be read (unknown unit, not a number), by concept."""

    @property
    def modalities(self) -> frozenset[str]:
        """The modalities this report can be about (a projection report without a
        Modality: any projection X-ray modality)."""
        if self.modality:
            return frozenset({self.modality})
        if self.kind == "radiopharmaceutical":
            return frozenset({"NM", "PT"})
        return frozenset({"DX", "CR", "XA", "RF", "PX", "IO"})


def read(ds: Dataset) -> DoseReport | None:
    """The dose report in `ds`, or None when `ds` is not a Radiation Dose SR (another SR,
    an image): the caller counts it as skipped."""
    kind = _kind(ds)
    if kind is None:
        return None
    reading = _Reading()
    items = list(_walk(ds))
    codes = {code for code, _item, _path in items}
    if kind == "xray":
        kind = _xray_kind(items, codes)
    metrics: dict[str, float] = {}
    events: list[CtEvent] = []
    accumulated = None
    if kind == "ct":
        events = _ct_events(items, reading)
        total = reading.first(items, CT_DLP_TOTAL, "mGy*cm")
        event_dlps = [e.dlp_mgy_cm for e in events if e.dlp_mgy_cm is not None]
        if total is None and event_dlps:
            total = sum(event_dlps)
        ctdis = [e.ctdivol_mgy for e in events if e.ctdivol_mgy is not None]
        _put(metrics, "dlp_mgy_cm", total)
        _put(metrics, "ctdivol_mgy", max(ctdis) if ctdis else None)
        accumulated = _clean(sum(ctdis)) if ctdis else None
    elif kind == "radiopharmaceutical":
        _put(metrics, "activity_mbq", reading.total(items, ADMINISTERED_ACTIVITY, "MBq"))
    else:
        _put(metrics, "dap_gy_cm2", reading.total(items, DAP_TOTAL, "Gy*cm2"))
        _put(metrics, "air_kerma_mgy", reading.total(items, DOSE_RP_TOTAL, "mGy"))
        _put(metrics, "fluoro_time_min", reading.total(items, FLUORO_TIME_TOTAL, "min"))
        agds = reading.all(items, ACCUMULATED_AGD, "mGy")
        _put(metrics, "agd_mgy", max(agds) if agds else None)
    study_date = _date(_text(ds, "StudyDate")) or _date(_text(ds, "ContentDate"))
    return DoseReport(
        kind=kind,  # type: ignore[arg-type]
        study_uid=_text(ds, "StudyInstanceUID"),
        sop_uid=_text(ds, "SOPInstanceUID"),
        study_date=study_date,
        modality=_modality(ds, kind),
        manufacturer=_text(ds, "Manufacturer"),
        serial_number=_text(ds, "DeviceSerialNumber"),
        station=_text(ds, "StationName"),
        sending_ae=_text(getattr(ds, "file_meta", None), "SourceApplicationEntityTitle"),
        procedure_codes=_procedure_codes(ds),
        description=_text(ds, "StudyDescription"),
        patient_id=_text(ds, "PatientID"),
        accession=_text(ds, "AccessionNumber"),
        patient_age_years=_age(ds, study_date),
        metrics=metrics,
        accumulated_ctdivol_mgy=accumulated,
        events=tuple(events),
        unreadable=tuple(reading.unreadable),
    )


# --- what kind of report ---------------------------------------------------------------


def _kind(ds: Dataset) -> str | None:
    """The kind of dose report: radiopharmaceutical, xray (CT or projection, decided by
    the content), or None for anything else."""
    sop_class = _text(ds, "SOPClassUID")
    title = _concept(ds)
    if sop_class == str(RadiopharmaceuticalRadiationDoseSRStorage) or (
        title == ("DCM", RADIOPHARMACEUTICAL_DOSE_REPORT)
    ):
        return "radiopharmaceutical"
    if sop_class in DOSE_SOP_CLASSES or title == ("DCM", XRAY_DOSE_REPORT):
        return "xray"
    return None


def _xray_kind(items: list, codes: set) -> str:
    """CT (TID 10011: CT accumulated dose data or CT acquisitions), mammography (an
    accumulated AGD, or Procedure reported: Mammography), else projection X-ray."""
    if ("DCM", CT_ACCUMULATED_DOSE_DATA) in codes or ("DCM", CT_ACQUISITION) in codes:
        return "ct"
    if ("DCM", ACCUMULATED_AGD) in codes:
        return "mammography"
    for code, item, _path in items:
        if code == ("DCM", PROCEDURE_REPORTED) and _concept(item, "ConceptCodeSequence") in (
            _MAMMOGRAPHY
        ):
            return "mammography"
    return "projection"


def _modality(ds: Dataset, kind: str) -> str:
    header = _text(ds, "Modality").upper()
    if header and header not in {"SR", "OT", "KO", "DOC"}:
        return header
    return {"ct": "CT", "mammography": "MG", "radiopharmaceutical": ""}.get(kind, "")


# --- the content tree ------------------------------------------------------------------


def _walk(ds: Dataset) -> Iterator[tuple[tuple[str, str] | None, Dataset, tuple]]:
    """Every content item under `ds` as (concept name, item, concept names of its
    ancestors), depth first, within _MAX_DEPTH and _MAX_ITEMS."""
    stack: list[tuple[Dataset, tuple, int]] = [(ds, (), 0)]
    seen = 0
    while stack and seen < _MAX_ITEMS:
        node, path, depth = stack.pop()
        children = _sequence(node, "ContentSequence")
        if depth >= _MAX_DEPTH:
            continue
        for child in reversed(children):
            seen += 1
            stack.append((child, (*path, _concept(node)), depth + 1))
        if depth:
            yield _concept(node), node, path


def _sequence(node: Any, keyword: str) -> list[Dataset]:
    try:
        value = getattr(node, keyword, None)
        return [item for item in value or () if isinstance(item, Dataset)]
    except Exception:
        return []


def _concept(node: Any, keyword: str = "ConceptNameCodeSequence") -> tuple[str, str] | None:
    items = _sequence(node, keyword)
    if not items:
        return None
    return (_text(items[0], "CodingSchemeDesignator").upper(), _text(items[0], "CodeValue"))


class _Reading:
    """Measured values by concept, converted, with what could not be read."""

    def __init__(self) -> None:
        self.unreadable: list[str] = []

    def value(self, item: Dataset, unit: str) -> float | None:
        """The numeric value of a NUM item in `unit`, or None (counted) when it has none
        readable."""
        measured = _sequence(item, "MeasuredValueSequence")
        if not measured:
            return None  # an empty NUM: the value was not measured
        concept = _concept(item)
        name = concept[1] if concept else "?"
        units = _concept(measured[0], "MeasurementUnitsCodeSequence")
        factor = _UNITS[unit].get(units[1] if units else "")
        try:
            number = float(getattr(measured[0], "NumericValue", None))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            number = None
        if factor is None or number is None or number != number or number < 0:
            shown = units[1] if units else "no unit"
            self.unreadable.append(f"{name} ({shown})")
            return None
        return _clean(number * factor)

    def all(self, items: list, code: str, unit: str) -> list[float]:
        found = [self.value(item, unit) for name, item, _ in items if name == ("DCM", code)]
        return [v for v in found if v is not None]

    def first(self, items: list, code: str, unit: str) -> float | None:
        found = self.all(items, code, unit)
        return found[0] if found else None

    def total(self, items: list, code: str, unit: str) -> float | None:
        found = self.all(items, code, unit)
        return sum(found) if found else None


def _ct_events(items: list, reading: _Reading) -> list[CtEvent]:
    """The CT Acquisition containers (TID 10013), in document order."""
    events = []
    for name, item, _path in items:
        if name != ("DCM", CT_ACQUISITION):
            continue
        inner = list(_walk(item))
        protocol = next(
            (_text(i, "TextValue") for n, i, _ in inner if n == ("DCM", ACQUISITION_PROTOCOL)),
            "",
        )
        events.append(
            CtEvent(
                protocol,
                reading.first(inner, MEAN_CTDIVOL, "mGy"),
                reading.first(inner, DLP, "mGy*cm"),
            )
        )
    return events


# --- header attributes -----------------------------------------------------------------


def _text(node: Any, keyword: str) -> str:
    """An attribute as stripped text ("" when absent or unreadable)."""
    if node is None:
        return ""
    try:
        value = getattr(node, keyword, None)
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return str(value).strip()


def _date(text: str) -> date | None:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, IndexError):
        return None


def _age(ds: Dataset, study_date: date | None) -> float | None:
    """The patient's age in years at the study (Patient's Age, else birth date)."""
    age = _text(ds, "PatientAge")
    if len(age) == 4 and age[:3].isdigit() and age[3] in "DWMY":
        per_year = {"D": 365.25, "W": 52.18, "M": 12, "Y": 1}[age[3]]
        return int(age[:3]) / per_year
    born = _date(_text(ds, "PatientBirthDate"))
    if born and study_date and born <= study_date:
        return (study_date - born).days / 365.25
    return None


def _procedure_codes(ds: Dataset) -> tuple[Code, ...]:
    """Procedure Code Sequence, Performed Procedure Code Sequence, and the Requested
    Procedure Code Sequence of the request the SR references (Referenced Request
    Sequence) or of Request Attributes Sequence; deduplicated, in that order."""
    sequences = [
        _sequence(ds, "ProcedureCodeSequence"),
        _sequence(ds, "PerformedProcedureCodeSequence"),
        _sequence(ds, "RequestedProcedureCodeSequence"),
    ]
    for holder in ("ReferencedRequestSequence", "RequestAttributesSequence"):
        for request in _sequence(ds, holder):
            sequences.append(_sequence(request, "RequestedProcedureCodeSequence"))
    codes: list[Code] = []
    for sequence in sequences:
        for item in sequence:
            code = Code(
                _text(item, "CodingSchemeDesignator"),
                _text(item, "CodeValue"),
                _text(item, "CodeMeaning"),
            )
            if code.value and code not in codes:
                codes.append(code)
    return tuple(codes)


def _clean(value: float) -> float:
    """`value` to 12 significant digits: a unit conversion or a sum in binary floating
    point leaves 14.999999999999998 where the report said 15."""
    return float(f"{value:.12g}")


def _put(metrics: dict[str, float], name: str, value: float | None) -> None:
    if value is not None:
        metrics[name] = _clean(value)
