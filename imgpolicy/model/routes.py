"""`routes`: where studies go, AE title to AE title."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .types import AETitle, AETitles, Modalities, Name, SopClass, Strict, Text, TransferSyntax

RoutePurpose = Literal[
    "archive",
    "reading",
    "ai",
    "prefetch",
    "teleradiology",
    "replication",
    "dose",
    "results",
    "forward",
]


class RouteMatch(Strict):
    """What the route carries; an empty match carries everything that reaches `from`."""

    modality: Modalities = Field(default_factory=list)
    sop_classes: list[SopClass] = Field(default_factory=list)
    calling_ae: AETitles = Field(default_factory=list)
    body_part: list[Text] = Field(default_factory=list)


class Route(Strict):
    name: Name
    description: Text | None = None
    from_: AETitle = Field(alias="from")
    to: AETitle
    match: RouteMatch | None = None
    transfer_syntax: TransferSyntax | None = None
    purpose: RoutePurpose
    priority: Literal["high", "medium", "low"] = "medium"
    enabled: bool = True
