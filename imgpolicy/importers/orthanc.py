"""`imgpolicy import orthanc`: an Orthanc configuration (file, folder or REST API) as devices.

What comes from where (configuration file | REST API with `--url`):

- device name, AE title, DICOM port: `Name`, `DicomAet`, `DicomPort` | `GET /system`
- software version: - | `GET /system` (`Version`)
- accepted transfer syntaxes: `AcceptedTransferSyntaxes` and the `...TransferSyntaxAccepted`
  options | `GET /tools/accepted-transfer-syntaxes` (Orthanc >= 1.9.0)
- remote modalities: `DicomModalities` | `GET /modalities?expand` (also those kept in
  Orthanc's database)
- DICOM TLS: `DicomTlsEnabled`, each modality's `UseDicomTls` | `UseDicomTls` only
- worklist SCP: the worklist plugin's `Worklists.Enable` | - (not exposed)
- posture findings: `DicomAlwaysAllow*`, `DicomCheckCalledAet`, `StrictAetComparison`,
  `DicomCheckModalityHost`, `UnknownSopClassAccepted`, `RemoteAccessAllowed` with
  `AuthenticationEnabled` | `IsHttpServerSecure` (`/system`) and
  `GET /tools/unknown-sop-class-accepted`

Orthanc's REST API does not expose most of its configuration (the `DicomAlwaysAllow*`
options, `DicomCheckCalledAet`, `StrictAetComparison`, `DicomCheckModalityHost`,
`DicomTlsEnabled`, the HTTP security options), so an import over REST reports the
permissions each modality has by its own `Allow*` flags, and only the posture findings the
API can support; import the configuration file for the rest.

Orthanc semantics followed here (Orthanc 1.0-1.12 sources and its sample configuration):
what the C-STORE SCP accepts is Orthanc's own list for its version, never pydicom's
(`orthanc_syntaxes`: `AcceptedTransferSyntaxes` patterns matched against that list, then
each `...TransferSyntaxAccepted` boolean adds or removes its group; storage SOP classes of
its DCMTK); a request from a remote AE is allowed when the matching `DicomAlwaysAllow...`
option is true or the modality's own `Allow...` flag is (all default to true;
`AllowStorageCommitment`, when present, sets `AllowNAction` and `AllowEventReport`); Q/R,
verification and storage commitment are negotiated in Explicit VR Little Endian, Explicit
VR Big Endian or Implicit VR Little Endian. The files are read as Orthanc reads them:
`${VAR}` placeholders substituted first (`orthanc_variables`), bytes that are not UTF-8
taken as they are (JsonCpp does not check the encoding; here: as Latin-1).

Retired UIDs are not declared (pydicom's registry says which): Orthanc also accepts the
retired JPEG processes, Explicit VR Big Endian and retired storage SOP classes, but no
current device needs them and `check` would report each (CF002); the header lists the
transfer syntaxes left out that way, for a legacy device that still sends one.
"""

from __future__ import annotations

import base64
import codecs
import json
import os
import sys
import textwrap
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .. import dicom, net
from . import jsonc
from . import orthanc_syntaxes as syntaxes
from . import orthanc_variables as variables
from .common import (
    AE,
    EXPLICIT_VR,
    EXPLICIT_VR_BIG,
    IMPLICIT_VR,
    MAX_SOURCE_BYTES,
    MODALITY_WORKLIST_FIND,
    PATIENT_ROOT,
    STORAGE_COMMITMENT,
    STUDY_ROOT,
    VERIFICATION,
    Capability,
    Connection,
    Device,
    ImportFailed,
    ImportResult,
    Names,
    Where,
    check_ae_title,
    check_hostname,
    check_port,
    placeholder_hostname,
    read_bounded,
    safe_name,
    spelled,
    storage_sop_classes,
    transfer_syntaxes,
    uid_key,
)

GENERIC_TRANSFER_SYNTAXES = [EXPLICIT_VR, EXPLICIT_VR_BIG, IMPLICIT_VR]
"""What Orthanc's SCP accepts for verification, Q/R and storage commitment (Explicit VR
Big Endian is retired, so `_current` leaves it out of what is declared)."""


def _retired(uid: str) -> bool:
    info = dicom.lookup(uid)
    return bool(info and info.retired)


def _current(uids: list[str] | tuple[str, ...]) -> list[str]:
    """The UIDs pydicom does not list as retired, in their order (see the module)."""
    return [uid for uid in uids if not _retired(uid)]


def _latin1(error: UnicodeError) -> tuple[str, int]:
    """Decode error handler: each byte that is not UTF-8 as the Latin-1 character."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("imgpolicy.latin1", _latin1)


@dataclass
class Reading:
    """How configuration files are read: `${VAR}` values (the process environment,
    `--env-file`), whether unresolved placeholders are kept, and what was noticed on the
    way (header lines, IMPORT010 findings)."""

    environment: dict[str, str] = field(default_factory=dict)
    env_file: dict[str, str] = field(default_factory=dict)
    keep_placeholders: bool = False
    notes: list[str] = field(default_factory=list)
    unresolved: list[Where] = field(default_factory=list)


ALWAYS_ALLOW = {  # option -> (the request it opens to every AE, its default)
    "DicomAlwaysAllowEcho": ("Echo", True),
    "DicomAlwaysAllowStore": ("Store", True),
    "DicomAlwaysAllowFind": ("Find", False),
    "DicomAlwaysAllowFindWorklist": ("FindWorklist", False),
    "DicomAlwaysAllowMove": ("Move", False),
    "DicomAlwaysAllowGet": ("Get", False),
}
REQUESTS = ("Echo", "Store", "Find", "FindWorklist", "Move", "Get", "NAction")
GENERIC_MANUFACTURERS = {"Generic", "GenericNoWildcardInDates", "GenericNoUniversalWildcard"}
STORAGE_ANCHOR = "storage-sop-classes"
ACCEPTED_ANCHOR = "accepted-transfer-syntaxes"


@dataclass
class Setting:
    value: Any
    where: Where | None = None
    """None: not set, Orthanc's default applies."""


@dataclass
class Modality:
    key: str
    where: Where
    aet: Any
    host: Any
    port: Any
    manufacturer: str = "Generic"
    allow: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(REQUESTS, True))
    use_tls: bool = False
    local_aet: str | None = None


@dataclass
class Settings:
    """What the import needs from an Orthanc, whichever way it was read."""

    source: str
    root: Where
    """Where a setting that is not written down (Orthanc's default) is reported."""
    rest: bool = False
    name: str | None = None
    version: str | None = None
    aet: Setting = field(default_factory=lambda: Setting("ORTHANC"))
    port: Setting = field(default_factory=lambda: Setting(4242))
    dicom_enabled: Setting = field(default_factory=lambda: Setting(True))
    tls: Setting | None = field(default_factory=lambda: Setting(False))
    profile: syntaxes.Profile = field(default_factory=lambda: syntaxes.Profile(None))
    """What this Orthanc version accepts (`--orthanc-version`, or /system over REST)."""
    accepted: list[str] = field(default_factory=list)
    """Every transfer syntax the C-STORE SCP negotiates, retired ones included."""
    accepted_where: Where | None = None
    """Where the accepted transfer syntaxes are decided (the option, or the REST route)."""
    accepted_above: list[str] = field(default_factory=list)
    accepted_notes: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Header lines about how the source was read (placeholders, encoding, version)."""
    unknown_sop: Setting | None = field(default_factory=lambda: Setting(False))
    always: dict[str, Setting] | None = None
    """Request -> the DicomAlwaysAllow... setting; None when unknown (REST)."""
    check_called_aet: Setting | None = None
    strict_aet: Setting | None = None
    check_host: Setting | None = None
    http_insecure: Setting | None = None
    """Set when the HTTP server takes requests from other hosts without a password."""
    worklists: Setting | None = None
    modalities: list[Modality] = field(default_factory=list)
    config: Any = None
    """The configuration read (`_Config`), for routing and posture; None over REST."""


# --- reading the configuration file(s) --------------------------------------------------


class _Config:
    """Top-level options of one file or of every `*.json` in a folder (Orthanc merges a
    folder's files; the same option in two files stops Orthanc, and the import)."""

    def __init__(self, path: str, reading: Reading | None = None):
        self.path = path
        reading = reading or Reading()
        self.files: dict[str, jsonc.Parsed] = {}
        self.owner: dict[str, str] = {}
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.lower().endswith(".json"))
            if not names:
                raise ImportFailed(
                    f"{path}: no *.json files (Orthanc reads every .json file "
                    "of a configuration folder)"
                )
            paths = [os.path.join(path, n) for n in names]
        else:
            paths = [path]
        for file in paths:
            parsed = _read_json(file, reading)
            if not isinstance(parsed.value, dict):
                raise ImportFailed(
                    f"{file}:1:1: an Orthanc configuration is a JSON object {{ ... }}"
                )
            self.files[file] = parsed
            for key in parsed.value:
                if key in self.owner:
                    first = self.where(key)
                    pos = parsed.pos(key)
                    raise ImportFailed(
                        f'{file}:{pos.line}:{pos.column}: option "{key}" is also set in '
                        f"{first.at}; Orthanc refuses to start with an option set twice"
                    )
                self.owner[key] = file
        self.first = paths[0]

    def __contains__(self, key: str) -> bool:
        return key in self.owner

    def value(self, key: str, *path: Any) -> Any:
        value = self.files[self.owner[key]].value[key]
        for part in path:
            value = value[part]
        return value

    def where(self, key: str, *path: Any, what: str = "") -> Where:
        file = self.owner[key]
        pos = self.files[file].pos(key, *path)
        return Where(file, pos.line, pos.column, what or key)

    def root(self) -> Where:
        pos = self.files[self.first].pos()
        return Where(self.first, pos.line, pos.column, "the configuration")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any, what: str) -> Setting:
        if key not in self:
            return Setting(default)
        value = self.value(key)
        where = self.where(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ImportFailed(f'{where.at}: "{key}" must be {what}, not {json.dumps(value)}')
        return Setting(value, where)


def _decode(raw: bytes, path: str, reading: Reading) -> str:
    """The file's text as Orthanc sees it: it reads bytes and JsonCpp does not check
    their encoding, so a Latin-1 byte (even in a comment) does not stop it. UTF-8 where
    the bytes are UTF-8, each other byte as its Latin-1 character, with a header note."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        reading.notes.append(
            f"{path}:{line}: bytes that are not UTF-8 (from this line on) were read as "
            "Latin-1, as Orthanc takes them byte for byte; save the file as UTF-8"
        )
        return raw.decode("utf-8", errors="imgpolicy.latin1")


def _read_json(path: str, reading: Reading) -> jsonc.Parsed:
    text = _decode(read_bounded(path), path, reading)
    substituted = variables.substitute(
        text, path, reading.environment, reading.env_file, reading.keep_placeholders
    )
    for placeholder in substituted.placeholders:
        if placeholder.context == "comment":
            continue
        where = Where(path, placeholder.line, placeholder.column, placeholder.text)
        if placeholder.source == "unresolved":
            reading.unresolved.append(where)
        else:
            how = {
                "--env-file": "from --env-file",
                "environment": "from the environment",
                "default": "its default",
            }[placeholder.source]
            reading.notes.append(f"{where.at}: {placeholder.text}: {how}")
    try:
        parsed = jsonc.parse(substituted.text)
    except jsonc.JsoncError as err:
        line, column = substituted.position(err.line, err.column)
        raise ImportFailed(
            f"{path}:{line}:{column}: not a valid Orthanc "
            f"configuration (JSON with comments): {err.message}"
        ) from None
    if substituted.remap is not None:
        parsed.positions = {
            key: jsonc.Pos(*substituted.position(pos.line, pos.column))
            for key, pos in parsed.positions.items()
        }
    return parsed


def read_file(
    path: str,
    result: ImportResult,
    *,
    version: str | None = None,
    reading: Reading | None = None,
) -> Settings:
    """Read a configuration file or folder as Orthanc `version` (None: not known) would."""
    reading = reading or Reading()
    config = _Config(path, reading)
    settings = Settings(source=path, root=config.root())
    settings.config = config
    settings.version = version
    settings.profile = syntaxes.Profile(syntaxes.parse_version(version) if version else None)
    settings.notes.extend(reading.notes)
    for where in reading.unresolved:
        result.add(
            "IMPORT010",
            f"{where.what} is not set (no value in the environment or --env-file, no "
            "default): imported as written (--keep-placeholders); Orthanc would read an "
            "empty string here",
            where,
        )
    name = config.get("Name", str, None, "a string")
    settings.name = name.value
    settings.aet = config.get("DicomAet", str, "ORTHANC", "a string")
    settings.port = config.get("DicomPort", (int, str), 4242, "a port number")
    settings.dicom_enabled = config.get("DicomServerEnabled", bool, True, "true or false")
    settings.tls = config.get("DicomTlsEnabled", bool, False, "true or false")
    settings.unknown_sop = config.get("UnknownSopClassAccepted", bool, False, "true or false")
    settings.always = {}
    for option, (request, default) in ALWAYS_ALLOW.items():
        settings.always[request] = config.get(option, bool, default, "true or false")
    settings.check_called_aet = config.get("DicomCheckCalledAet", bool, False, "true or false")
    settings.strict_aet = config.get("StrictAetComparison", bool, False, "true or false")
    settings.check_host = config.get("DicomCheckModalityHost", bool, False, "true or false")
    http = config.get("HttpServerEnabled", bool, True, "true or false")
    remote = config.get("RemoteAccessAllowed", bool, False, "true or false")
    auth = config.get("AuthenticationEnabled", bool, remote.value, "true or false")
    if http.value and remote.value and not auth.value:
        settings.http_insecure = Setting(True, auth.where or remote.where)
    if "Worklists" in config and isinstance(config.value("Worklists"), dict):
        enable = config.value("Worklists").get("Enable")
        if enable is True:
            settings.worklists = Setting(
                True, config.where("Worklists", "Enable", what="Worklists.Enable")
            )
    _accepted_from_file(config, settings, result)
    in_db = config.get("DicomModalitiesInDatabase", bool, False, "true or false")
    if in_db.value:
        result.add(
            "IMPORT009",
            "DicomModalitiesInDatabase is true: the modalities are kept in Orthanc's "
            "database, not in this file; import them with `imgpolicy import orthanc "
            "--url`",
            in_db.where or settings.root,
        )
    if "DicomModalities" in config:
        modalities = config.value("DicomModalities")
        if not isinstance(modalities, dict):
            raise ImportFailed(
                f'{config.where("DicomModalities").at}: "DicomModalities" '
                'must be an object { "name": [...] or {...} }'
            )
        for key in modalities:
            where = config.where("DicomModalities", key, what=f"DicomModalities[{json.dumps(key)}]")
            modality = _modality(key, modalities[key], where, result)
            if modality:
                settings.modalities.append(modality)
    return settings


def _accepted_from_file(config: _Config, settings: Settings, result: ImportResult) -> None:
    """The transfer syntaxes Orthanc's C-STORE SCP negotiates, as its version computes
    them (`OrthancConfiguration::GetAcceptedTransferSyntaxes`): the patterns of
    `AcceptedTransferSyntaxes` matched against Orthanc's own list (default: all of it),
    then the group options; then only what its DCMTK can negotiate."""
    option = "AcceptedTransferSyntaxes"
    profile = settings.profile
    version = f"Orthanc {syntaxes.show(profile.version)}" if profile.version else "Orthanc"
    accepted: set[str] = set()
    settings.accepted_where = config.where(option) if option in config else settings.root
    if option in config and profile.has_accepted_option:
        value = config.value(option)
        where = config.where(option)
        patterns = [value] if isinstance(value, str) else value
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise ImportFailed(
                f'{where.at}: "{option}" must be a transfer syntax UID pattern or a list of them'
            )
        for i, pattern in enumerate(patterns):
            at = config.where(option, i) if isinstance(value, list) else where
            matched = _expand(pattern, profile)
            if not [uid for uid in matched if uid not in syntaxes.NEVER_NEGOTIATED]:
                result.add("IMPORT012", _ignored_pattern(option, pattern, matched, version), at)
            accepted.update(matched)
        shown = json.dumps(value)
        if len(shown) > 100:
            shown = shown[:97] + "..."
        settings.accepted_above.append(
            f"{option} {shown} ({where.at}), matched against the "
            f"{len(profile.known())} transfer syntaxes {version} knows"
        )
    else:
        if option in config:
            result.add(
                "IMPORT012",
                f"{option} is read by Orthanc 1.9.0 and later: {version} ignores it and "
                "accepts the uncompressed transfer syntaxes plus the ...TransferSyntaxAccepted "
                "groups (each true by default)",
                config.where(option),
            )
        accepted.update(profile.default_accepted())
        settings.accepted_above.append(
            f"{option} is not set: {version}'s default, every transfer syntax it knows"
            if profile.has_accepted_option
            else f"{version}: the uncompressed transfer syntaxes and every group not set to false"
        )
    notes = {}
    groups = profile.groups()
    for group in syntaxes.GROUP_OPTIONS:
        if group not in config:
            continue
        setting = config.get(group, bool, True, "true or false")
        if group not in groups:
            result.add(
                "IMPORT012",
                f"{group} is read by Orthanc {syntaxes.show(syntaxes.GROUP_OPTIONS[group])} "
                f"and later: {version} ignores it",
                config.where(group),
            )
            continue
        for uid in groups[group]:
            if setting.value:
                accepted.add(uid)
                notes[uid] = f"{group} ({_at(setting)})"
            else:
                accepted.discard(uid)
        settings.accepted_above.append(
            f"{group} {'true' if setting.value else 'false'} ({_at(setting)}) "
            f"{'adds' if setting.value else 'removes'} {len(groups[group])}"
        )
    accepted -= syntaxes.NEVER_NEGOTIATED
    settings.accepted = sorted(accepted, key=uid_key)
    settings.accepted_notes = {u: n for u, n in notes.items() if u in accepted}


def _expand(pattern: str, profile: syntaxes.Profile) -> list[str]:
    """What an `AcceptedTransferSyntaxes` pattern selects: Orthanc matches it against its
    own list of transfer syntaxes, not against every UID the standard defines."""
    regex = syntaxes.matcher(pattern)
    return [uid for uid in profile.known() if regex.fullmatch(uid)]


def _ignored_pattern(option: str, pattern: str, matched: list[str], version: str) -> str:
    """IMPORT012's message for a pattern that adds nothing the SCP negotiates."""
    regex = syntaxes.matcher(pattern)
    others = [uid for uid in transfer_syntaxes() if regex.fullmatch(uid) and uid not in matched]
    if matched:
        why = (
            "matches only transfer syntaxes Orthanc lists but its DCMTK cannot negotiate "
            "(RFC 2557 MIME encapsulation, XML encoding)"
        )
    elif others:
        named = ", ".join(spelled(uid) for uid in others[:4]) + (", ..." if len(others) > 4 else "")
        why = f"matches {named}, which {version} does not know"
    else:
        why = "matches no transfer syntax"
    return f"{option} entry {json.dumps(pattern)} {why}: Orthanc ignores it, and so does the import"


def _modality(key: str, value: Any, where: Where, result: ImportResult) -> Modality | None:
    def skip(why: str) -> None:
        result.add("IMPORT009", f"{where.what} {why}; it is not imported", where)

    if isinstance(value, list):
        if not 3 <= len(value) <= 4:
            skip('must be ["AET", "host", port] or ["AET", "host", port, "manufacturer"]')
            return None
        modality = Modality(key, where, value[0], value[1], value[2])
        if len(value) == 4:
            modality.manufacturer = value[3]
        return modality
    if isinstance(value, dict):
        missing = [k for k in ("AET", "Host", "Port") if k not in value]
        if missing:
            skip(f"has no {', '.join(missing)}")
            return None
        modality = Modality(key, where, value["AET"], value["Host"], value["Port"])
        modality.manufacturer = value.get("Manufacturer", "Generic")
        for request in REQUESTS:
            flag = value.get(f"Allow{request}")
            if request == "NAction" and "AllowStorageCommitment" in value:
                # RemoteModalityParameters: AllowStorageCommitment, read after
                # AllowNAction, sets it (and AllowEventReport) whatever AllowNAction says
                flag = value["AllowStorageCommitment"]
            if isinstance(flag, bool):
                modality.allow[request] = flag
        if isinstance(value.get("UseDicomTls"), bool):
            modality.use_tls = value["UseDicomTls"]
        if isinstance(value.get("LocalAet"), str) and value["LocalAet"].strip():
            modality.local_aet = value["LocalAet"]
        return modality
    skip(
        'must be an array ["AET", "host", port] or an object {"AET": ..., "Host": ..., "Port": ...}'
    )
    return None


# --- reading the REST API ---------------------------------------------------------------


REQUEST_TIMEOUT = 15.0
"""Seconds one step of one request (connect, each read) may take."""
DEFAULT_URL_TIMEOUT = 60.0
"""Seconds the whole import over the REST API may take (--timeout)."""
MAX_MODALITY_REQUESTS = 1000
"""An Orthanc without /modalities?expand (before 1.7) needs one request per modality;
more than this many is refused rather than read one by one."""
MAX_JSON_DEPTH = 100
"""Nesting levels an answer may have (Orthanc's answers have about three)."""


def read_url(
    url: str,
    user: str | None,
    password: str | None,
    result: ImportResult,
    timeout: float = DEFAULT_URL_TIMEOUT,
    version: str | None = None,
) -> Settings:
    """Read an Orthanc's REST API within `timeout` seconds in all (`version` overrides
    the one /system gives for what its DICOM server accepts).

    Credentials come from --user/--password, else from the URL's user info; the URL is
    shown without them. Every request goes through `net.http_get` (one deadline for the
    whole import, bounded answers, the password never sent to another origin).
    """
    try:
        address = net.parse_http_url(url, "Orthanc's REST API")
    except net.BadURL as err:
        raise ImportFailed(str(err)) from None
    base = address.url
    if user is None:
        user = address.user
    if password is None and user == address.user:
        password = address.password
    headers = {"Accept": "application/json"}
    if user is not None:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    deadline = net.Deadline(timeout)

    def get(route: str, optional: bool = False) -> Any:
        target = base + route
        try:
            body = net.http_get(
                target,
                deadline=deadline,
                limit=REQUEST_TIMEOUT,
                max_bytes=MAX_SOURCE_BYTES,
                headers=headers,
            )
        except net.FetchFailed as err:
            if optional and err.status in (400, 404):
                return None
            if err.status == 401:
                raise ImportFailed(
                    f"{target}: 401 Unauthorized: Orthanc asks for a user; give --user and "
                    "--password (or IMGPOLICY_ORTHANC_USER / IMGPOLICY_ORTHANC_PASSWORD)"
                ) from None
            if err.timed_out:
                raise ImportFailed(
                    f"{err} (--timeout {timeout:g} s bounds the whole import: raise it "
                    "for a slow server)"
                ) from None
            raise ImportFailed(str(err)) from None
        return _answer_json(target, body)

    system = get("/system")
    if not isinstance(system, dict) or "DicomAet" not in system:
        raise ImportFailed(f"{base}/system: no DicomAet in the answer; is this Orthanc?")
    settings = Settings(source=base, root=Where(f"{base}/system", what="/system"), rest=True)
    system_where = Where(f"{base}/system", what="/system")
    settings.name = system.get("Name") if isinstance(system.get("Name"), str) else None
    settings.version = system.get("Version") if isinstance(system.get("Version"), str) else None
    settings.aet = Setting(system["DicomAet"], system_where)
    settings.port = Setting(system.get("DicomPort", 4242), system_where)
    settings.tls = None
    settings.always = None
    if system.get("IsHttpServerSecure") is False:
        settings.http_insecure = Setting(True, system_where)

    settings.profile = syntaxes.Profile(syntaxes.parse_version(version or settings.version or ""))
    if version:
        settings.version = version
    accepted_where = Where(f"{base}/tools/accepted-transfer-syntaxes")
    settings.accepted_where = accepted_where
    accepted = get("/tools/accepted-transfer-syntaxes", optional=True)
    if isinstance(accepted, list):
        _accepted_from_rest(accepted, accepted_where, settings, result)
    else:
        settings.accepted = sorted(
            set(settings.profile.default_accepted()) - syntaxes.NEVER_NEGOTIATED, key=uid_key
        )
        settings.accepted_above.append(
            "this Orthanc (before 1.9.0) does not publish its accepted transfer syntaxes: "
            "its version's default (the uncompressed ones and every group); import its "
            "configuration file if it sets a ...TransferSyntaxAccepted option to false"
        )
    unknown = get("/tools/unknown-sop-class-accepted", optional=True)
    settings.unknown_sop = (
        Setting(
            unknown in (1, True, "1", "true"), Where(f"{base}/tools/unknown-sop-class-accepted")
        )
        if unknown is not None
        else None
    )

    modalities_where = f"{base}/modalities?expand"
    modalities = get("/modalities?expand")
    if isinstance(modalities, list):  # an Orthanc without ?expand: one request each
        names = [name for name in modalities if isinstance(name, str)]
        if len(names) > MAX_MODALITY_REQUESTS:
            raise ImportFailed(
                f"{modalities_where}: this Orthanc lists {len(names)} modalities by name "
                "only (no ?expand before Orthanc 1.7), which would take a request each; "
                f"at most {MAX_MODALITY_REQUESTS} are read that way: import its "
                "configuration file instead"
            )
        modalities = {
            name: get(f"/modalities/{urllib.parse.quote(name, safe='')}/configuration")
            for name in names
        }
    if not isinstance(modalities, dict):
        raise ImportFailed(f"{modalities_where}: expected an object of modalities")
    for key in modalities:
        where = Where(modalities_where, what=f"modality {json.dumps(key)}")
        modality = _modality(key, modalities[key], where, result)
        if modality:
            settings.modalities.append(modality)
    return settings


def _accepted_from_rest(
    accepted: list[Any], where: Where, settings: Settings, result: ImportResult
) -> None:
    """`/tools/accepted-transfer-syntaxes`: the server's own list, less RFC 2557 and XML
    encoding, which it lists but its DCMTK never negotiates."""
    known = set(transfer_syntaxes())
    for uid in accepted:
        if uid not in known:
            result.add(
                "IMPORT008",
                f"Orthanc accepts transfer syntax {json.dumps(uid)}, which "
                "pydicom's registry does not know; it is left out",
                where,
            )
    listed = {u for u in accepted if u in known}
    settings.accepted = sorted(listed - syntaxes.NEVER_NEGOTIATED, key=uid_key)
    settings.accepted_above.append(f"from {where.path}")
    if listed & syntaxes.NEVER_NEGOTIATED:
        settings.accepted_above.append(
            "less RFC 2557 MIME encapsulation and XML encoding, which Orthanc lists but its "
            "DCMTK never negotiates"
        )


def _answer_json(url: str, body: bytes) -> Any:
    """The JSON value of an answer; `ImportFailed` for anything else, including what
    breaks `json.loads` itself (a number beyond Python's digit limit, nesting beyond the
    interpreter's stack) and nesting no Orthanc answer has."""
    deep = ImportFailed(
        f"{url}: the answer is nested more than {MAX_JSON_DEPTH} levels deep; "
        "is this Orthanc's REST API?"
    )
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportFailed(f"{url}: the answer is not JSON; is this Orthanc's REST API?") from None
    except RecursionError:
        raise deep from None
    except ValueError:  # int() of a number beyond sys.get_int_max_str_digits()
        raise ImportFailed(
            f"{url}: the answer holds a number of more than "
            f"{sys.get_int_max_str_digits()} digits; is this Orthanc's REST API?"
        ) from None
    if _too_deep(value, MAX_JSON_DEPTH):
        raise deep
    return value


def _too_deep(value: Any, limit: int) -> bool:
    """Whether `value` nests more than `limit` lists/objects (walked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


# --- building the devices --------------------------------------------------------------


def _default(setting: Setting) -> str:
    return "" if setting.where else " (Orthanc's default: the option is not set)"


def _posture(settings: Settings, result: ImportResult) -> None:
    def where(setting: Setting) -> Where:
        return setting.where or settings.root

    dicom_on = bool(settings.dicom_enabled.value)
    if dicom_on and settings.always is not None:
        store = settings.always["Store"]
        if store.value:
            result.add(
                "IMPORT001",
                f"DicomAlwaysAllowStore is true{_default(store)}: Orthanc stores "
                "C-STORE requests from any AE title, not only from the DicomModalities; "
                "set it to false and list the modalities that may send",
                where(store),
            )
        for request, option in (
            ("Find", "DicomAlwaysAllowFind"),
            ("FindWorklist", "DicomAlwaysAllowFindWorklist"),
            ("Move", "DicomAlwaysAllowMove"),
            ("Get", "DicomAlwaysAllowGet"),
        ):
            setting = settings.always[request]
            if setting.value:
                verb = {
                    "Find": "query its studies (C-FIND)",
                    "FindWorklist": "query its worklist (C-FIND)",
                    "Move": "retrieve its studies (C-MOVE)",
                    "Get": "retrieve its studies (C-GET)",
                }[request]
                result.add(
                    "IMPORT002",
                    f"{option} is true: any AE title may {verb}, not only the "
                    "DicomModalities; set it to false",
                    where(setting),
                )
    if dicom_on and settings.check_called_aet is not None and not settings.check_called_aet.value:
        setting = settings.check_called_aet
        result.add(
            "IMPORT003",
            f"DicomCheckCalledAet is false{_default(setting)}: Orthanc accepts an "
            "association whatever AE title it calls, so studies meant for another AE "
            "are stored here without an error; set it to true",
            where(setting),
        )
    if dicom_on and settings.strict_aet is not None and not settings.strict_aet.value:
        setting = settings.strict_aet
        result.add(
            "IMPORT004",
            f"StrictAetComparison is false{_default(setting)}: Orthanc compares AE "
            "titles case-insensitively, so titles that differ only by case are one AE "
            "to it (imgpolicy's AE001 reports such pairs)",
            where(setting),
        )
    if settings.http_insecure is not None:
        text = (
            "IsHttpServerSecure is false: Orthanc's REST API takes requests from other "
            "hosts without a password"
            if settings.rest
            else "RemoteAccessAllowed is true and AuthenticationEnabled false: Orthanc's REST "
            "API (every study, and deleting them) is open to any host without a password"
        )
        result.add(
            "IMPORT005",
            text + "; enable AuthenticationEnabled with RegisteredUsers, or keep "
            "RemoteAccessAllowed false behind a proxy that authenticates",
            settings.http_insecure.where or settings.root,
        )
    if (
        dicom_on
        and settings.modalities
        and settings.check_host is not None
        and not settings.check_host.value
    ):
        setting = settings.check_host
        result.add(
            "IMPORT006",
            f"DicomCheckModalityHost is false{_default(setting)}: Orthanc recognises "
            "a modality by its AE title alone, so any host that presents a listed AE "
            "title gets its permissions; set it to true",
            where(setting),
        )
    if dicom_on and settings.unknown_sop is not None and settings.unknown_sop.value:
        result.add(
            "IMPORT007",
            "UnknownSopClassAccepted is true: Orthanc also accepts SOP classes it "
            'does not know ("promiscuous mode"), which no transfer capability here '
            "can list",
            settings.unknown_sop.where or settings.root,
        )


def _remote_permissions(settings: Settings, modality: Modality) -> dict[str, str]:
    """Request -> why it is allowed (the flag or the global option), for allowed ones."""
    allowed = {}
    for request in REQUESTS:
        always = settings.always.get(request) if settings.always else None
        if always is not None and always.value:
            option = next(o for o, (r, _) in ALWAYS_ALLOW.items() if r == request)
            allowed[request] = option
        elif modality.allow[request]:
            allowed[request] = (
                "AllowStorageCommitment" if request == "NAction" else f"Allow{request}"
            )
    return allowed


def _storage_classes(settings: Settings) -> list[str]:
    """The storage SOP classes Orthanc's DCMTK accepts, less retired ones (see the
    module), in UID order."""
    accepted = settings.profile.storage_sop_classes()
    return [uid for uid in storage_sop_classes() if uid in accepted]


def _declared(settings: Settings) -> list[str]:
    """The accepted transfer syntaxes the file declares: the non-retired ones (all of
    them when Orthanc accepts retired ones only)."""
    return _current(settings.accepted) or list(settings.accepted)


def _orthanc_scu(settings: Settings) -> list[Capability]:
    storage_ts = _declared(settings)
    caps = [
        Capability(
            "SCU",
            _storage_classes(settings),
            storage_ts or _current(GENERIC_TRANSFER_SYNTAXES),
            above=[
                "C-STORE SCU: Orthanc sends what it stores (transcoding to "
                "uncompressed when a destination needs it)"
            ],
            sop_anchor=STORAGE_ANCHOR,
            ts_anchor=ACCEPTED_ANCHOR if storage_ts else None,
        ),
        Capability(
            "SCU",
            [
                VERIFICATION,
                PATIENT_ROOT["FIND"],
                STUDY_ROOT["FIND"],
                PATIENT_ROOT["MOVE"],
                STUDY_ROOT["MOVE"],
                STORAGE_COMMITMENT,
            ],
            _current(GENERIC_TRANSFER_SYNTAXES),
            above=[
                "C-ECHO, C-FIND and C-MOVE SCU (/modalities/.../echo, query, "
                "move), storage commitment SCU"
            ],
        ),
    ]
    return caps


def build(
    settings: Settings,
    *,
    site: str,
    kind: str,
    hostname: str | None,
    hostname_note: str | None,
    result: ImportResult,
) -> None:
    names = Names()
    source = settings.source
    device_name = names.device(safe_name(settings.name or "", "orthanc"))
    conn = Connection("dicom", hostname or placeholder_hostname(device_name))
    conn.notes["hostname"] = (
        (hostname_note or "--hostname")
        if hostname
        else ("edit: Orthanc's configuration does not name its own host; pass --hostname")
    )
    dicom_on = bool(settings.dicom_enabled.value)
    port, problem = check_port(settings.port.value)
    if dicom_on and port is not None:
        conn.port = port
        conn.notes["port"] = _from(settings.port, "DicomPort")
    elif dicom_on:
        result.add(
            "IMPORT009",
            f"DicomPort: {problem}; the port is not imported",
            settings.port.where or settings.root,
        )
    if settings.tls is None:
        conn.notes["tls"] = "DicomTlsEnabled is not exposed over REST: edit if Orthanc uses TLS"
    else:
        conn.tls = bool(settings.tls.value)
        conn.notes["tls"] = _from(settings.tls, "DicomTlsEnabled")
    device = Device(
        device_name,
        site,
        kind,
        model="Orthanc",
        software_version=settings.version,
        connections=[conn],
    )
    device.description = (
        f"Orthanc server, Name {json.dumps(settings.name, ensure_ascii=False)}"
        if settings.name
        else "Orthanc server"
    )
    device.above = [f"Orthanc, from {source}"]
    device.notes["kind"] = "--kind"
    if settings.version:
        device.notes["software_version"] = (
            "--orthanc-version, else /system's Version" if settings.rest else "--orthanc-version"
        )
    result.devices.append(device)

    title, problem = check_ae_title(settings.aet.value)
    aet_where = settings.aet.where or settings.root
    if title is None:
        result.add("IMPORT009", f"DicomAet: {problem}; Orthanc's AE is not imported", aet_where)
    else:
        names.claim_ae(title, aet_where)
        ae = AE(title, connections=["dicom"], initiator=True, acceptor=dicom_on)
        ae.notes["ae_title"] = _from(settings.aet, "DicomAet")
        if not dicom_on:
            ae.notes["acceptor"] = f"DicomServerEnabled false ({_at(settings.dicom_enabled)})"
        storage_ts = _declared(settings)
        if dicom_on:
            if storage_ts:
                above: list[str | None] = [
                    "C-STORE SCP: the storage SOP classes of Orthanc's DCMTK (see the header)",
                    *textwrap.wrap("transfer syntaxes: " + "; ".join(settings.accepted_above), 84),
                ]
                retired = [uid for uid in settings.accepted if uid not in storage_ts]
                if retired:
                    above += textwrap.wrap(
                        f"Orthanc also accepts {len(retired)} retired transfer syntaxes, "
                        "left out (add one if a device still sends it): "
                        + ", ".join(spelled(uid) for uid in retired),
                        84,
                    )
                if settings.unknown_sop is not None and settings.unknown_sop.value:
                    above.append("UnknownSopClassAccepted: SOP classes it does not know too")
                ae.capabilities.append(
                    Capability(
                        "SCP",
                        _storage_classes(settings),
                        list(storage_ts),
                        above=above,
                        ts_notes=settings.accepted_notes,
                        sop_anchor=STORAGE_ANCHOR,
                        ts_anchor=ACCEPTED_ANCHOR,
                    )
                )
            else:
                ae.capabilities_above.append(
                    "no C-STORE SCP: the accepted transfer syntaxes are empty ("
                    + "; ".join(settings.accepted_above)
                    + ")"
                )
                result.add(
                    "IMPORT011",
                    "Orthanc accepts no transfer syntax for storage ("
                    + "; ".join(settings.accepted_above)
                    + "): its C-STORE SCP is disabled and every study sent to it is "
                    "refused; list the transfer syntaxes it should accept",
                    settings.accepted_where or settings.root,
                )
            scp = [VERIFICATION, PATIENT_ROOT["FIND"], STUDY_ROOT["FIND"]]
            notes = {}
            if settings.worklists is not None and settings.worklists.value:
                scp.append(MODALITY_WORKLIST_FIND)
                notes[MODALITY_WORKLIST_FIND] = (
                    f"Worklists.Enable ({_at(settings.worklists)}); needs the worklists plugin"
                )
            scp += [
                PATIENT_ROOT["MOVE"],
                STUDY_ROOT["MOVE"],
                PATIENT_ROOT["GET"],
                STUDY_ROOT["GET"],
                STORAGE_COMMITMENT,
            ]
            ae.capabilities.append(
                Capability(
                    "SCP",
                    scp,
                    _current(GENERIC_TRANSFER_SYNTAXES),
                    sop_notes=notes,
                    above=["C-ECHO, C-FIND, C-MOVE, C-GET SCP and storage commitment SCP"],
                )
            )
        ae.capabilities += _orthanc_scu(settings)
        device.application_entities.append(ae)

    _posture(settings, result)

    local_aes: dict[str, Where] = {}
    for modality in sorted(settings.modalities, key=lambda m: m.key):
        remote = _remote_device(settings, modality, names, site, result)
        if remote:
            result.devices.append(remote)
            if modality.local_aet and modality.local_aet != settings.aet.value:
                local_aes.setdefault(modality.local_aet, modality.where)
    for local, where in sorted(local_aes.items()):
        title, problem = check_ae_title(local)
        if title is None:
            result.add("IMPORT009", f"LocalAet: {problem}; not imported", where)
            continue
        first = names.claim_ae(title, where)
        if first is not None:
            if first != where:
                result.add(
                    "IMPORT009",
                    f'LocalAet "{title}" is also the AE title of {first.text()}; '
                    "imgpolicy needs unique AE titles, so it is not imported",
                    where,
                )
            continue
        ae = AE(
            title,
            connections=["dicom"],
            initiator=True,
            acceptor=False,
            description="the calling AE title Orthanc uses toward some modalities",
            capabilities=_orthanc_scu(settings),
        )
        ae.above = [f"LocalAet of {where.text()}"]
        device.application_entities.append(ae)

    result.header.extend(_header(settings, source))
    _routing_and_posture(settings, device, names, site, result)


def _routing_and_posture(
    settings: Settings, device: Device, names: Names, site: str, result: ImportResult
) -> None:
    """Peers, DICOMweb, auto-routing scripts (`orthanc_routing`) and the storage and HTTP
    posture (`orthanc_posture`): read from the configuration file only."""
    from . import orthanc_posture, orthanc_routing

    imported = {ae.ae_title for d in result.devices for ae in d.application_entities}
    modalities = {
        m.key: title
        for m in settings.modalities
        if (title := check_ae_title(m.aet)[0]) is not None and title in imported
    }
    config = settings.config
    in_db = (
        config is not None
        and orthanc_posture.option(config, "DicomModalitiesInDatabase", False).value
    )
    orthanc_routing.build(
        config,
        orthanc=device,
        modalities=modalities,
        names=names,
        site=site,
        modalities_elsewhere=bool(in_db),
        result=result,
    )
    if config is not None:
        orthanc_posture.check(config, result)


def _at(setting: Setting) -> str:
    """Where a setting is written (`file:line:col`), or that it is Orthanc's default."""
    return setting.where.at if setting.where else "Orthanc's default"


def _from(setting: Setting, option: str) -> str:
    if setting.where is None:
        return f"{option} (Orthanc's default)"
    if setting.where.line:
        return f"{option}, {setting.where.at}"
    return f"{option}, {setting.where.what or setting.where.path}"


def _remote_device(
    settings: Settings, modality: Modality, names: Names, site: str, result: ImportResult
) -> Device | None:
    where = modality.where

    def skip(why: str) -> None:
        result.add("IMPORT009", f"{where.what}: {why}; it is not imported", where)

    title, problem = check_ae_title(modality.aet)
    if title is None:
        skip(problem or "not an AE title")
        return None
    host, problem = check_hostname(
        modality.host.strip() if isinstance(modality.host, str) else modality.host
    )
    if host is None:
        skip(f"host {problem}")
        return None
    port, problem = check_port(modality.port)
    if port is None:
        skip(problem or "not a port")
        return None
    first = names.claim_ae(title, where)
    if first is not None:
        skip(
            f'AE title "{title}" is already that of {first.text()} (imgpolicy needs unique '
            "AE titles; merge them by hand if they are one AE on two hosts)"
        )
        return None
    name = names.device(safe_name(modality.key, "modality"))
    device = Device(name, site, "other")
    device.above = [f"from {where.text()}"]
    device.notes["kind"] = "edit: modality, workstation, pacs, router, ..."
    manufacturer = modality.manufacturer
    if isinstance(manufacturer, str) and manufacturer not in GENERIC_MANUFACTURERS:
        device.manufacturer = modality.manufacturer
        device.notes["manufacturer"] = "Orthanc's Manufacturer (it selects C-FIND quirks)"
    conn = Connection("dicom", host, port, tls=modality.use_tls)
    conn.notes["tls"] = "UseDicomTls"
    device.connections.append(conn)
    ae = AE(title, connections=["dicom"], initiator=True, acceptor=True)
    ae.capabilities_above = [
        "edit: what this AE accepts as SCP is not in Orthanc's configuration (see its "
        "conformance statement)"
    ]
    allowed = _remote_permissions(settings, modality)
    if not settings.dicom_enabled.value:
        allowed = {}  # no DICOM server: whatever the flags say, nothing can be asked of it
        device.above.append(
            f"DicomServerEnabled is false ({_at(settings.dicom_enabled)}): Orthanc takes no "
            "association from this AE, only opens them toward it"
        )
    if "Store" in allowed:
        ae.capabilities.append(
            Capability(
                "SCU",
                _storage_classes(settings),
                [IMPLICIT_VR],
                above=[
                    f"{allowed['Store']}: Orthanc accepts C-STORE from this AE; narrow the SOP "
                    "classes to what it sends"
                ],
                sop_anchor=STORAGE_ANCHOR,
            )
        )
    others: list[str] = []
    notes: dict[str, str] = {}

    def allow(request: str, *uids: str) -> None:
        if request in allowed:
            for uid in uids:
                others.append(uid)
                notes[uid] = allowed[request]

    allow("Echo", VERIFICATION)
    allow("Find", PATIENT_ROOT["FIND"], STUDY_ROOT["FIND"])
    if settings.worklists is not None and settings.worklists.value:
        allow("FindWorklist", MODALITY_WORKLIST_FIND)
    allow("Move", PATIENT_ROOT["MOVE"], STUDY_ROOT["MOVE"])
    allow("Get", PATIENT_ROOT["GET"], STUDY_ROOT["GET"])
    allow("NAction", STORAGE_COMMITMENT)
    if others:
        ae.capabilities.append(
            Capability(
                "SCU",
                others,
                [IMPLICIT_VR],
                sop_notes=notes,
                above=[
                    "what Orthanc lets this AE ask of it; Implicit VR Little Endian is the "
                    "transfer syntax every DICOM AE supports"
                ],
            )
        )
    device.application_entities.append(ae)
    if settings.always is None:
        device.above.append(
            "permissions from its Allow* flags only: the global "
            "DicomAlwaysAllow* options are not exposed over REST"
        )
    return device


def _header(settings: Settings, source: str) -> list[str]:
    how = (
        "Orthanc's REST API: /system, /modalities?expand, "
        "/tools/accepted-transfer-syntaxes, /tools/unknown-sop-class-accepted"
        if settings.rest
        else "Orthanc's configuration"
    )
    lines = [
        f"Imported by `imgpolicy import orthanc` from {source}",
        f"({how}).",
        'Review before committing: lines marked "edit:" are what the source does not say.',
        f"&{STORAGE_ANCHOR}: the {len(_storage_classes(settings))} storage SOP classes of "
        "Orthanc's DCMTK that are not retired.",
        *textwrap.wrap(f"What it accepts is read as {settings.profile.describe()}.", 88),
    ]
    lines += settings.notes
    if settings.rest:
        lines.append(
            "Not exposed over REST (import the configuration file for them): "
            "DicomAlwaysAllow*, DicomCheckCalledAet, StrictAetComparison,"
        )
        lines.append(
            "DicomCheckModalityHost, DicomTlsEnabled, the worklist plugin, and "
            "the HTTP security options beyond IsHttpServerSecure."
        )
    return lines
