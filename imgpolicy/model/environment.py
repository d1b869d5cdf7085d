"""One environment file as the schema sees it, and the whole environment once merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from .ai import AIProduct
from .continuity import ContinuityPlan
from .devices import ApplicationEntity, Device
from .dose import Dose, ReferenceLevel
from .integrations import Integration
from .reading import Reading, TurnaroundTarget
from .retention import RetentionPolicy
from .routes import Route
from .sites import Site
from .storage import Lifecycle, Storage, Tier, Volume
from .types import Strict
from .worklist import WorklistAssignment


class EnvironmentFile(Strict):
    """The top level of a file; any file may hold any section."""

    imgpolicy: Literal[1]
    sites: list[Site] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    worklist: list[WorklistAssignment] = Field(default_factory=list)
    storage: Storage | None = None
    retention: list[RetentionPolicy] = Field(default_factory=list)
    continuity: list[ContinuityPlan] = Field(default_factory=list)
    dose: Dose | None = None
    ai: list[AIProduct] = Field(default_factory=list)
    reading: Reading | None = None
    integrations: list[Integration] = Field(default_factory=list)


Origin = tuple[str, tuple]
"""(file path, path of keys and indexes to the item inside that file)."""


@dataclass
class Environment:
    """Every section merged across files, with where each item came from."""

    sites: list[Site] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    worklist: list[WorklistAssignment] = field(default_factory=list)
    tiers: list[Tier] = field(default_factory=list)
    lifecycle: list[Lifecycle] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    retention: list[RetentionPolicy] = field(default_factory=list)
    continuity: list[ContinuityPlan] = field(default_factory=list)
    dose_monitor: str | None = None
    dose_monitor_origin: Origin | None = None
    reference_levels: list[ReferenceLevel] = field(default_factory=list)
    ai: list[AIProduct] = field(default_factory=list)
    turnaround: list[TurnaroundTarget] = field(default_factory=list)
    integrations: list[Integration] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    origins: dict[int, Origin] = field(default_factory=dict, repr=False)

    def origin(self, item: object) -> Origin:
        return self.origins[id(item)]

    def application_entities(self) -> list[tuple[Device, ApplicationEntity]]:
        return [(d, ae) for d in self.devices for ae in d.application_entities]
