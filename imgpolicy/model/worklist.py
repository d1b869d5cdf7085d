"""`worklist`: Modality Worklist providers, their consumers, and MPPS destinations."""

from __future__ import annotations

from pydantic import Field

from .types import AETitle, Strict, Text


class WorklistAssignment(Strict):
    """Which modalities query which Modality Worklist SCP, and where they send MPPS."""

    provider: AETitle = Field(
        description="The AE title of the Modality Worklist SCP (usually the RIS)."
    )
    consumers: list[AETitle] = Field(
        min_length=1, description="The modalities' AE titles that query it (as SCU)."
    )
    mpps_destination: AETitle | None = Field(
        default=None,
        description="The AE title the consumers send Modality Performed Procedure Step to.",
    )
    description: Text | None = Field(default=None, description="What the assignment covers.")
