"""`imgpolicy audit dose`: the dose the patients received, against what the environment
declares.

Two comparisons, kept apart as model/dose.py keeps them: each exam's *facility median*
(and 75th percentile) against its diagnostic reference level (ICRP Publication 135: a DRL
benchmarks a distribution, never one patient), and *each study* against the CT Dose Check
notification values of its protocol group and the alert values (NEMA XR 25, AAPM Dose
Check Guidelines). Studies map to declared exams by procedure code, then by the
description patterns a level declares, then by a Study Description equal to the exam's
name; the rest are counted, not judged.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase

from .. import dicom, identity
from ..analysis.index import ACQUISITION_KIND, Index
from ..findings import Finding, Location, Severity
from ..model.devices import Device
from ..model.dose import METRICS, RDSR_BY_DEFAULT, NotificationValue, ReferenceLevel, dose_report_of
from . import rdsr
from .observed import Source, Window
from .phi import Identity, study_key
from .result import AuditResult, Figure

MIN_STUDIES = 20
"""Studies an exam needs before its median is judged against the DRL. ICRP Publication
135 asks for the dose of at least 20 patients per exam (preferably 30, and 50 for
mammography) for a facility's median to be compared with a DRL; below that one unusual
patient moves the median, so the audit reports the figures without a verdict."""

PEDIATRIC_BELOW_YEARS = 18
"""A patient younger than this is compared with `patient_category: pediatric` levels,
others (and patients of unknown age) with `adult` ones."""

_NAMES = {
    "ctdivol_mgy": "CTDIvol",
    "dlp_mgy_cm": "DLP",
    "dap_gy_cm2": "DAP",
    "air_kerma_mgy": "air kerma at the reference point",
    "agd_mgy": "average glandular dose",
    "activity_mbq": "administered activity",
    "fluoro_time_min": "fluoroscopy time",
}
_UNITS = {
    "ctdivol_mgy": "mGy",
    "dlp_mgy_cm": "mGy·cm",
    "dap_gy_cm2": "Gy·cm²",
    "air_kerma_mgy": "mGy",
    "agd_mgy": "mGy",
    "activity_mbq": "MBq",
    "fluoro_time_min": "min",
}
_RRDSR_MODALITIES = frozenset({"NM", "PT"})
_LISTED = 10
"""At most this many unmapped descriptions are named in the note."""


@dataclass
class _Study:
    """One study's dose report, with the device that made it when the environment knows it."""

    report: rdsr.DoseReport
    device: Device | None
    where: str

    @property
    def modalities(self) -> frozenset[str]:
        """The report's possible modalities, narrowed by the device's."""
        if self.device:
            narrowed = self.report.modalities & set(self.device.modality)
            if narrowed:
                return frozenset(narrowed)
        return self.report.modalities

    @property
    def site(self) -> str | None:
        return self.device.site if self.device else None


@dataclass
class _Reading:
    """What the sources gave: the reports kept, and what was set aside."""

    studies: list[_Study] = field(default_factory=list)
    skipped: int = 0
    outside: int = 0
    duplicates: int = 0
    unreadable: Counter = field(default_factory=Counter)
    per_source: Counter = field(default_factory=Counter)


def audit(
    index: Index, sources: Sequence[Source], window: Window, *, identity: Identity
) -> AuditResult:
    """Read every source's dose SRs in `window` and judge them against `index`'s reference
    levels, notification values and alert values (module docstring)."""
    result = AuditResult("dose")
    reading = _read(index, sources, window)
    studies = reading.studies
    result.observed = len(studies)
    days = sorted(s.report.study_date for s in studies if s.report.study_date)
    if days:
        result.window = (days[0].isoformat(), days[-1].isoformat())
    result.notes.extend(_reading_notes(reading, result.window))
    for source in sources:
        result.notes.extend(source.notes)  # what a source skipped
    mapped, unmapped, ambiguous = _map(index, studies)
    result.notes.extend(_unmapped_notes(unmapped))
    if ambiguous:
        result.notes.append(
            f"{len(ambiguous)} stud{'ies' if len(ambiguous) != 1 else 'y'} matched more than "
            f"one exam equally and counted for the first declared: {_listed(ambiguous)}. "
            "Make the exams' procedure_codes or descriptions distinct."
        )
    judged = _judge_levels(index, mapped, result)
    for study in studies:
        result.findings.extend(_per_study(index, study, identity))
    result.notes.extend(_unmatched_groups(index, studies))
    missing = _missing_modalities(index, studies, result)
    result.figures.append(_figure(index, judged, missing, result.window))
    result.findings.sort(key=lambda f: f.sort_key())
    return result


# --- reading ---------------------------------------------------------------------------


def _read(index: Index, sources: Sequence[Source], window: Window) -> _Reading:
    """Every dose report in the window, one per study and kind (the largest, when a unit
    re-sends an accumulating report), in a stable order."""
    reading = _Reading()
    kept: dict[tuple[str, str], _Study] = {}
    seen: set[str] = set()
    for source in sources:  # each source shows its own progress: it knows the total
        for ds in source.dose_reports(window):
            report = rdsr.read(ds)
            if report is None:
                reading.skipped += 1
                continue
            if not window.holds(report.study_date):
                reading.outside += 1
                continue
            if report.sop_uid and report.sop_uid in seen:
                continue  # the same object in two sources
            seen.add(report.sop_uid)
            reading.per_source[source.name] += 1
            for value in report.unreadable:
                reading.unreadable[value] += 1
            study = _Study(report, _device(index, report), source.name)
            key = (report.study_uid or report.sop_uid, report.kind)
            if key in kept:
                reading.duplicates += 1
                if _weight(study) <= _weight(kept[key]):
                    continue
            kept[key] = study
    reading.studies = sorted(
        kept.values(),
        key=lambda s: (s.report.study_date or date.min, s.report.study_uid, s.report.sop_uid),
    )
    return reading


def _weight(study: _Study) -> tuple:
    """Which of two reports of one study to keep: the one with more events and dose."""
    report = study.report
    return (len(report.events), sorted(report.metrics.items()), report.sop_uid)


def _device(index: Index, report: rdsr.DoseReport) -> Device | None:
    """The declared device that made the report: by the AE title that sent it, else by a
    Station Name that is one of its AE titles or its name (letter case ignored)."""
    if report.sending_ae and report.sending_ae in index.aes:
        return index.aes[report.sending_ae][0]
    station = report.station.casefold()
    if not station:
        return None
    found = index.aes_folded.get(station)
    if found:
        return found[0][0]
    for device in index.env.devices:
        if device.name.casefold() == station:
            return device
    return None


def _reading_notes(reading: _Reading, window: tuple[str, str] | None) -> list[str]:
    kinds = Counter(_kind_label(s) for s in reading.studies)
    shown = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    sources = ", ".join(reading.per_source) or "the sources"
    period = f" between {window[0]} and {window[1]}" if window else ""
    notes = [
        f"Read {len(reading.studies)} dose report{_s(len(reading.studies))}"
        f"{f' ({shown})' if shown else ''} from {sources}{period}."
    ]
    if reading.skipped:
        notes.append(f"{reading.skipped} SR{_s(reading.skipped)} skipped: not Radiation Dose SRs.")
    if reading.outside:
        notes.append(f"{reading.outside} dose report{_s(reading.outside)} outside the window.")
    if reading.duplicates:
        notes.append(
            f"{reading.duplicates} stud{'ies' if reading.duplicates != 1 else 'y'} had more "
            "than one dose report of a kind; the one with the most events and dose counts."
        )
    if reading.unreadable:
        listed = ", ".join(f"{v} x{n}" for v, n in sorted(reading.unreadable.items()))
        notes.append(
            f"{sum(reading.unreadable.values())} measured value(s) could not be read "
            f"(concept code and unit): {listed}; they count as missing."
        )
    return notes


def _kind_label(study: _Study) -> str:
    """CT, DX...; "projection" for a projection report whose modality is not known."""
    modalities = study.modalities
    return next(iter(modalities)) if len(modalities) == 1 else study.report.kind


# --- mapping studies to declared exams -------------------------------------------------


def _matches_code(declared: str, codes: Iterable[rdsr.Code]) -> bool:
    """`RPID22` matches that code value in any scheme; `RADLEX:RPID22` only in RADLEX."""
    scheme, _, value = declared.rpartition(":")
    return any(
        code.value.casefold() == value.strip().casefold()
        and (not scheme or code.scheme.casefold() == scheme.strip().casefold())
        for code in codes
    )


def _matches_pattern(patterns: Iterable[str], text: str) -> bool:
    folded = text.strip().casefold()
    return bool(folded) and any(fnmatchcase(folded, p.strip().casefold()) for p in patterns)


def _tier(entry: ReferenceLevel | NotificationValue, study: _Study) -> int:
    """How well a study matches a declared exam: 3 by procedure code, 2 by a description
    pattern, 1 by a description equal to the exam's name, 0 not at all (or another
    modality)."""
    if entry.modality not in study.modalities:
        return 0
    report = study.report
    if any(_matches_code(c, report.procedure_codes) for c in entry.procedure_codes):
        return 3
    if _matches_pattern(entry.descriptions, report.description):
        return 2
    if report.description.strip().casefold() == entry.exam.strip().casefold():
        return 1
    return 0


def _best(entries: Sequence, study: _Study) -> list:
    """The entries `study` matches best (all of one tier), in declaration order."""
    tiers = [_tier(entry, study) for entry in entries]
    top = max(tiers, default=0)
    return [e for e, t in zip(entries, tiers, strict=True) if t and t == top]


def _category(study: _Study) -> str:
    age = study.report.patient_age_years
    return "pediatric" if age is not None and age < PEDIATRIC_BELOW_YEARS else "adult"


def _level_for(study: _Study, levels: list[ReferenceLevel]) -> ReferenceLevel | None:
    """Among one exam's levels, the one for the study's patient category and site (a
    level for the device's site before one for every site)."""
    category = _category(study)
    fitting = [lv for lv in levels if lv.patient_category.strip().casefold() == category]
    for level in fitting:
        if level.site is not None and level.site == study.site:
            return level
    return next((lv for lv in fitting if lv.site is None), None)


def _map(
    index: Index, studies: list[_Study]
) -> tuple[dict[int, list[_Study]], list[str], list[str]]:
    """Studies per reference level (by the level's id); why the others found none (their
    descriptions, or the exam and category that has no level); and the descriptions of
    studies that matched several exams equally well (the first declared counts). The exam
    is decided first, then its level for the patient's category and the device's site,
    so an exam's pediatric level need not repeat the adult level's codes and patterns."""
    levels = index.env.reference_levels
    mapped: dict[int, list[_Study]] = {id(level): [] for level in levels}
    unmapped: list[str] = []
    ambiguous: list[str] = []
    for study in studies:
        best = _best(levels, study)
        if not best:
            unmapped.append(study.report.description or "(no description)")
            continue
        exam = _exam_key(best[0])
        if len({_exam_key(lv) for lv in best}) > 1:
            ambiguous.append(study.report.description or "(no description)")
        same_exam = [lv for lv in levels if _exam_key(lv) == exam]
        level = _level_for(study, same_exam)
        if level is None:
            where = f" at {study.site}" if study.site else ""
            unmapped.append(f"{best[0].exam}: no level for {_category(study)} patients{where}")
            continue
        mapped[id(level)].append(study)
    return mapped, unmapped, ambiguous


def _exam_key(entry: ReferenceLevel | NotificationValue) -> tuple[str, str]:
    return (entry.modality, entry.exam.strip().casefold())


def _unmapped_notes(unmapped: list[str]) -> list[str]:
    if not unmapped:
        return []
    return [
        f"{len(unmapped)} stud{'ies' if len(unmapped) != 1 else 'y'} matched no declared "
        f"reference level and {'were' if len(unmapped) != 1 else 'was'} not compared: "
        f"{_listed(unmapped)}. Declare their exams' procedure_codes or descriptions on "
        "dose.reference_levels to include them."
    ]


def _listed(texts: list[str]) -> str:
    """`'CT KNEE' x2; 'XR HAND' x1`: the most frequent first, at most _LISTED."""
    counts = sorted(Counter(texts).items(), key=lambda item: (-item[1], item[0]))
    listed = "; ".join(f"{what!r} x{n}" for what, n in counts[:_LISTED])
    return listed + (f"; and {len(counts) - _LISTED} more" if len(counts) > _LISTED else "")


# --- the facility median against the DRL -----------------------------------------------


@dataclass(frozen=True)
class _Judged:
    """What the levels showed, for the figure."""

    exceeded: int
    short: list[str]
    """Levels with fewer than MIN_STUDIES studies (or none) for a metric."""
    compared: int


def _judge_levels(index: Index, mapped: dict[int, list[_Study]], result: AuditResult) -> _Judged:
    exceeded = compared = 0
    short: list[str] = []
    empty: list[str] = []
    series: list[dict] = []
    for level in index.env.reference_levels:
        label = _level_label(level)
        for metric in METRICS:
            drl = getattr(level, metric)
            if drl is None:
                continue
            values = sorted(
                s.report.metrics[metric] for s in mapped[id(level)] if metric in s.report.metrics
            )
            median = statistics.median(values) if values else None
            p75 = _p75(values)
            series.append(
                {
                    "exam": label,
                    "metric": metric,
                    "unit": rdsr.UNIT_OF[metric],
                    "drl": drl,
                    "values_sorted": [_round(v) for v in values],
                    "median": _round(median),
                    "p75": _round(p75),
                    "n": len(values),
                }
            )
            if len(values) < MIN_STUDIES:
                short.append(f"{label} {_NAMES[metric]}")
                if values:
                    result.notes.append(_too_few(label, metric, values, median, drl))
                else:
                    empty.append(f"{label} ({_NAMES[metric]})")
                continue
            compared += 1
            if median is not None and median > drl:
                exceeded += 1
                result.findings.append(_above_drl(index, level, metric, values, median, p75))
    if empty:
        result.notes.append(
            f"{len(empty)} reference level{_s(len(empty))} had no study in the sources to "
            f"compare with: {', '.join(empty)}."
        )
    result.data["dose"] = series
    return _Judged(exceeded, short, compared)


def _p75(values: list[float]) -> float | None:
    """The 75th percentile (inclusive method: within the observed range), None below two."""
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=4, method="inclusive")[2]


def _round(value: float | None) -> float | None:
    """Six significant digits: unit conversions leave 11.999999999999998 behind."""
    return None if value is None else float(f"{value:.6g}")


def _level_label(level: ReferenceLevel) -> str:
    """The exam as the report names it: `CT head`, `CT head (pediatric)`, `... at MAIN`."""
    label = level.exam
    if level.patient_category.strip().casefold() != "adult":
        label += f" ({level.patient_category})"
    if level.site:
        label += f" at {level.site}"
    return label


def _amount(metric: str, value: float) -> str:
    return f"{_round(value):g} {_UNITS[metric]}"


def _too_few(label: str, metric: str, values: list[float], median, drl: float) -> str:
    return (
        f"{label}: {len(values)} stud{'ies' if len(values) != 1 else 'y'} reporting "
        f"{_NAMES[metric]}, fewer than the {MIN_STUDIES} a facility median needs (ICRP 135): "
        f"median {_amount(metric, median)} against the DRL of {_amount(metric, drl)}, no "
        "verdict."
    )


def _above_drl(
    index: Index,
    level: ReferenceLevel,
    metric: str,
    values: list[float],
    median: float,
    p75: float | None,
) -> Finding:
    drl = getattr(level, metric)
    source = ""
    if level.source:
        source = f" ({level.source}{f', {level.edition}' if level.edition else ''})"
    p75_text = f"; 75th percentile {_amount(metric, p75)}" if p75 is not None else ""
    return Finding(
        "AUDIT040",
        Severity.WARNING,
        f"{_level_label(level)}: the facility median {_NAMES[metric]} of {len(values)} "
        f"studies is {_amount(metric, median)}, above the DRL of {_amount(metric, drl)}"
        f"{source}{p75_text}: review the protocol and the "
        "technique with the medical physicist (ICRP 135: a median above the DRL calls for "
        "an investigation)",
        _where(index, level, metric),
        entity=identity.entity("drl", f"{level.modality}:{level.exam}"),
        detail=f"{level.patient_category}@{level.site or '*'} {metric}",
    )


def _where(index: Index, item: object, metric: str) -> Location | None:
    try:
        return index.where(item, metric)
    except (KeyError, LookupError):
        return None


# --- single studies against the CT Dose Check values -----------------------------------


def _per_study(index: Index, study: _Study, who: Identity) -> list[Finding]:
    """A CT study's events above its protocol group's notification values, and its
    accumulated dose above the alert values."""
    report = study.report
    if report.kind != "ct":
        return []
    findings = []
    groups = index.env.notification_values
    study_groups = _best(groups, study)
    for metric in ("ctdivol_mgy", "dlp_mgy_cm"):
        worst: tuple[float, rdsr.CtEvent, NotificationValue] | None = None
        for event in report.events:
            value = getattr(event, metric)
            if value is None:
                continue
            for group in _groups_of(event, groups, study_groups):
                limit = getattr(group, metric)
                above = value - limit if limit is not None else 0
                if above > 0 and (worst is None or above > worst[0]):
                    worst = (above, event, group)
        if worst:
            _, event, group = worst
            findings.append(_above_notification(index, study, metric, event, group, who))
    alert = index.env.dose_alert_values
    if alert is not None:
        totals = {
            "ctdivol_mgy": report.accumulated_ctdivol_mgy,
            "dlp_mgy_cm": report.metrics.get("dlp_mgy_cm"),
        }
        for metric, total in totals.items():
            limit = getattr(alert, metric)
            if limit is not None and total is not None and total > limit:
                findings.append(_above_alert(index, study, metric, total, limit, who))
    return findings


def _unmatched_groups(index: Index, studies: list[_Study]) -> list[str]:
    """A note naming the notification values no CT event was judged against: a protocol
    group whose exam name no study description or protocol matches never alerts, and the
    audit must say so rather than pass in silence."""
    groups = index.env.notification_values
    used: set[int] = set()
    for study in studies:
        if study.report.kind == "ct":
            study_groups = _best(groups, study)
            for event in study.report.events:
                used.update(id(g) for g in _groups_of(event, groups, study_groups))
    unused = [g.exam for g in groups if id(g) not in used]
    if not unused or not studies:
        return []
    return [
        f"{len(unused)} CT Dose Check notification value{_s(len(unused))} matched no CT "
        f"study, so no study was compared with {'it' if len(unused) == 1 else 'them'}: "
        f"{', '.join(unused)}. Give them `descriptions:` (patterns of Study Description or "
        "protocol name) or `procedure_codes:` as the studies carry them."
    ]


def _groups_of(
    event: rdsr.CtEvent, groups: list[NotificationValue], study_groups: list
) -> list[NotificationValue]:
    """The protocol groups an irradiation event belongs to: those whose descriptions match
    its acquisition protocol (or whose exam is its name), else the study's."""
    own = [
        g
        for g in groups
        if _matches_pattern(g.descriptions, event.protocol)
        or (event.protocol and event.protocol.strip().casefold() == g.exam.strip().casefold())
    ]
    return own or study_groups


def _study_ref(study: _Study, who: Identity) -> str:
    """The study as the team finds it in the archive: date, device, masked UID."""
    report = study.report
    day = report.study_date.isoformat() if report.study_date else "an unknown date"
    if study.device:
        device = f"'{study.device.name}'"
    else:
        parts = [p for p in (report.station, report.manufacturer, report.serial_number) if p]
        device = f"station {' '.join(parts)}" if parts else "an unknown device"
    patient = f", patient {who.patient_id(report.patient_id)}" if who.show else ""
    return f"study {who.study(report.study_uid)} of {day} on {device}{patient}"


def _stable(study: _Study, metric: str) -> str:
    """A finding's detail: the masked study UID (never its identity) and the metric."""
    return f"{study_key(study.report.study_uid)} {metric}"


def _above_notification(
    index: Index,
    study: _Study,
    metric: str,
    event: rdsr.CtEvent,
    group: NotificationValue,
    who: Identity,
) -> Finding:
    value, limit = getattr(event, metric), getattr(group, metric)
    protocol = f" in the acquisition '{event.protocol}'" if event.protocol else ""
    return Finding(
        "AUDIT041",
        Severity.WARNING,
        f"{_study_ref(study, who)}: {_NAMES[metric]} {_amount(metric, value)}{protocol} is "
        f"above the notification value of {_amount(metric, limit)} for the protocol group "
        f"'{group.exam}': check that the console warned and why the scan went ahead (a "
        "large patient, a repeated series), and record the reason (NEMA XR 25, AAPM Dose "
        "Check Guidelines)",
        _where(index, group, metric),
        entity=identity.entity("notification", f"{group.modality}:{group.exam}"),
        detail=_stable(study, metric),
    )


def _above_alert(
    index: Index, study: _Study, metric: str, total: float, limit: float, who: Identity
) -> Finding:
    what = "accumulated CTDIvol (sum of the acquisitions)" if metric == "ctdivol_mgy" else "DLP"
    origin = index.env.dose_alert_values_origin
    return Finding(
        "AUDIT042",
        Severity.ERROR,
        f"{_study_ref(study, who)}: {what} {_amount(metric, total)} is above the alert value "
        f"of {_amount(metric, limit)}: the medical physicist reviews the examination and "
        "the patient's follow-up (skin dose), and the protocol (NEMA XR 25, AAPM Dose "
        "Check Guidelines)",
        index.result.location_of(origin, metric) if origin else None,
        entity=identity.entity("dose-alert", metric),
        detail=_stable(study, metric),
    )


# --- who should send reports, and the figure -------------------------------------------


def _expected(index: Index) -> dict[str, tuple[Device, int]]:
    """Modality -> the first acquisition device (and the modality's position) whose exams
    should get a dose report of that modality: `rdsr` for its X-ray modalities, `rrdsr`
    for NM/PET."""
    expected: dict[str, tuple[Device, int]] = {}
    for device in index.env.devices:
        if device.kind != ACQUISITION_KIND:
            continue
        reports = dose_report_of(device)
        for i, modality in enumerate(device.modality):
            if modality not in dicom.DOSE_EMITTING_MODALITIES:
                continue
            if modality in _RRDSR_MODALITIES:
                wanted = "rrdsr" in reports
            else:
                wanted = "rdsr" in reports and (
                    modality in RDSR_BY_DEFAULT or device.dose_report is not None
                )
            if wanted:
                expected.setdefault(modality, (device, i))
    return expected


def _missing_modalities(index: Index, studies: list[_Study], result: AuditResult) -> list[str]:
    """The modalities that should have dose reports and had none (AUDIT043)."""
    found: set[str] = set()
    for study in studies:
        found |= study.modalities
    period = f" between {result.window[0]} and {result.window[1]}" if result.window else ""
    missing = []
    for modality, (device, i) in sorted(_expected(index).items()):
        if modality in found:
            continue
        missing.append(modality)
        kind = "Radiopharmaceutical" if modality in _RRDSR_MODALITIES else "X-Ray"
        result.findings.append(
            Finding(
                "AUDIT043",
                Severity.WARNING,
                f"no {kind} Radiation Dose SR of a {modality} exam was found in the "
                f"sources{period}, though {_maker(index, device, modality)}",
                _device_where(index, device, i),
                entity=identity.entity("modality", modality),
                detail="no-dose-reports",
            )
        )
    return missing


def _maker(index: Index, device: Device, modality: str) -> str:
    """Who should make the missing reports, and what to check: the hot-lab system that
    `dose.rrdsr_source` names for NM and PET (IHE REM-NM: the camera does not know the
    activity), else the modality's devices."""
    source = index.env.dose_rrdsr_source
    if modality in _RRDSR_MODALITIES and source:
        return (
            f"'{device.name}' and the other {modality} devices' exams should get one from "
            f"'{source}' (dose.rrdsr_source): check that system's RRDSR export and its "
            "route to the archive or dose monitor"
        )
    return (
        f"'{device.name}' and other {modality} devices should make one for every exam: "
        "check the unit's dose report export and its route to the archive or dose "
        "monitor, or set dose_report: none on a device that cannot make one"
    )


def _device_where(index: Index, device: Device, i: int) -> Location | None:
    try:
        return index.where(device, "modality", i)
    except (KeyError, LookupError):
        return index.where(device)


def _figure(
    index: Index, judged: _Judged, missing: list[str], window: tuple[str, str] | None
) -> Figure:
    """The checklist's "Dose monitoring is operational with DRL alerts configured": met
    when every modality that should make dose reports did, every declared level had at
    least MIN_STUDIES studies per metric, and no facility median exceeds its DRL; not met
    when a median exceeds, a modality sent none, or no DRL is declared; no verdict when
    only the number of studies falls short."""
    levels = len(index.env.reference_levels)
    period = f" ({window[0]} to {window[1]})" if window else ""
    if not levels:
        return Figure(
            "dose-monitoring",
            False,
            f"No diagnostic reference level is declared (dose.reference_levels){period}: "
            "nothing to compare the facility's doses with.",
            0,
        )
    problems = []
    if judged.exceeded:
        problems.append(f"{judged.exceeded} facility median{_s(judged.exceeded)} above the DRL")
    if missing:
        problems.append(f"no dose reports from {', '.join(missing)}")
    compared = (
        f"{judged.compared} exam metric{_s(judged.compared)} compared with "
        f"{levels} DRL{_s(levels)}{period}"
    )
    if problems:
        return Figure(
            "dose-monitoring", False, f"{'; '.join(problems)}; {compared}.", judged.exceeded
        )
    if judged.short:
        return Figure(
            "dose-monitoring",
            None,
            f"No facility median above its DRL, but {len(judged.short)} exam "
            f"metric{_s(len(judged.short))} had fewer than {MIN_STUDIES} studies (no "
            f"verdict): {', '.join(judged.short[:_LISTED])}; {compared}.",
            0,
        )
    return Figure(
        "dose-monitoring",
        True,
        f"No facility median above its DRL, and dose reports from every modality that "
        f"makes them; {compared}, each with at least {MIN_STUDIES} studies.",
        0,
    )


def _s(n: int) -> str:
    return "" if n == 1 else "s"
