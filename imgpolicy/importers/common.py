"""What the importers build (devices, AEs, transfer capabilities, with where each came
from), the checks that keep it valid for the schema, and its YAML form.

An importer turns a system's configuration into `Device`s and `Finding`s; `render` writes
the environment file. Every value that goes into a device passes the same validators as
`imgpolicy check` uses (AE title, hostname, name), so a value the schema would reject is
reported as a finding and left out instead of producing a file that does not load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import FORMAT_VERSION, dicom
from ..codes import CODES
from ..findings import Finding, Location, Severity
from .yaml_writer import Map, Seq, dump


class ImportFailed(Exception):
    """Input that cannot be used at all (exit 2); the message says where and why."""


MAX_SOURCE_BYTES = 16 * 1024 * 1024
"""The largest configuration file an importer reads."""


def read_bounded(path: str) -> bytes:
    """A configuration file's bytes; `ImportFailed` when unreadable or too large."""
    from ..fsutil import read_bounded as read

    try:
        return read(path, MAX_SOURCE_BYTES)
    except OSError as err:
        raise ImportFailed(f"{path}: cannot read: {err.strerror}") from None


@dataclass(frozen=True, slots=True)
class Where:
    """Where a value came from: a file position or a URL, and what it is there."""

    path: str
    line: int = 0
    column: int = 0
    what: str = ""

    @property
    def at(self) -> str:
        return f"{self.path}:{self.line}:{self.column}" if self.line else self.path

    def text(self) -> str:
        return f"{self.what} in {self.at}" if self.what else self.at

    def location(self) -> Location:
        return Location(self.path, self.line, self.column)


def make_finding(code: str, message: str, where: Where, entity: str = "") -> Finding:
    """A finding with the severity the code has in the catalogue."""
    return Finding(code, CODES[code].severity, message, where.location(), entity=entity)


def format_finding(finding: Finding) -> str:
    """`path:line:col: CODE message [severity]`, as `imgpolicy check` prints findings."""
    loc = finding.location
    where = str(loc) if loc and loc.line else loc.path if loc else "imgpolicy"
    suffix = "" if finding.severity is Severity.ERROR else f" [{finding.severity.label}]"
    return f"{where}: {finding.code} {finding.message}{suffix}"


# --- the imported model ----------------------------------------------------------------


@dataclass
class Capability:
    role: str
    sop_classes: list[str]
    """UIDs."""
    transfer_syntaxes: list[str]
    """UIDs, in order of preference."""
    above: list[str | None] = field(default_factory=list)
    sop_notes: dict[str, str] = field(default_factory=dict)
    """SOP class UID -> a comment at the end of its line."""
    ts_notes: dict[str, str] = field(default_factory=dict)
    sop_anchor: str | None = None
    """Share the SOP class list with other capabilities under this YAML anchor."""
    ts_anchor: str | None = None


@dataclass
class Connection:
    name: str
    hostname: str
    port: int | None = None
    tls: bool = False
    above: list[str | None] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    """Field name -> a comment at the end of its line."""


@dataclass
class AE:
    ae_title: str
    connections: list[str] = field(default_factory=list)
    initiator: bool = True
    acceptor: bool = True
    description: str | None = None
    capabilities: list[Capability] = field(default_factory=list)
    above: list[str | None] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    capabilities_above: list[str | None] = field(default_factory=list)


@dataclass
class Device:
    name: str
    site: str
    kind: str
    manufacturer: str | None = None
    model: str | None = None
    software_version: str | None = None
    description: str | None = None
    connections: list[Connection] = field(default_factory=list)
    application_entities: list[AE] = field(default_factory=list)
    above: list[str | None] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    """A forwarding rule of the source (an auto-routing script, an export rule)."""

    name: str
    from_ae: str
    to_ae: str
    purpose: str = "forward"
    match: dict[str, list[str]] = field(default_factory=dict)
    """`RouteMatch` field -> values (modality, sop_classes, calling_ae...)."""
    description: str | None = None
    priority: str | None = None
    """high, medium or low: the sender's queue priority, where the source sets one."""
    enabled: bool = True
    above: list[str | None] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Integration:
    """A DICOMweb, FHIR or HL7 endpoint one device calls on another."""

    name: str
    kind: str
    source: str
    target: str
    endpoint: str
    services: list[str] = field(default_factory=list)
    credentials: dict[str, str] = field(default_factory=dict)
    """username/password/token/api_key -> a value; secrets only as `${ENV}` references."""
    verify_tls: bool = True
    description: str | None = None
    above: list[str | None] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    devices: list[Device] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    integrations: list[Integration] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    """Comment lines at the top of the file: what was imported from where, and how."""

    def add(self, code: str, message: str, where: Where, entity: str = "") -> None:
        self.findings.append(make_finding(code, message, where, entity))

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)


# --- values the schema accepts ---------------------------------------------------------


@cache
def _adapters():
    from pydantic import TypeAdapter

    from ..model.types import AETitle, Hostname, Name

    return TypeAdapter(AETitle), TypeAdapter(Hostname), TypeAdapter(Name)


def _problem(adapter, value: Any) -> tuple[Any, str | None]:
    from pydantic import ValidationError

    try:
        return adapter.validate_python(value, strict=True), None
    except ValidationError as err:
        return None, err.errors()[0]["msg"]


def check_ae_title(value: Any) -> tuple[str | None, str | None]:
    """(the AE title as imgpolicy stores it, None) or (None, why it is no AE title)."""
    return _problem(_adapters()[0], value)


def check_hostname(value: Any) -> tuple[str | None, str | None]:
    return _problem(_adapters()[1], value)


def check_name(value: Any) -> tuple[str | None, str | None]:
    return _problem(_adapters()[2], value)


def check_port(value: Any) -> tuple[int | None, str | None]:
    """Orthanc and DCMTK accept a port as a number or as digits in a string."""
    digits = value.strip().lstrip("0") if isinstance(value, str) else ""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        if len(digits) > 5:  # int() of 4,300+ digits raises; no port has 6
            return None, f"port {value.strip()[:12]}... is out of range (1-65535)"
        value = int(digits or "0")
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"port {value!r} is not a number"
    if not 1 <= value <= 65535:
        return None, f"port {value} is out of range (1-65535)"
    return value, None


def safe_name(text: str, fallback: str) -> str:
    """A device or connection name the schema accepts, made from `text`."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text.strip())
    name = re.sub(r"^[^A-Za-z0-9]+", "", name)[:64].rstrip("-")
    return name or fallback


def placeholder_hostname(device_name: str) -> str:
    """`<name>.invalid` (RFC 2606: never resolves), for a host the source does not name."""
    label = re.sub(r"[^A-Za-z0-9-]+", "-", device_name).strip("-").lower()[:63] or "host"
    return f"{label}.invalid"


class Names:
    """Device names and AE titles handed out so far: both must be unique in the file."""

    def __init__(self) -> None:
        self.devices: set[str] = set()
        self.ae_titles: dict[str, Where] = {}

    def device(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.devices:
            n += 1
            suffix = f"-{n}"
            name = wanted[: 64 - len(suffix)] + suffix
        self.devices.add(name)
        return name

    def claim_ae(self, title: str, where: Where) -> Where | None:
        """Record `title`; if it is taken, return where it was first defined."""
        if title in self.ae_titles:
            return self.ae_titles[title]
        self.ae_titles[title] = where
        return None


# --- UIDs ------------------------------------------------------------------------------


def uid_key(uid: str) -> tuple:
    """Sort UIDs by their numeric components: 1.2.840.10008.1.2 before 1.2.840.10008.1.2.1."""
    return tuple(int(p) if p.isdigit() else 0 for p in uid.split("."))


def spelled(uid: str) -> str:
    """The pydicom keyword of a UID (the schema's preferred spelling), else the UID."""
    info = dicom.lookup(uid)
    if info and info.keyword and dicom.lookup(info.keyword) is info:
        return info.keyword
    return uid


@cache
def storage_sop_classes() -> tuple[str, ...]:
    """Every non-retired storage SOP class in pydicom's registry, in UID order."""
    uids = {
        i.uid
        for i in dicom.registry().values()
        if i.is_sop_class
        and not i.retired
        and "Storage" in i.keyword
        and not i.keyword.startswith("StorageCommitment")
        and i.keyword != "MediaStorageDirectoryStorage"
    }
    return tuple(sorted(uids, key=uid_key))


@cache
def transfer_syntaxes() -> tuple[str, ...]:
    """Every transfer syntax in pydicom's registry, in UID order."""
    return tuple(
        sorted({i.uid for i in dicom.registry().values() if i.is_transfer_syntax}, key=uid_key)
    )


def expand_wildcard(pattern: str) -> list[str]:
    """The transfer syntaxes in pydicom's registry that `pattern` matches, as Orthanc
    matches them: against the whole UID, `*` any run of characters (dots included), `?`
    one character, everything else literally."""
    regex = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )
    return [uid for uid in transfer_syntaxes() if regex.fullmatch(uid)]


IMPLICIT_VR = "1.2.840.10008.1.2"
EXPLICIT_VR = "1.2.840.10008.1.2.1"
EXPLICIT_VR_BIG = "1.2.840.10008.1.2.2"
VERIFICATION = "1.2.840.10008.1.1"
STORAGE_COMMITMENT = "1.2.840.10008.1.20.1"
MODALITY_WORKLIST_FIND = "1.2.840.10008.5.1.4.31"
PATIENT_ROOT = {
    "FIND": "1.2.840.10008.5.1.4.1.2.1.1",
    "MOVE": "1.2.840.10008.5.1.4.1.2.1.2",
    "GET": "1.2.840.10008.5.1.4.1.2.1.3",
}
STUDY_ROOT = {
    "FIND": "1.2.840.10008.5.1.4.1.2.2.1",
    "MOVE": "1.2.840.10008.5.1.4.1.2.2.2",
    "GET": "1.2.840.10008.5.1.4.1.2.2.3",
}


# --- YAML ------------------------------------------------------------------------------


def _uid_seq(uids: list[str], notes: dict[str, str], anchor: str | None, flow: bool = True) -> Seq:
    seq = Seq(anchor=anchor, flow=flow)
    for uid in uids:
        seq.add(spelled(uid), after=notes.get(uid))
    return seq


def _capability(cap: Capability) -> Map:
    entry = Map()
    entry.add("role", cap.role, above=cap.above)
    entry.add("sop_classes", _uid_seq(cap.sop_classes, cap.sop_notes, cap.sop_anchor, flow=False))
    entry.add("transfer_syntaxes", _uid_seq(cap.transfer_syntaxes, cap.ts_notes, cap.ts_anchor))
    return entry


def _device(device: Device) -> Map:
    entry = Map()
    notes = device.notes
    entry.add("name", device.name, above=device.above, after=notes.get("name"))
    entry.add("site", device.site, after=notes.get("site"))
    entry.add("kind", device.kind, after=notes.get("kind"))
    for key in ("manufacturer", "model", "software_version", "description"):
        value = getattr(device, key)
        if value is not None:
            entry.add(key, value, after=notes.get(key))
    connections = Seq()
    for conn in device.connections:
        item = Map()
        item.add("name", conn.name, above=conn.above, after=conn.notes.get("name"))
        item.add("hostname", conn.hostname, after=conn.notes.get("hostname"))
        if conn.port is not None:
            item.add("port", conn.port, after=conn.notes.get("port"))
        item.add("tls", conn.tls, after=conn.notes.get("tls"))
        connections.add(item)
    entry.add("connections", connections, after=notes.get("connections"))
    aes = Seq()
    for ae in device.application_entities:
        item = Map()
        item.add("ae_title", ae.ae_title, above=ae.above, after=ae.notes.get("ae_title"))
        if ae.description:
            item.add("description", ae.description)
        item.add(
            "connections",
            Seq([]) if not ae.connections else _plain_seq(ae.connections),
            after=ae.notes.get("connections"),
        )
        item.add("initiator", ae.initiator, after=ae.notes.get("initiator"))
        item.add("acceptor", ae.acceptor, after=ae.notes.get("acceptor"))
        caps = Seq()
        for cap in ae.capabilities:
            caps.add(_capability(cap))
        item.add("transfer_capabilities", caps, above=ae.capabilities_above)
        aes.add(item)
    entry.add("application_entities", aes)
    return entry


def _plain_seq(values: list[str]) -> Seq:
    seq = Seq()
    for value in values:
        seq.add(value)
    return seq


def _items(items: list, build) -> Seq:
    """A block sequence of mappings, an empty line between them."""
    seq = Seq()
    for i, item in enumerate(items):
        seq.add(build(item), above=[None] if i else [])
    return seq


def _route(route: Route) -> Map:
    entry = Map()
    notes = route.notes
    entry.add("name", route.name, above=route.above, after=notes.get("name"))
    if route.description:
        entry.add("description", route.description)
    entry.add("from", route.from_ae, after=notes.get("from"))
    entry.add("to", route.to_ae, after=notes.get("to"))
    if route.match:
        match = Map()
        for key, values in route.match.items():
            uids = key == "sop_classes"
            match.add(key, _uid_seq(values, {}, None) if uids else _plain_seq(values))
        entry.add("match", match, after=notes.get("match"))
    entry.add("purpose", route.purpose, after=notes.get("purpose"))
    if route.priority is not None:
        entry.add("priority", route.priority, after=notes.get("priority"))
    if not route.enabled:
        entry.add("enabled", False, after=notes.get("enabled"))
    return entry


def _integration(integration: Integration) -> Map:
    entry = Map()
    notes = integration.notes
    entry.add("name", integration.name, above=integration.above, after=notes.get("name"))
    entry.add("kind", integration.kind)
    entry.add("source", integration.source, after=notes.get("source"))
    entry.add("target", integration.target, after=notes.get("target"))
    entry.add("endpoint", integration.endpoint, after=notes.get("endpoint"))
    if integration.services:
        entry.add("services", _plain_seq(integration.services), after=notes.get("services"))
    if integration.credentials:
        credentials = Map()
        for key, value in integration.credentials.items():
            credentials.add(key, value, after=notes.get(f"credentials.{key}"))
        entry.add("credentials", credentials)
    if not integration.verify_tls:
        entry.add("verify_tls", False, after=notes.get("verify_tls"))
    if integration.description:
        entry.add("description", integration.description)
    return entry


def render(result: ImportResult) -> str:
    """The environment file: header comments, then `imgpolicy: 1` and the devices."""
    document = Map()
    document.add("imgpolicy", FORMAT_VERSION)
    devices = Seq()
    for i, device in enumerate(result.devices):
        devices.add(_device(device), above=[None] if i else [])
    document.add("devices", devices, above=[None])
    if result.integrations:
        document.add("integrations", _items(result.integrations, _integration), above=[None])
    if result.routes:
        document.add("routes", _items(result.routes, _route), above=[None])
    header = list(result.header)
    findings = result.sorted_findings()
    if findings:
        header += ["", "Findings about the source (also printed on standard error):"]
        header += ["  " + format_finding(f) for f in findings]
    return dump(document, header)


def self_check(text: str) -> None:
    """The written file loads and fits the schema; anything else is a bug in an importer."""
    from ..load.yaml12 import load_documents
    from ..model import EnvironmentFile

    (document,) = load_documents(text)
    EnvironmentFile.model_validate(document.data)
