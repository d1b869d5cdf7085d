"""`devices`: PS3.15 Annex H dicomDevice, with its network connections and AEs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .types import (
    AETitle,
    CharacterSet,
    DurationField,
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
    "interface-engine",
    "mwl-broker",
    "audit-repository",
    "time-server",
    "radiopharmacy",
    "deidentifier",
    "image-exchange",
    "printer",
    "cardiology-pvs",
    "other",
]


TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
"""TLS protocol versions a connection may name as its lowest (SEC004 wants 1.2 or later)."""
_TLS_VERSION_NUMBERS = {1: "1.0", 1.1: "1.1", 1.2: "1.2", 1.3: "1.3"}


def _tls_version(value: object) -> object:
    """`min_version: 1.2` unquoted is a YAML number: read it as the version it names."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _TLS_VERSION_NUMBERS.get(value, value)
    return value


TlsVersion = Annotated[
    Literal["1.0", "1.1", "1.2", "1.3"],
    BeforeValidator(_tls_version),
    WithJsonSchema(
        {
            "enum": [*TLS_VERSIONS, *_TLS_VERSION_NUMBERS],
            "description": "a TLS protocol version: 1.2 or 1.3 (1.0 and 1.1 are deprecated, "
            "RFC 8996)",
        }
    ),
]


class TlsSettings(Strict):
    """The TLS profile of a connection (PS3.15 Annex B secure transport connection profiles)."""

    min_version: TlsVersion | None = Field(
        default=None,
        description="The lowest TLS version the connection accepts or offers: 1.2 or 1.3 "
        "(NIST SP 800-52r2, BCP 195); rule SEC004 reports anything lower.",
    )
    mutual: bool = Field(
        default=False,
        description="Both ends present certificates (mutual authentication, the PS3.15 "
        "Annex B BCP 195 TLS profiles' node authentication).",
    )
    certificate_expires: IsoDate | None = Field(
        default=None,
        description="When the connection's certificate expires, YYYY-MM-DD; rule SEC004 "
        "reports an expired certificate and one about to expire.",
    )


def _tls_setting(value: object) -> bool | TlsSettings:
    """`tls: true/false`, or a TLS profile mapping: one of the two, chosen by what is
    written, so a mistake is reported once, at the field or inside the profile."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return TlsSettings.model_validate(value)
    raise PydanticCustomError(
        "bool_type", "expected true, false or a TLS profile {min_version, mutual, ...}"
    )


TlsSetting = Annotated[
    bool | TlsSettings, PlainValidator(_tls_setting, json_schema_input_type=bool | TlsSettings)
]


class Connection(Strict):
    """dicomNetworkConnection: where a device listens or calls from; no port means outbound only."""

    name: Name = Field(
        description="The connection's name (cn), which its AEs list in their `connections`."
    )
    hostname: Hostname = Field(description="dicomHostname: the host name or IP address.")
    port: Port | None = Field(
        default=None,
        description="dicomPort: the TCP port it accepts associations on; none for a "
        "connection that only initiates them.",
    )
    tls: TlsSetting = Field(
        default=False,
        description="DICOM over TLS (a dicomTLSCipherSuite is configured), PS3.15 Annex B: "
        "true, or its profile {min_version, mutual, certificate_expires}.",
    )

    @property
    def uses_tls(self) -> bool:
        """Whether associations on this connection are encrypted (`tls: true` or a profile)."""
        return self.tls is not False


class TransferCapability(Strict):
    """dicomTransferCapability: SOP classes in one role, syntaxes in order of preference.

    PS3.15 gives one SOP class per capability; `sop_classes` lists several that share a
    role and syntaxes, which is how conformance statements read.
    """

    # Either sop_class or sop_classes (`_one_way_to_name_classes`), for editors too.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["sop_class"], "properties": {"sop_class": {"type": "string"}}},
                {"required": ["sop_classes"], "properties": {"sop_classes": {"minItems": 1}}},
            ]
        }
    )

    sop_class: SopClass | None = Field(
        default=None, description="dicomSOPClass: one SOP class (or use `sop_classes`)."
    )
    sop_classes: list[SopClass] = Field(
        default_factory=list,
        description="Several SOP classes with the same role and transfer syntaxes "
        "(or use `sop_class`).",
    )
    role: Literal["SCU", "SCP"] = Field(
        description="dicomTransferRole: SCU sends (or asks), SCP receives (or answers)."
    )
    transfer_syntaxes: list[TransferSyntax] = Field(
        min_length=1,
        description="dicomTransferSyntax: the transfer syntaxes, most preferred first.",
    )

    @model_validator(mode="after")
    def _one_way_to_name_classes(self):
        if (self.sop_class is None) == (not self.sop_classes):
            raise ValueError("give either sop_class or sop_classes (not both, not neither)")
        return self

    @property
    def classes(self) -> list[str]:
        return [self.sop_class] if self.sop_class else self.sop_classes


class ApplicationEntity(Strict):
    """dicomNetworkAE: an AE title on a device, with what it sends and accepts."""

    ae_title: AETitle = Field(
        description="dicomAETitle: unique in the environment (PS3.5: 1-16 characters)."
    )
    description: Text | None = Field(default=None, description="dicomDescription.")
    connections: list[Name] = Field(
        default_factory=list,
        description="dicomNetworkConnectionReference: names of the device's connections "
        "this AE uses; empty: all of them.",
    )
    initiator: bool = Field(
        default=True,
        description="dicomAssociationInitiator: the AE opens associations (as SCU, or to "
        "send results).",
    )
    acceptor: bool = Field(
        default=True,
        description="dicomAssociationAcceptor: the AE accepts associations; it needs a "
        "connection with a port.",
    )
    character_sets: list[CharacterSet] = Field(
        default_factory=list,
        description="dicomSupportedCharacterSet: Specific Character Set (0008,0005) terms.",
    )
    transfer_capabilities: list[TransferCapability] = Field(
        default_factory=list,
        description="dicomTransferCapability: the SOP classes the AE supports, per role.",
    )
    peers: list[AETitle] | Literal["any"] | None = Field(
        default=None,
        description="The SCP's known-peer table: the calling AE titles it accepts "
        "associations from (who may store or query), or `any` when it accepts every "
        "caller; absent: not known.",
    )
    move_destinations: list[AETitle] | None = Field(
        default=None,
        description="The C-MOVE destination table (AE title to host and port) of a "
        "Query/Retrieve SCP: the only AEs it can send retrieved studies to (PS3.4 "
        "C.4.2); absent: not known.",
    )


class LocalDeletion(Strict):
    """How a modality deletes its local copies of studies it has sent."""

    after: DurationField = Field(
        description="How long after sending the modality deletes a study, e.g. 2d."
    )
    requires_commitment: bool = Field(
        default=True,
        description="Deletes only studies the archive has confirmed by Storage Commitment "
        "(PS3.4 Annex J N-EVENT-REPORT).",
    )


class Device(Strict):
    """dicomDevice: one system (a modality, PACS, VNA, router...) at one site."""

    name: Name = Field(description="dicomDeviceName: unique in the environment.")
    site: Name = Field(description="The `sites` entry where the device stands.")
    kind: DeviceKind = Field(
        description="What the device is (its dicomPrimaryDeviceType, coarsely); rules "
        "expect roles from it."
    )
    modality: Modalities = Field(
        default_factory=list,
        description="For a modality: what it acquires, one Modality code or a list.",
    )
    description: Text | None = Field(default=None, description="dicomDescription.")
    manufacturer: Text | None = Field(default=None, description="dicomManufacturer.")
    model: Text | None = Field(default=None, description="dicomManufacturerModelName.")
    software_version: Text | None = Field(default=None, description="dicomSoftwareVersion.")
    installed: IsoDate | None = Field(
        default=None, description="When the device went into service, YYYY-MM-DD."
    )
    conformance_statement: Text | None = Field(
        default=None, description="Where the vendor's DICOM Conformance Statement is (a URL)."
    )
    archive_of_record: bool | None = Field(
        default=None,
        description="Holds the legal copy that retention applies to; defaults to true for "
        "a `vna`, false otherwise.",
    )
    acquisition_syntaxes: list[TransferSyntax] = Field(
        default_factory=list,
        description="For a modality: the transfer syntaxes its originals are acquired in, "
        "when it encodes them itself (ultrasound cine as JPEG baseline, endoscopy video as "
        "MPEG-4, whole slide images as JPEG): a lossy one here is the original, not a "
        "lossy copy.",
    )
    local_deletion: LocalDeletion | None = Field(
        default=None,
        description="For a modality: when it deletes local copies of sent studies; "
        "absent: it keeps them until someone deletes them.",
    )
    workflow: Literal["order-based", "encounter-based"] = Field(
        default="order-based",
        description="For a modality: order-based (scheduled from a Modality Worklist) or "
        "encounter-based (IHE Encounter-Based Imaging Workflow: point-of-care ultrasound, "
        "endoscopy, clinical photos; demographics come from the encounter, not an order).",
    )
    patient_id_issuer: Text | None = Field(
        default=None,
        description="Issuer of Patient ID (0010,0021) of the patient IDs this device writes "
        "or holds, when it differs from its site's `patient_id_issuer`.",
    )
    cluster: Name | None = Field(
        default=None,
        description="The cluster the device is part of: devices naming one cluster may "
        "share a host and port (a virtual IP, an active/passive pair, or one listener "
        "that dispatches by called AE title).",
    )
    dose_report: Literal["rdsr", "rrdsr", "none"] | list[Literal["rdsr", "rrdsr"]] | None = Field(
        default=None,
        description="For a modality: the dose report of its exams. `rdsr`: it sends an "
        "X-Ray Radiation Dose SR (PS3.3 A.35.8); `rrdsr`: a Radiopharmaceutical "
        "Radiation Dose SR (PS3.3 A.35.14), made by the radiopharmacy system named in "
        "`dose.rrdsr_source` unless the device sends it (IHE REM-NM); `none`: no dose "
        "SR (a CR reader, a legacy unit); both as a list for a PET/CT or SPECT/CT "
        "([rdsr, rrdsr]). Absent: `rdsr` for CT, XA, RF, DX and MG, `none` for every "
        "other modality.",
    )
    connections: list[Connection] = Field(
        default_factory=list, description="dicomNetworkConnection: the device's connections."
    )
    application_entities: list[ApplicationEntity] = Field(
        default_factory=list, description="dicomNetworkAE: the device's AEs."
    )

    @property
    def is_archive_of_record(self) -> bool:
        return self.kind == "vna" if self.archive_of_record is None else self.archive_of_record
