"""`imgpolicy import dcm4chee`: a dcm4chee-arc-light configuration as devices and routes.

Two forms of the same configuration (PS3.15 Annex H, which is imgpolicy's vocabulary):

- the archive's device JSON, as `GET /dcm4chee-arc/devices/{name}` exports it (one device
  object, or a list of them): extensions nested (`dcmDevice` > `dcmArchiveDevice`,
  `dicomNetworkAE[]` > `dcmNetworkAE` > `dcmArchiveNetworkAE`), connection references as
  JSON pointers (`/dicomNetworkConnection/0`);
- LDIF, as `slapcat`/`ldapsearch` or the archive's own `ldap/*.ldif` write it: one entry per
  object, the same attribute names flattened onto the entry, the tree in the DNs
  (`cn=dicom,dicomDeviceName=dcm4chee-arc,cn=Devices,...`), connection references as DNs.

Both are read into one tree of `Node`s (an object class, its attributes, its children),
then mapped once:

- dicomDevice -> device (`dicomDeviceName`, `dicomManufacturer`,
  `dicomManufacturerModelName`, `dicomSoftwareVersion`, `dicomDescription`; the kind from
  `dicomPrimaryDeviceType`, or `--kind` for the archive itself);
- dicomNetworkConnection (protocol DICOM) -> connection (`cn`, `dicomHostname`,
  `dicomPort`, `tls` when `dicomTLSCipherSuite` is set); HL7, HTTP and syslog connections
  are noted, not imported;
- dicomNetworkAE -> AE (`dicomAETitle`, `dicomNetworkConnectionReference`,
  `dicomAssociationInitiator`/`Acceptor`, `dicomDescription`), its dicomTransferCapability
  entries (`dicomSOPClass`, `dicomTransferRole`, `dicomTransferSyntax`) grouped by role and
  syntaxes;
- dcmExportRule + dcmExporter (`dicom:AET` URI) -> route from the exporter's AE to that AE,
  `dcmProperty` conditions as the route's `match` where they map;
- storage descriptors, retention policies, compression and coercion rules, MPPS/HL7
  forwarding: comments, and findings where they are a safety question.

Nothing here contacts the archive or resolves `${...}` system properties.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from .. import dicom
from . import jsonc
from .common import (
    AE,
    Capability,
    Connection,
    Device,
    ImportFailed,
    ImportResult,
    Names,
    Route,
    Where,
    check_ae_title,
    check_hostname,
    check_port,
    placeholder_hostname,
    read_bounded,
    safe_name,
    uid_key,
)

# --- the tree both forms are read into -------------------------------------------------

DEVICE, CONNECTION, AE_NODE, CAPABILITY = "device", "connection", "ae", "capability"
EXPORTER, EXPORT_RULE, STORAGE = "exporter", "export-rule", "storage"
RETENTION, COMPRESSION, COERCION = "retention", "compression", "coercion"
OTHER_FORWARDING = "other-forwarding"

CHILD_KINDS: dict[str, str] = {
    "dicomNetworkConnection": CONNECTION,
    "dicomNetworkAE": AE_NODE,
    "dicomTransferCapability": CAPABILITY,
    "dcmExporter": EXPORTER,
    "dcmExportRule": EXPORT_RULE,
    "dcmStorage": STORAGE,
    "dcmStudyRetentionPolicy": RETENTION,
    "hl7StudyRetentionPolicy": RETENTION,
    "dcmArchiveCompressionRule": COMPRESSION,
    "dcmArchiveAttributeCoercion": COERCION,
    "dcmArchiveAttributeCoercion2": COERCION,
    "dcmMPPSForwardRule": OTHER_FORWARDING,
    "dcmExportPriorsRule": OTHER_FORWARDING,
    "hl7ForwardRule": OTHER_FORWARDING,
    "hl7ExportRule": OTHER_FORWARDING,
    "hl7Application": "hl7-application",
}
"""JSON array member / LDAP object class -> what the node is. The JSON names of the arrays
are the object classes of their entries in LDAP, so one table serves both forms."""

EXTENSIONS = frozenset(
    {
        "dcmDevice",
        "dcmArchiveDevice",
        "dcmNetworkAE",
        "dcmArchiveNetworkAE",
        "dcmNetworkConnection",
        "dcmTransferCapability",
        "dcmArchiveHL7Application",
    }
)
"""JSON objects whose attributes LDAP keeps on the parent entry: flattened into it."""


@dataclass
class Node:
    """One configuration object: its attributes (lower-case names), where each is written,
    and the objects under it."""

    kind: str
    object_class: str
    where: Where
    attrs: dict[str, list[Any]] = field(default_factory=dict)
    places: dict[str, Where] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    ref: str = ""
    """How others refer to it: a JSON pointer or a normalised DN."""

    def values(self, name: str) -> list[Any]:
        return self.attrs.get(name.lower(), [])

    def first(self, name: str) -> Any:
        values = self.values(name)
        return values[0] if values else None

    def text(self, name: str) -> str | None:
        value = self.first(name)
        return None if value is None else str(value)

    def flag(self, name: str, default: bool) -> bool:
        """A boolean as JSON (`true`) or LDAP (`TRUE`) writes it."""
        value = self.first(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
            return value.strip().upper() == "TRUE"
        return default

    def at(self, name: str) -> Where:
        return self.places.get(name.lower(), self.where)

    def of(self, kind: str) -> list[Node]:
        return [c for c in self.children if c.kind == kind]

    @property
    def installed(self) -> bool:
        return self.flag("dicomInstalled", True)


# --- JSON ------------------------------------------------------------------------------


def read_json(path: str, text: str) -> list[Node]:
    """The devices of a device JSON export (one object, or a list of them)."""
    try:
        parsed = jsonc.parse(text)
    except jsonc.JsoncError as err:
        raise ImportFailed(
            f"{path}:{err.line}:{err.column}: {err.message} (not the JSON of a "
            "dcm4chee device export)"
        ) from None
    value = parsed.value
    items = value if isinstance(value, list) else [value]
    devices = []
    for i, item in enumerate(items):
        base: tuple = (i,) if isinstance(value, list) else ()
        if not isinstance(item, dict) or "dicomDeviceName" not in item:
            pos = parsed.pos(*base)
            raise ImportFailed(
                f"{path}:{pos.line}:{pos.column}: not a dcm4chee device (no "
                "dicomDeviceName): export one with GET /dcm4chee-arc/devices/{name}"
            )
        devices.append(_json_node(path, parsed, item, base, DEVICE, "dicomDevice"))
    for device in devices:
        for i, conn in enumerate(device.of(CONNECTION)):
            conn.ref = f"/dicomNetworkConnection/{i}"
    return devices


def _json_node(path: str, parsed: jsonc.Parsed, obj: dict, at: tuple, kind: str, oc: str) -> Node:
    pos = parsed.pos(*at)
    node = Node(kind, oc, Where(path, pos.line, pos.column, oc))
    _json_fill(path, parsed, node, obj, at)
    return node


def _json_fill(path: str, parsed: jsonc.Parsed, node: Node, obj: dict, at: tuple) -> None:
    """Attributes into `node`; extension objects flattened into it; child arrays as nodes."""
    for key, value in obj.items():
        here = (*at, key)
        if key in EXTENSIONS and isinstance(value, dict):
            _json_fill(path, parsed, node, value, here)
        elif key in CHILD_KINDS and isinstance(value, list):
            for j, item in enumerate(value):
                if isinstance(item, dict):
                    kind = CHILD_KINDS[key]
                    child = _json_node(path, parsed, item, (*here, j), kind, key)
                    child.where = Where(path, child.where.line, child.where.column, f"{key}[{j}]")
                    node.children.append(child)
        elif not isinstance(value, dict):
            pos = parsed.pos(*here)
            node.attrs[key.lower()] = list(value) if isinstance(value, list) else [value]
            node.places[key.lower()] = Where(path, pos.line, pos.column, key)


# --- LDIF ------------------------------------------------------------------------------


@dataclass
class Entry:
    dn: str
    line: int
    attrs: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """Lower-case attribute name -> as written."""


def parse_ldif(path: str, text: str, result: ImportResult) -> list[Entry]:
    """RFC 2849 content records: `dn:` blocks of `attr: value`, `attr:: base64`,
    continuation lines starting with one space, `#` comments. Change records (`changetype:
    modify`...) describe edits, not a configuration: reported and left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    in_change = False
    for line_no, logical in _logical_lines(text):
        if logical == "":
            current, in_change = None, False
            continue
        if logical.startswith("#") or in_change:
            continue
        name, value, problem = _attribute(logical)
        if problem:
            raise ImportFailed(f"{path}:{line_no}:1: {problem}")
        lower = name.lower()
        if current is None:
            if lower == "version":
                continue
            if lower != "dn":
                raise ImportFailed(
                    f"{path}:{line_no}:1: an LDIF entry starts with 'dn:', not '{name}:' "
                    "(is this an LDIF file?)"
                )
            current = Entry(value, line_no)
            entries.append(current)
            continue
        if lower == "changetype" and value.strip().lower() != "add":
            result.add(
                "IMPORT009",
                f"entry {current.dn!r} is a change record (changetype: {value.strip()}), "
                "not a configuration: left out; import an export of the whole "
                "configuration (slapcat, or ldapsearch -LLL)",
                Where(path, current.line, 1, "dn"),
            )
            entries.remove(current)
            in_change = True  # the rest of the record (`replace:`, `-`...) is the change
            continue
        current.attrs.setdefault(lower, []).append(value)
        current.lines.setdefault(lower, line_no)
        current.names.setdefault(lower, name)
    return entries


def _logical_lines(text: str):
    """(line number, line) with RFC 2849 continuations folded in."""
    number, buffer = 0, None
    for i, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(" ") and buffer is not None:
            buffer += raw[1:]
            continue
        if buffer is not None:
            yield number, buffer
        number, buffer = i, raw.rstrip("\r")
    if buffer is not None:
        yield number, buffer


def _attribute(line: str) -> tuple[str, str, str | None]:
    """(name without options, value, problem)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*)(:<|::|:)\s?(.*)$", line)
    if not match:
        return "", "", f"not an LDIF line ('attribute: value'): {line[:60]!r}"
    name, sep, value = match.group(1).split(";")[0], match.group(2), match.group(3)
    if sep == ":<":
        return name, "", f"'{name}:<' takes its value from a URL, which is not read here"
    if sep == "::":
        try:
            raw = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return name, "", f"'{name}::' is not valid base64"
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            return name, "", f"'{name}::' is not UTF-8 text (LDAP strings are UTF-8)"
    return name, value.strip() if sep == ":" else value, None


def normal_dn(dn: str) -> str:
    """A DN compared as LDAP does for these trees: attribute types case-insensitive,
    spaces around separators ignored; values kept (AE titles are case-exact)."""
    parts = []
    for rdn in re.split(r"(?<!\\),", dn):
        kind, _, value = rdn.partition("=")
        parts.append(f"{kind.strip().lower()}={value.strip()}")
    return ",".join(parts)


def _parent(dn: str) -> str:
    parts = re.split(r"(?<!\\),", dn, maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def read_ldif(path: str, text: str, result: ImportResult) -> list[Node]:
    """The devices of an LDIF export, each with the entries under it as children."""
    nodes: dict[str, Node] = {}
    order: list[Node] = []
    for entry in parse_ldif(path, text, result):
        classes = {c.strip() for c in entry.attrs.get("objectclass", [])}
        kind, oc = _ldif_kind(classes)
        if kind is None:
            continue
        rdn = re.split(r"(?<!\\),", entry.dn, maxsplit=1)[0].strip()
        node = Node(kind, oc, Where(path, entry.line, 1, rdn), ref=normal_dn(entry.dn))
        for lower, values in entry.attrs.items():
            node.attrs[lower] = values
            node.places[lower] = Where(path, entry.lines[lower], 1, entry.names[lower])
        nodes[node.ref] = node
        order.append(node)
    outside: dict[str, list[Node]] = {}
    for node in order:
        if node.kind == DEVICE:
            continue
        parent = _parent(node.ref)
        while parent and parent not in nodes:
            parent = _parent(parent)
        if parent:
            nodes[parent].children.append(node)
        else:
            outside.setdefault(_device_dn(node.ref), []).append(node)
    devices = [n for n in order if n.kind == DEVICE]
    for dn, orphans in outside.items():
        if not devices:
            raise ImportFailed(
                f"{path}:{orphans[0].where.line}:1: no dicomDevice entry: this LDIF adds "
                f"{len(orphans)} entries to {dn or 'a device'}, which is defined elsewhere; "
                "import it together with the device (cat device.ldif this.ldif > all.ldif)"
            )
        for orphan in orphans:
            result.add(
                "IMPORT009",
                f"{orphan.object_class} {orphan.where.what!r} belongs to {dn or 'a device'}, "
                "which this LDIF does not define: left out",
                orphan.where,
            )
    return devices


def _device_dn(dn: str) -> str:
    """The `dicomDeviceName=...` part of a normalised DN, for messages."""
    match = re.search(r"dicomdevicename=[^,]*", dn)
    return match.group(0).replace("dicomdevicename", "dicomDeviceName") if match else ""


def _ldif_kind(classes: set[str]) -> tuple[str | None, str]:
    if "dicomDevice" in classes:
        return DEVICE, "dicomDevice"
    for oc, kind in CHILD_KINDS.items():
        if oc in classes:
            return kind, oc
    return None, ""


def read_source(path: str, result: ImportResult) -> tuple[list[Node], str]:
    """The devices of `path`, JSON or LDIF told from the content; and which it was."""
    raw = read_bounded(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ImportFailed(
            f"{path}:{line}:1: not UTF-8 text (dcm4chee writes its JSON and LDIF as UTF-8)"
        ) from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return read_json(path, text), "device JSON"
    if re.match(r"(#|[A-Za-z][A-Za-z0-9;-]*:)", stripped):
        return read_ldif(path, text, result), "LDIF"
    raise ImportFailed(
        f"{path}: neither a dcm4chee device JSON export (GET /dcm4chee-arc/devices/"
        "{name}) nor LDIF (dn: ... entries)"
    )


# --- mapping ---------------------------------------------------------------------------

PRIMARY_TYPES = {
    "ARCHIVE": "pacs",
    "WSD": "workstation",
    "DOCD": "other",
    "RT": "other",
}
"""dicomPrimaryDeviceType (PS3.16 CID 30 / PS3.15 H) -> imgpolicy kind, beside the
modality codes (CT, MR...) that make a `modality`."""

QUERY_RETRIEVE = re.compile(r"^1\.2\.840\.10008\.5\.1\.4\.(1\.2\.|31$|20\.1)")
"""Q/R FIND/MOVE/GET (patient, study, patient-study-only roots, composite instance),
worklist, ... : answered for the calling AE."""

CONDITION_KEYS = {
    "modality": "modality",
    "00080060": "modality",
    "sendingapplicationentitytitle": "calling_ae",
    "bodypartexamined": "body_part",
    "00180015": "body_part",
    "sopclassuid": "sop_classes",
    "00080016": "sop_classes",
}
"""dcmProperty condition keys that a route's `match` expresses."""

WEAK_CIPHER = re.compile(r"(^SSL_|_3DES_|_DES_|_RC4_|_NULL_|_EXPORT|_anon_|_MD5$)")
WEAK_PROTOCOLS = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "SSLv2Hello"}

LOSSY_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.4.91",
        "1.2.840.10008.1.2.4.93",
        "1.2.840.10008.1.2.4.112",
        "1.2.840.10008.1.2.4.203",
        "1.2.840.10008.1.2.4.100",
        "1.2.840.10008.1.2.4.101",
        "1.2.840.10008.1.2.4.102",
        "1.2.840.10008.1.2.4.103",
    }
)
"""Irreversible (lossy) transfer syntaxes a compression rule may name."""


@dataclass
class Context:
    path: str
    result: ImportResult
    names: Names
    site: str
    kind: str
    hostname: str | None
    hostname_note: str | None
    routes: set[str] = field(default_factory=set)


def build(
    devices: list[Node],
    path: str,
    form: str,
    *,
    site: str,
    kind: str,
    hostname: str | None,
    result: ImportResult,
) -> None:
    """Map the devices (and the archive's rules) into `result`."""
    ctx = Context(path, result, Names(), site, kind, hostname, "--hostname" if hostname else None)
    result.header += [
        f"Imported by imgpolicy from the dcm4chee-arc {form} {path}.",
        "Each item says where it came from; 'edit:' marks what the source does not say.",
    ]
    skipped = []
    for node in devices:
        if not node.installed:
            skipped.append(f"{node.text('dicomDeviceName')} (dicomInstalled: false)")
            continue
        device = _device(node, ctx)
        if device is None:
            skipped.append(_why_not(node))
            continue
        result.devices.append(device)
    for route in result.routes:
        if route.to_ae not in ctx.names.ae_titles:
            route.notes["to"] = "edit: no device of this source has this AE title: add it"
    if skipped:
        result.header.append("Not imported (no installed DICOM AE): " + ", ".join(skipped) + ".")
    if not result.devices:
        raise ImportFailed(
            f"{path}: no device with an installed DICOM AE (a list from GET /dcm4chee-arc/"
            "devices holds summaries only: export each device with GET /dcm4chee-arc/"
            "devices/{name})"
        )


def _why_not(node: Node) -> str:
    types = ",".join(map(str, node.values("dicomPrimaryDeviceType")))
    return f"{node.text('dicomDeviceName')}" + (f" ({types})" if types else "")


def _is_archive(node: Node) -> bool:
    archive_kinds = (EXPORTER, EXPORT_RULE, STORAGE, RETENTION, COMPRESSION)
    return any(c.kind in archive_kinds for c in node.children) or any(
        c.object_class == "dicomNetworkAE" and c.first("dcmObjectStorageID") is not None
        for c in node.of(AE_NODE)
    )


def _device(node: Node, ctx: Context) -> Device | None:
    archive = _is_archive(node)
    connections = _connections(node, ctx, archive)
    by_ref = dict(connections)
    aes = [ae for ae in (_ae(a, node, by_ref, ctx, archive) for a in node.of(AE_NODE)) if ae]
    if not aes:
        return None
    if archive:
        _plain_listeners(connections, aes, node, ctx)
    wanted = node.text("dicomDeviceName") or "dcm4chee"
    name = ctx.names.device(safe_name(wanted, "dcm4chee"))
    kind, modality = _kind(node, archive, ctx)
    device = Device(name=name, site=ctx.site, kind=kind)
    device.above = [f"from {node.where.text()}"]
    if name != wanted:
        device.notes["name"] = f"dicomDeviceName {wanted!r}"
    if not archive and kind == "other":
        device.notes["kind"] = "edit: what the device is"
    if modality:
        device.notes["kind"] = f"dicomPrimaryDeviceType {modality}"
    device.manufacturer = node.text("dicomManufacturer")
    device.model = node.text("dicomManufacturerModelName")
    versions = [str(v) for v in node.values("dicomSoftwareVersion")]
    device.software_version = ", ".join(versions) or None
    device.description = node.text("dicomDescription")
    device.connections = [conn for _, conn in connections]
    device.application_entities = aes
    device.above += _other_connections(node)
    device.above += [
        f"not imported: AE {ae.text('dicomAETitle')} (dicomInstalled: false)"
        for ae in node.of(AE_NODE)
        if not ae.installed
    ]
    if archive:
        device.above += _archive_notes(node, ctx)
        for rule in _export_rules(node):
            _route(rule, node, ctx)
        _other_forwarding(node, ctx)
    return device


def _kind(node: Node, archive: bool, ctx: Context) -> tuple[str, str | None]:
    if archive:
        return ctx.kind, None
    for value in node.values("dicomPrimaryDeviceType"):
        code = str(value).upper()
        if code in PRIMARY_TYPES:
            return PRIMARY_TYPES[code], None
        if code in dicom.MODALITIES:
            return "modality", code
    return "other", None


def _connections(node: Node, ctx: Context, archive: bool) -> list[tuple[str, Connection]]:
    """The installed DICOM connections, with the reference an AE uses for each."""
    found: list[tuple[str, Connection]] = []
    names: set[str] = set()
    for i, conn in enumerate(node.of(CONNECTION)):
        protocol = (conn.text("dcmProtocol") or "DICOM").upper()
        if protocol != "DICOM" or not conn.installed:
            continue
        wanted = conn.text("cn") or ("dicom" if i == 0 else f"dicom-{i + 1}")
        name = safe_name(wanted, f"dicom-{i + 1}")
        while name in names:
            name = f"{name}-{i + 1}"
        names.add(name)
        item = Connection(name=name, hostname="")
        item.above = [f"from {conn.where.text()}"]
        _host(item, conn, node, ctx, archive)
        port = conn.first("dicomPort")
        if port is not None and str(port).strip() not in ("", "-1"):
            value, problem = check_port(port)
            if problem:
                ctx.result.add(
                    "IMPORT009",
                    f"connection {wanted!r}: {problem}: written without a port",
                    conn.at("dicomPort"),
                )
            item.port = value
        suites = [str(s) for s in conn.values("dicomTLSCipherSuite")]
        item.tls = bool(suites)
        if suites:
            item.notes["tls"] = "dicomTLSCipherSuite " + ", ".join(suites)
        if suites and archive:  # the archive's posture; other devices are its address book
            _tls_posture(conn, suites, ctx)
        found.append((conn.ref or normal_dn(wanted), item))
    return found


def _host(item: Connection, conn: Node, device: Node, ctx: Context, archive: bool) -> None:
    written = conn.text("dicomHostname")
    if archive and ctx.hostname:
        item.hostname = ctx.hostname
        item.notes["hostname"] = f"from --hostname (the source says {written!r})"
        return
    value, problem = check_hostname(written) if written else (None, "no dicomHostname")
    if value is None:
        item.hostname = placeholder_hostname(device.text("dicomDeviceName") or "host")
        item.notes["hostname"] = f"edit: {problem}"
        return
    item.hostname = value


def _tls_posture(conn: Node, suites: list[str], ctx: Context) -> None:
    weak = [s for s in suites if WEAK_CIPHER.search(s)]
    protocols = [str(p) for p in conn.values("dcmTLSProtocol")]
    old = [p for p in protocols if p in WEAK_PROTOCOLS]
    if weak or old:
        what = []
        if weak:
            what.append("cipher suites " + ", ".join(weak))
        if old:
            what.append("protocols " + ", ".join(old))
        ctx.result.add(
            "IMPORT031",
            f"TLS connection {conn.text('cn')!r} offers weak " + " and ".join(what),
            conn.at("dicomTLSCipherSuite" if weak else "dcmTLSProtocol"),
        )


def _plain_listeners(
    connections: list[tuple[str, Connection]], aes: list[AE], node: Node, ctx: Context
) -> None:
    """The archive accepts associations without TLS on a connection its AEs use."""
    places = {conn.ref: conn for conn in node.of(CONNECTION)}
    for ref, conn in connections:
        users = [ae.ae_title for ae in aes if ae.acceptor and conn.name in ae.connections]
        if conn.tls or conn.port is None or not users:
            continue
        where = places[ref].at("dicomPort") if ref in places else node.where
        ctx.result.add(
            "IMPORT030",
            f"connection {conn.name!r} (port {conn.port}) accepts associations without TLS "
            f"for {', '.join(users)}",
            where,
        )


def _other_connections(node: Node) -> list[str | None]:
    notes: list[str | None] = []
    for conn in node.of(CONNECTION):
        protocol = (conn.text("dcmProtocol") or "DICOM").upper()
        if protocol == "DICOM" and conn.installed:
            continue
        port = conn.text("dicomPort")
        where = f"{conn.text('dicomHostname')}" + (f":{port}" if port else "")
        state = "" if conn.installed else ", not installed"
        notes.append(f"not imported: {protocol} connection {conn.text('cn')!r} at {where}{state}")
    return notes


def _ae(
    node: Node, device: Node, by_ref: dict[str, Connection], ctx: Context, archive: bool
) -> AE | None:
    written = node.text("dicomAETitle")
    if not node.installed:
        return None
    title, problem = check_ae_title(written)
    if title is None:
        ctx.result.add("IMPORT009", f"AE title {written!r}: {problem}; left out", node.where)
        return None
    refs = [_ref(str(r)) for r in node.values("dicomNetworkConnectionReference")]
    conns = [by_ref[r].name for r in refs if r in by_ref]
    if not conns:
        ctx.result.add(
            "IMPORT009",
            f"AE {title} has no installed DICOM connection "
            "(dicomNetworkConnectionReference); left out",
            node.at("dicomNetworkConnectionReference"),
        )
        return None
    first = ctx.names.claim_ae(title, node.where)
    if first is not None:
        ctx.result.add(
            "IMPORT009",
            f"AE title {title} is defined twice (first at {first.at}); the second is left out",
            node.where,
        )
        return None
    ae = AE(ae_title=title, connections=conns)
    ae.above = [f"from {node.where.text()}"]
    ae.initiator = node.flag("dicomAssociationInitiator", False)
    ae.acceptor = node.flag("dicomAssociationAcceptor", False)
    ae.description = node.text("dicomDescription")
    capabilities = node.of(CAPABILITY) or _shared(node, device)
    ae.capabilities = _capabilities(capabilities, title, node, ctx)
    callers = [str(v) for v in node.values("dcmAcceptedCallingAETitle")]
    if callers:
        ae.capabilities_above = ["dcmAcceptedCallingAETitle: " + ", ".join(callers)]
    elif ae.acceptor and archive:
        _open_to_any(ae, node, ctx)
    return ae


def _ref(ref: str) -> str:
    return ref if ref.startswith("/") else normal_dn(ref)


def _shared(node: Node, device: Node) -> list[Node]:
    """dcmShareTransferCapabilitiesFromAETitle: the capabilities of another AE."""
    other = node.text("dcmShareTransferCapabilitiesFromAETitle")
    for candidate in device.of(AE_NODE):
        if other and candidate.text("dicomAETitle") == other:
            return candidate.of(CAPABILITY)
    return []


def _capabilities(nodes: list[Node], title: str, ae: Node, ctx: Context) -> list[Capability]:
    """Capabilities grouped by role and syntaxes (in the source's order); UIDs pydicom
    does not know (private SOP classes) reported once per AE and left out."""
    groups: dict[tuple[str, tuple[str, ...]], Capability] = {}
    unknown: list[str] = []
    for tc in nodes:
        role = (tc.text("dicomTransferRole") or "").upper()
        sop = tc.text("dicomSOPClass") or ""
        if role not in ("SCU", "SCP"):
            continue
        if not _known(sop, want_ts=False):
            unknown.append(sop)
            continue
        syntaxes = []
        for ts in map(str, tc.values("dicomTransferSyntax")):
            if _known(ts, want_ts=True):
                syntaxes.append(ts)
            elif ts not in unknown:
                unknown.append(ts)
        if not syntaxes:
            continue
        key = (role, tuple(syntaxes))
        cap = groups.setdefault(
            key, Capability(role=role, sop_classes=[], transfer_syntaxes=syntaxes)
        )
        if sop not in cap.sop_classes:
            cap.sop_classes.append(sop)
    if unknown:
        shown = ", ".join(sorted(set(unknown), key=uid_key)[:5])
        more = f" and {len(set(unknown)) - 5} more" if len(set(unknown)) > 5 else ""
        ctx.result.add(
            "IMPORT008",
            f"AE {title}: {len(set(unknown))} UIDs pydicom does not know ({shown}{more}), "
            "private SOP classes or syntaxes: left out; declare them in private_uids and "
            "add them by hand",
            ae.where,
        )
    caps = list(groups.values())
    for cap in caps:
        cap.sop_classes.sort(key=uid_key)
    return caps


def _known(uid: str, want_ts: bool) -> bool:
    info = dicom.lookup(uid) if re.fullmatch(r"[0-9.]+", uid or "") else None
    if info is None or info.private:
        return False
    return info.is_transfer_syntax if want_ts else info.is_sop_class


def _open_to_any(ae: AE, node: Node, ctx: Context) -> None:
    """An acceptor without dcmAcceptedCallingAETitle accepts every calling AE title."""
    scp = [s for c in ae.capabilities if c.role == "SCP" for s in c.sop_classes]
    stores = [s for s in scp if (info := dicom.lookup(s)) and "Storage" in info.keyword]
    queries = [s for s in scp if QUERY_RETRIEVE.match(s)]
    why = "no dcmAcceptedCallingAETitle"
    if stores:
        ctx.result.add(
            "IMPORT001",
            f"AE {ae.ae_title} has {why}: any AE title may store studies "
            f"({len(stores)} storage SOP classes)",
            node.where,
        )
    if queries:
        ctx.result.add(
            "IMPORT002",
            f"AE {ae.ae_title} has {why}: any AE title may query or retrieve",
            node.where,
        )


# --- archive rules ---------------------------------------------------------------------


def _archive_notes(node: Node, ctx: Context) -> list[str | None]:
    notes: list[str | None] = []
    for storage in node.of(STORAGE):
        sid, uri = storage.text("dcmStorageID"), storage.text("dcmURI")
        duration = storage.text("dcmStorageDuration") or "PERMANENT"
        notes.append(
            f"dcmStorage {sid}: {uri} ({duration}; edit: a storage tier needs its "
            f"capacity) from {storage.where.at}"
        )
        _deleter(storage, duration, ctx)
    for policy in _all(node, RETENTION):
        _retention(policy, ctx)
        notes.append(
            f"{policy.object_class} {policy.text('cn')!r}: keep "
            f"{policy.text('dcmRetentionPeriod')} "
            f"{_conditions_text(policy) or 'all studies'} from {policy.where.at}"
        )
    for rule in _all(node, COMPRESSION):
        notes.append(_compression(rule, ctx))
    for rule in _all(node, COERCION):
        notes.append(
            f"{rule.object_class} {rule.text('cn')!r} changes attributes "
            f"({rule.text('dcmDIMSE') or rule.text('dcmURI') or 'see source'}) "
            f"from {rule.where.at}: not imported"
        )
    return notes


def _all(node: Node, kind: str) -> list[Node]:
    """Rules of the device and of its AEs (dcmArchiveNetworkAE)."""
    found = node.of(kind)
    for ae in node.of(AE_NODE):
        found += ae.of(kind)
    return found


def _deleter(storage: Node, duration: str, ctx: Context) -> None:
    keys = (
        "dcmDeleterThreshold",
        "dcmDeleteStudiesOlderThan",
        "dcmDeleteStudiesReceivedBefore",
        "dcmDeleteStudiesNotUsedSince",
    )
    set_ = [k for k in keys if storage.values(k)]
    if not set_:
        return
    sole = storage.flag("dcmNoDeletionConstraint", False)
    detail = ", ".join(f"{k} {','.join(map(str, storage.values(k)))}" for k in set_)
    guard = (
        "with dcmNoDeletionConstraint: studies are deleted even when no other copy exists"
        if sole
        else "studies are deleted once exported or stored on another storage"
    )
    ctx.result.add(
        "IMPORT035",
        f"storage {storage.text('dcmStorageID')!r} ({duration}) deletes studies by "
        f"{detail}; {guard}",
        storage.at(set_[0]),
    )


def _retention(policy: Node, ctx: Context) -> None:
    ctx.result.add(
        "IMPORT034",
        f"retention policy {policy.text('cn')!r} (keep {policy.text('dcmRetentionPeriod')}"
        f"{', ' + _conditions_text(policy) if _conditions_text(policy) else ''}) is not "
        "imported: imgpolicy's retention needs the jurisdiction whose law it implements",
        policy.where,
    )


def _compression(rule: Node, ctx: Context) -> str:
    syntax = rule.text("dicomTransferSyntax") or ""
    info = dicom.lookup(syntax)
    label = info.keyword if info and info.keyword else syntax
    if syntax in LOSSY_SYNTAXES:
        ctx.result.add(
            "IMPORT036",
            f"compression rule {rule.text('cn')!r} stores "
            f"{_conditions_text(rule) or 'every study'} in the lossy {label}: the originals "
            "are not kept",
            rule.at("dicomTransferSyntax"),
        )
    return f"dcmArchiveCompressionRule {rule.text('cn')!r}: {label} from {rule.where.at}"


def _conditions(rule: Node) -> list[tuple[str, str, str]]:
    """dcmProperty conditions as (key, operator, value): `Modality=CT|MR`, `X!=Y`."""
    found = []
    for prop in map(str, rule.values("dcmProperty")):
        match = re.match(r"([^=!]+)(!?=)(.*)$", prop)
        if match:
            found.append((match.group(1).strip(), match.group(2), match.group(3)))
    return found


def _conditions_text(rule: Node) -> str:
    return " and ".join(f"{k}{op}{v}" for k, op, v in _conditions(rule))


def _export_rules(node: Node) -> list[tuple[Node, str | None]]:
    """(export rule, the AE it belongs to) for the device's rules and its AEs'."""
    rules: list[tuple[Node, str | None]] = [(r, None) for r in node.of(EXPORT_RULE)]
    for ae in node.of(AE_NODE):
        rules += [(r, ae.text("dicomAETitle")) for r in ae.of(EXPORT_RULE)]
    return rules


def _route(item: tuple[Node, str | None], device: Node, ctx: Context) -> None:
    rule, owner = item
    exporters = {e.text("dcmExporterID"): e for e in device.of(EXPORTER)}
    name = rule.text("cn") or "export"
    for exporter_id in map(str, rule.values("dcmExporterID")):
        exporter = exporters.get(exporter_id)
        if exporter is None:
            ctx.result.add(
                "IMPORT033",
                f"export rule {name!r} names exporter {exporter_id!r}, which is not "
                "configured: not imported",
                rule.at("dcmExporterID"),
            )
            continue
        uri = exporter.text("dcmURI") or ""
        if not uri.startswith("dicom:"):
            scheme = uri.split(":", 1)[0] or "no URI"
            ctx.result.add(
                "IMPORT033",
                f"export rule {name!r} exports with {exporter_id!r} to {uri!r} ({scheme}, "
                "not DICOM C-STORE): not imported as a route",
                rule.where,
            )
            continue
        _dicom_route(rule, owner, exporter, uri[len("dicom:") :], device, ctx)


def _dicom_route(
    rule: Node, owner: str | None, exporter: Node, target: str, device: Node, ctx: Context
) -> None:
    name = rule.text("cn") or "export"
    to, problem = check_ae_title(target.split("/")[0])
    source_ae = exporter.text("dicomAETitle") or owner
    notes: dict[str, str] = {}
    if source_ae is None:
        archive_aes = device.of(AE_NODE)
        source_ae = archive_aes[0].text("dicomAETitle") if archive_aes else None
        notes["from"] = "edit: the exporter names no dicomAETitle"
    sender, _ = check_ae_title(source_ae)
    if to is None or sender is None:
        ctx.result.add(
            "IMPORT009",
            f"export rule {name!r}: {problem or 'no sending AE'}; not imported",
            rule.where,
        )
        return
    match, unmapped = _match(rule, owner or sender, sender)
    wanted = safe_name(name, "export")
    route_name, n = wanted, 1
    while route_name in ctx.routes:
        n += 1
        route_name = f"{wanted[:60]}-{n}"
    ctx.routes.add(route_name)
    route = Route(name=route_name, from_ae=sender, to_ae=to, purpose="forward")
    route.match = match
    route.description = f"dcmExportRule {name!r} via exporter {exporter.text('dcmExporterID')!r}"
    route.above = [f"from {rule.where.text()}", f"and {exporter.where.text()}"]
    extras = [f"dcmEntity {rule.text('dcmEntity')}"] if rule.text("dcmEntity") else []
    extras += [f"dcmSchedule {s}" for s in map(str, rule.values("dcmSchedule"))]
    extras += [f"dcmSchedule {s} (exporter)" for s in map(str, exporter.values("dcmSchedule"))]
    if rule.text("dcmDuration"):
        extras.append(f"delay {rule.text('dcmDuration')}")
    if extras:
        route.above.append("; ".join(extras))
    if unmapped:
        route.above.append("not in match (edit): " + " and ".join(unmapped))
        ctx.result.add(
            "IMPORT032",
            f"export rule {name!r}: the condition {' and '.join(unmapped)} cannot be written "
            f"as the route's match: route '{route_name}' carries more than the archive exports",
            rule.at("dcmProperty"),
        )
    notes["purpose"] = "edit: archive, reading, replication...?"
    if rule.text("dicomDeviceName"):
        notes["from"] = f"exported by device {rule.text('dicomDeviceName')} (a cluster member)"
    route.notes.update(notes)
    ctx.result.routes.append(route)


def _match(rule: Node, receiver: str, sender: str) -> tuple[dict[str, list[str]], list[str]]:
    """The conditions a route's `match` can say, and those it cannot (as written)."""
    match: dict[str, list[str]] = {}
    unmapped: list[str] = []
    for key, op, value in _conditions(rule):
        field_ = CONDITION_KEYS.get(key.lower())
        values = value.split("|")
        plain = op == "=" and all(re.fullmatch(r"[A-Za-z0-9_. ^-]+", v) for v in values)
        if key.lower() == "receivingapplicationentitytitle" and plain and values == [receiver]:
            continue  # the route starts at that AE already
        if field_ is None or not plain:
            unmapped.append(f"{key}{op}{value}")
            continue
        if field_ == "modality" and not all(v in dicom.MODALITIES for v in values):
            unmapped.append(f"{key}{op}{value}")
            continue
        if field_ == "sop_classes" and not all(_known(v, want_ts=False) for v in values):
            unmapped.append(f"{key}{op}{value}")
            continue
        if field_ == "calling_ae" and not all(check_ae_title(v)[0] for v in values):
            unmapped.append(f"{key}{op}{value}")
            continue
        match.setdefault(field_, []).extend(values)
    if receiver != sender:
        unmapped.append(f"received by {receiver}")
    return match, unmapped


def _other_forwarding(node: Node, ctx: Context) -> None:
    for rule in _all(node, OTHER_FORWARDING) + [
        r for app in node.of("hl7-application") for r in app.of(OTHER_FORWARDING)
    ]:
        targets = (
            rule.values("dcmFwdMppsDestination")
            or rule.values("hl7FwdApplicationName")
            or rule.values("dcmExporterID")
        )
        ctx.result.add(
            "IMPORT033",
            f"{rule.object_class} {rule.text('cn')!r} (to "
            f"{', '.join(map(str, targets)) or '?'}) is not a C-STORE route: not imported",
            rule.where,
        )
