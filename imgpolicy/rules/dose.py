"""DOSE: radiation dose monitoring. Dose reports that arrive, DRLs, CT Dose Check values.

A diagnostic reference level (DRL) is a benchmark for the facility's median dose of an exam
(ICRP Publication 135; ACR-AAPM-SPR practice parameter on DRLs; NCRP Report No. 172); the
alerting on one exam is the CT Dose Check's notification and alert values (NEMA XR 25,
AAPM Dose Check Guidelines). The rules keep the two apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from .. import dicom, identity
from ..analysis.flow import ORIGINATING_KINDS
from ..analysis.index import ACQUISITION_KIND, Index, keyword
from ..analysis.jurisdiction import is_us
from ..findings import Finding, Location, Severity
from ..model.devices import Device
from ..model.dose import METRICS, NotificationValue, ReferenceLevel, dose_report_of
from .base import Rule, names_option, ranges_option
from .common import (
    ae_related,
    device_related,
    lost_to_unresolved_routes,
    unknown_ae_hint,
    unknown_device_hint,
)

_XRAY_DOSE_SR = dicom.registry()["XRayRadiationDoseSRStorage"].uid
_RADIOPHARMACEUTICAL_DOSE_SR = dicom.registry()["RadiopharmaceuticalRadiationDoseSRStorage"].uid
_NUCLEAR = frozenset({"NM", "PT"})
_PERFUSION = "perfusion"
"""An exam whose name says perfusion: CT brain perfusion scans the same slab repeatedly,
so its CTDIvol is several times a routine head's (AAPM notification value 600 mGy)."""


def _uid(keyword_: str) -> str:
    return dicom.registry()[keyword_].uid


_QR_ROOTS = {
    root: (
        _uid(f"{root}QueryRetrieveInformationModelFind"),
        {
            "C-MOVE": _uid(f"{root}QueryRetrieveInformationModelMove"),
            "C-GET": _uid(f"{root}QueryRetrieveInformationModelGet"),
        },
    )
    for root in ("StudyRoot", "PatientRoot")
}
"""Query/Retrieve information model -> (its FIND SOP class, retrieve method -> SOP class)
(PS3.4 Annex C): a monitor that collects by query finds with C-FIND and retrieves with
C-MOVE or C-GET."""

_METRIC_MODALITIES: dict[str, frozenset[str]] = {
    "ctdivol_mgy": frozenset({"CT"}) | _NUCLEAR,
    "dlp_mgy_cm": frozenset({"CT"}) | _NUCLEAR,
    "agd_mgy": frozenset({"MG"}),
    "activity_mbq": _NUCLEAR,
    "dap_gy_cm2": frozenset({"XA", "RF", "DX", "CR", "PX", "IO"}),
    "air_kerma_mgy": frozenset({"XA", "RF", "DX", "CR", "MG", "PX", "IO"}),
    "fluoro_time_min": frozenset({"XA", "RF"}),
}
"""Which modalities a dose metric describes (CTDIvol/DLP for CT, and for the CT part of a
PET/CT or SPECT/CT level; AGD for mammography; administered activity for NM/PET;
kerma-area product and air kerma for projection X-ray and fluoroscopy; fluoroscopy time for
XA/RF)."""

_UNITS = {
    "ctdivol_mgy": "mGy",
    "dlp_mgy_cm": "mGy*cm",
    "agd_mgy": "mGy",
    "activity_mbq": "MBq",
    "dap_gy_cm2": "Gy*cm2",
    "air_kerma_mgy": "mGy",
    "fluoro_time_min": "min",
}


def _level_entity(level: ReferenceLevel) -> str:
    return identity.entity("drl", f"{level.modality}:{level.exam}")


def _level_detail(level: ReferenceLevel, what: str = "") -> str:
    """One exam may have levels per patient category and site; `what` names the problem."""
    scope = f"{level.patient_category}@{level.site or '*'}"
    return f"{scope} {what}".rstrip()


def _is_perfusion(exam: str) -> bool:
    return _PERFUSION in exam.casefold()


class _SeverityPerFinding:
    """For a rule whose findings differ in severity (an error for CT, a warning for a
    radiography room): each finding gets its own, unless the configuration sets the rule's
    severity, which then applies to all of them."""

    def __init__(self, severity: Severity | None = None, **options: Any):
        super().__init__(severity, **options)  # type: ignore[call-arg]
        self.configured_severity = severity

    def graded(self, finding: Finding, severity: Severity) -> Finding:
        if self.configured_severity is not None:
            return finding
        return dataclasses.replace(finding, severity=severity)


def _us_legal_references(index: Index, device: Device, modality: str) -> str:
    """The US texts that make CT dose benchmarking a requirement, for a CT at a US site
    (they mean nothing elsewhere)."""
    site = index.sites.get(device.site)
    if modality != "CT" or site is None or not is_us(site.jurisdiction):
        return ""
    refs = ["The Joint Commission's diagnostic imaging standards (CT dose index review)"]
    if site.jurisdiction == "US-CA":
        refs.append("California Health and Safety Code 115111-115113")
    return f" ({'; '.join(refs)})"


class ModalityWithoutDrl(_SeverityPerFinding, Rule):
    """A dose-emitting modality in use has no diagnostic reference level.

    What:
        A modality that emits ionising radiation (CT, XA, RF, MG, NM, PT, DX, CR) used by
        an acquisition device (`kind: modality`) with no `dose.reference_levels` entry for
        it. A level with a `site` covers that site only; one without covers every site.
        The finding is an error for the modalities of `error_modalities` (CT) and a
        warning for the others.
    Why:
        A diagnostic reference level is a benchmark for the facility's median dose of a
        common exam, reviewed periodically against national values (ICRP Publication
        135; ACR-AAPM-SPR Practice Parameter for Diagnostic Reference Levels and Achievable
        Doses; NCRP Report No. 172); the practice guide asks to "set dose reference levels
        (DRLs) per the ACR and compare institutional dose distributions against national
        benchmarks" (Step 4, "Dose monitoring"). It is not a per-exam alert threshold: that
        is the CT Dose Check's notification value (DOSE006). A modality without a DRL is
        never benchmarked, so a protocol that doses every patient too high goes
        unnoticed. For CT at a US site, The Joint Commission's diagnostic imaging
        standards ask for CT dose indices to be reviewed, and in California Health and
        Safety Code 115111-115113 adds CT dose recording; the finding cites them there.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
          - {name: mg-1, site: MAIN, kind: modality, modality: MG}
        dose:
          reference_levels:
            - {exam: CT head without contrast, modality: CT, ctdivol_mgy: 57, dlp_mgy_cm: 1000,
               source: MAIN radiation safety committee, edition: "2026-03"}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
          - {name: mg-1, site: MAIN, kind: modality, modality: MG}
        dose:
          reference_levels:
            - {exam: CT head without contrast, modality: CT, ctdivol_mgy: 57, dlp_mgy_cm: 1000,
               source: MAIN radiation safety committee, edition: "2026-03"}
            - {exam: Screening mammography (per view), modality: MG, agd_mgy: 1.5,
               source: MAIN radiation safety committee, edition: "2026-03"}
    Options:
        error_modalities: the modalities whose missing DRL is an error (default: CT);
        the others are warnings. A `severity` set in the configuration applies to all.
    """

    code = "DOSE001"
    name = "modality-without-drl"
    severity = Severity.ERROR
    options = {
        "error_modalities": names_option(
            ["CT"], dicom.DOSE_EMITTING_MODALITIES, "dose-emitting modality codes"
        )
    }

    def check(self, index: Index) -> Iterator[Finding]:
        errors = frozenset(self.settings["error_modalities"])
        covered: dict[str, set[str | None]] = {}
        for level in index.env.reference_levels:
            covered.setdefault(level.modality, set()).add(level.site)
        reported: set[tuple[str, str]] = set()
        for device in index.env.devices:
            if device.kind != ACQUISITION_KIND:
                continue
            for i, modality in enumerate(device.modality):
                if modality not in dicom.DOSE_EMITTING_MODALITIES:
                    continue
                sites = covered.get(modality, set())
                if None in sites or device.site in sites:
                    continue
                # one finding per modality when no level exists, else per uncovered site
                key = (modality, device.site if sites else "")
                if key in reported:
                    continue
                reported.add(key)
                where = f" at {device.site}" if sites else ""
                finding = self.finding(
                    f"{modality} is used by '{device.name}'{where} but no dose reference level "
                    f"covers {modality}{where}: add dose.reference_levels for its common exams "
                    "(the benchmark for the facility's median dose, with source and edition)"
                    f"{_us_legal_references(index, device, modality)}",
                    index.where(device, "modality", i),
                    entity=identity.entity("modality", modality),
                    detail=key[1],
                )
                yield self.graded(
                    finding, Severity.ERROR if modality in errors else Severity.WARNING
                )


class _Delivery:
    """Where dose SRs must arrive (the monitor, or the AE a pulling monitor queries) and
    whether one AE's do."""

    def __init__(self, index: Index, monitor: str | None, target: str | None):
        self.index = index
        self.monitor = monitor
        self.target = target
        self.reach = index.flow.reaching(frozenset({target})) if target else {}
        if target is None:
            self.destination = ""
        elif target == monitor:
            self.destination = f"the dose monitor {monitor}"
        else:
            self.destination = f"{target}, where the dose monitor {monitor} collects them"

    def related(self) -> list:
        if self.target is None:
            return []
        what = "dose monitor" if self.target == self.monitor else "dose SR collection point"
        return ae_related(self.index, self.target, f"{what} {self.target}")

    def problem(self, title: str, sent: frozenset[str], expected: str) -> str:
        """What is wrong with the dose SRs `title` sends (`sent`), or '' when they arrive;
        `expected` is the class it should send when it sends none."""
        if not sent:
            problem = (
                f"is not SCU for any dose SR class (e.g. {keyword(expected)}): enable the "
                "dose report on the unit and declare the capability, or set dose_report: "
                "none on the device when it cannot make one (a CR reader, a legacy unit)"
            )
            if self.target is None:
                problem += "; and no dose monitor is declared (dose.monitor)"
            return problem
        if self.target is None:
            return (
                "sends dose SRs, but the environment declares no dose monitor: set "
                "dose.monitor to the AE of the dose monitoring system"
            )
        arriving = {
            sop
            for modality, sop in self.index.flow.origin(title)
            if sop in sent and title in self.reach.get((modality, sop), ())
        }
        lost = sorted(sent - arriving, key=keyword)
        if not lost or set(lost) <= {
            sop for _, sop in lost_to_unresolved_routes(self.index, title)
        }:
            return ""  # nothing lost, or lost into a route to an unknown AE (RT001)
        return (
            f"sends {', '.join(map(keyword, lost))}, which no route path brings to "
            f"{self.destination}: add a route with purpose: dose (directly or through the "
            "router)"
        )


class NoDoseSrRoute(_SeverityPerFinding, Rule):
    """A modality's dose report never reaches the dose monitor.

    What:
        For an acquisition device with a dose-emitting modality, what its `dose_report`
        says it makes (absent: `rdsr` for CT, XA, RF, DX and MG; `none` for CR, NM and PT):
        `rdsr`: an AE of the device that stores images is not SCU for any dose SR class
        (when no other AE of the device is), or the dose SRs it sends reach the monitor
        over no route path. `rrdsr`: the Radiopharmaceutical Radiation Dose SR comes from
        the system named in `dose.rrdsr_source` (unless the device sends it itself); that
        source is not declared, is no device that makes dose SRs (`kind: radiopharmacy`),
        is not SCU for RadiopharmaceuticalRadiationDoseSRStorage, or its RRDSRs reach the
        monitor over no route path. `none`: nothing is expected. With `dose.collection:
        query` the dose SRs must reach `dose.collect_from` (the PACS or VNA the monitor
        retrieves them from) instead. With no monitor declared, every device that should
        deliver is reported. Errors for `error_modalities`, warnings for the others.
    Why:
        Dose monitoring runs on "DICOM dose structured reports (Dose SR)" (practice guide,
        Step 4, "Dose monitoring"; IHE Radiation Exposure Monitoring, REM): a modality
        whose RDSR goes nowhere is missing from every dose report and benchmark. Not every
        unit makes one: a CR reader has no link to the X-ray generator, and in nuclear
        medicine the administered activity is recorded by the hot-lab (radiopharmacy)
        system or the injector, which sends the RRDSR (IHE REM-NM), not by the camera.
        Routes are followed over the whole graph, so a dose SR sent through a router, or
        stored in the PACS that a pulling monitor queries, counts.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_classes: [CTImageStorage, XRayRadiationDoseSRStorage], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: dose-main
            site: MAIN
            kind: dose-monitor
            application_entities:
              - ae_title: DOSE_MON
                transfer_capabilities:
                  - {sop_class: XRayRadiationDoseSRStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        dose:
          monitor: DOSE_MON
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_classes: [CTImageStorage, XRayRadiationDoseSRStorage], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: cr-1
            site: MAIN
            kind: modality
            modality: CR
            application_entities:
              - ae_title: CR_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: ComputedRadiographyImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: dose-main
            site: MAIN
            kind: dose-monitor
            application_entities:
              - ae_title: DOSE_MON
                transfer_capabilities:
                  - {sop_class: XRayRadiationDoseSRStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: ct-1-dose, from: CT_1, to: DOSE_MON, purpose: dose, match: {sop_classes: [XRayRadiationDoseSRStorage]}}
        dose:
          monitor: DOSE_MON
    Options:
        modalities: the modalities whose devices must deliver dose SRs (default: CT, CR,
        DX, MG, NM, PT, RF, XA); a device's `dose_report: none` exempts one unit.
        error_modalities: the modalities whose undelivered dose report is an error
        (default: CT, RF, XA); the others are warnings. A `severity` set in the
        configuration applies to all.
    """

    code = "DOSE002"
    name = "no-dose-sr-route"
    severity = Severity.ERROR
    options = {
        "modalities": names_option(
            dicom.DOSE_EMITTING_MODALITIES, dicom.MODALITIES, "modality codes"
        ),
        "error_modalities": names_option(["CT", "XA", "RF"], dicom.MODALITIES, "modality codes"),
    }

    def check(self, index: Index) -> Iterator[Finding]:
        watched = frozenset(self.settings["modalities"])
        errors = frozenset(self.settings["error_modalities"])
        env = index.env
        monitor = env.dose_monitor
        if monitor is not None and monitor not in index.aes:
            return  # DOSE003 reports the unknown monitor; every AE would fail here
        target = monitor
        if monitor and env.dose_collection == "query":
            target = env.dose_collect_from
            if target is None or target not in index.aes:
                return  # DOSE003 reports the missing or unknown collection point
        delivery = _Delivery(index, monitor, target)
        waiting: list[tuple[Device, Severity]] = []
        for device in env.devices:
            if device.kind != ACQUISITION_KIND:
                continue
            emitting = [m for m in device.modality if m in watched]
            reports = dose_report_of(device)
            if not emitting or not reports:
                continue
            severity = Severity.ERROR if errors & set(emitting) else Severity.WARNING
            storing = [
                ae
                for ae in device.application_entities
                if index.storage_scu(ae.ae_title) and ae.ae_title != monitor
            ]
            sent = {
                ae.ae_title: index.storage_scu(ae.ae_title) & dicom.DOSE_SR_SOP_CLASSES
                for ae in storing
            }
            sends_rrdsr = any(_RADIOPHARMACEUTICAL_DOSE_SR in c for c in sent.values())
            if "rrdsr" in reports and not sends_rrdsr:  # its RRDSR comes from the hot lab
                nuclear = set(emitting) & _NUCLEAR or set(emitting)  # not the CT of a PET/CT
                waiting.append((device, Severity.ERROR if errors & nuclear else Severity.WARNING))
            if "rdsr" not in reports and not sends_rrdsr:
                continue
            expected = _XRAY_DOSE_SR if "rdsr" in reports else _RADIOPHARMACEUTICAL_DOSE_SR
            for ae in storing:
                if not sent[ae.ae_title] and any(sent.values()):
                    continue  # another AE of the device sends its dose reports
                problem = delivery.problem(ae.ae_title, sent[ae.ae_title], expected)
                if problem:
                    finding = self.finding(
                        f"{ae.ae_title} ({device.name}, {'/'.join(emitting)}) {problem}",
                        index.where(ae, "ae_title"),
                        entity=identity.ae(ae.ae_title),
                        related=delivery.related(),
                    )
                    yield self.graded(finding, severity)
        if waiting or env.dose_rrdsr_source:
            yield from self._rrdsr_source(index, delivery, waiting)

    def _rrdsr_source(
        self, index: Index, delivery: _Delivery, waiting: list[tuple[Device, Severity]]
    ) -> Iterator[Finding]:
        """The hot-lab system that makes the RRDSRs of NM and PET exams (those of the
        `waiting` devices, which do not send one themselves), and whether they reach the
        monitor: one finding at `dose.rrdsr_source`, or one per device when none is named.
        A declared source is checked even when no device asks for it."""
        env = index.env
        source = env.dose_rrdsr_source
        if source is None:
            for device, severity in waiting:
                finding = self.finding(
                    f"{device.name} ({'/'.join(device.modality)}) has an RRDSR "
                    "(dose_report: rrdsr) that it does not send itself, but "
                    "dose.rrdsr_source names no system that makes its Radiopharmaceutical "
                    "Radiation Dose SRs (RRDSR): name the radiopharmacy (hot-lab) system or "
                    "injector that sends them (IHE REM-NM), or set dose_report: none",
                    index.where(device, "dose_report"),
                    entity=identity.device(device.name),
                )
                yield self.graded(finding, severity)
            return
        severity = max((severity for _, severity in waiting), default=Severity.WARNING)
        names = ", ".join(device.name for device, _ in waiting) or "NM and PET exams"
        where = index.result.location_of(env.dose_rrdsr_source_origin)
        related = [
            r
            for device, _ in waiting
            for r in device_related(index, device.name, f"{device.name} relies on it")
        ]
        problem = self._source_problem(index, delivery, source)
        if problem:
            finding = self.finding(
                f"dose.rrdsr_source '{source}' (the RRDSRs of {names}) {problem}",
                where,
                entity=identity.entity("dose", "rrdsr_source"),
                related=related,
            )
            yield self.graded(finding, severity)

    @staticmethod
    def _source_problem(index: Index, delivery: _Delivery, source: str) -> str:
        device = index.devices.get(source)
        if device is None:
            return "is no device" + unknown_device_hint(
                index, source, "name the device of the radiopharmacy system"
            )
        if device.kind not in ORIGINATING_KINDS:
            return (
                f"is a {device.kind}, not a system that makes dose reports: declare it with "
                "kind: radiopharmacy"
            )
        sending = [
            ae.ae_title
            for ae in device.application_entities
            if _RADIOPHARMACEUTICAL_DOSE_SR in index.storage_scu(ae.ae_title)
        ]
        if not sending:
            return (
                "is not SCU for RadiopharmaceuticalRadiationDoseSRStorage: declare the "
                "capability on its AE"
            )
        for title in sending:
            problem = delivery.problem(
                title, frozenset({_RADIOPHARMACEUTICAL_DOSE_SR}), _RADIOPHARMACEUTICAL_DOSE_SR
            )
            if problem:
                return f"(AE {title}) {problem}"
        return ""


class DoseMonitorNotRdsrScp(Rule):
    """The dose monitor cannot receive the dose SRs, or cannot query for them.

    What:
        `dose.monitor` names no AE title, or an AE that is not SCP for
        XRayRadiationDoseSRStorage (when a device makes RDSRs) or for
        RadiopharmaceuticalRadiationDoseSRStorage (when an NM or PET device sends RRDSRs,
        a device has `dose_report: rrdsr`, or `dose.rrdsr_source` is set). With
        `dose.collection: query`, also: `dose.collect_from` is missing or names no AE; the
        monitor and that AE share no Query/Retrieve information model (Study or Patient
        Root) in which the monitor is SCU and the other SCP for C-FIND and for C-MOVE or
        C-GET; and when only C-MOVE is possible, the AE queried is no association
        initiator or its C-MOVE destination table (`move_destinations`) leaves the monitor
        out.
    Why:
        Every dose report goes to the monitor (practice guide, Step 4, "Dose
        monitoring"; DICOM PS3.3 A.35.8 X-Ray Radiation Dose SR and A.35.14
        Radiopharmaceutical Radiation Dose SR; IHE REM); a monitor that rejects the
        presentation context collects nothing. A monitor that pulls the dose SRs from the
        PACS finds them with C-FIND and retrieves them with C-MOVE or C-GET (PS3.4 Annex
        C), both of which deliver them by C-STORE, so it is a Query/Retrieve SCU and still
        accepts the dose SR classes; for C-MOVE the PACS opens the association to the
        monitor, which must be in its destination table.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pt-1, site: MAIN, kind: modality, modality: [PT, CT], dose_report: [rdsr, rrdsr]}
          - name: dose-main
            site: MAIN
            kind: dose-monitor
            application_entities:
              - ae_title: DOSE_MON
                transfer_capabilities:
                  - {sop_class: XRayRadiationDoseSRStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        dose:
          monitor: DOSE_MON
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pt-1, site: MAIN, kind: modality, modality: [PT, CT], dose_report: [rdsr, rrdsr]}
          - name: dose-main
            site: MAIN
            kind: dose-monitor
            application_entities:
              - ae_title: DOSE_MON
                transfer_capabilities:
                  - {sop_classes: [XRayRadiationDoseSRStorage, RadiopharmaceuticalRadiationDoseSRStorage], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        dose:
          monitor: DOSE_MON
    """

    code = "DOSE003"
    name = "dose-monitor-not-rdsr-scp"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        env = index.env
        monitor = env.dose_monitor
        if monitor is None:
            return
        entity = identity.entity("dose", "monitor")
        if monitor not in index.aes:
            hint = unknown_ae_hint(
                index, monitor, "name the AE title of the dose monitoring system"
            )
            yield self.finding(
                f"dose.monitor '{monitor}' is not an AE title of any device{hint}",
                index.result.location_of(env.dose_monitor_origin),
                entity=entity,
            )
            return
        device = index.aes[monitor][0]
        missing = [
            uid
            for uid in _needed_dose_classes(index)
            if index.syntaxes(monitor, "SCP", uid) is None
        ]
        if missing:
            how = (
                " (a retrieve by C-MOVE or C-GET delivers them by C-STORE)"
                if env.dose_collection == "query"
                else ""
            )
            yield self.finding(
                f"dose monitor {monitor} ({device.name}) does not accept "
                f"{' or '.join(map(keyword, missing))} as SCP{how}: add the capability, or "
                "point dose.monitor at the AE that receives dose reports",
                index.result.location_of(env.dose_monitor_origin),
                entity=entity,
                related=ae_related(index, monitor, f"{monitor} is declared here"),
            )
        if env.dose_collection == "query":
            yield from self._query(index, monitor)

    def _query(self, index: Index, monitor: str) -> Iterator[Finding]:
        """A monitor that pulls: where from, and whether Query/Retrieve is wired."""
        env = index.env
        entity = identity.entity("dose", "collection")
        source = env.dose_collect_from
        if source is None:
            yield self.finding(
                "dose.collection is query, but dose.collect_from names no AE to query: name "
                "the PACS or VNA the dose monitor retrieves dose SRs from",
                index.result.location_of(env.dose_collection_origin or env.dose_monitor_origin),
                entity=entity,
                detail="collect-from",
            )
            return
        where = index.result.location_of(env.dose_collect_from_origin)
        if source not in index.aes:
            hint = unknown_ae_hint(index, source, "name the AE title of the PACS or VNA")
            yield self.finding(
                f"dose.collect_from '{source}' is not an AE title of any device{hint}",
                where,
                entity=entity,
                detail="collect-from",
            )
            return
        methods = _retrieve_methods(index, monitor, source)
        if not methods:
            yield self.finding(
                f"the dose monitor {monitor} collects dose SRs by query from {source}, but "
                f"they share no Query/Retrieve information model in which {monitor} is SCU "
                f"and {source} SCP for C-FIND and for C-MOVE or C-GET (Study or Patient "
                "Root, PS3.4 Annex C): declare those capabilities on both AEs",
                where,
                entity=entity,
                detail="query-retrieve",
                related=ae_related(index, source, f"{source} is declared here"),
            )
            return
        if methods != {"C-MOVE"}:
            return  # C-GET returns the SRs on the monitor's own association
        _, source_ae = index.aes[source]
        problems = []
        if not source_ae.initiator:
            problems.append(f"{source} is not an association initiator (initiator: false)")
        destinations = getattr(source_ae, "move_destinations", None)
        if destinations is not None and monitor not in destinations:
            problems.append(f"{monitor} is not in {source}'s move_destinations")
        if problems:
            yield self.finding(
                f"the dose monitor {monitor} retrieves dose SRs from {source} by C-MOVE, "
                f"which opens an association from {source} to {monitor}, but "
                f"{' and '.join(problems)}: fix the C-MOVE wiring or use C-GET",
                where,
                entity=entity,
                detail="c-move",
                related=ae_related(index, source, f"{source} is declared here"),
            )


def _needed_dose_classes(index: Index) -> list[str]:
    """The dose SR classes the monitor must accept: X-ray when a device makes RDSRs (or
    when nothing says otherwise), radiopharmaceutical when NM/PET RRDSRs are made."""
    env = index.env
    reports: set[str] = set()
    emitting = nuclear_sends_rrdsr = False
    for device in env.devices:
        if device.kind != ACQUISITION_KIND:
            continue
        if dicom.DOSE_EMITTING_MODALITIES & set(device.modality):
            reports |= dose_report_of(device)
            emitting = True
        if _NUCLEAR & set(device.modality):
            nuclear_sends_rrdsr |= any(
                _RADIOPHARMACEUTICAL_DOSE_SR in index.storage_scu(ae.ae_title)
                for ae in device.application_entities
            )
    needed = []
    if "rdsr" in reports or not emitting:
        needed.append(_XRAY_DOSE_SR)
    if "rrdsr" in reports or nuclear_sends_rrdsr or env.dose_rrdsr_source:
        needed.append(_RADIOPHARMACEUTICAL_DOSE_SR)
    return needed


def _retrieve_methods(index: Index, scu: str, scp: str) -> set[str]:
    """The retrieve methods (C-MOVE, C-GET) `scu` can use against `scp` after a C-FIND in
    the same Query/Retrieve information model."""
    methods = set()
    for find, retrieves in _QR_ROOTS.values():
        if index.syntaxes(scu, "SCU", find) is None or index.syntaxes(scp, "SCP", find) is None:
            continue
        for method, uid in retrieves.items():
            if (
                index.syntaxes(scu, "SCU", uid) is not None
                and index.syntaxes(scp, "SCP", uid) is not None
            ):
                methods.add(method)
    return methods


class DrlWithoutSource(Rule):
    """A dose reference level does not say where it comes from, or which edition it is.

    What:
        A `dose.reference_levels` entry without `source` or without `edition`.
    Why:
        DRLs change with editions, phantoms and patient populations (ACR Dose Index
        Registry, NCRP Report No. 172 and their successors): a number without its source
        and edition cannot be reviewed or updated, and the practice guide asks to set
        DRLs "per the ACR" and compare against "national benchmarks" (Step 4, "Dose
        monitoring").
    Bad:
        dose:
          reference_levels:
            - {exam: CT head without contrast, modality: CT, ctdivol_mgy: 57, dlp_mgy_cm: 1000}
    Good:
        dose:
          reference_levels:
            - {exam: CT head without contrast, modality: CT, ctdivol_mgy: 57, dlp_mgy_cm: 1000,
               source: MAIN radiation safety committee, edition: "2026-03"}
    """

    code = "DOSE004"
    name = "drl-without-source"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for level in index.env.reference_levels:
            missing = [key for key in ("source", "edition") if not getattr(level, key)]
            if missing:
                yield self.finding(
                    f"dose reference level '{level.exam}' ({level.modality}) has no "
                    f"{' and no '.join(missing)}: say which published table (and which "
                    "edition of it) the value is copied from",
                    index.where(level, "exam"),
                    entity=_level_entity(level),
                    detail=_level_detail(level),
                )


class ImplausibleDrl(_SeverityPerFinding, Rule):
    """A dose reference level or notification value uses a foreign metric or an implausible value.

    What:
        A `dose.reference_levels` entry with a metric that does not describe its modality
        (`ctdivol_mgy`/`dlp_mgy_cm` outside CT, except for the CT part of a PET/CT or
        SPECT/CT level on PT/NM; `agd_mgy` outside MG; `activity_mbq` outside NM/PT;
        `dap_gy_cm2`/`air_kerma_mgy` outside projection X-ray and fluoroscopy;
        `fluoro_time_min` outside XA/RF), or a CT level without both `ctdivol_mgy` and
        `dlp_mgy_cm` (errors); a `dose.notification_values` entry for a modality other than
        CT (error); a value of either outside the plausible range of its metric (warning).
        An exam whose name says "perfusion" (CT brain perfusion) is checked against
        `perfusion_ranges` instead.
    Why:
        A level in the wrong unit (uGy entered as mGy, Gy*cm2 as mGy*cm2) or on the wrong
        metric never triggers, or triggers on every exam, so dose review stops meaning
        anything (practice guide, Step 4, "Dose monitoring"). CT levels are published as
        both CTDIvol and DLP (ACR Dose Index Registry), and a monitor compares both. Dose
        Check notification values are a CT feature (NEMA XR 25). An unusual value may be
        right (a perfusion protocol scans one slab many times: AAPM's notification value
        for brain perfusion is 600 mGy CTDIvol), so a range is a warning to check it.
    Bad:
        dose:
          reference_levels:
            - {exam: CT chest with contrast, modality: CT, ctdivol_mgy: 12000, dlp_mgy_cm: 440,
               source: MAIN radiation safety committee, edition: "2026-03"}
            - {exam: Screening mammography (per view), modality: MG, ctdivol_mgy: 1.5,
               source: MAIN radiation safety committee, edition: "2026-03"}
    Good:
        dose:
          reference_levels:
            - {exam: CT chest with contrast, modality: CT, ctdivol_mgy: 12, dlp_mgy_cm: 440,
               source: MAIN radiation safety committee, edition: "2026-03"}
            - {exam: CT brain perfusion, modality: CT, ctdivol_mgy: 250, dlp_mgy_cm: 2500,
               source: MAIN radiation safety committee, edition: "2026-03"}
            - {exam: Screening mammography (per view), modality: MG, agd_mgy: 1.5,
               source: MAIN radiation safety committee, edition: "2026-03"}
          notification_values:
            - {exam: Brain perfusion, ctdivol_mgy: 600, source: AAPM Dose Check Guidelines}
    Options:
        plausible_ranges: metric -> [lowest, highest] value accepted; a configured entry
        replaces the default for that metric only. Defaults: ctdivol_mgy [0.1, 200],
        dlp_mgy_cm [1, 10000], agd_mgy [0.1, 10], dap_gy_cm2 [0.001, 1000], activity_mbq
        [1, 2000], air_kerma_mgy [0.01, 20000], fluoro_time_min [0.1, 300].
        perfusion_ranges: the same for CT exams named "perfusion". Default: ctdivol_mgy
        [0.1, 600].
        A `severity` set in the configuration applies to every finding.
    """

    code = "DOSE005"
    name = "implausible-drl"
    severity = Severity.ERROR
    options = {
        "plausible_ranges": ranges_option(
            {
                "ctdivol_mgy": [0.1, 200],
                "dlp_mgy_cm": [1, 10000],
                "agd_mgy": [0.1, 10],
                "dap_gy_cm2": [0.001, 1000],
                "activity_mbq": [1, 2000],
                "air_kerma_mgy": [0.01, 20000],
                "fluoro_time_min": [0.1, 300],
            }
        ),
        "perfusion_ranges": ranges_option({"ctdivol_mgy": [0.1, 600]}),
    }

    def __init__(self, severity: Severity | None = None, **options: Any):
        super().__init__(severity, **options)
        self.ranges: dict[str, tuple[float, float]] = self.settings["plausible_ranges"]
        self.perfusion: dict[str, tuple[float, float]] = self.settings["perfusion_ranges"]

    def check(self, index: Index) -> Iterator[Finding]:
        for level in index.env.reference_levels:
            yield from self._level(index, level)
        for value in index.env.notification_values:
            yield from self._notification(index, value)

    def _level(self, index: Index, level: ReferenceLevel) -> Iterator[Finding]:
        modality = level.modality
        name = f"dose reference level '{level.exam}' ({modality})"
        entity = _level_entity(level)
        if modality == "CT":
            missing = [m for m in ("ctdivol_mgy", "dlp_mgy_cm") if getattr(level, m) is None]
            if missing:
                yield self.finding(
                    f"{name} has no {' and no '.join(missing)}: give CT levels as both "
                    "CTDIvol and DLP, as published",
                    index.where(level, "exam"),
                    entity=entity,
                    detail=_level_detail(level, "ct-metrics"),
                )
        for metric in METRICS:
            value = getattr(level, metric)
            if value is None:
                continue
            fits = _METRIC_MODALITIES[metric]
            if modality not in fits:
                yield self.finding(
                    f"{name} gives {metric}, which does not describe {modality} (it is "
                    f"for {', '.join(sorted(fits))}): use the metric of {modality}, or "
                    "correct the modality",
                    index.where(level, metric),
                    entity=entity,
                    detail=_level_detail(level, metric),
                )
                continue
            problem = self._out_of_range(metric, value, modality, level.exam)
            if problem:
                finding = self.finding(
                    f"{name}: {problem}",
                    index.where(level, metric),
                    entity=entity,
                    detail=_level_detail(level, metric),
                )
                yield self.graded(finding, Severity.WARNING)

    def _notification(self, index: Index, value: NotificationValue) -> Iterator[Finding]:
        name = f"CT Dose Check notification value '{value.exam}'"
        entity = identity.entity("dose-notification", value.exam)
        if value.modality != "CT":
            yield self.finding(
                f"{name} is for {value.modality}: Dose Check notification values are a CT "
                "feature (NEMA XR 25); record other modalities' levels as reference_levels",
                index.where(value, "modality"),
                entity=entity,
                detail="modality",
            )
            return
        for metric in ("ctdivol_mgy", "dlp_mgy_cm"):
            number = getattr(value, metric)
            problem = number and self._out_of_range(metric, number, "CT", value.exam)
            if problem:
                finding = self.finding(
                    f"{name}: {problem}",
                    index.where(value, metric),
                    entity=entity,
                    detail=metric,
                )
                yield self.graded(finding, Severity.WARNING)

    def _out_of_range(self, metric: str, value: float, modality: str, exam: str) -> str:
        """Why `value` is implausible for `metric` (perfusion ranges for a CT perfusion
        exam), or ''."""
        ranges = self.ranges
        if modality == "CT" and _is_perfusion(exam) and metric in self.perfusion:
            ranges = self.perfusion
        low, high = ranges.get(metric, (0.0, float("inf")))
        if low <= value <= high:
            return ""
        return (
            f"{metric} {value:g} {_UNITS[metric]} is outside the plausible range "
            f"{low:g}-{high:g}: check the unit (mGy, not uGy; Gy*cm2, not mGy*cm2) and the "
            "value"
        )


class CtWithoutDoseCheckValues(Rule):
    """A CT in use has no Dose Check notification values, or no alert value, on record.

    What:
        A device acquires CT (including the CT of a PET/CT or SPECT/CT) and
        `dose.notification_values` has no CT entry; or it has some and
        `dose.alert_values` is absent. One finding for each, at the first CT device.
    Why:
        Per-exam dose alerting is the CT Dose Check (NEMA XR 25; IEC 60601-2-44): the
        console warns the technologist before a scan whose planned CTDIvol or DLP exceeds
        the notification value of its protocol group, and asks for a reason and a
        confirmation above the alert value for the accumulated dose. The AAPM "Dose Check
        Guidelines" give values to start from (CTDIvol 80 mGy adult head, 50 mGy adult
        torso, 600 mGy brain perfusion; alert value 1000 mGy). This is what the practice
        guide's "alert when individual studies exceed" thresholds (Step 4, "Dose
        monitoring") can really mean: a diagnostic reference level is a benchmark for the
        median (ICRP Publication 135), not a per-exam alert. Values on record can be
        reviewed by the physicist and kept the same on every scanner.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ct-1, site: MAIN, kind: modality, modality: CT}
        dose:
          notification_values:
            - {exam: Adult head, ctdivol_mgy: 80, source: AAPM Dose Check Guidelines}
            - {exam: Adult torso, ctdivol_mgy: 50, source: AAPM Dose Check Guidelines}
            - {exam: Brain perfusion, ctdivol_mgy: 600, source: AAPM Dose Check Guidelines}
          alert_values: {ctdivol_mgy: 1000}
    """

    code = "DOSE006"
    name = "ct-without-dose-check-values"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        scanners = index.acquisition_modalities.get("CT")
        if not scanners:
            return
        device, i = scanners[0]
        count = len(scanners)
        which = f"'{device.name}'" + (f" and {count - 1} more" if count > 1 else "")
        entity = identity.entity("modality", "CT")
        values = [v for v in index.env.notification_values if v.modality == "CT"]
        if not values:
            where: Location = index.where(device, "modality", i)  # read only when reported
            yield self.finding(
                f"CT is used by {which} but no CT Dose Check notification values are on "
                "record: add dose.notification_values per protocol group as configured on "
                "the scanners (NEMA XR 25; e.g. AAPM: CTDIvol 80 mGy adult head, 50 mGy "
                "adult torso)",
                where,
                entity=entity,
                detail="notification",
            )
        elif index.env.dose_alert_values is None:
            yield self.finding(
                f"CT is used by {which} and notification values are on record, but no "
                "Dose Check alert value: add dose.alert_values (NEMA XR 25; AAPM suggests "
                "an accumulated CTDIvol of 1000 mGy)",
                index.where(values[0], "exam"),
                entity=entity,
                detail="alert",
            )
