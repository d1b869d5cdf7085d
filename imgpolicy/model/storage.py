"""`storage`: tiers with capacity, lifecycle steps, and volumes for capacity projection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .types import DurationField, Modalities, Name, Percent, Size, Strict, Text


class Tier(Strict):
    name: Name
    device: Name
    tier: Literal["hot", "warm", "cold", "archive"]
    capacity: Size
    used: Size | None = None
    """What the tier holds today; the capacity projection starts from it."""
    description: Text | None = None


class LifecycleStep(Strict):
    after: DurationField
    """Age of the study, counted from acquisition (not from arrival on the tier)."""
    action: Literal["move", "purge"]
    to: Name | None = None
    """The tier a `move` goes to."""

    @model_validator(mode="after")
    def _move_has_target(self):
        if self.action == "move" and self.to is None:
            raise ValueError("a 'move' step needs 'to: <tier>'")
        if self.action == "purge" and self.to is not None:
            raise ValueError("a 'purge' step has no 'to'")
        return self


class Lifecycle(Strict):
    name: Name
    tier: Name
    """The tier the studies start on."""
    modality: Modalities = Field(default_factory=list)
    site: Name | None = None
    steps: list[LifecycleStep] = Field(min_length=1)
    description: Text | None = None


class Volume(Strict):
    site: Name
    modality: Modalities = Field(min_length=1)
    tier: Name
    annual_studies: int = Field(ge=0)
    mean_study_size: Size
    annual_growth: Percent


class Storage(Strict):
    tiers: list[Tier] = Field(default_factory=list)
    lifecycle: list[Lifecycle] = Field(default_factory=list)
    volumes: list[Volume] = Field(default_factory=list)
