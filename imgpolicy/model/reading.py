"""`reading`: report turnaround targets per priority and modality."""

from __future__ import annotations

from pydantic import Field

from .types import DurationField, Modalities, Name, Priority, Strict


class TurnaroundTarget(Strict):
    priority: Priority
    modality: Modalities = Field(min_length=1)
    target: DurationField
    site: Name | None = None


class Reading(Strict):
    turnaround: list[TurnaroundTarget] = Field(default_factory=list)
