"""Importers: real system configurations -> an imgpolicy environment file.

`imgpolicy import orthanc FILE|--url URL` and `imgpolicy import dcmtk FILE` read what a
system is configured to do and write it as devices, AEs and transfer capabilities, with
a comment on each saying where it came from. Settings that are a security or safety
posture of the source (Orthanc storing from any AE, DCMTK peers `ANY`...) become `IMPORT`
findings. The file written always loads and fits the schema; what the source does not say
(its own hostname, what a remote AE accepts) is marked `edit:` for a person to fill in.
`merge` adds an import to an existing environment (`--into ENV_DIR`) without rewriting
what the environment's authors wrote.
"""

from __future__ import annotations

from .common import ImportFailed, ImportResult, format_finding, render, self_check

__all__ = [
    "ImportFailed",
    "ImportResult",
    "format_finding",
    "import_dcm4chee",
    "import_dcmtk",
    "import_mercure",
    "import_orthanc",
    "render",
    "self_check",
]


def import_orthanc(
    *,
    path: str | None = None,
    url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    site: str = "MAIN",
    kind: str = "pacs",
    hostname: str | None = None,
    timeout: float | None = None,
    orthanc_version: str | None = None,
    env_file: str | None = None,
    keep_placeholders: bool = False,
    environment: dict[str, str] | None = None,
) -> ImportResult:
    """Read an Orthanc configuration file or folder (`path`) or REST API (`url`, within
    `timeout` seconds in all; default `orthanc.DEFAULT_URL_TIMEOUT`). `orthanc_version`
    selects what its DICOM server accepts (default: /system's over REST, else see
    `orthanc_syntaxes`); `${VAR}` placeholders take their values from `environment`
    (default: this process's) and `env_file` (KEY=VALUE lines, which win)."""
    import os
    import urllib.parse

    from . import orthanc, orthanc_syntaxes, orthanc_variables

    if orthanc_version is not None and orthanc_syntaxes.parse_version(orthanc_version) is None:
        raise ImportFailed(
            f"--orthanc-version {orthanc_version!r}: give a release number such as 1.10.1"
        )
    result = ImportResult()
    note = "--hostname" if hostname else None
    if url is not None:
        settings = orthanc.read_url(
            url,
            user,
            password,
            result,
            timeout or orthanc.DEFAULT_URL_TIMEOUT,
            version=orthanc_version,
        )
        if hostname is None:
            hostname = urllib.parse.urlsplit(settings.source).hostname
            note = "the host of --url"
    elif path is not None:
        reading = orthanc.Reading(
            environment=dict(os.environ if environment is None else environment),
            env_file=orthanc_variables.read_env_file(env_file) if env_file else {},
            keep_placeholders=keep_placeholders,
        )
        settings = orthanc.read_file(path, result, version=orthanc_version, reading=reading)
    else:
        raise ImportFailed("give an Orthanc configuration (a file or folder) or a URL")
    orthanc.build(
        settings, site=site, kind=kind, hostname=hostname, hostname_note=note, result=result
    )
    return result


def import_dcmtk(
    path: str,
    *,
    file_type: str | None = None,
    site: str = "MAIN",
    kind: str | None = None,
    hostname: str | None = None,
    device_name: str | None = None,
    profile: str | None = None,
    role: str | None = None,
    ae_title: str | None = None,
    port: int | None = None,
) -> ImportResult:
    """Read a dcmqrscp.cfg or an association negotiation profile (storescp.cfg...)."""
    from . import dcmtk

    result = ImportResult()
    text = dcmtk.read_text(path)
    file_type = file_type or dcmtk.detect(text)
    if file_type == "dcmqrscp":
        dcmtk.import_dcmqrscp(
            path,
            text,
            device_name=device_name,
            site=site,
            kind=kind or "pacs",
            hostname=hostname,
            result=result,
        )
    elif file_type == "association":
        dcmtk.import_association(
            path,
            text,
            profile=profile,
            role=role,
            ae_title=ae_title,
            port=port,
            device_name=device_name,
            site=site,
            kind=kind or "other",
            hostname=hostname,
            result=result,
        )
    else:
        raise ImportFailed(
            f"{path}: neither a dcmqrscp.cfg (HostTable/AETable, "
            "NetworkTCPPort) nor an association profile ([[TransferSyntaxes]], "
            "[[PresentationContexts]], [[Profiles]]); give --type"
        )
    return result


def import_dcm4chee(
    path: str,
    *,
    site: str = "MAIN",
    kind: str = "pacs",
    hostname: str | None = None,
) -> ImportResult:
    """Read a dcm4chee-arc-light configuration: a device JSON export
    (GET /dcm4chee-arc/devices/{name}) or LDIF (told from the content)."""
    from . import dcm4chee

    result = ImportResult()
    devices, form = dcm4chee.read_source(path, result)
    dcm4chee.build(devices, path, form, site=site, kind=kind, hostname=hostname, result=result)
    return result


def import_mercure(
    path: str,
    *,
    site: str = "MAIN",
    kind: str = "router",
    hostname: str | None = None,
    ae_title: str | None = None,
) -> ImportResult:
    """Read a mercure router's mercure.json: the router and its receiver AE, DICOM targets
    as devices, DICOMweb targets as integrations, rules as routes."""
    from . import mercure

    result = ImportResult()
    mercure.import_file(
        path, site=site, kind=kind, hostname=hostname, ae_title=ae_title, result=result
    )
    return result
