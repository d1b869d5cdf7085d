"""`retention`: how long images are kept, per jurisdiction, modality and patient category."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .types import DurationField, Jurisdiction, Modalities, Name, Strict, Text


class RetentionPolicy(Strict):
    """Adults: `keep`. Minors: `keep_until_age` + `plus` (and `keep` as a floor, if any)."""

    name: Name
    jurisdiction: Jurisdiction
    modality: Modalities = Field(default_factory=list)
    """Empty: every modality."""
    patient_category: Literal["adult", "pediatric", "all"] = "all"
    keep: DurationField | None = None
    keep_until_age: int | None = Field(default=None, ge=1, le=30)
    plus: DurationField | None = None
    basis: Text | None = None
    """The law or policy this implements, for the audit."""
    lossless: bool = False
    """The retained copy must be original or lossless (e.g. mammography, 21 CFR 900.12)."""

    @model_validator(mode="after")
    def _has_a_period(self):
        if self.keep is None and self.keep_until_age is None:
            raise ValueError("give 'keep' (e.g. 7y) or 'keep_until_age' (with 'plus')")
        if self.plus is not None and self.keep_until_age is None:
            raise ValueError("'plus' goes with 'keep_until_age'")
        return self
