"""One environment file as the schema sees it, and the whole environment once merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from .ai import AIProduct
from .continuity import ContinuityPlan
from .devices import ApplicationEntity, Device
from .dose import AlertValues, Dose, NotificationValue, ReferenceLevel
from .integrations import Integration
from .links import SiteLink
from .organisation import Audit, Organisation
from .reading import Reading, TurnaroundTarget
from .retention import RetentionPolicy
from .routes import Route
from .sites import Site
from .storage import Lifecycle, Storage, Tier, Volume
from .types import Strict
from .uids import PrivateUid
from .worklist import WorklistAssignment


class EnvironmentFile(Strict):
    """The top level of a file; any file may hold any section."""

    imgpolicy: Literal[1] = Field(
        description="The file format version; a YAML file without `imgpolicy: 1` at its top "
        "is not part of the environment."
    )
    sites: list[Site] = Field(
        default_factory=list, description="Facilities and reading providers, with jurisdiction."
    )
    devices: list[Device] = Field(
        default_factory=list,
        description="dicomDevice entries (PS3.15 Annex H): systems with their network "
        "connections and AEs.",
    )
    routes: list[Route] = Field(
        default_factory=list, description="Where studies go, from AE title to AE title."
    )
    worklist: list[WorklistAssignment] = Field(
        default_factory=list,
        description="Modality Worklist providers, their consumers and MPPS destinations.",
    )
    storage: Storage | None = Field(
        default=None, description="Storage tiers, lifecycles and acquisition volumes."
    )
    retention: list[RetentionPolicy] = Field(
        default_factory=list,
        description="How long studies are kept, per jurisdiction, modality and patient category.",
    )
    continuity: list[ContinuityPlan] = Field(
        default_factory=list, description="Disaster-recovery objectives per critical system."
    )
    dose: Dose | None = Field(
        default=None,
        description="The dose monitor, how dose SRs reach it, diagnostic reference levels "
        "and CT Dose Check notification and alert values.",
    )
    ai: list[AIProduct] = Field(
        default_factory=list, description="Imaging AI products and their FDA clearance."
    )
    reading: Reading | None = Field(default=None, description="Report turnaround targets.")
    integrations: list[Integration] = Field(
        default_factory=list, description="HL7, FHIR and DICOMweb connections between devices."
    )
    organisation: Organisation | None = Field(
        default=None,
        description="The organisation the environment belongs to (once per environment).",
    )
    audit: Audit | None = Field(
        default=None,
        description="The audit record repository and time sources (IHE ATNA, IHE CT), "
        "once per environment.",
    )
    site_links: list[SiteLink] = Field(
        default_factory=list,
        description="How traffic between two sites is carried (IPsec, SD-WAN, MPLS...), so "
        "network-layer encryption counts for the transport rules.",
    )
    private_uids: list[PrivateUid] = Field(
        default_factory=list,
        description="Vendors' private SOP classes and transfer syntaxes (e.g. Siemens CSA "
        "Non-Image Storage), declared once with a name; any file may then use the name or "
        "the UID.",
    )


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
    dose_collection: str = "push"
    dose_collection_origin: Origin | None = None
    dose_collect_from: str | None = None
    dose_collect_from_origin: Origin | None = None
    dose_rrdsr_source: str | None = None
    dose_rrdsr_source_origin: Origin | None = None
    dose_alert_values: AlertValues | None = None
    dose_alert_values_origin: Origin | None = None
    notification_values: list[NotificationValue] = field(default_factory=list)
    ai: list[AIProduct] = field(default_factory=list)
    turnaround: list[TurnaroundTarget] = field(default_factory=list)
    integrations: list[Integration] = field(default_factory=list)
    site_links: list[SiteLink] = field(default_factory=list)
    private_uids: list[PrivateUid] = field(default_factory=list)
    organisation: Organisation | None = None
    audit: Audit | None = None
    files: list[str] = field(default_factory=list)
    origins: dict[int, Origin] = field(default_factory=dict, repr=False)

    def origin(self, item: object) -> Origin:
        return self.origins[id(item)]

    def application_entities(self) -> list[tuple[Device, ApplicationEntity]]:
        return [(d, ae) for d in self.devices for ae in d.application_entities]
