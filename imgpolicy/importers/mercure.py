"""mercure (the open-source DICOM router, mercure-imaging/mercure): `mercure.json` -> a
router device, a device per DICOM target, and a route per rule and target.

What mercure does with the file, read from its sources (`app/common/types.py`,
`app/receiver.sh`, `app/routing/route_series.py`, `app/common/rule_evaluation.py`,
`app/dispatch/target_types/builtin.py`):

- The receiver is DCMTK's `storescp --promiscuous` on `port` (default 11112): it accepts
  any calling and any called AE title, every storage SOP class (unknown ones too), and
  the uncompressed transfer syntaxes, or with `accept_compressed_images` everything its
  `+xa` accepts. mercure.json names no AE title of its own (`--ae-title`), and TLS on
  the receiver comes from the environment (`MERCURE_TLS_ENABLED`), not from the file.
- A rule is a Python expression over the series' tags (`tags.Modality == 'CT'`, or the
  older `@Modality@ == 'CT'`). Where it maps onto imgpolicy's route `match` (modality,
  body part, calling AE, SOP class; `and`, `or`, `in [...]`), it is imported as the
  match; where it does not, the route gets the widest match that still covers what the
  rule routes (an over-approximation: rules then see more, never less) and IMPORT037.
- `dcmsend` sends each DICOM target's series: calling AE `aet_source` (default DCMSEND),
  called AE `aet_target` (default ANY-SCP), port default 104.
- Non-DICOM targets (DICOMweb, SFTP, rsync, S3, folder, XNAT) cannot be the `to` of a
  route (routes run between AE titles): DICOMweb becomes an integration, the others a
  note; routes to them are IMPORT038. Secrets of targets are never written (IMPORT040).
"""

from __future__ import annotations

import ast
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .. import dicom
from . import jsonc
from .common import (
    AE,
    EXPLICIT_VR,
    IMPLICIT_VR,
    VERIFICATION,
    Capability,
    Connection,
    Device,
    ImportFailed,
    ImportResult,
    Integration,
    Names,
    Route,
    Where,
    check_ae_title,
    check_hostname,
    check_name,
    check_port,
    placeholder_hostname,
    read_bounded,
    safe_name,
    storage_sop_classes,
)

DEFAULT_AE_TITLE = "MERCURE"
"""The receiver's AE title when `--ae-title` is not given: storescp answers any title."""
RECEIVER_PORT = 11112
"""receiver.sh: a missing or empty `port` starts storescp on 11112."""
DCMSEND_CALLING_AE = "DCMSEND"
DCMSEND_CALLED_AE = "ANY-SCP"
DCMSEND_PORT = 104
"""builtin.py: `target.port or 104`; dcmsend's own defaults for -aet and -aec."""

STORESCP_ACCEPT_ALL = (
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.100",
    "1.2.840.10008.1.2.4.100.1",
    "1.2.840.10008.1.2.4.101",
    "1.2.840.10008.1.2.4.101.1",
    "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103",
    "1.2.840.10008.1.2.4.103.1",
    "1.2.840.10008.1.2.4.104",
    "1.2.840.10008.1.2.4.104.1",
    "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106",
    "1.2.840.10008.1.2.4.106.1",
    "1.2.840.10008.1.2.4.107",
    "1.2.840.10008.1.2.4.108",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.4.110",
    "1.2.840.10008.1.2.4.111",
    "1.2.840.10008.1.2.4.112",
    "1.2.840.10008.1.2.8.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.1.98",
    EXPLICIT_VR,
    "1.2.840.10008.1.2.2",
    IMPLICIT_VR,
)
"""What `storescp +xa` of DCMTK 3.7.0 (the version mercure's receiver.sh requires)
accepts, in its order of preference (dcmnet/apps/storescp.cc)."""
STORESCP_UNCOMPRESSED = (EXPLICIT_VR, "1.2.840.10008.1.2.2", IMPLICIT_VR)
"""What storescp accepts without +xa: the uncompressed syntaxes."""
RETIRED_LEFT_OUT = "1.2.840.10008.1.2.2"
"""Explicit VR Big Endian: retired, sent by nobody today; listing it only makes CF002."""

TARGET_FIELDS = {
    "dicom": ("ip", "port", "aet_target"),
    "dicomtls": ("ip", "port", "aet_target", "tls_key", "tls_cert", "ca_cert"),
    "dicomweb": ("url",),
    "sftp": ("folder", "user", "host"),
    "rsync": ("folder", "user", "host"),
    "xnat": ("project_id", "host", "user", "password"),
    "s3": ("region", "bucket", "prefix", "access_key_id", "secret_access_key"),
    "folder": ("folder",),
    "dummy": (),
}
"""Target types in the order mercure tries them (`Target.validate`), with their required
fields: a target without `target_type` is the first type whose fields it has."""

TARGET_SECRETS = {
    "dicomweb": ("http_password", "access_token"),
    "sftp": ("password",),
    "rsync": ("password",),
    "xnat": ("password",),
    "s3": ("secret_access_key",),
}
GLOBAL_SECRETS = ("bookkeeper_api_key", "influxdb_token")
SECRET_WORD = re.compile(r"pass|secret|token|api_?key|credential", re.IGNORECASE)

PRIORITY = {"urgent": "high", "offpeak": "low"}
"""mercure's rule priority -> the route's queue priority (normal: the default, medium)."""

TAG_FIELDS = {
    "modality": "modality",
    "bodypartexamined": "body_part",
    "senderaet": "calling_ae",
    "sopclassuid": "sop_classes",
    "mediastoragesopclassuid": "sop_classes",
}
"""mercure tag (case-insensitive, as `tags.X` reads it) -> RouteMatch field."""
UPPERCASE_FIELDS = {"modality", "body_part"}
"""Code String values: always upper case, so `.lower() == 'ct'` is `== 'CT'`."""

STORAGE_ANCHOR = "storage-classes"
SYNTAX_ANCHOR = "mercure-syntaxes"


# --- reading ---------------------------------------------------------------------------


class _Source:
    """The parsed mercure.json with the position of every value."""

    def __init__(self, path: str):
        self.path = path
        raw = read_bounded(path)
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
            raise ImportFailed(
                f"{path}:{line}:{column}: byte 0x{raw[err.start]:02x} is not UTF-8 "
                "(mercure reads and writes its configuration as UTF-8): re-save the file "
                "as UTF-8"
            ) from None
        try:
            self.parsed = jsonc.parse(text)
        except jsonc.JsoncError as err:
            raise ImportFailed(f"{path}:{err.line}:{err.column}: {err.message}") from None
        self.root = self.parsed.value
        if not isinstance(self.root, dict) or not {
            "targets",
            "rules",
            "appliance_name",
            "incoming_folder",
        } & set(self.root):
            raise ImportFailed(
                f"{path}: not a mercure.json (an object with targets, rules, "
                "appliance_name, incoming_folder...)"
            )

    def where(self, *path: Any, what: str = "") -> Where:
        pos = self.parsed.pos(*path)
        return Where(self.path, pos.line, pos.column, what or _dotted(path))

    def section(self, key: str) -> dict[str, Any]:
        """`targets`, `rules` or `modules`: an object of named entries (may be absent)."""
        value = self.root.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ImportFailed(
                f"{self.where(key).at}: {key} must be an object of named entries "
                "(mercure refuses to start)"
            )
        return value


def _dotted(path: tuple) -> str:
    return ".".join(json.dumps(p) if not _plain_key(p) else str(p) for p in path)


def _plain_key(key: Any) -> bool:
    return isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) is not None


# --- rule conditions -------------------------------------------------------------------


@dataclass
class Condition:
    """What a rule's expression selects, as a route match.

    `fields` None: everything (no match). `never`: the rule cannot trigger. `exact`: the
    match selects exactly what mercure does; else it selects more, and `unmapped` holds
    the parts of the expression that could not be expressed."""

    fields: dict[str, list[str]] | None = None
    never: bool = False
    exact: bool = True
    unmapped: list[str] = field(default_factory=list)
    invalid: bool = False
    """Not a Python expression: mercure logs an error and never triggers the rule."""


_TAG_REF = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)@")


def translate(expression: str) -> Condition:
    """A mercure rule expression as a route match (see `Condition`)."""
    text = _TAG_REF.sub(r'tags["\1"]', expression.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return Condition(never=True, invalid=True)
    return _Translator(text).node(tree.body)


@dataclass
class _Part:
    """A sub-expression: ALL (`fields` None), NONE (`never`), or field -> values."""

    fields: dict[str, set[str]] | None
    never: bool = False
    exact: bool = True
    unmapped: list[str] = field(default_factory=list)


class _Translator:
    def __init__(self, text: str):
        self.text = text

    def node(self, node: ast.expr) -> Condition:
        part = self.part(node)
        fields = (
            None
            if part.fields is None
            else {key: sorted(values) for key, values in part.fields.items()}
        )
        return Condition(fields, part.never, part.exact, part.unmapped)

    def unmapped(self, node: ast.expr) -> _Part:
        source = ast.get_source_segment(self.text, node) or ast.unparse(node)
        return _Part(None, exact=False, unmapped=[source])

    def part(self, node: ast.expr) -> _Part:
        if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, str)):
            return _Part(None) if node.value else _Part(None, never=True)
        if isinstance(node, ast.BoolOp):
            parts = [self.part(v) for v in node.values]
            return _all(parts) if isinstance(node.op, ast.And) else self.either(node, parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            parts = [self.part(node.left), self.part(node.right)]
            return _all(parts) if isinstance(node.op, ast.BitAnd) else self.either(node, parts)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            found = self.compare(node.left, node.ops[0], node.comparators[0])
            if found is not None:
                return found
        return self.unmapped(node)

    def either(self, node: ast.expr, parts: list[_Part]) -> _Part:
        """`a or b`; when the alternatives cannot be one match, the whole `or` is what
        was not mapped."""
        found = _any(parts)
        if not found.exact and not found.unmapped:
            found.unmapped = self.unmapped(node).unmapped
        return found

    def compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> _Part | None:
        """`tag == 'V'`, `'V' == tag`, `tag in ['A', 'B']`: a match field and values."""
        if isinstance(op, ast.Eq):
            for tag_node, value_node in ((left, right), (right, left)):
                tag = _tag(tag_node)
                if tag and isinstance(value_node, ast.Constant):
                    return _values(tag, [value_node.value])
            return None
        if isinstance(op, ast.In) and isinstance(right, (ast.List, ast.Tuple, ast.Set)):
            tag = _tag(left)
            if tag and all(isinstance(e, ast.Constant) for e in right.elts):
                return _values(tag, [e.value for e in right.elts])  # type: ignore[attr-defined]
        return None


def _tag(node: ast.expr) -> tuple[str, str] | None:
    """(match field, case change) for `tags.X`, `tags["X"]`, `tags.X.lower()`..."""
    case = ""
    if (
        isinstance(node, ast.Call)
        and not node.args
        and not node.keywords
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("lower", "upper", "strip")
    ):
        case = node.func.attr
        node = node.func.value
    name = None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "tags":
            name = node.attr.lower()
    elif (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "tags"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        name = node.slice.value.lower()
    key = TAG_FIELDS.get(name or "")
    if key is None or (case in ("lower", "upper") and key not in UPPERCASE_FIELDS):
        return None
    return key, case


def _values(tag: tuple[str, str], values: list[Any]) -> _Part | None:
    """The values a comparison selects, if the schema accepts each one; a comparison
    that can never be true (`.lower() == 'CT'`) selects nothing."""
    key, case = tag
    if not all(isinstance(v, str) for v in values):
        return None
    wanted: set[str] = set()
    for value in values:
        if case in ("lower", "upper") and value != getattr(value, case)():
            continue  # never equal
        value = value.strip() if case == "strip" else value
        value = value.upper() if key in UPPERCASE_FIELDS else value
        if not _acceptable(key, value):
            return None
        wanted.add(value)
    if not wanted:
        return _Part(None, never=True)
    return _Part({key: wanted})


def _acceptable(key: str, value: str) -> bool:
    if key == "modality":
        return value in dicom.MODALITIES
    if key == "calling_ae":
        return check_ae_title(value)[0] == value
    if key == "sop_classes":
        info = dicom.lookup(value)
        return info is not None and info.is_sop_class
    return bool(value.strip())


def _merge_unmapped(parts: list[_Part]) -> list[str]:
    return [text for p in parts for text in p.unmapped]


def _all(parts: list[_Part]) -> _Part:
    """`a and b`: every field constrains (intersected); an unmapped part is dropped, which
    widens the match."""
    exact = all(p.exact for p in parts)
    unmapped = _merge_unmapped(parts)
    if any(p.never and p.exact for p in parts):
        return _Part(None, never=True, exact=True)
    fields: dict[str, set[str]] = {}
    for p in parts:
        if p.never or p.fields is None:
            continue
        for key, values in p.fields.items():
            fields[key] = fields[key] & values if key in fields else set(values)
            if not fields[key]:
                return _Part(None, never=True, exact=exact, unmapped=unmapped)
    return _Part(fields or None, exact=exact, unmapped=unmapped)


def _any(parts: list[_Part]) -> _Part:
    """`a or b`: the union where all alternatives constrain the same one field; else
    everything (a route match cannot say "CT, or anything from CT_2")."""
    unmapped = _merge_unmapped(parts)
    live = [p for p in parts if not (p.never and p.exact)]
    if not live:
        return _Part(None, never=True)
    if any(p.fields is None for p in live):
        return _Part(None, exact=all(p.exact for p in live), unmapped=unmapped)
    keys = {key for p in live for key in p.fields or {}}
    if len(keys) == 1 and all(len(p.fields or {}) == 1 for p in live):
        (key,) = keys
        union = set().union(*(p.fields[key] for p in live if p.fields))
        return _Part({key: union}, exact=all(p.exact for p in live), unmapped=unmapped)
    return _Part(None, exact=False, unmapped=unmapped)


# --- targets ---------------------------------------------------------------------------


@dataclass
class _Target:
    """A target as the routes see it: a DICOM AE, an integration, or neither."""

    name: str
    kind: str
    ae_title: str | None = None
    calling_ae: str = DCMSEND_CALLING_AE
    notes: list[str] = field(default_factory=list)
    """Said on each route to it (pass_sender_aet...)."""
    not_routable: str | None = None
    """Why no route can go there."""


def _target_type(entry: dict[str, Any]) -> str | None:
    declared = entry.get("target_type")
    if isinstance(declared, str):
        return declared if declared in TARGET_FIELDS else None
    for kind, required in TARGET_FIELDS.items():
        if all(key in entry for key in required):
            return kind
    return None


class _Builder:
    def __init__(self, source: _Source, result: ImportResult, names: Names, site: str):
        self.source = source
        self.result = result
        self.names = names
        self.site = site
        self.targets: dict[str, _Target] = {}
        self.by_address: dict[tuple[str, int, str], _Target] = {}
        self.route_names: set[str] = set()

    def add(self, code: str, message: str, *path: Any, what: str = "") -> None:
        self.result.add(code, message, self.source.where(*path, what=what))

    # secrets ---------------------------------------------------------------------------

    def secrets(self) -> None:
        """IMPORT040 for every secret stored in mercure.json (never echoed)."""
        root = self.source.root
        for key in GLOBAL_SECRETS:
            value = root.get(key)
            if isinstance(value, str) and value and value != "BOOKKEEPER_TOKEN_PLACEHOLDER":
                self.add(
                    "IMPORT040",
                    f"{key} is stored in mercure.json in plain text; not imported",
                    key,
                )
        for name, entry in self.source.section("targets").items():
            if not isinstance(entry, dict):
                continue
            for key in TARGET_SECRETS.get(_target_type(entry) or "", ()):
                if isinstance(entry.get(key), str) and entry[key]:
                    self.add(
                        "IMPORT040",
                        f"target {json.dumps(name)}: {key} is stored in mercure.json in "
                        "plain text; not imported",
                        "targets",
                        name,
                        key,
                    )
        for name, entry in self.source.section("modules").items():
            environment = entry.get("environment") if isinstance(entry, dict) else None
            try:
                variables = json.loads(environment) if isinstance(environment, str) else None
            except ValueError:
                variables = None
            if not isinstance(variables, dict):
                continue
            for variable, value in variables.items():
                if SECRET_WORD.search(str(variable)) and value:
                    self.add(
                        "IMPORT040",
                        f"module {json.dumps(name)}: environment variable "
                        f"{json.dumps(variable)} looks like a secret stored in mercure.json; "
                        "not imported",
                        "modules",
                        name,
                        "environment",
                    )

    # targets ---------------------------------------------------------------------------

    def target(self, name: str, entry: Any) -> None:
        path = ("targets", name)
        if not isinstance(entry, dict):
            self.add("IMPORT009", f"target {json.dumps(name)} is not an object; left out", *path)
            return
        kind = _target_type(entry)
        if kind is None:
            self.add(
                "IMPORT009",
                f"target {json.dumps(name)}: target_type "
                f"{json.dumps(entry.get('target_type'))} is none mercure knows, or a "
                "required field is missing (mercure refuses the configuration); left out",
                *path,
            )
            return
        target = _Target(name, kind)
        self.targets[name] = target
        if entry.get("direction") == "pull":
            target.not_routable = "its direction is pull (a query source only)"
        if kind in ("dicom", "dicomtls"):
            self.dicom_target(target, entry, path)
        elif kind == "dicomweb":
            self.dicomweb_target(target, entry, path)
        else:
            target.not_routable = target.not_routable or (
                f"it is a {kind} target (files, not DICOM: imgpolicy routes run between AE titles)"
            )
            self.result.header.append(
                f"Target {json.dumps(name)} ({kind}, {self.source.where(*path).at}): not "
                "DICOM, not imported."
            )

    def dicom_target(self, target: _Target, entry: dict[str, Any], path: tuple) -> None:
        """A device with the AE mercure's dcmsend calls (one per host, port and AE title)."""
        name = target.name
        host_value = entry.get("ip")
        if host_value == "sender":
            target.not_routable = (
                'its ip is "sender": mercure sends back to whichever host sent the series'
            )
            return
        host, problem = check_hostname(host_value.strip() if isinstance(host_value, str) else None)
        port_value = entry.get("port") or DCMSEND_PORT
        port, port_problem = check_port(port_value)
        called = entry.get("aet_target") or DCMSEND_CALLED_AE
        title, title_problem = check_ae_title(called)
        if host is None:
            problem = f"host {host_value!r}: {problem}"
        elif port is None:
            problem = port_problem
        elif title is None:
            problem = f"aet_target {called!r}: {title_problem}"
        if problem:
            target.not_routable = f"it is not imported ({problem})"
            self.add("IMPORT009", f"target {json.dumps(name)}: {problem}; left out", *path)
            return
        assert host is not None and title is not None and port is not None
        calling = entry.get("aet_source") or DCMSEND_CALLING_AE
        target.calling_ae = calling if isinstance(calling, str) else DCMSEND_CALLING_AE
        if entry.get("pass_sender_aet"):
            target.notes.append("mercure calls with the sender's AE title (pass_sender_aet)")
        else:
            target.notes.append(f"mercure calls as {target.calling_ae} (aet_source)")
        if entry.get("pass_receiver_aet"):
            target.notes.append(
                "called AE title: the one the sender called mercure with (pass_receiver_aet)"
            )
        tls = target.kind == "dicomtls"
        known = self.by_address.get((host, port, title))
        if known is not None and known.ae_title:
            target.ae_title = known.ae_title
            return
        first = self.names.claim_ae(title, self.source.where(*path))
        if first is not None:
            target.not_routable = f'its AE title "{title}" is already that of {first.text()}'
            self.add(
                "IMPORT009",
                f'target {json.dumps(name)}: AE title "{title}" at {host}:{port} is already '
                f"that of {first.text()} (imgpolicy needs unique AE titles); left out",
                *path,
            )
            return
        target.ae_title = title
        self.by_address[(host, port, title)] = target
        device = Device(self.names.device(safe_name(name, "target")), self.site, "other")
        device.above = [f"from targets[{json.dumps(name)}] in {self.source.where(*path).at}"]
        device.notes["kind"] = "edit: pacs, vna, ai, workstation, ..."
        about = [
            f"{key}: {entry[key].strip()}" if key == "contact" else entry[key].strip()
            for key in ("comment", "contact")
            if isinstance(entry.get(key), str) and entry[key].strip()
        ]
        device.description = "; ".join(about) or None
        conn = Connection("dicom", host, port, tls=tls)
        conn.notes["tls"] = (
            "target_type dicomtls (tls_key, tls_cert, ca_cert)" if tls else "target_type dicom"
        )
        if not entry.get("port"):
            conn.notes["port"] = "no port in mercure.json: dcmsend's 104"
        device.connections.append(conn)
        ae = AE(title, connections=["dicom"], initiator=False, acceptor=True)
        if not entry.get("aet_target"):
            ae.notes["ae_title"] = "no aet_target: dcmsend calls ANY-SCP"
        ae.capabilities_above = [
            "edit: what this AE accepts as SCP is not in mercure.json (see its conformance "
            "statement)"
        ]
        device.application_entities.append(ae)
        self.result.devices.append(device)

    def dicomweb_target(self, target: _Target, entry: dict[str, Any], path: tuple) -> None:
        """A device for the DICOMweb server and an integration from the router to it."""
        name = target.name
        url = entry.get("url")
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        target.not_routable = target.not_routable or (
            "it is a DICOMweb target (STOW-RS): imported as an integration, not a route"
        )
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.result.header.append(
                f"Target {json.dumps(name)} (dicomweb, {self.source.where(*path).at}): "
                "not an http(s) URL (a local folder?), not imported."
            )
            return
        host, problem = check_hostname(parts.hostname)
        try:
            port = parts.port
        except ValueError:
            port, problem = None, f"bad port in {url!r}"
        if host is None or problem:
            self.add("IMPORT009", f"target {json.dumps(name)}: url: {problem}; left out", *path)
            return
        device = Device(self.names.device(safe_name(name, "dicomweb")), self.site, "other")
        device.above = [f"from targets[{json.dumps(name)}] in {self.source.where(*path).at}"]
        device.notes["kind"] = "edit: pacs, vna, ai, ..."
        conn = Connection(
            "dicomweb",
            host,
            port or (443 if parts.scheme == "https" else 80),
            parts.scheme == "https",
        )
        device.connections.append(conn)
        self.result.devices.append(device)
        endpoint = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, "")
        )
        direction = entry.get("direction") or "push"
        services = {
            "push": ["STOW-RS"],
            "pull": ["QIDO-RS", "WADO-RS"],
            "both": ["QIDO-RS", "WADO-RS", "STOW-RS"],
        }.get(direction, ["STOW-RS"])
        credentials: dict[str, str] = {}
        prefix = "MERCURE_" + re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
        if isinstance(entry.get("http_user"), str) and entry["http_user"]:
            credentials["username"] = f"${{{prefix}_USER}}"
        if entry.get("http_password"):
            credentials["password"] = f"${{{prefix}_PASSWORD}}"
        if entry.get("access_token"):
            credentials["token"] = f"${{{prefix}_TOKEN}}"
        integration = Integration(
            self.route_name(f"{name}-dicomweb"),
            "dicomweb",
            self.router_device,
            device.name,
            endpoint,
            services=services,
            credentials=credentials,
            description=f"mercure target {json.dumps(name)} (direction {direction})",
        )
        integration.above = [f"from targets[{json.dumps(name)}] in {self.source.where(*path).at}"]
        if credentials:
            integration.notes["credentials"] = (
                "edit: references to variables you set, not mercure.json's values"
            )
        self.result.integrations.append(integration)

    router_device = ""
    router_ae = ""

    def route_name(self, wanted: str) -> str:
        name, n = safe_name(wanted, "route"), 1
        base = name
        while name in self.route_names:
            n += 1
            name = f"{base[:60]}-{n}"
        self.route_names.add(name)
        return name

    # rules -----------------------------------------------------------------------------

    def rule(self, name: str, entry: Any) -> None:
        path = ("rules", name)
        where = self.source.where(*path)
        if not isinstance(entry, dict):
            self.add("IMPORT009", f"rule {json.dumps(name)} is not an object; left out", *path)
            return
        action = entry.get("action", "route")
        expression = entry.get("rule", "False")
        expression = expression if isinstance(expression, str) else str(expression)
        condition = translate(expression)
        rule_path = (*path, "rule") if "rule" in entry else path
        if action == "discard":
            if not entry.get("disabled") and not condition.never:
                self.add(
                    "IMPORT039",
                    f"rule {json.dumps(name)} discards what {expression.strip()!r} selects "
                    "before any other rule: the routes imported for the other rules do not "
                    "exclude it",
                    *rule_path,
                )
            return
        if action in ("process", "notification"):
            modules = _names(entry.get("processing_module"))
            what = (
                f"processes with {', '.join(modules) or 'no module'} and sends nowhere"
                if action == "process"
                else "only notifies (webhook or email)"
            )
            self.result.header.append(f"Rule {json.dumps(name)} ({where.at}) {what}: no route.")
            return
        targets = _names(entry.get("target"))
        if not targets:
            self.add(
                "IMPORT038",
                f"rule {json.dumps(name)} routes to no target; nothing to import",
                *path,
            )
            return
        routable = [t for t in targets if self.routable(name, t, path)]
        if not routable:
            return
        if condition.invalid:
            self.add(
                "IMPORT038",
                f"rule {json.dumps(name)}: {expression.strip()!r} is not a valid expression "
                "(mercure never triggers it); its routes are imported disabled",
                *rule_path,
            )
        elif not condition.exact:
            self.add(
                "IMPORT037",
                f"rule {json.dumps(name)}: {', '.join(repr(u) for u in condition.unmapped)} "
                "cannot be a route match; its routes carry more than mercure sends (the "
                "rule is kept as a comment)",
                *rule_path,
            )
        if entry.get("dynamic_routing"):
            self.add(
                "IMPORT038",
                f"rule {json.dumps(name)} lets its processing module choose the targets "
                "(dynamic_routing); only its static targets are imported",
                *path,
            )
        elif entry.get("fallback"):
            self.add(
                "IMPORT037",
                f"rule {json.dumps(name)} is the fallback rule: it takes only series no "
                "other rule takes, which a route match cannot say; its routes carry more "
                "than mercure sends",
                *rule_path,
            )
        for target_name in routable:
            self.route(name, entry, expression, condition, self.targets[target_name], path)

    def routable(self, rule_name: str, target_name: str, path: tuple) -> bool:
        """A route can go to the target: an imported DICOM AE (else IMPORT038)."""
        target = self.targets.get(target_name)
        if target is None:
            self.add(
                "IMPORT038",
                f"rule {json.dumps(rule_name)} routes to target {json.dumps(target_name)}, "
                "which is not in targets (mercure fails to dispatch); not imported",
                *path,
            )
            return False
        if target.not_routable or target.ae_title is None:
            self.add(
                "IMPORT038",
                f"rule {json.dumps(rule_name)} routes to target {json.dumps(target_name)}, "
                f"but {target.not_routable or 'it is not imported'}; no route",
                *path,
            )
            return False
        return True

    def route(
        self,
        rule_name: str,
        entry: dict[str, Any],
        expression: str,
        condition: Condition,
        target: _Target,
        path: tuple,
    ) -> None:
        """The route of one rule to one DICOM target, the rule kept as its comment."""
        assert target.ae_title is not None
        target_name = target.name
        route = Route(
            self.route_name(f"{rule_name}-{target_name}"), self.router_ae, target.ae_title
        )
        route.above = [
            f"from rules[{json.dumps(rule_name)}] in {self.source.where(*path).at}: "
            f"rule {expression.strip()!r}"
        ]
        if condition.fields:
            route.match = condition.fields
        route.notes["match"] = (
            "the rule, exactly" if condition.exact else "edit: wider than the rule (IMPORT037)"
        )
        if not condition.fields and not condition.never:
            route.notes["to"] = (
                "every series" if condition.exact else "edit: wider than the rule (IMPORT037)"
            )
        route.notes["purpose"] = "edit: archive, reading, ai, research, ... (mercure does not say)"
        priority = PRIORITY.get(entry.get("priority", ""))
        if priority:
            route.priority = priority
            route.notes["priority"] = f"mercure priority {entry['priority']}"
        if entry.get("disabled") or condition.never:
            route.enabled = False
            route.notes["enabled"] = (
                "the rule is disabled" if entry.get("disabled") else "the rule never triggers"
            )
        trigger = entry.get("action_trigger", "series")
        details = [f"sent per {trigger}", *target.notes]
        if entry.get("action") == "both":
            modules = ", ".join(_names(entry.get("processing_module"))) or "no module"
            details.insert(0, f"after processing by {modules}")
        if entry.get("fallback"):
            details.insert(0, "fallback: only series no other rule takes")
        route.description = f"mercure rule {json.dumps(rule_name)} to target " + (
            f"{json.dumps(target_name)}; " + "; ".join(details)
        )
        self.result.routes.append(route)


def _names(value: Any) -> list[str]:
    """A rule's `target` or `processing_module`: one name, a list, or empty."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


# --- the router ------------------------------------------------------------------------


def _receiver_syntaxes(accept_compressed: bool) -> tuple[list[str], list[str]]:
    """(what the receiver accepts that pydicom knows, what it accepts that pydicom does
    not know): the schema accepts only UIDs pydicom knows."""
    table = STORESCP_ACCEPT_ALL if accept_compressed else STORESCP_UNCOMPRESSED
    known: list[str] = []
    unknown: list[str] = []
    for uid in table:
        if uid == RETIRED_LEFT_OUT:
            continue
        (known if dicom.lookup(uid) else unknown).append(uid)
    return known, unknown


def _router(
    source: _Source,
    builder: _Builder,
    *,
    site: str,
    kind: str,
    hostname: str | None,
    ae_title: str | None,
) -> Device:
    root = source.root
    result = builder.result
    appliance = root.get("appliance_name")
    appliance = appliance if isinstance(appliance, str) and appliance.strip() else "mercure"
    wanted = appliance if "mercure" in appliance.lower() else f"mercure-{appliance}"
    device = Device(builder.names.device(safe_name(wanted, "mercure")), site, kind)
    device.model = "mercure"
    device.description = f"mercure DICOM router, appliance {json.dumps(appliance)}"
    device.above = [f"mercure, from {source.path}"]
    device.notes["kind"] = "--kind"
    port_value = root.get("port")
    port, problem = check_port(port_value if port_value not in (None, "") else RECEIVER_PORT)
    conn = Connection("dicom", hostname or placeholder_hostname(device.name), port)
    conn.notes["hostname"] = (
        "--hostname" if hostname else "edit: mercure.json does not name its host; pass --hostname"
    )
    if problem:
        result.add("IMPORT009", f"port: {problem}; the port is not imported", source.where("port"))
    else:
        conn.notes["port"] = (
            f"port in {source.where('port').at}"
            if "port" in root
            else "no port in mercure.json: receiver.sh's 11112"
        )
    conn.notes["tls"] = (
        "edit: the receiver uses TLS when MERCURE_TLS_ENABLED is set (not in mercure.json)"
    )
    device.connections.append(conn)
    title = ae_title or DEFAULT_AE_TITLE
    ae = AE(title, connections=["dicom"], initiator=True, acceptor=True)
    builder.names.claim_ae(title, source.where(what="the receiver"))
    ae.notes["ae_title"] = (
        "--ae-title"
        if ae_title
        else "edit: mercure answers any called AE title: give the one your senders call"
    )
    accept_compressed = root.get("accept_compressed_images") is True
    known, unknown = _receiver_syntaxes(accept_compressed)
    how = (
        "accept_compressed_images: storescp +xa (DCMTK 3.7.0)"
        if accept_compressed
        else "accept_compressed_images false: storescp's uncompressed syntaxes"
    )
    ae.capabilities = [
        Capability(
            "SCP",
            list(storage_sop_classes()),
            known,
            above=[
                f"storescp --promiscuous: every storage SOP class; {how}",
            ],
            sop_anchor=STORAGE_ANCHOR,
            ts_anchor=SYNTAX_ANCHOR,
        ),
        Capability(
            "SCU",
            list(storage_sop_classes()),
            known,
            above=["dcmsend forwards the series as received (and the processing results)"],
            sop_anchor=STORAGE_ANCHOR,
            ts_anchor=SYNTAX_ANCHOR,
        ),
        Capability("SCP", [VERIFICATION], [EXPLICIT_VR, IMPLICIT_VR], above=["C-ECHO"]),
    ]
    device.application_entities.append(ae)
    where = source.where("port") if "port" in root else source.where(what="the receiver")
    result.add(
        "IMPORT001",
        "mercure's receiver (storescp --promiscuous) stores C-STORE from any calling AE "
        "title, whatever AE title it is called with: mercure has no list of senders; "
        "restrict who reaches its port in the network",
        where,
    )
    result.add(
        "IMPORT007",
        "mercure's receiver runs storescp --promiscuous: it accepts SOP classes it does "
        "not know (private ones too)",
        where,
    )
    if unknown:
        result.header.append(
            "The receiver also accepts "
            + ", ".join(unknown)
            + " (DCMTK 3.7.0), which pydicom's registry here does not know: left out."
        )
    result.header.append(
        "Explicit VR Big Endian (retired), which storescp also accepts, is left out "
        "(nobody sends it; listing it only raises CF002)."
    )
    return device


def _settings_note(source: _Source) -> list[str]:
    """What of mercure.json is not network policy: said once, not imported."""
    root = source.root
    lines = []
    retention = root.get("retention")
    if isinstance(retention, int) and not isinstance(retention, bool):
        lines.append(
            f"retention {retention} s ({retention / 86400:g} days): how long mercure keeps "
            "its own working copies (success/discard folders), not a retention policy; "
            "emergency_clean_percentage empties them when the disk fills."
        )
    offpeak = (root.get("offpeak_start"), root.get("offpeak_end"))
    if all(isinstance(v, str) for v in offpeak):
        lines.append(
            f"Off-peak hours {offpeak[0]}-{offpeak[1]}: the low-priority routes wait for them."
        )
    modules = source.section("modules")
    for name, entry in modules.items():
        tag = entry.get("docker_tag") if isinstance(entry, dict) else None
        lines.append(
            f"Processing module {json.dumps(name)}"
            + (f" ({tag})" if isinstance(tag, str) and tag else "")
            + f" at {source.where('modules', name).at}: runs inside mercure, not imported."
        )
    nodes = root.get("dicom_retrieve", {})
    if isinstance(nodes, dict) and nodes.get("dicom_nodes"):
        lines.append("dicom_retrieve.dicom_nodes (query sources of the Query tool): not imported.")
    lines.append(
        "Not imported (not network policy): folders, bookkeeper, graphite/influxdb, "
        "series/study completion triggers, retry settings, notifications."
    )
    return lines


def import_file(
    path: str,
    *,
    site: str,
    kind: str,
    hostname: str | None,
    ae_title: str | None,
    result: ImportResult,
) -> None:
    """Read `path` (mercure.json) into `result`: the router, its DICOM targets as devices,
    its DICOMweb targets as integrations, and a route per rule and DICOM target."""
    if ae_title is not None and check_ae_title(ae_title)[0] != ae_title:
        raise ImportFailed(f"--ae-title {ae_title!r}: {check_ae_title(ae_title)[1]}")
    if check_name(site)[0] is None:
        raise ImportFailed(f"--site {site!r}: {check_name(site)[1]}")
    source = _Source(path)
    names = Names()
    builder = _Builder(source, result, names, site)
    result.header += [
        f"Imported by `imgpolicy import mercure` from {path}",
        "(mercure's router configuration: receiver, targets, rules).",
        'Review before committing: lines marked "edit:" are what the source does not say.',
    ]
    router = _router(source, builder, site=site, kind=kind, hostname=hostname, ae_title=ae_title)
    result.devices.append(router)
    builder.router_device = router.name
    builder.router_ae = router.application_entities[0].ae_title
    for name, entry in source.section("targets").items():
        builder.target(name, entry)
    for name, entry in source.section("rules").items():
        builder.rule(name, entry)
    builder.secrets()
    result.header += _settings_note(source)
