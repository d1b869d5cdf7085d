"""`storage`: tiers with capacity, lifecycle steps, and volumes for capacity projection."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .types import DurationField, Modalities, Name, Percent, Size, SomeModalities, Strict, Text


class Tier(Strict):
    """Storage of one device at one speed and cost (hot disk, cold object store...)."""

    name: Name = Field(description="The tier's name, unique in the environment.")
    device: Name = Field(description="The device (PACS, VNA) that owns the storage.")
    tier: Literal["hot", "warm", "cold", "archive"] = Field(
        description="Its class: hot (fast, reading), warm, cold, archive (long-term)."
    )
    capacity: Size = Field(description="Usable capacity, e.g. 400TB or 4TiB.")
    used: Size | None = Field(
        default=None,
        description="What the tier holds today; the capacity projection starts from it.",
    )
    role: Literal["primary", "cache", "replica"] = Field(
        default="primary",
        description="primary: holds studies in their own right; cache: a short-term copy "
        "(e.g. a PACS cache) whose lifecycle evicts studies kept elsewhere; replica: a "
        "copy of another tier (`replica_of`) that grows with it.",
    )
    replica_of: Name | None = Field(
        default=None,
        description="For a replica: the tier it copies (e.g. the DR copy of the VNA's tier).",
    )
    high_water: Percent | None = Field(
        default=None,
        description="The fill level at which the tier counts as full and needs capacity "
        "(default 85%).",
    )
    description: Text | None = Field(default=None, description="What the tier is.")


class LifecycleStep(Strict):
    """One step of a lifecycle: at an age, move the studies to a tier, purge them, or
    evict a cached copy."""

    # `to` with a move, not with a purge (`_move_has_target`), for editors too.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"required": ["action"], "properties": {"action": {"const": "move"}}},
                    "then": {"required": ["to"], "properties": {"to": {"type": "string"}}},
                },
                {
                    "if": {"required": ["action"], "properties": {"action": {"const": "purge"}}},
                    "then": {"properties": {"to": {"type": "null"}}},
                },
                {
                    "if": {"required": ["action"], "properties": {"action": {"const": "evict"}}},
                    "then": {
                        "required": ["kept_on"],
                        "properties": {"kept_on": {"type": "string"}, "to": {"type": "null"}},
                    },
                    "else": {"properties": {"kept_on": {"type": "null"}}},
                },
            ]
        }
    )

    after: DurationField = Field(
        description="Age of the study, counted from acquisition (not from arrival on the "
        "tier): 90d, 2y, P7Y."
    )
    action: Literal["move", "purge", "evict"] = Field(
        description="move to `to`; purge (delete the study); or evict (a cache drops its "
        "copy of a study that the `kept_on` tier keeps: not a purge)."
    )
    to: Name | None = Field(default=None, description="The tier a `move` goes to.")
    kept_on: Name | None = Field(
        default=None,
        description="For an `evict`: the tier that keeps the study (e.g. the VNA's), "
        "whose own lifecycle decides how long.",
    )

    @model_validator(mode="after")
    def _move_has_target(self):
        if self.action == "move" and self.to is None:
            raise ValueError("a 'move' step needs 'to: <tier>'")
        if self.action != "move" and self.to is not None:
            raise ValueError(f"a '{self.action}' step has no 'to'")
        if self.action == "evict" and self.kept_on is None:
            raise ValueError("an 'evict' step needs 'kept_on: <tier>' (where the study stays)")
        if self.action != "evict" and self.kept_on is not None:
            raise ValueError(f"'kept_on' goes with an 'evict' step, not a '{self.action}'")
        return self


class Lifecycle(Strict):
    """What happens to studies on a tier as they age: moves and a purge."""

    name: Name = Field(description="The lifecycle's name, unique in the environment.")
    tier: Name = Field(description="The tier the studies start on.")
    modality: Modalities = Field(
        default_factory=list, description="Only studies of these modalities; empty: all."
    )
    site: Name | None = Field(default=None, description="Only studies from this site.")
    steps: list[LifecycleStep] = Field(min_length=1, description="The steps, by age.")
    description: Text | None = Field(default=None, description="What the lifecycle is for.")


class Volume(Strict):
    """How many studies a site acquires per modality, for the capacity projection."""

    site: Name = Field(description="The site that acquires the studies.")
    modality: SomeModalities = Field(description="The modality or modalities counted.")
    tier: Name = Field(description="The tier the studies land on.")
    annual_studies: int = Field(ge=0, description="Studies per year, today.")
    mean_study_size: Size = Field(description="Mean size of a study, e.g. 250MB.")
    annual_growth: Percent = Field(description="Growth of the study count per year, e.g. 6%.")


class Storage(Strict):
    """Storage tiers, their lifecycles, and the volumes that fill them."""

    tiers: list[Tier] = Field(default_factory=list, description="Storage tiers.")
    lifecycle: list[Lifecycle] = Field(
        default_factory=list, description="Lifecycles: moves between tiers and purges by age."
    )
    volumes: list[Volume] = Field(
        default_factory=list, description="Acquisition volumes for the capacity projection."
    )
