"""`devices`: PS3.15 Annex H dicomDevice, with its network connections and AEs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .types import (
    AETitle,
    CharacterSet,
    Hostname,
    IsoDate,
    Modalities,
    Name,
    Port,
    SopClass,
    Strict,
    Text,
    TransferSyntax,
)

DeviceKind = Literal[
    "modality",
    "pacs",
    "vna",
    "ris",
    "router",
    "ai",
    "viewer",
    "dose-monitor",
    "workstation",
    "reporting",
    "emr",
    "other",
]


class Connection(Strict):
    """dicomNetworkConnection: no port means outbound only."""

    name: Name
    hostname: Hostname
    port: Port | None = None
    tls: bool = False


class TransferCapability(Strict):
    """dicomTransferCapability: SOP classes in one role, syntaxes in order of preference.

    PS3.15 gives one SOP class per capability; `sop_classes` lists several that share a
    role and syntaxes, which is how conformance statements read.
    """

    sop_class: SopClass | None = None
    sop_classes: list[SopClass] = Field(default_factory=list)
    role: Literal["SCU", "SCP"]
    transfer_syntaxes: list[TransferSyntax] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_way_to_name_classes(self):
        if (self.sop_class is None) == (not self.sop_classes):
            raise ValueError("give either sop_class or sop_classes (not both, not neither)")
        return self

    @property
    def classes(self) -> list[str]:
        return [self.sop_class] if self.sop_class else self.sop_classes


class ApplicationEntity(Strict):
    """dicomNetworkAE."""

    ae_title: AETitle
    description: Text | None = None
    connections: list[Name] = Field(default_factory=list)
    initiator: bool = True
    acceptor: bool = True
    character_sets: list[CharacterSet] = Field(default_factory=list)
    transfer_capabilities: list[TransferCapability] = Field(default_factory=list)


class Device(Strict):
    """dicomDevice."""

    name: Name
    site: Name
    kind: DeviceKind
    modality: Modalities = Field(default_factory=list)
    description: Text | None = None
    manufacturer: Text | None = None
    model: Text | None = None
    software_version: Text | None = None
    installed: IsoDate | None = None
    conformance_statement: Text | None = None
    archive_of_record: bool | None = None
    """Defaults to true for a `vna`."""
    connections: list[Connection] = Field(default_factory=list)
    application_entities: list[ApplicationEntity] = Field(default_factory=list)

    @property
    def is_archive_of_record(self) -> bool:
        return self.kind == "vna" if self.archive_of_record is None else self.archive_of_record
