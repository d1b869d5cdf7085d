"""`worklist`: Modality Worklist providers, their consumers, and MPPS destinations."""

from __future__ import annotations

from pydantic import Field

from .types import AETitle, Strict, Text


class WorklistAssignment(Strict):
    provider: AETitle
    consumers: list[AETitle] = Field(min_length=1)
    mpps_destination: AETitle | None = None
    description: Text | None = None
