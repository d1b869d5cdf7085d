"""`dose`: the dose monitor and diagnostic reference levels, kept as data with a source."""

from __future__ import annotations

from pydantic import Field, model_validator

from .types import AETitle, Modality, Name, Strict, Text

METRICS = (
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "dap_gy_cm2",
    "air_kerma_mgy",
    "agd_mgy",
    "activity_mbq",
    "fluoro_time_min",
)


class ReferenceLevel(Strict):
    exam: Text
    modality: Modality
    patient_category: str = "adult"
    site: Name | None = None
    ctdivol_mgy: float | None = Field(default=None, gt=0)
    dlp_mgy_cm: float | None = Field(default=None, gt=0)
    dap_gy_cm2: float | None = Field(default=None, gt=0)
    air_kerma_mgy: float | None = Field(default=None, gt=0)
    agd_mgy: float | None = Field(default=None, gt=0)
    activity_mbq: float | None = Field(default=None, gt=0)
    fluoro_time_min: float | None = Field(default=None, gt=0)
    source: Text | None = None
    edition: Text | None = None

    @model_validator(mode="after")
    def _has_a_metric(self):
        if all(getattr(self, m) is None for m in METRICS):
            raise ValueError("give at least one dose metric: " + ", ".join(METRICS))
        return self


class Dose(Strict):
    monitor: AETitle | None = None
    reference_levels: list[ReferenceLevel] = Field(default_factory=list)
