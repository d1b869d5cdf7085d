"""The posture of an Orthanc configuration beyond DICOM permissions: IMPORT014-020.

Each finding names the option, where it is written (or that Orthanc's default applies),
what it does to the studies, and the fix. Secrets are never repeated: `RegisteredUsers`
is reported by user name only. Orthanc's defaults followed here (1.5.8 to 1.12):
`ExecuteLuaEnabled` false, `HttpsVerifyPeers` true, `HttpServerEnabled` true,
`RemoteAccessAllowed` false, `SslEnabled` false, `AuthenticationEnabled` true when remote
access is allowed, `MaximumStorageMode` Recycle (the option exists since 1.11.2; before,
Orthanc always recycles), `IngestTranscodingOf(Un)Compressed` true.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from .. import dicom
from ..redact import ENV_REFERENCE
from .common import ImportFailed, ImportResult, Where, read_bounded


class ConfigView(Protocol):
    """What the posture and routing checks read of an Orthanc configuration (file or
    folder): option values with their positions (`orthanc._Config`)."""

    path: str

    def __contains__(self, key: str) -> bool: ...

    def value(self, key: str, *path: Any) -> Any: ...

    def where(self, key: str, *path: Any, what: str = "") -> Where: ...

    def root(self) -> Where: ...


@dataclass(frozen=True)
class Option:
    """One option's value, and where it is written (None: Orthanc's default applies)."""

    value: Any
    where: Where | None

    def at(self, fallback: Where) -> Where:
        return self.where or fallback

    def said(self) -> str:
        """` (Orthanc's default)` when the option is not written down, else nothing."""
        return "" if self.where else " (Orthanc's default)"


def option(config: ConfigView, key: str, default: Any, kind: str = "bool") -> Option:
    """An option as Orthanc reads it: `bool` (true/false), `count` (a whole number, also
    in a string as `${VAR}` substitution leaves it) or `text`; a wrong type stops Orthanc
    at startup, so the import stops too (exit 2, with the position)."""
    if key not in config:
        return Option(default, None)
    value, where = config.value(key), config.where(key)
    if kind == "bool" and isinstance(value, bool):
        return Option(value, where)
    if kind == "count":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return Option(value, where)
    if kind == "text" and isinstance(value, str):
        return Option(value, where)
    wanted = {"bool": "true or false", "count": "a whole number", "text": "a string"}[kind]
    shown = json.dumps(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise ImportFailed(f'{where.at}: "{key}" must be {wanted}, not {shown}')


_WRITTEN_PLACEHOLDER = re.compile(
    r'(?:"(?:[^"\\]|\\.)*"\s*:\s*)?"?\$\{([^}:]+)(?::-[^}]*)?\}"?\s*(?:[,}\]]|//|/\*|$)'
)


def written_placeholder(where: Where) -> str | None:
    """`${NAME}` when the value at `where` (an object member, at its key, or an array
    item) is written in the file as one Orthanc placeholder: the file holds no secret
    there, whatever the substitution gave."""
    try:
        lines = read_bounded(where.path).decode("utf-8", errors="replace").splitlines()
    except ImportFailed:
        return None
    if not 0 < where.line <= len(lines):
        return None
    found = _WRITTEN_PLACEHOLDER.match(lines[where.line - 1][max(where.column - 1, 0) :])
    return "${" + found.group(1).strip() + "}" if found else None


@dataclass(frozen=True)
class Http:
    """Orthanc's embedded HTTP server as other hosts see it."""

    enabled: Option
    remote: Option
    ssl: Option
    authentication: Option

    @property
    def open_to_network(self) -> bool:
        return bool(self.enabled.value and self.remote.value)

    @property
    def plain(self) -> bool:
        """Reachable from other hosts over plain HTTP."""
        return self.open_to_network and not self.ssl.value


def http(config: ConfigView) -> Http:
    remote = option(config, "RemoteAccessAllowed", False)
    return Http(
        enabled=option(config, "HttpServerEnabled", True),
        remote=remote,
        ssl=option(config, "SslEnabled", False),
        authentication=option(config, "AuthenticationEnabled", bool(remote.value)),
    )


def check(config: ConfigView, result: ImportResult) -> None:
    """Add the posture findings IMPORT014-020 of `config` to `result`."""
    root = config.root()
    _execute_lua(config, root, result)
    _https_verify(config, root, result)
    _credentials_in_clear(config, root, result)
    _registered_users(config, result)
    _recycling(config, result)
    _compression(config, result)
    _ingest_transcoding(config, result)


def _execute_lua(config: ConfigView, root: Where, result: ImportResult) -> None:
    lua = option(config, "ExecuteLuaEnabled", False)
    if not lua.value:
        return
    reach = (
        "any host that reaches the REST API"
        if http(config).open_to_network
        else "any program on this host (and any web page its browsers open)"
    )
    result.add(
        "IMPORT014",
        "ExecuteLuaEnabled is true: POST /tools/execute-script runs whatever Lua "
        f"{reach} sends, with Orthanc's rights (os.execute: remote code execution); set "
        "it to false and load scripts through LuaScripts",
        lua.at(root),
    )


def _https_verify(config: ConfigView, root: Where, result: ImportResult) -> None:
    verify = option(config, "HttpsVerifyPeers", True)
    if verify.value:
        return
    https = [i.name for i in result.integrations if i.endpoint.lower().startswith("https:")]
    affected = (
        f" ({len(https)} HTTPS integration{'s' if len(https) != 1 else ''} here: "
        f"{', '.join(https[:5])}{', ...' if len(https) > 5 else ''})"
        if https
        else ""
    )
    result.add(
        "IMPORT015",
        "HttpsVerifyPeers is false: Orthanc accepts any certificate from the Orthanc peers, "
        f"DICOMweb servers and HTTP services it calls{affected}, so whoever answers at "
        "their address receives the studies and credentials; set it to true with "
        "HttpsCACertificates naming the CA that signs them",
        verify.at(root),
    )


def _credentials_in_clear(config: ConfigView, root: Where, result: ImportResult) -> None:
    state = http(config)
    if not (state.plain and state.authentication.value):
        return  # closed, TLS, or no password asked at all (IMPORT005 says so)
    result.add(
        "IMPORT016",
        f"SslEnabled is false{state.ssl.said()} while RemoteAccessAllowed asks other hosts "
        "for passwords (AuthenticationEnabled): HTTP Basic authentication sends them "
        "readable to anyone on the path; set SslEnabled with SslCertificate, or terminate "
        "TLS at a reverse proxy and keep RemoteAccessAllowed false",
        state.ssl.where or state.remote.at(root),
    )


def _registered_users(config: ConfigView, result: ImportResult) -> None:
    if "RegisteredUsers" not in config:
        return
    users = config.value("RegisteredUsers")
    if not isinstance(users, dict):
        return
    literal = [
        name
        for name, password in users.items()
        if not (isinstance(password, str) and ENV_REFERENCE.fullmatch(password.strip()))
        and written_placeholder(config.where("RegisteredUsers", name)) is None
    ]
    if not literal:
        return
    names = ", ".join(json.dumps(n) for n in literal[:5]) + (", ..." if len(literal) > 5 else "")
    result.add(
        "IMPORT017",
        f"RegisteredUsers holds the plain text password{'s' if len(literal) != 1 else ''} "
        f"of {len(literal)} user{'s' if len(literal) != 1 else ''} ({names}): whoever reads "
        "this file has the REST API; write them as ${ENV_VAR} references Orthanc "
        "substitutes, keep the file readable by Orthanc's user only, or authenticate in a "
        "reverse proxy or the authorization plugin",
        config.where("RegisteredUsers"),
    )


def _recycling(config: ConfigView, result: ImportResult) -> None:
    size = option(config, "MaximumStorageSize", 0, "count")
    patients = option(config, "MaximumPatientCount", 0, "count")
    limits = [
        f"{key} {opt.value}{unit}"
        for key, opt, unit in (
            ("MaximumStorageSize", size, " MB"),
            ("MaximumPatientCount", patients, " patients"),
        )
        if opt.value
    ]
    if not limits:
        return
    mode = option(config, "MaximumStorageMode", "Recycle", "text")
    if mode.value == "Reject":
        return
    where = (size if size.value else patients).where
    assert where is not None  # a limit other than 0 is written down
    result.add(
        "IMPORT018",
        f"{' and '.join(limits)} with MaximumStorageMode {mode.value}{mode.said()}: when the "
        "limit is reached Orthanc deletes the oldest unprotected patients without a message, "
        "whatever retention applies; set MaximumStorageMode to Reject (Orthanc >= 1.11.2) or "
        "remove the limit, and declare the retention this really gives",
        where,
    )


def _compression(config: ConfigView, result: ImportResult) -> None:
    compression = option(config, "StorageCompression", False)
    if compression.value and compression.where is not None:
        result.add(
            "IMPORT019",
            "StorageCompression is true: the storage area holds zlib-compressed files, not "
            "DICOM files, so backups and restores must go through Orthanc",
            compression.where,
        )


def _ingest_transcoding(config: ConfigView, result: ImportResult) -> None:
    """IMPORT020 for a lossy `IngestTranscoding`; a lossless one goes in the header."""
    target = option(config, "IngestTranscoding", None, "text")
    if not target.value or target.where is None:
        return
    info = dicom.lookup(target.value.strip())
    if info is None or not info.is_transfer_syntax:
        result.add(
            "IMPORT008",
            f"IngestTranscoding {json.dumps(target.value)} is not a transfer syntax UID "
            "pydicom knows (Orthanc refuses to start with one it does not know)",
            target.where,
        )
        return
    applies = [
        what
        for key, what in (
            ("IngestTranscodingOfUncompressed", "uncompressed"),
            ("IngestTranscodingOfCompressed", "compressed"),
        )
        if option(config, key, True).value
    ]
    if not applies:
        return
    named = f"{info.uid} ({info.name})"
    if dicom.is_lossy(info.uid):
        result.add(
            "IMPORT020",
            f"IngestTranscoding {named} is lossy: Orthanc stores an irreversibly "
            f"compressed copy of every {' and '.join(applies)} image it receives, under a new "
            "SOP Instance UID, never the original; transcode losslessly or not at all",
            target.where,
        )
    else:
        result.header.append(
            f"IngestTranscoding {named} ({target.where.at}): Orthanc stores "
            f"{' and '.join(applies)} images it receives in that syntax (lossless)."
        )
