"""`retention`: how long images are kept, per jurisdiction, modality and patient category."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .types import DurationField, Jurisdiction, Modalities, Name, Strict, Text


class RetentionPolicy(Strict):
    """Adults: `keep`. Minors: `keep_until_age` + `plus` (and `keep` as a floor, if any)."""

    # A period, and `plus` only with `keep_until_age` (`_has_a_period`), for editors too.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["keep"], "properties": {"keep": {"type": "string"}}},
                {
                    "required": ["keep_until_age"],
                    "properties": {"keep_until_age": {"type": "integer"}},
                },
            ],
            "if": {"required": ["plus"], "properties": {"plus": {"type": "string"}}},
            "then": {
                "required": ["keep_until_age"],
                "properties": {"keep_until_age": {"type": "integer"}},
            },
        }
    )

    name: Name = Field(description="The policy's name, unique in the environment.")
    jurisdiction: Jurisdiction = Field(
        description="Where it applies (ISO 3166: US, US-CA): to studies of sites there."
    )
    modality: Modalities = Field(
        default_factory=list, description="The modalities it covers; empty: every modality."
    )
    patient_category: Literal["adult", "pediatric", "all"] = Field(
        default="all", description="The patients it covers."
    )
    keep: DurationField | None = Field(
        default=None,
        description="How long studies are kept from acquisition (7y, P10Y); for minors, "
        "the floor under `keep_until_age`.",
    )
    keep_until_age: int | None = Field(
        default=None, ge=1, le=30, description="Minors: keep until the patient is this age..."
    )
    plus: DurationField | None = Field(
        default=None, description="...plus this long (goes with `keep_until_age`)."
    )
    basis: Text | None = Field(
        default=None, description="The law or policy this implements, for the audit."
    )
    lossless: bool = Field(
        default=False,
        description="The retained copy must be original or lossless (e.g. mammography, "
        "21 CFR 900.12).",
    )

    @model_validator(mode="after")
    def _has_a_period(self):
        if self.keep is None and self.keep_until_age is None:
            raise ValueError("give 'keep' (e.g. 7y) or 'keep_until_age' (with 'plus')")
        if self.plus is not None and self.keep_until_age is None:
            raise ValueError("'plus' goes with 'keep_until_age'")
        return self
