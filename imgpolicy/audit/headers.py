"""`imgpolicy audit headers`: sample studies and judge their DICOM headers against the
environment (and the RIS orders, when given).

The practice guide's metadata audit: "sample 100 studies across modalities and verify:
Patient ID matches EHR MRN, patient name format is consistent, Accession Number is
populated and matches RIS order, Study Description is accurate, Referring Physician is
populated", and Checkpoint B's "patient ID accuracy > 99.9 %".

How a study is judged:

- Sampling: the studies the sources list in the window, grouped by modality (the first
  image modality of the study; SR, PR, KO and other non-image series do not count), then
  `sample` per modality drawn with `random.Random(f"{seed}:{modality}")` from the
  modality's study UIDs in sorted order: the same sources, seed and sample size give the
  same studies, and adding a modality does not change another's sample.
- The sending device, whose declarations the study is judged against, is found by the
  first of: Source Application Entity Title (0002,0016) of the file, Station Name
  (0008,1010) equal to a declared AE title or device name, the calling AE a source
  recorded for the study (Orthanc's RemoteAET), Institution Name (0008,0080) equal to a
  site's name (then the site's only acquisition device of the study's modality). A
  match to an acquisition device wins over a match to a router or archive (which only
  forwarded the study). A study that matches nothing is still judged for what needs no
  declaration (Patient ID, name, accession, description, referring physician, orders).
- Patient name (PN): real problems only: no name; family and given names not separated
  by `^` (`DOE JOHN`, `DOE, JOHN`); more than five components; spaces around a component;
  characters outside the declared Specific Character Set. Upper versus mixed case is
  style, not an error: PACS and RIS match names case-insensitively.
- Patient-ID accuracy: studies whose Patient ID is present and not a placeholder and
  (with orders) equal to the MRN of the order their accession names, over the studies
  sampled. A study from an encounter-based device (no orders by design) counts when its
  ID is present; it needs no accession, order or Referring Physician (who scans reads). Its 95 % Wilson score interval is reported; the checklist item is met
  only when the interval's lower bound reaches 99.9 %, which takes at least 3,838
  error-free studies. Without orders no verdict is given unless the interval is already
  wholly below the target: presence is not accuracy.
"""

from __future__ import annotations

import math
import random
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import identity as keys
from ..analysis.charsets import repertoire, supported
from ..analysis.index import ACQUISITION_KIND, Index
from ..findings import Finding, Location, Severity
from ..model.devices import ApplicationEntity, Device
from ..model.sites import Site
from ..progress import bar
from .observed import Source, StudySummary, Unsupported, Window
from .orders import Orders
from .phi import Identity, study_key
from .result import AuditResult, Figure

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

Z95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95 % interval."""
TARGET = 0.999
"""Checkpoint B: patient ID accuracy > 99.9 %."""

NON_IMAGE = frozenset(
    {"SR", "PR", "KO", "DOC", "REG", "SEG", "RWV", "FID", "AU", "ECG", "PLAN", "RTPLAN"}
)
"""Modalities of series that accompany images (reports, states, selections): a study is
sampled under its image modality."""

PLACEHOLDER_IDS = frozenset(
    {"UNKNOWN", "UNK", "NONE", "NULL", "N/A", "NA", "TEMP", "TEST", "ANONYMOUS", "NOID", "-"}
)
"""Patient IDs that stand for no patient (written at the console when no order came)."""

_CODECS = {
    "": "ascii",
    "ISO_IR 6": "ascii",
    "ISO 2022 IR 6": "ascii",
    "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3",
    "ISO_IR 110": "iso8859_4",
    "ISO_IR 144": "iso8859_5",
    "ISO_IR 127": "iso8859_6",
    "ISO_IR 126": "iso8859_7",
    "ISO_IR 138": "iso8859_8",
    "ISO_IR 148": "iso8859_9",
    "ISO_IR 203": "iso8859_15",
    "ISO_IR 166": "tis_620",
    "ISO_IR 192": "utf_8",
    "GB18030": "gb18030",
    "GBK": "gbk",
}
"""Single-code character sets -> the Python codec that holds exactly their repertoire
(ISO_IR 6 is ASCII: pydicom reads it as Latin-1, which would hide non-ASCII names).
Sets with ISO 2022 code extensions are not checked character by character."""


# --- statistics -------------------------------------------------------------------------------


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `successes`/`n` (Wilson 1927; Newcombe
    1998 method 3): unlike the normal approximation it stays within 0..1 and is not
    empty at 0 or n errors, which is where an accuracy audit lives."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def studies_needed(target: float = TARGET, z: float = Z95) -> int:
    """The fewest error-free studies whose Wilson lower bound reaches `target`: with no
    errors the bound is n / (n + z²), so n >= target·z² / (1 - target)."""
    return math.ceil(target * z * z / (1 - target) - 1e-9)


# --- sampling ------------------------------------------------------------------------------------


def study_modality(modalities: Iterable[str]) -> str:
    """The modality a study is sampled under: its first image modality (sorted), else
    its first modality, else `OT` (the source did not say)."""
    listed = sorted({m.strip().upper() for m in modalities if m and m.strip()})
    images = [m for m in listed if m not in NON_IMAGE]
    return (images or listed or ["OT"])[0]


def sample_studies(
    studies: Sequence[StudySummary], per_modality: int, seed: int
) -> dict[str, tuple[list[StudySummary], int]]:
    """Modality -> (the sampled studies sorted by UID, how many there were)."""
    groups: dict[str, list[StudySummary]] = defaultdict(list)
    for study in studies:
        groups[study_modality(study.modalities)].append(study)
    chosen = {}
    for modality in sorted(groups):
        group = sorted(groups[modality], key=lambda s: s.study_uid)
        if len(group) > per_modality:
            picked = random.Random(f"{seed}:{modality}").sample(group, per_modality)
            group = sorted(picked, key=lambda s: s.study_uid)
        chosen[modality] = (group, len(groups[modality]))
    return chosen


# --- reading a study ---------------------------------------------------------------------------


def _text(ds: Dataset, keyword: str) -> str:
    """An attribute as text ('' when absent or empty), a multi-value joined by `\\`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a name in the wrong character set: judged below
        value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value)
    return str(value)


def _terms(ds: Dataset) -> list[str]:
    """The Specific Character Set (0008,0005) terms ('' for the default repertoire)."""
    value = ds.get("SpecificCharacterSet")
    if value is None:
        return []
    terms = [str(v).strip() for v in value] if not isinstance(value, str) else [value.strip()]
    return [t for t in terms if t]


@dataclass
class _Study:
    """A sampled study as the audit reads it: its first instance for study-level
    attributes, the device and site it came from when found."""

    summary: StudySummary
    modality: str
    instances: list[Dataset]
    device: Device | None = None
    site: Site | None = None
    mapped_by: str = ""

    @property
    def first(self) -> Dataset:
        return self.instances[0]

    def get(self, keyword: str) -> str:
        return _text(self.first, keyword).strip()

    @property
    def modalities(self) -> list[str]:
        found = {_text(ds, "Modality").strip().upper() for ds in self.instances}
        return sorted(m for m in found if m)


@dataclass
class _Sender:
    """How studies are traced to their sending device."""

    index: Index
    calling: Callable[[StudySummary], str]
    """The calling AE a source recorded for the study ('' when none)."""

    def find(self, study: _Study) -> None:
        """Set `study.device`/`site` by the first clue that names an acquisition device,
        else the first that names any device, else the site of Institution Name."""
        found: list[tuple[Device, str]] = []
        for clue, how in self._clues(study):
            device = self._device(clue)
            if device is None:
                continue
            if device.kind == ACQUISITION_KIND:
                found.insert(0, (device, how))
                break
            found.append((device, how))
        if found:
            study.device, study.mapped_by = found[0]
            study.site = self.index.sites.get(study.device.site)
            return
        self._by_institution(study)

    def _clues(self, study: _Study) -> Iterable[tuple[str, str]]:
        meta = getattr(study.first, "file_meta", None)
        source_ae = _text(meta, "SourceApplicationEntityTitle") if meta is not None else ""
        yield source_ae.strip(), "Source Application Entity Title"
        yield study.get("StationName"), "Station Name"
        yield self.calling(study.summary), "calling AE"

    def _device(self, clue: str) -> Device | None:
        """The device whose AE title (exactly, else ignoring case) or name is `clue`."""
        if not clue:
            return None
        if clue in self.index.aes:
            return self.index.aes[clue][0]
        folded = self.index.aes_folded.get(clue.casefold())
        if folded:
            return folded[0][0]
        return next(
            (d for d in self.index.env.devices if d.name.casefold() == clue.casefold()), None
        )

    def _by_institution(self, study: _Study) -> None:
        """Institution Name equal to a site's name: the site, and its one acquisition
        device of the study's modality if it has exactly one."""
        institution = study.get("InstitutionName").casefold()
        site = next((s for s in self.index.env.sites if s.name.casefold() == institution), None)
        if site is None or not institution:
            return
        study.site = site
        candidates = [
            d
            for d in self.index.env.devices
            if d.site == site.name and d.kind == ACQUISITION_KIND and study.modality in d.modality
        ]
        if len(candidates) == 1:
            study.device, study.mapped_by = candidates[0], "Institution Name"
        else:
            study.mapped_by = "Institution Name (site only)"


def _calling_aes(sources_of: dict[str, Source], window: Window) -> Callable[[StudySummary], str]:
    """The calling AE per study from each source's exchanges, read once and only when a
    study cannot be traced otherwise (listing an archive's exchanges is slow)."""
    cache: dict[int, dict[str, str]] = {}

    def calling(study: StudySummary) -> str:
        source = sources_of.get(study.study_uid)
        if source is None:
            return ""
        key = id(source)
        if key not in cache:
            found: dict[str, str] = {}
            try:
                for exchange in source.exchanges(window):
                    if exchange.study_uid and exchange.accepted:
                        found.setdefault(exchange.study_uid, exchange.calling_ae)
            except Unsupported:
                pass
            cache[key] = found
        return cache[key].get(study.study_uid, "")

    return calling


# --- judging -------------------------------------------------------------------------------------


def _encounter_based(study: _Study) -> bool:
    """Whether the study's device works without orders (`workflow: encounter-based`, IHE
    Encounter-Based Imaging Workflow): no accession, no order and no referrer (the
    clinician who scans reads) are normal there."""
    return study.device is not None and study.device.workflow == "encounter-based"


def _well_formed_id(value: str) -> bool:
    """A Patient ID that names a patient: not empty, not a placeholder, not all zeros,
    printable."""
    text = value.strip()
    return bool(
        text and text.upper() not in PLACEHOLDER_IDS and set(text) != {"0"} and text.isprintable()
    )


def name_problems(name: str, terms: Sequence[str]) -> list[str]:
    """What is wrong with a Patient's Name (PN) value, in words (empty: nothing). See the
    module's docstring for what counts."""
    if not name.strip():
        return ["there is no patient name"]
    problems = []
    alphabetic = name.split("=")[0]
    if "\ufffd" in name:
        problems.append("it has bytes that are not characters of its character set")
    else:
        codec = _CODECS.get(terms[0] if terms else "") if len(terms) <= 1 else None
        if codec:
            try:
                name.encode(codec)
            except UnicodeEncodeError:
                declared = (
                    f"the declared character set {terms[0]}"
                    if terms
                    else "the default character set ISO_IR 6 (ASCII; none is declared)"
                )
                problems.append(f"it has characters outside {declared}")
    components = alphabetic.split("^")
    if len(components) == 1 and re.search(r"[ ,]", alphabetic.strip()):
        problems.append("family and given names are not separated by ^")
    if len(components) > 5:
        problems.append(f"it has {len(components)} components where PN allows five")
    if any(part != part.strip() for part in components[:5] if part.strip()):
        problems.append("a component has spaces around it")
    return problems


@dataclass
class _Judge:
    """Judges sampled studies one by one, keeping the findings and the accuracy count."""

    index: Index
    identity: Identity
    orders: Orders | None
    findings: list[Finding] = field(default_factory=list)
    accurate: int = 0
    judged: int = 0

    def label(self, study: _Study) -> str:
        day = study.get("StudyDate")
        day = f"{day[:4]}-{day[4:6]}-{day[6:8]}" if len(day) >= 8 else "no date"
        device = f", {study.device.name}" if study.device else ""
        return f"study {self.identity.study(study.summary.study_uid)} ({study.modality}, {day}{device})"

    def add(
        self,
        code: str,
        severity: Severity,
        study: _Study,
        text: str,
        location: Location | None = None,
        entity: str = "",
    ) -> None:
        """One finding about `study`: located at what the environment declares about it
        (given, else its device, else none); never patient identity unless shown."""
        if location is None and study.device is not None:
            location = self.index.where(study.device, "name")
        if not entity:
            entity = (
                keys.device(study.device.name)
                if study.device
                else keys.entity("study", study_key(study.summary.study_uid))
            )
        self.findings.append(
            Finding(
                code,
                severity,
                f"{self.label(study)}: {text}",
                location,
                entity=entity,
                detail=f"{study.summary.study_uid} {code}",
            )
        )

    def judge(self, study: _Study) -> None:
        self.judged += 1
        id_ok = self._patient_id(study)
        self._issuer(study)
        order_ok = self._accession_and_order(study)
        if id_ok and order_ok:
            self.accurate += 1
        self._consistency(study)
        self._name(study)
        if not study.get("StudyDescription"):
            self.add(
                "AUDIT027",
                Severity.WARNING,
                study,
                "Study Description (0008,1030) is empty; readers and hanging protocols "
                "cannot tell the exam; have the modality take it from the worklist's "
                "Requested Procedure Description",
            )
        if not study.get("ReferringPhysicianName").strip("^ ") and not _encounter_based(study):
            self.add(
                "AUDIT028",
                Severity.WARNING,
                study,
                "Referring Physician's Name (0008,0090) is empty; the report cannot be "
                "routed to who asked for the exam; fill it from the order",
            )
        self._modality(study)
        self._character_set(study)

    def _patient_id(self, study: _Study) -> bool:
        value = study.get("PatientID")
        if _well_formed_id(value):
            return True
        what = (
            "there is no Patient ID (0010,0020)"
            if not value
            else f"Patient ID {self.identity.patient_id(value)} is a placeholder, not an MRN"
        )
        self.add(
            "AUDIT020",
            Severity.ERROR,
            study,
            f"{what}: the study cannot be matched to the patient's record; reconcile it "
            "with the patient's MRN (IHE Patient Information Reconciliation)",
        )
        return False

    def _declared_issuer(self, study: _Study) -> tuple[str, object, str] | None:
        """(issuer, the item that declares it, who) from the device, else its site."""
        if study.device is not None and study.device.patient_id_issuer:
            return study.device.patient_id_issuer, study.device, f"device '{study.device.name}'"
        if study.site is not None and study.site.patient_id_issuer:
            return study.site.patient_id_issuer, study.site, f"site '{study.site.name}'"
        return None

    def _issuer(self, study: _Study) -> None:
        declared = self._declared_issuer(study)
        if declared is None:
            return
        expected, item, who = declared
        where = self.index.where(item, "patient_id_issuer")
        found = study.get("IssuerOfPatientID")
        if not found:
            self.add(
                "AUDIT021",
                Severity.WARNING,
                study,
                f"no Issuer of Patient ID (0010,0021), where {who} declares '{expected}': an "
                "archive shared by several ID domains cannot tell whose MRN it is; have the "
                "modality take it from the worklist (or the archive coerce it)",
                where,
            )
        elif found != expected:
            self.add(
                "AUDIT022",
                Severity.ERROR,
                study,
                f"Issuer of Patient ID is '{found}', where {who} declares '{expected}': the "
                "ID is read in another patient identifier domain; correct the study and the "
                "worklist or coercion that wrote it",
                where,
            )

    def _accession_and_order(self, study: _Study) -> bool:
        """Accession present and (with orders) naming an order of the same patient; True
        when the Patient ID is confirmed by the order (or needs none)."""
        encounter = _encounter_based(study)
        accession = study.get("AccessionNumber")
        if not accession:
            if not encounter:
                self.add(
                    "AUDIT025",
                    Severity.WARNING,
                    study,
                    "no Accession Number (0008,0050): the study matches no order and its "
                    "report cannot be filed; perform it from the worklist, or correct it "
                    "from the RIS order",
                )
            return self.orders is None or encounter
        if self.orders is None:
            return True
        order = self.orders.find(accession)
        if order is None:
            if not encounter:
                self.add(
                    "AUDIT026",
                    Severity.WARNING,
                    study,
                    f"accession {self.identity.accession(accession)} matches no order in "
                    f"{self.orders.path}: an unordered study (or a mistyped accession) is "
                    "not billed, reported or linked; reconcile it with the RIS",
                )
            return encounter
        patient_id = study.get("PatientID")
        if patient_id and patient_id != order.mrn:
            self.add(
                "AUDIT023",
                Severity.ERROR,
                study,
                f"Patient ID {self.identity.patient_id(patient_id)} does not match the order "
                f"(accession {self.identity.accession(accession)}, patient ID "
                f"{self.identity.patient_id(order.mrn)}, {self.orders.path}:"
                f"{order.location.line if order.location else '?'}): the images may be "
                "filed under another patient; reconcile before they are read",
            )
            return False
        return bool(patient_id)

    def _consistency(self, study: _Study) -> None:
        """Every instance of a study names the same patient and accession."""
        differing = [
            label
            for keyword, label in (
                ("PatientID", "Patient ID"),
                ("PatientName", "patient name"),
                ("AccessionNumber", "accession"),
            )
            if len({_text(ds, keyword).strip() for ds in study.instances}) > 1
        ]
        if differing:
            self.add(
                "AUDIT032",
                Severity.ERROR,
                study,
                f"its {len(study.instances)} instances disagree on {', '.join(differing)}: "
                "part of the study was identified differently (a merge or an edit that did "
                "not reach every series); split or reconcile it in the archive",
            )

    def _name(self, study: _Study) -> None:
        name = study.get("PatientName")
        problems = name_problems(_text(study.first, "PatientName"), _terms(study.first))
        if problems:
            self.add(
                "AUDIT024",
                Severity.WARNING,
                study,
                f"patient name {self.identity.name(name)}: {'; '.join(problems)}; patient "
                "matching between RIS, PACS and EHR depends on it: have the modality take "
                "the name from the worklist",
            )

    def _modality(self, study: _Study) -> None:
        device = study.device
        if device is None or device.kind != ACQUISITION_KIND or not device.modality:
            return
        images = [m for m in study.modalities if m not in NON_IMAGE]
        undeclared = [m for m in images if m not in device.modality]
        if undeclared:
            self.add(
                "AUDIT029",
                Severity.WARNING,
                study,
                f"modality {', '.join(undeclared)} from device '{device.name}' (found by "
                f"{study.mapped_by}), which declares {', '.join(device.modality)}: the "
                "environment does not describe what the device sends; add the modality to "
                "the device, or correct the device's Station Name/AE title",
                self.index.where(device, "modality"),
            )

    def _receivers(self, device: Device) -> list[ApplicationEntity]:
        """The AEs the device's AEs send to over enabled routes, in route order."""
        found: dict[str, ApplicationEntity] = {}
        for ae in device.application_entities:
            for route in self.index.routes_from.get(ae.ae_title, ()):
                target = self.index.aes.get(route.to)
                if route.enabled and target is not None:
                    found.setdefault(route.to, target[1])
        return list(found.values())

    def _character_set(self, study: _Study) -> None:
        terms = _terms(study.first)
        if study.device is None or not terms:
            return
        sent = {repertoire(t) for t in terms}
        refusing = [ae for ae in self._receivers(study.device) if not sent <= supported(ae)]
        if not refusing:
            return
        first = refusing[0]
        self.add(
            "AUDIT030",
            Severity.WARNING,
            study,
            f"Specific Character Set {' '.join(terms)} is not declared by "
            f"{', '.join(ae.ae_title for ae in refusing)}, which "
            f"{'receives' if len(refusing) == 1 else 'receive'} from device "
            f"'{study.device.name}': names may arrive garbled; add the set to their "
            "character_sets if they support it, or configure the modality to send one "
            "they declare",
            self.index.where(first, "character_sets" if first.character_sets else "ae_title"),
            keys.ae(first.ae_title),
        )

    def duplicates(self, studies: list[_Study]) -> None:
        """Studies of the same patient, exam and date under different Study UIDs: one
        finding on each but the first (by UID)."""
        groups: dict[tuple[str, ...], list[_Study]] = defaultdict(list)
        for study in studies:
            patient_id = study.get("PatientID")
            if not _well_formed_id(patient_id):
                continue
            exam = " ".join(study.get("StudyDescription").casefold().split())
            key = (patient_id, study.get("IssuerOfPatientID"), exam, study.get("StudyDate"))
            groups[key].append(study)
        for group in groups.values():
            group.sort(key=lambda s: s.summary.study_uid)
            for study in group[1:]:
                self.add(
                    "AUDIT031",
                    Severity.WARNING,
                    study,
                    "the same patient, exam and date as study "
                    f"{self.identity.study(group[0].summary.study_uid)} under another Study "
                    "Instance UID: a repeated send that got a new UID, or one exam split "
                    "in two; merge or delete one in the archive",
                )


# --- the audit -----------------------------------------------------------------------------------


def _listed(
    sources: Sequence[Source], window: Window
) -> tuple[list[StudySummary], dict[str, Source]]:
    """Every study the sources list in the window, once (the first source that lists a
    study is the one its headers are read from)."""
    studies: list[StudySummary] = []
    source_of: dict[str, Source] = {}
    for source in sources:
        for study in source.studies(window):
            if study.study_uid in source_of or not window.holds(study.study_date):
                continue
            source_of[study.study_uid] = source
            studies.append(study)
    return studies, source_of


def _percent(fraction: float) -> str:
    """A fraction as a percentage, with two decimals near the 99.9 % target."""
    return f"{fraction * 100:.{2 if 0.99 <= fraction < 1 else 1}f} %"


def accuracy_figure(accurate: int, n: int, with_orders: bool) -> Figure:
    """The patient-ID accuracy with its Wilson interval against the 99.9 % target."""
    if n == 0:
        return Figure("patient-id-accuracy", None, "Patient-ID accuracy: no studies sampled.")
    low, high = wilson(accurate, n)
    rate = accurate / n
    measured = (
        "Patient-ID accuracy" if with_orders else "Patient IDs present (not matched to orders)"
    )
    text = (
        f"{measured}: {accurate:,} of {n:,} sampled studies, {_percent(rate)} (95 % Wilson "
        f"interval {_percent(low)} to {_percent(high)}); target > 99.9 %, met only when the "
        "interval's lower bound reaches it"
    )
    if high < TARGET:
        return Figure("patient-id-accuracy", False, text + ": not met.", rate)
    if not with_orders:
        return Figure(
            "patient-id-accuracy",
            None,
            text + ": no verdict without --orders (a present ID is not a correct one).",
            rate,
        )
    if low >= TARGET:
        return Figure("patient-id-accuracy", True, text + ": met.", rate)
    return Figure(
        "patient-id-accuracy",
        None,
        text + f": not established; that takes at least {studies_needed():,} studies without "
        "an error (--sample).",
        rate,
    )


def audit(
    index: Index,
    sources: Sequence[Source],
    window: Window,
    *,
    identity: Identity,
    sample: int = 100,
    seed: int = 0,
    orders: Orders | None = None,
) -> AuditResult:
    """Sample the sources' studies and judge their headers (see the module's docstring)."""
    result = AuditResult("headers")
    listed, source_of = _listed(sources, window)
    chosen = sample_studies(listed, sample, seed)
    days = sorted(s.study_date for s in listed if s.study_date)
    if days:
        result.window = (days[0].isoformat(), days[-1].isoformat())
    names = ", ".join(s.name for s in sources)
    span = f" between {result.window[0]} and {result.window[1]}" if result.window else ""
    result.notes.append(f"Listed {len(listed):,} studies from {names}{span}.")
    if chosen:
        per = ", ".join(f"{m} {len(g):,} of {total:,}" for m, (g, total) in chosen.items())
        result.notes.append(f"Sampled up to {sample:,} per modality with seed {seed}: {per}.")
    studies = _read(index, chosen, source_of, window, result)
    judge = _Judge(index, identity, orders)
    for study in studies:
        judge.judge(study)
    judge.duplicates(studies)
    for source in sources:
        result.notes.extend(source.notes)
    result.findings = sorted(judge.findings, key=lambda f: f.sort_key())
    result.observed = judge.judged
    if orders is not None:
        result.notes.append(orders.describe())
    result.figures.append(accuracy_figure(judge.accurate, judge.judged, orders is not None))
    return result


def _read(
    index: Index,
    chosen: dict[str, tuple[list[StudySummary], int]],
    source_of: dict[str, Source],
    window: Window,
    result: AuditResult,
) -> list[_Study]:
    """The sampled studies' headers, each traced to its sending device."""
    sender = _Sender(index, _calling_aes(source_of, window))
    todo = [(m, s) for m, (group, _) in chosen.items() for s in group]
    todo.sort(key=lambda pair: pair[1].study_uid)
    show = bar("reading headers")
    studies: list[_Study] = []
    empty = 0
    instances = 0
    for done, (modality, summary) in enumerate(todo, start=1):
        headers: list[Any] = source_of[summary.study_uid].headers(summary)
        if show:
            show(done, len(todo))
        if not headers:
            empty += 1
            continue
        instances += len(headers)
        study = _Study(summary, modality, headers)
        sender.find(study)
        studies.append(study)
    result.notes.append(f"Read the headers of {len(studies):,} studies ({instances:,} instances).")
    if empty:
        result.notes.append(f"{empty:,} sampled studies had no instances to read; not judged.")
    untraced = sum(1 for s in studies if s.device is None)
    if untraced:
        result.notes.append(
            f"{untraced:,} studies could not be traced to a declared device (by Source AE "
            "Title, Station Name, calling AE or Institution Name): their issuer, modality "
            "and character set were judged only as far as a site was found."
        )
    result.notes.append(
        "Duplicates are looked for among the sampled studies only: sample all (--sample "
        "larger than any modality's count) to find every one."
    )
    return studies
