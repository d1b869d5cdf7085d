"""INT and SEC: integrations (HL7, FHIR, DICOMweb) and security in transit and at rest in git.

Both families live here because they read the same things: where the two ends of a link
stand, whether the link is encrypted, and what secrets travel over it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from ..analysis.index import Index
from ..findings import Finding, Related, Severity
from .base import Rule
from .common import device_related

SCHEMES = {"hl7": ("mllp", "mllps"), "fhir": ("http", "https"), "dicomweb": ("http", "https")}
"""Integration kind -> the URL schemes its endpoint may use (the secure one last)."""
PLAIN_SCHEMES = frozenset({"http", "mllp"})
SECRET_FIELDS = ("password", "token", "api_key")
_ENV_REFERENCE = re.compile(r"\$\{(?:env:)?[A-Z_][A-Z0-9_]*\}")


def _entity(integration) -> str:
    return f"integration:{integration.name}"


def _scheme(endpoint: str) -> str:
    """The URL scheme, lower case; "" when the endpoint is no URL."""
    try:
        parts = urlsplit(endpoint.strip())
    except ValueError:
        return ""
    return parts.scheme.lower() if parts.netloc else ""


def _endpoint_problem(integration) -> str | None:
    """Why the endpoint is not a usable URL for the integration's kind, or None."""
    allowed = SCHEMES[integration.kind]
    expected = " or ".join(f"{s}://" for s in allowed)
    try:
        parts = urlsplit(integration.endpoint.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return f"is not a valid URL: write {expected}host[:port][/path]"
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        return f"is not a URL: write {expected}host[:port][/path]"
    if scheme not in allowed:
        return f"uses {scheme}://, which is not a {integration.kind} transport: use {expected}"
    if not parts.hostname:
        return f"names no host: write {scheme}://host[:port][/path]"
    return None


def _secure(scheme: str) -> str:
    return {"http": "https", "mllp": "mllps"}.get(scheme, scheme)


def _has_credentials(integration) -> bool:
    creds = integration.credentials
    return creds is not None and any(
        getattr(creds, f) is not None for f in ("username", *SECRET_FIELDS)
    )


def _ae_connections(device, ae) -> list:
    """The connections an AE uses: those it lists, or all of its device's (PS3.15 H)."""
    if not ae.connections:
        return list(device.connections)
    wanted = set(ae.connections)
    return [c for c in device.connections if c.name in wanted]


# --- INT: integrations ---------------------------------------------------------------


class PlainTransportAcrossSites(Rule):
    """An HL7, FHIR or DICOMweb integration crosses sites without TLS.

    What:
        An integration whose `endpoint` is `http://` or `mllp://` while its `source` and
        `target` devices stand at different sites.
    Why:
        Orders, reports and images carry PHI; between sites they cross a WAN or the
        internet, where unencrypted traffic can be read and altered. The practice guide
        asks cloud and hybrid designs to address data in transit and the HIPAA BAA (Step 2,
        "Cloud and hybrid architectures"); the HIPAA Security Rule requires transmission
        security (45 CFR 164.312(e)(1)). Use MLLP over TLS (`mllps://`) and `https://`.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: CLINIC, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ris-main, site: MAIN, kind: ris}
          - {name: pacs-clinic, site: CLINIC, kind: pacs}
        integrations:
          - name: ris-orders-to-clinic
            kind: hl7
            source: ris-main
            target: pacs-clinic
            endpoint: mllp://pacs.clinic.example.org:6661
            messages: [ORM]
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: CLINIC, jurisdiction: US-CA, region: us-west}
        devices:
          - {name: ris-main, site: MAIN, kind: ris}
          - {name: pacs-clinic, site: CLINIC, kind: pacs}
        integrations:
          - name: ris-orders-to-clinic
            kind: hl7
            source: ris-main
            target: pacs-clinic
            endpoint: mllps://pacs.clinic.example.org:6661
            messages: [ORM]
    """

    code = "INT001"
    name = "plain-transport-across-sites"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for integration in index.env.integrations:
            scheme = _scheme(integration.endpoint)
            if scheme not in PLAIN_SCHEMES:
                continue
            source = index.devices.get(integration.source)
            target = index.devices.get(integration.target)
            if source is None or target is None or source.site == target.site:
                continue  # INT002 reports unknown ends
            yield self.finding(
                f"integration '{integration.name}' ({integration.kind}) uses {scheme}:// from "
                f"{source.name} (site {source.site}) to {target.name} (site {target.site}): "
                f"PHI crosses sites unencrypted; use {_secure(scheme)}://",
                index.where(integration, "endpoint"),
                entity=_entity(integration),
                related=device_related(
                    index, target.name, f"{target.name} stands at site {target.site}"
                ),
            )


class IntegrationUnknownDevice(Rule):
    """An integration names a device that does not exist, or an endpoint that is no URL.

    What:
        `source` or `target` of an integration is not the `name` of any device; or its
        `endpoint` is not a URL with a host and a scheme for its kind: `mllp://` or
        `mllps://` for HL7, `http://` or `https://` for FHIR and DICOMweb.
    Why:
        An interface that points at nothing is undocumented: nobody can tell which systems
        exchange orders and reports, and the transport and credential rules cannot check
        it (practice guide, Step 2, "EHR integration" and "DICOMweb services"; Quality
        Audit: "Enterprise imaging architecture documentation is current").
    Bad:
        devices:
          - {name: ris-main, site: MAIN, kind: ris}
        integrations:
          - name: orders
            kind: hl7
            source: ehr
            target: ris-main
            endpoint: https://ris.example.org/hl7
            messages: [ORM]
    Good:
        devices:
          - {name: ris-main, site: MAIN, kind: ris}
          - {name: ehr, site: MAIN, kind: emr}
        integrations:
          - name: orders
            kind: hl7
            source: ehr
            target: ris-main
            endpoint: mllps://ris.example.org:6661
            messages: [ORM]
    """

    code = "INT002"
    name = "integration-unknown-device"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        folded = {name.casefold(): name for name in index.devices}
        for integration in index.env.integrations:
            for key in ("source", "target"):
                name = getattr(integration, key)
                if name in index.devices:
                    continue
                other = folded.get(name.casefold())
                hint = (
                    f" (did you mean '{other}'?)"
                    if other
                    else ": declare the device or correct the name"
                )
                yield self.finding(
                    f"integration '{integration.name}' {key} '{name}' is not the name of any "
                    f"device{hint}",
                    index.where(integration, key),
                    entity=_entity(integration),
                )
            problem = _endpoint_problem(integration)
            if problem:
                yield self.finding(
                    f"integration '{integration.name}' ({integration.kind}): endpoint {problem}",
                    index.where(integration, "endpoint"),
                    entity=_entity(integration),
                )


class DicomwebMissingServices(Rule):
    """A DICOMweb integration does not say which services it uses.

    What:
        An integration with `kind: dicomweb` and no `services` (QIDO-RS, WADO-RS, STOW-RS,
        UPS-RS, WADO-URI).
    Why:
        Searching and retrieving (QIDO-RS, WADO-RS) only reads; STOW-RS writes into the
        archive. Without the list nobody can review whether the client gets more access
        than it needs, and the AI and viewer rules cannot tell whether it pulls images
        (practice guide, Step 2, "DICOMweb services"; PS3.18; HIPAA minimum necessary,
        45 CFR 164.502(b)).
    Bad:
        devices:
          - {name: viewer, site: MAIN, kind: viewer}
          - {name: vna, site: MAIN, kind: vna}
        integrations:
          - name: viewer-dicomweb
            kind: dicomweb
            source: viewer
            target: vna
            endpoint: https://vna.example.org/dicomweb
    Good:
        devices:
          - {name: viewer, site: MAIN, kind: viewer}
          - {name: vna, site: MAIN, kind: vna}
        integrations:
          - name: viewer-dicomweb
            kind: dicomweb
            source: viewer
            target: vna
            endpoint: https://vna.example.org/dicomweb
            services: [QIDO-RS, WADO-RS]
    """

    code = "INT003"
    name = "dicomweb-missing-services"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for integration in index.env.integrations:
            if integration.kind != "dicomweb" or integration.services:
                continue
            yield self.finding(
                f"DICOMweb integration '{integration.name}' lists no services: add `services` "
                "with what it uses (QIDO-RS, WADO-RS, STOW-RS, UPS-RS, WADO-URI), read-only "
                "clients without STOW-RS",
                index.where(integration, "kind"),
                entity=_entity(integration),
            )


# --- SEC: security ----------------------------------------------------------------------


class DicomWithoutTLSAcrossSites(Rule):
    """A DICOM route between sites is not protected by TLS.

    What:
        A route between AEs on devices at different sites where the destination AE has
        no accepting connection (one with a `port`) with `tls: true`, or the source AE
        has no connection with `tls: true`. An AE uses the connections it lists, or all
        of its device's when it lists none.
    Why:
        DICOM associations carry PHI in clear unless they use a secure transport
        connection profile (PS3.15 Annex B, TLS). Between sites, over a WAN, a VPN of
        unknown scope or the internet, that is a HIPAA transmission security gap
        (45 CFR 164.312(e)(1)); the practice guide asks cloud, hybrid and teleradiology
        designs to address data in transit (Step 2, "Cloud and hybrid architectures";
        Checkpoint A, "Multi-site considerations": remote reading and teleradiology).
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: CLINIC, jurisdiction: US-CA, region: us-west}
        devices:
          - name: us-clinic
            site: CLINIC
            kind: modality
            modality: US
            connections:
              - {name: dicom, hostname: us.clinic.example.org, tls: true}
            application_entities:
              - {ae_title: US_CLINIC, connections: [dicom], acceptor: false}
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.main.example.org, port: 11112}
            application_entities:
              - {ae_title: PACS_MAIN, connections: [dicom]}
        routes:
          - {name: us-clinic-to-pacs, from: US_CLINIC, to: PACS_MAIN, purpose: reading}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: CLINIC, jurisdiction: US-CA, region: us-west}
        devices:
          - name: us-clinic
            site: CLINIC
            kind: modality
            modality: US
            connections:
              - {name: dicom, hostname: us.clinic.example.org, tls: true}
            application_entities:
              - {ae_title: US_CLINIC, connections: [dicom], acceptor: false}
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.main.example.org, port: 11112}
              - {name: dicom-tls, hostname: pacs.main.example.org, port: 2762, tls: true}
            application_entities:
              - {ae_title: PACS_MAIN, connections: [dicom, dicom-tls]}
        routes:
          - {name: us-clinic-to-pacs, from: US_CLINIC, to: PACS_MAIN, purpose: reading}
    """

    code = "SEC001"
    name = "dicom-without-tls-across-sites"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        tls_cache: dict[tuple[str, bool], tuple[bool, list]] = {}

        def tls(title: str, accepting: bool) -> tuple[bool, list]:
            """(has a TLS connection in that direction, the connections considered)."""
            key = (title, accepting)
            if key not in tls_cache:
                device, ae = index.aes[title]
                conns = _ae_connections(device, ae)
                if accepting:
                    conns = [c for c in conns if c.port is not None]
                tls_cache[key] = (any(c.tls for c in conns), conns)
            return tls_cache[key]

        for route in index.env.routes:
            source = index.device_of(route.from_)
            dest = index.device_of(route.to)
            if source is None or dest is None or source.site == dest.site:
                continue  # RT001 reports unknown AEs
            problems: list[str] = []
            fixes: list[str] = []
            related: list[Related] = []
            dest_tls, listeners = tls(route.to, True)
            if not dest_tls:
                fixes.append(
                    f"a TLS listener (a connection with a port and tls: true, e.g. "
                    f"port 2762) to {route.to}"
                )
                if listeners:
                    plain = ", ".join(f"{c.name}:{c.port}" for c in listeners)
                    problems.append(f"{route.to} accepts only without TLS ({plain})")
                else:
                    problems.append(f"{route.to} declares no accepting connection with TLS")
                related.append(
                    Related(
                        index.where(index.aes[route.to][1]),
                        f"{route.to} ({dest.name}) is declared here",
                    )
                )
            source_tls, _ = tls(route.from_, False)
            if not source_tls:
                fixes.append(f"a connection with tls: true to {route.from_}")
                problems.append(f"{route.from_} ({source.name}) has no TLS connection")
                related.append(
                    Related(
                        index.where(index.aes[route.from_][1]),
                        f"{route.from_} ({source.name}) is declared here",
                    )
                )
            if not problems:
                continue
            yield self.finding(
                f"route '{route.name}' crosses sites ({source.site} -> {dest.site}) without "
                f"TLS: {'; '.join(problems)}; add {' and '.join(fixes)}",
                index.where(route),
                entity=f"route:{route.name}",
                related=related,
            )


class PlaintextSecret(Rule):
    """A password, token or API key is written in the environment as a literal value.

    What:
        A `credentials` field `password`, `token` or `api_key` whose value is not an
        environment reference: only `${NAME}` and `${env:NAME}` are accepted, with NAME
        made of capitals, digits and `_` (not starting with a digit).
    Why:
        The environment lives in git: every clone, fork, CI log and backup holds the
        secret forever, and removing the line does not remove it from history. HIPAA
        requires access control and person or entity authentication for systems holding
        PHI (45 CFR 164.312(a)(1), (d)); a shared secret in a repository is neither. Keep
        secrets in a vault and reference them; rotate any secret that was ever committed.
        This rule cannot be suppressed, and its message never repeats the secret.
    Bad:
        devices:
          - {name: ehr, site: MAIN, kind: emr}
          - {name: ris-main, site: MAIN, kind: ris}
        integrations:
          - name: orders
            kind: hl7
            source: ehr
            target: ris-main
            endpoint: mllps://ris.example.org:6661
            credentials: {username: ehr-orders, password: "Winter2026!"}
    Good:
        devices:
          - {name: ehr, site: MAIN, kind: emr}
          - {name: ris-main, site: MAIN, kind: ris}
        integrations:
          - name: orders
            kind: hl7
            source: ehr
            target: ris-main
            endpoint: mllps://ris.example.org:6661
            credentials: {username: ehr-orders, password: "${RIS_HL7_PASSWORD}"}
    """

    code = "SEC002"
    name = "plaintext-secret"
    severity = Severity.ERROR
    suppressible = False

    def check(self, index: Index) -> Iterator[Finding]:
        for integration in index.env.integrations:
            creds = integration.credentials
            if creds is None:
                continue
            for field in SECRET_FIELDS:
                value = getattr(creds, field)
                if value is None or _ENV_REFERENCE.fullmatch(value):
                    continue
                suggested = re.sub(r"[^A-Z0-9]+", "_", f"{integration.name}_{field}".upper()).strip(
                    "_"
                )
                if suggested[:1].isdigit():
                    suggested = "_" + suggested
                looks_like = "$" in value or "{" in value
                what = (
                    "is not a valid environment reference" if looks_like else "is a literal secret"
                )
                yield self.finding(
                    f"integration '{integration.name}': credentials.{field} {what}: store the "
                    f"secret in a vault and write ${{{suggested}}} or ${{env:{suggested}}} "
                    "(NAME in capitals, digits and _); rotate it if it was ever committed",
                    index.where(integration, "credentials", field),
                    entity=f"{_entity(integration)}:{field}",
                )


class CredentialsOverPlainTransport(Rule):
    """An integration sends credentials over an unencrypted connection.

    What:
        An integration with `credentials` whose `endpoint` is `http://` or `mllp://`,
        whether or not both ends stand at the same site.
    Why:
        Passwords, tokens and API keys sent in clear can be captured by anyone on the
        path, inside the hospital network too, and then used to read PHI (HIPAA Security
        Rule, transmission security and person or entity authentication, 45 CFR
        164.312(e)(1) and (d); practice guide, Step 2, "EHR integration" and "DICOMweb
        services").
    Bad:
        devices:
          - {name: viewer, site: MAIN, kind: viewer}
          - {name: vna, site: MAIN, kind: vna}
        integrations:
          - name: viewer-dicomweb
            kind: dicomweb
            source: viewer
            target: vna
            endpoint: http://vna.example.org/dicomweb
            services: [QIDO-RS, WADO-RS]
            credentials: {token: "${VNA_DICOMWEB_TOKEN}"}
    Good:
        devices:
          - {name: viewer, site: MAIN, kind: viewer}
          - {name: vna, site: MAIN, kind: vna}
        integrations:
          - name: viewer-dicomweb
            kind: dicomweb
            source: viewer
            target: vna
            endpoint: https://vna.example.org/dicomweb
            services: [QIDO-RS, WADO-RS]
            credentials: {token: "${VNA_DICOMWEB_TOKEN}"}
    """

    code = "SEC003"
    name = "credentials-over-plain-transport"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for integration in index.env.integrations:
            scheme = _scheme(integration.endpoint)
            if scheme not in PLAIN_SCHEMES or not _has_credentials(integration):
                continue
            yield self.finding(
                f"integration '{integration.name}' sends credentials over {scheme}://, in "
                f"clear: use {_secure(scheme)}://",
                index.where(integration, "endpoint"),
                entity=_entity(integration),
                related=[
                    Related(
                        index.where(integration, "credentials"), "the credentials are declared here"
                    )
                ],
            )
