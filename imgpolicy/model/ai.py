"""`ai`: imaging AI products, their FDA clearance, inputs and where results go."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .types import AETitle, AETitles, IsoDate, Modalities, Name, Strict, Text


class Clearance(Strict):
    pathway: Literal["510k", "de-novo", "pma", "none"]
    number: Text | None = None
    """K123456, DEN123456 or P123456."""
    cleared_on: IsoDate | None = None


class ClearedFor(Strict):
    modalities: Modalities = Field(min_length=1)
    body_parts: list[Text] = Field(default_factory=list)
    intended_use: Text | None = None


class ResultRoute(Strict):
    object: Literal["SR", "SC", "GSPS", "SEG", "KO"]
    to: AETitles = Field(min_length=1)


class AIProduct(Strict):
    name: Name
    vendor: Text | None = None
    version: Text | None = None
    fda: Clearance | None = None
    cleared_for: ClearedFor
    runs_on: AETitle
    results: list[ResultRoute] = Field(default_factory=list)
    description: Text | None = None
