"""`reading`: report turnaround targets per priority and modality."""

from __future__ import annotations

from pydantic import Field

from .types import DurationField, Name, Priority, SomeModalities, Strict


class TurnaroundTarget(Strict):
    """How soon a report is due, from acquisition, for one priority and some modalities."""

    priority: Priority = Field(description="The exam priority: stat, urgent, routine, screening.")
    modality: SomeModalities = Field(description="The modality or modalities it applies to.")
    target: DurationField = Field(description="The turnaround target, e.g. 1h, 24h, 3d.")
    site: Name | None = Field(default=None, description="Only at this site; none: everywhere.")


class Reading(Strict):
    """Reading: report turnaround targets."""

    turnaround: list[TurnaroundTarget] = Field(
        default_factory=list, description="Turnaround targets per priority and modality."
    )
