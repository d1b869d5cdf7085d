"""`dose`: the dose monitor, how dose reports reach it, reference levels and alert values.

Two different numbers live here, and they must not be confused. A diagnostic reference level
(DRL) is a benchmark for the facility's *median* dose of an exam, reviewed periodically
(ICRP Publication 135; ACR-AAPM-SPR practice parameter on DRLs; NCRP Report No. 172): it is
not a threshold for a single exam. Per-exam alerting is the job of the CT Dose Check
*notification* and *alert* values (NEMA XR 25; AAPM "Dose Check Guidelines").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, model_validator

from .types import AETitle, Modality, Name, Strict, Text

if TYPE_CHECKING:
    from .devices import Device

RDSR_BY_DEFAULT = frozenset({"CT", "XA", "RF", "DX", "MG"})
"""Modalities whose units send an X-Ray Radiation Dose SR unless the device says otherwise
(`dose_report`): CT, angiography, fluoroscopy, digital radiography, mammography. CR readers
have no link to the X-ray generator, and NM/PET cameras do not make the radiopharmaceutical
dose report (the hot lab does, IHE REM-NM)."""

METRICS = (
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "dap_gy_cm2",
    "air_kerma_mgy",
    "agd_mgy",
    "activity_mbq",
    "fluoro_time_min",
)


def _procedure_codes():
    """How studies are recognised as this exam by their procedure code (audit dose)."""
    return Field(
        default_factory=list,
        description="Procedure codes of this exam, as the studies carry them (Procedure Code "
        "Sequence, Requested Procedure Code Sequence): a code value such as RPID22, or "
        "SCHEME:VALUE such as RADLEX:RPID22 to also match the coding scheme. "
        "`imgpolicy audit dose` maps dose reports to the exam by them first.",
    )


def _descriptions():
    """How studies are recognised as this exam by their description (audit dose)."""
    return Field(
        default_factory=list,
        description="Study Description patterns of this exam, `*` and `?` as wildcards, "
        "letter case ignored (e.g. 'CT HEAD*'); for a protocol group, the CT acquisition "
        "protocol names too. `imgpolicy audit dose` uses them when no procedure code "
        "matches; without any, a study matches when its description is the exam's name.",
    )


def _metric(what: str):
    """A dose metric of a reference level: positive when given."""
    return Field(default=None, gt=0, description=f"The reference level of {what}.")


class ReferenceLevel(Strict):
    """A diagnostic reference level (DRL) for one exam, with the source it comes from: a
    benchmark for the facility's median dose, not a per-exam alert threshold."""

    # At least one metric (`_has_a_metric`), for editors too.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": [m], "properties": {m: {"type": "number"}}} for m in METRICS]
        }
    )

    exam: Text = Field(description="The exam, as the source names it (e.g. CT head).")
    modality: Modality = Field(description="The modality of the exam.")
    patient_category: str = Field(
        default="adult", description="The patients it applies to (adult, pediatric...)."
    )
    site: Name | None = Field(default=None, description="Only at this site; none: everywhere.")
    procedure_codes: list[Text] = _procedure_codes()
    descriptions: list[Text] = _descriptions()
    ctdivol_mgy: float | None = _metric("CTDIvol, in mGy")
    dlp_mgy_cm: float | None = _metric("dose-length product, in mGy·cm")
    dap_gy_cm2: float | None = _metric("dose-area product, in Gy·cm²")
    air_kerma_mgy: float | None = _metric("air kerma at the reference point, in mGy")
    agd_mgy: float | None = _metric("average glandular dose (mammography), in mGy")
    activity_mbq: float | None = _metric("administered activity (nuclear medicine), in MBq")
    fluoro_time_min: float | None = _metric("fluoroscopy time, in minutes")
    source: Text | None = Field(
        default=None, description="Where the level comes from (e.g. ACR-AAPM, a national DRL)."
    )
    edition: Text | None = Field(default=None, description="The source's edition or year.")

    @model_validator(mode="after")
    def _has_a_metric(self):
        if all(getattr(self, m) is None for m in METRICS):
            raise ValueError("give at least one dose metric: " + ", ".join(METRICS))
        return self


def _ct_value(what: str):
    """A CT Dose Check value: positive when given."""
    return Field(default=None, gt=0, description=what)


_ONE_CT_VALUE = ConfigDict(
    json_schema_extra={
        "anyOf": [
            {"required": [m], "properties": {m: {"type": "number"}}}
            for m in ("ctdivol_mgy", "dlp_mgy_cm")
        ]
    }
)


class NotificationValue(Strict):
    """A CT Dose Check notification value for one protocol group (NEMA XR 25): the console
    warns the technologist before scanning when the planned dose exceeds it."""

    # At least one value (`_has_a_value`), for editors too.
    model_config = _ONE_CT_VALUE

    exam: Text = Field(
        description="The protocol group it applies to, as the source names it (e.g. "
        "Adult head, Brain perfusion)."
    )
    modality: Modality = Field(default="CT", description="The modality (CT).")
    procedure_codes: list[Text] = _procedure_codes()
    descriptions: list[Text] = _descriptions()
    ctdivol_mgy: float | None = _ct_value("The CTDIvol notification value, in mGy.")
    dlp_mgy_cm: float | None = _ct_value("The DLP notification value, in mGy·cm.")
    source: Text | None = Field(
        default=None,
        description="Where the value comes from (e.g. AAPM Dose Check Guidelines, the "
        "facility's CT protocol committee).",
    )

    @model_validator(mode="after")
    def _has_a_value(self):
        if self.ctdivol_mgy is None and self.dlp_mgy_cm is None:
            raise ValueError("give ctdivol_mgy or dlp_mgy_cm (or both)")
        return self


class AlertValues(Strict):
    """CT Dose Check alert values (NEMA XR 25): the accumulated dose in one examination
    above which the console requires a reason and the operator's confirmation."""

    # At least one value (`_has_a_value`), for editors too.
    model_config = _ONE_CT_VALUE

    ctdivol_mgy: float | None = _ct_value(
        "The accumulated CTDIvol alert value, in mGy (AAPM suggests 1000 mGy)."
    )
    dlp_mgy_cm: float | None = _ct_value("The accumulated DLP alert value, in mGy·cm.")

    @model_validator(mode="after")
    def _has_a_value(self):
        if self.ctdivol_mgy is None and self.dlp_mgy_cm is None:
            raise ValueError("give ctdivol_mgy or dlp_mgy_cm (or both)")
        return self


class Dose(Strict):
    """The dose monitor, how dose reports reach it, and what it checks against."""

    monitor: AETitle | None = Field(
        default=None,
        description="The AE title of the dose monitor, where Radiation Dose SRs must arrive.",
    )
    collection: Literal["push", "query"] = Field(
        default="push",
        description="How the monitor gets dose SRs: `push` (modalities or a router send "
        "them to it) or `query` (it finds and retrieves them, as a Query/Retrieve SCU, "
        "from `collect_from`).",
    )
    collect_from: AETitle | None = Field(
        default=None,
        description="With `collection: query`: the AE title the monitor queries for dose "
        "SRs, usually the PACS or VNA (which must receive them).",
    )
    rrdsr_source: Name | None = Field(
        default=None,
        description="The device (a radiopharmacy or hot-lab system, or an injector) that "
        "makes the Radiopharmaceutical Radiation Dose SRs of NM and PET exams (IHE REM-NM).",
    )
    reference_levels: list[ReferenceLevel] = Field(
        default_factory=list,
        description="Diagnostic reference levels: benchmarks for the facility's median "
        "dose per exam (ICRP 135), not per-exam alerts.",
    )
    notification_values: list[NotificationValue] = Field(
        default_factory=list,
        description="CT Dose Check notification values per protocol group (NEMA XR 25, "
        "AAPM Dose Check Guidelines): the per-exam alerting at the console.",
    )
    alert_values: AlertValues | None = Field(
        default=None, description="CT Dose Check alert values (NEMA XR 25)."
    )


def dose_report_of(device: Device) -> frozenset[str]:
    """The dose reports a device's exams get (`rdsr`, `rrdsr`; empty for none): its
    `dose_report`, else the modality default (`rdsr` when any of its modalities is in
    RDSR_BY_DEFAULT, e.g. the CT of a PET/CT)."""
    declared = device.dose_report
    if declared is None:
        return frozenset({"rdsr"}) if RDSR_BY_DEFAULT & set(device.modality) else frozenset()
    if isinstance(declared, list):
        return frozenset(declared)
    return frozenset() if declared == "none" else frozenset({declared})
