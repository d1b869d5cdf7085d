"""DOSE: radiation dose monitoring. Reference levels as data, and Dose SRs that arrive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import dicom
from ..analysis.index import ACQUISITION_KIND, Index, keyword
from ..config import ConfigError
from ..findings import Finding, Severity
from ..model.dose import METRICS, ReferenceLevel
from .base import Rule
from .common import ae_related, unknown_ae_hint

_XRAY_DOSE_SR = dicom.registry()["XRayRadiationDoseSRStorage"].uid
_RADIOPHARMACEUTICAL_DOSE_SR = dicom.registry()["RadiopharmaceuticalRadiationDoseSRStorage"].uid
_NUCLEAR = frozenset({"NM", "PT"})

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
    return f"drl:{level.modality}:{level.exam}"


class ModalityWithoutDrl(Rule):
    """A dose-emitting modality in use has no diagnostic reference level.

    What:
        A modality that emits ionising radiation (CT, XA, RF, MG, NM, PT, DX, CR) used by
        an acquisition device (`kind: modality`) with no `dose.reference_levels` entry for
        it. A level with a `site` covers that site only; one without covers every site.
    Why:
        The practice guide asks to "set dose reference levels (DRLs) per the ACR and
        compare institutional dose distributions against national benchmarks. Alert when
        individual studies exceed DRL thresholds" (Step 4, "Dose monitoring"); the
        Quality Audit checks that dose monitoring is "active with reference levels
        configured". A modality without a DRL is never compared with anything, so
        excessive doses go unnoticed.
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
    """

    code = "DOSE001"
    name = "modality-without-drl"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
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
                yield self.finding(
                    f"{modality} is used by '{device.name}'{where} but no dose reference level "
                    f"covers {modality}{where}: add dose.reference_levels for its common exams "
                    "(with source and edition)",
                    index.where(device, "modality", i),
                    entity=f"modality:{modality}",
                )


class NoDoseSrRoute(Rule):
    """A dose-emitting modality's Dose SR never reaches the dose monitor.

    What:
        An AE of an acquisition device with a dose-emitting modality whose dose SR
        classes (X-Ray, Enhanced X-Ray, Radiopharmaceutical, Patient Radiation Dose SR)
        reach the AE named in `dose.monitor` over no route path; or that is not SCU for
        any dose SR class (when no other AE of the device is); or any such AE when the
        environment declares no dose monitor at all. AEs that store nothing (e.g. a
        worklist-only AE) are left alone.
    Why:
        Dose monitoring runs on "DICOM dose structured reports (Dose SR)" (practice guide,
        Step 4, "Dose monitoring"); a modality whose RDSR goes nowhere is missing from
        every dose report and DRL alert, which is what the Quality Audit asks to be
        active. Routes are followed over the whole graph, so a Dose SR sent through a
        router counts.
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
        modalities: the modalities whose AEs must deliver Dose SRs (default: CT, CR, DX,
        MG, NM, PT, RF, XA; e.g. drop CR for cassette readers that cannot produce an
        RDSR).
    """

    code = "DOSE002"
    name = "no-dose-sr-route"
    severity = Severity.ERROR
    options = {"modalities": sorted(dicom.DOSE_EMITTING_MODALITIES)}

    def __init__(self, severity=None, **options: Any):
        super().__init__(severity, **options)
        unknown = [m for m in self.settings["modalities"] if m not in dicom.MODALITIES]
        if unknown:
            raise ConfigError(
                f"rules.{self.code}.modalities: unknown modality code "
                f"{', '.join(map(repr, unknown))}"
            )

    def check(self, index: Index) -> Iterator[Finding]:
        watched = frozenset(self.settings["modalities"])
        monitor = index.env.dose_monitor
        if monitor is not None and monitor not in index.aes:
            return  # DOSE003 reports the unknown monitor; every AE would fail here
        reach = index.flow.reaching(frozenset({monitor})) if monitor else {}
        for device in index.env.devices:
            if device.kind != ACQUISITION_KIND:
                continue
            emitting = [m for m in device.modality if m in watched]
            if not emitting:
                continue
            storing = [
                ae
                for ae in device.application_entities
                if index.storage_scu(ae.ae_title) and ae.ae_title != monitor
            ]
            device_sends_dose = any(
                index.storage_scu(ae.ae_title) & dicom.DOSE_SR_SOP_CLASSES for ae in storing
            )
            for ae in storing:
                title = ae.ae_title
                dose_classes = index.storage_scu(title) & dicom.DOSE_SR_SOP_CLASSES
                what = f"{title} ({device.name}, {'/'.join(emitting)})"
                if not dose_classes:
                    if device_sends_dose:
                        continue  # another AE of the device sends its dose reports
                    problem = (
                        "is not SCU for any dose SR class (e.g. "
                        "XRayRadiationDoseSRStorage): enable RDSR on the modality and "
                        "declare the capability"
                    )
                    if not monitor:
                        problem += "; and no dose monitor is declared (dose.monitor)"
                elif not monitor:
                    problem = (
                        "sends dose SRs, but the environment declares no dose monitor: "
                        "set dose.monitor to the AE of the dose monitoring system"
                    )
                else:
                    arriving = {
                        sop
                        for modality, sop in index.flow.origin(title)
                        if sop in dose_classes and title in reach.get((modality, sop), ())
                    }
                    lost = sorted(dose_classes - arriving, key=keyword)
                    if not lost:
                        continue
                    problem = (
                        f"sends {', '.join(map(keyword, lost))}, which no route path "
                        f"brings to the dose monitor {monitor}: add a route with "
                        "purpose: dose (directly or through the router)"
                    )
                yield self.finding(
                    f"{what} {problem}",
                    index.where(ae, "ae_title"),
                    entity=f"ae:{title}",
                    related=ae_related(index, monitor, f"dose monitor {monitor}")
                    if monitor
                    else [],
                )


class DoseMonitorNotRdsrScp(Rule):
    """The dose monitor is not an AE that accepts Radiation Dose SRs.

    What:
        `dose.monitor` names no AE title, or an AE that is not SCP for
        XRayRadiationDoseSRStorage (needed when an X-ray modality is in use), or for
        RadiopharmaceuticalRadiationDoseSRStorage when NM or PT is in use.
    Why:
        Every dose report is sent to the monitor (practice guide, Step 4, "Dose
        monitoring"; DICOM PS3.3 A.35.8 X-Ray Radiation Dose SR and A.35.14
        Radiopharmaceutical Radiation Dose SR); a monitor that rejects the presentation
        context collects nothing, and the DRL alerts never fire.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: pt-1, site: MAIN, kind: modality, modality: [PT, CT]}
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
          - {name: pt-1, site: MAIN, kind: modality, modality: [PT, CT]}
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
        monitor = index.env.dose_monitor
        if monitor is None:
            return
        where = index.result.location_of(index.env.dose_monitor_origin)
        if monitor not in index.aes:
            hint = unknown_ae_hint(
                index, monitor, "name the AE title of the dose monitoring system"
            )
            yield self.finding(
                f"dose.monitor '{monitor}' is not an AE title of any device{hint}",
                where,
                entity="dose:monitor",
            )
            return
        used = set(index.acquisition_modalities) & dicom.DOSE_EMITTING_MODALITIES
        needed = []
        if used - _NUCLEAR or not used:
            needed.append(_XRAY_DOSE_SR)
        if used & _NUCLEAR:
            needed.append(_RADIOPHARMACEUTICAL_DOSE_SR)
        missing = [uid for uid in needed if index.syntaxes(monitor, "SCP", uid) is None]
        if not missing:
            return
        device = index.device_of(monitor)
        yield self.finding(
            f"dose monitor {monitor} ({device.name}) does not accept "
            f"{' or '.join(map(keyword, missing))} as SCP: add the capability, or point "
            "dose.monitor at the AE that receives dose reports",
            where,
            entity="dose:monitor",
            related=ae_related(index, monitor, f"{monitor} is declared here"),
        )


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
                )


class ImplausibleDrl(Rule):
    """A dose reference level uses a metric foreign to its modality, or an implausible value.

    What:
        A `dose.reference_levels` entry with a metric that does not describe its modality
        (`ctdivol_mgy`/`dlp_mgy_cm` outside CT, except for the CT part of a PET/CT or
        SPECT/CT level on PT/NM; `agd_mgy` outside MG; `activity_mbq` outside NM/PT;
        `dap_gy_cm2`/`air_kerma_mgy` outside projection X-ray and fluoroscopy;
        `fluoro_time_min` outside XA/RF); a CT level without both `ctdivol_mgy` and
        `dlp_mgy_cm`; or a value outside the plausible range of its metric.
    Why:
        A DRL in the wrong unit (uGy entered as mGy, Gy*cm2 as mGy*cm2) or on the wrong
        metric never triggers, or triggers on every exam, so dose alerts stop meaning
        anything (practice guide, Step 4, "Dose monitoring"). CT DRLs are published as
        both CTDIvol and DLP (ACR Dose Index Registry), and a monitor compares both.
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
            - {exam: Screening mammography (per view), modality: MG, agd_mgy: 1.5,
               source: MAIN radiation safety committee, edition: "2026-03"}
    Options:
        plausible_ranges: metric -> [lowest, highest] value accepted; a configured entry
        replaces the default for that metric only. Defaults: ctdivol_mgy [0.1, 200],
        dlp_mgy_cm [1, 10000], agd_mgy [0.1, 10], dap_gy_cm2 [0.001, 1000], activity_mbq
        [1, 2000], air_kerma_mgy [0.01, 20000], fluoro_time_min [0.1, 300].
    """

    code = "DOSE005"
    name = "implausible-drl"
    severity = Severity.ERROR
    options = {
        "plausible_ranges": {
            "ctdivol_mgy": [0.1, 200],
            "dlp_mgy_cm": [1, 10000],
            "agd_mgy": [0.1, 10],
            "dap_gy_cm2": [0.001, 1000],
            "activity_mbq": [1, 2000],
            "air_kerma_mgy": [0.01, 20000],
            "fluoro_time_min": [0.1, 300],
        }
    }

    def __init__(self, severity=None, **options: Any):
        super().__init__(severity, **options)
        configured = self.settings["plausible_ranges"]
        where = f"rules.{self.code}.plausible_ranges"
        if not isinstance(configured, dict):
            raise ConfigError(f"{where}: expected a mapping of metric -> [lowest, highest]")
        ranges: dict[str, tuple[float, float]] = {}
        for metric, bounds in {**self.options["plausible_ranges"], **configured}.items():
            if metric not in METRICS:
                raise ConfigError(
                    f"{where}: unknown metric '{metric}' (known: {', '.join(METRICS)})"
                )
            if (
                not isinstance(bounds, (list, tuple))
                or len(bounds) != 2
                or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
                or bounds[0] > bounds[1]
            ):
                raise ConfigError(
                    f"{where}.{metric}: expected [lowest, highest], two numbers "
                    f"in order, not {bounds!r}"
                )
            ranges[metric] = (float(bounds[0]), float(bounds[1]))
        self.ranges = ranges

    def check(self, index: Index) -> Iterator[Finding]:
        for level in index.env.reference_levels:
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
                    )
                    continue
                low, high = self.ranges.get(metric, (0.0, float("inf")))
                if not low <= value <= high:
                    yield self.finding(
                        f"{name}: {metric} {value:g} {_UNITS[metric]} is outside the plausible "
                        f"range {low:g}-{high:g}: check the unit (mGy, not uGy; Gy*cm2, not "
                        "mGy*cm2) and the value",
                        index.where(level, metric),
                        entity=entity,
                    )
