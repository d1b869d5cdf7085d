"""`ai`: imaging AI products, their FDA clearance, inputs and where results go."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .types import (
    AETitle,
    DurationField,
    IsoDate,
    Name,
    SomeAETitles,
    SomeModalities,
    Strict,
    Text,
)

Pathway = Literal[
    "510k", "de-novo", "pma", "hde", "exempt", "non-device", "investigational", "none"
]


class Clearance(Strict):
    """The product's FDA marketing authorization, or why it needs none."""

    # cleared_on or decision_date, not both (`_one_decision_date`), for editors too.
    model_config = ConfigDict(
        json_schema_extra={"not": {"required": ["cleared_on", "decision_date"]}}
    )

    pathway: Pathway = Field(
        description="510k (cleared), de-novo (granted), pma (approved), hde (humanitarian "
        "device exemption, approved), exempt (510(k)-exempt device), non-device (not a "
        "device under FD&C Act 520(o)), investigational (IDE or IRB-approved study), or "
        "none."
    )
    number: Text | None = Field(
        default=None,
        description="The FDA number: K123456 (510(k); also De Novos granted before 2012), "
        "DEN123456, P123456 (optionally /S012), H123456; for investigational use the IDE "
        "number, if any.",
    )
    cleared_on: IsoDate | None = Field(
        default=None, description="The FDA decision date, YYYY-MM-DD (or `decision_date`)."
    )
    decision_date: IsoDate | None = Field(
        default=None, description="The FDA decision date, YYYY-MM-DD (same as `cleared_on`)."
    )
    cleared_versions: list[Text] = Field(
        default_factory=list,
        description="The software versions the authorization covers; the installed "
        "`version` should be one of them.",
    )
    basis: Text | None = Field(
        default=None,
        description="For exempt, non-device or investigational use: the regulation or "
        "decision it rests on (e.g. 21 CFR 892.2050 exemption, the IRB protocol).",
    )

    @model_validator(mode="after")
    def _one_decision_date(self):
        if self.cleared_on is not None and self.decision_date is not None:
            raise ValueError("give the decision date once: `cleared_on` or `decision_date`")
        return self

    @property
    def decided_on(self):
        """The FDA decision date, whichever name it was written under."""
        return self.decision_date or self.cleared_on


class Population(Strict):
    """The patients a clearance covers, by age."""

    min_age: int | None = Field(
        default=None, ge=0, le=130, description="The youngest age covered, in years (e.g. 18)."
    )
    max_age: int | None = Field(
        default=None, ge=0, le=130, description="The oldest age covered, in years."
    )


class Monitoring(Strict):
    """The product's performance monitoring: when its metrics were last reviewed."""

    last_review: IsoDate | None = Field(
        default=None,
        description="When the governance committee last reviewed its performance "
        "(positive rate, overrides, failures against the vendor's claims), YYYY-MM-DD.",
    )
    every: DurationField | None = Field(
        default=None, description="How often it is reviewed, e.g. 6mo (default: rule AI007's)."
    )
    metrics: list[Text] = Field(
        default_factory=list,
        description="What is tracked, e.g. positive finding rate, radiologist override rate.",
    )


class ClearedFor(Strict):
    """What the clearance covers: studies outside it must not be sent to the product."""

    modalities: SomeModalities = Field(description="The modalities it is cleared for.")
    body_parts: list[Text] = Field(
        default_factory=list, description="The body parts it is cleared for; empty: any."
    )
    intended_use: Text | None = Field(
        default=None, description="The intended use, as the clearance states it."
    )
    population: Population | None = Field(
        default=None, description="The patients it is cleared for, e.g. min_age: 18."
    )


class ResultRoute(Strict):
    """Where one kind of result object goes."""

    object: Literal["SR", "SC", "GSPS", "SEG", "KO"] = Field(
        description="The result: structured report, secondary capture, presentation "
        "state, segmentation or key object selection."
    )
    to: SomeAETitles = Field(description="The AE title or titles that receive it.")


class AIProduct(Strict):
    """An imaging AI product: its clearance, the AE it runs on, and its results."""

    name: Name = Field(description="The product's name, unique in the environment.")
    vendor: Text | None = Field(default=None, description="Who makes it.")
    version: Text | None = Field(default=None, description="The version in use.")
    fda: Clearance | None = Field(default=None, description="Its FDA clearance.")
    cleared_for: ClearedFor = Field(description="What the clearance covers.")
    runs_on: AETitle = Field(description="The AE title that receives its input studies.")
    results: list[ResultRoute] = Field(
        default_factory=list, description="Where its results go, per kind of object."
    )
    input_selection: Text | None = Field(
        default=None,
        description="How the AI platform itself selects the studies the product runs on when "
        "routes send it more than the clearance covers (e.g. an orchestrator rule on Body "
        "Part Examined and patient age); rule AI002 then leaves body parts and ages to it.",
    )
    deployment: Literal["clinical", "shadow", "research"] = Field(
        default="clinical",
        description="clinical (results reach radiologists), shadow (runs silently for "
        "validation, results not shown) or research (under an IRB/IDE protocol).",
    )
    monitoring: Monitoring | None = Field(
        default=None, description="Its performance monitoring and review schedule."
    )
    description: Text | None = Field(default=None, description="What the product does.")
