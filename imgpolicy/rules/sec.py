"""INT and SEC: integrations (HL7, FHIR, DICOMweb) and security in transit and at rest in git.

Both families live here because they read the same things: where the two ends of a link
stand, whether the link is encrypted, and what secrets travel over it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from .. import identity
from ..analysis.index import Index
from ..analysis.links import Carriage, SiteLinks
from ..findings import Finding, Location, Related, Severity
from ..model.devices import TlsSettings
from ..redact import ENV_REFERENCE as _ENV_REFERENCE
from ..redact import SECRET_FIELDS, is_credential_path, may_hold_url_credentials, url_credentials
from .base import Rule, duration_option
from .common import device_related, did_you_mean, unknown_device_hint

SCHEMES = {"hl7": ("mllp", "mllps"), "fhir": ("http", "https"), "dicomweb": ("http", "https")}
"""Integration kind -> the URL schemes its endpoint may use (the secure one last)."""
PLAIN_SCHEMES = frozenset({"http", "mllp"})
SECURE_SCHEMES = frozenset({"https", "mllps"})


def _entity(integration) -> str:
    return identity.entity("integration", integration.name)


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


def site_links(index: Index) -> SiteLinks:
    """The environment's site links, indexed once per check."""
    return index.shared(SiteLinks, lambda i: SiteLinks(i.env.site_links))


def _declare_link_hint(carriage: Carriage, a: str, b: str) -> str:
    """How to tell imgpolicy that the network between two sites encrypts."""
    if carriage.links:
        return "or, if that link does encrypt, set its `encryption` (ipsec, sd-wan or tls)"
    return (
        f"or, if the WAN between {a} and {b} is encrypted, declare it: site_links: "
        f"[{{name: ..., sites: [{a}, {b}], encryption: ipsec}}] (or sd-wan)"
    )


# --- INT: integrations ---------------------------------------------------------------


class PlainTransportAcrossSites(Rule):
    """An HL7, FHIR or DICOMweb integration crosses sites unencrypted.

    What:
        An integration whose `endpoint` is `http://` or `mllp://` while its `source` and
        `target` devices stand at different sites that no encrypting `site_links` entry
        (ipsec, sd-wan, tls; directly or through a chain of them) joins.
    Why:
        Orders, reports and images carry PHI; between sites they cross a WAN or the
        internet, where unencrypted traffic can be read and altered. The HIPAA Security
        Rule requires transmission security (45 CFR 164.312(e)(1)); encryption is its
        addressable specification (164.312(e)(2)(ii)), met by MLLP over TLS (`mllps://`),
        `https://`, or network-layer encryption such as a site-to-site IPsec tunnel or an
        SD-WAN overlay (declare it in `site_links`). An MPLS VPN is not encryption
        (RFC 4381, section 2).
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
            carriage = site_links(index).between(source.site, target.site)
            if carriage.encrypted:
                continue
            related = device_related(
                index, target.name, f"{target.name} stands at site {target.site}"
            )
            for link in carriage.links:
                related.append(
                    Related(index.where(link), f"site link '{link.name}' is declared here")
                )
            yield self.finding(
                f"integration '{integration.name}' ({integration.kind}) uses {scheme}:// from "
                f"{source.name} (site {source.site}) to {target.name} (site {target.site}): "
                f"PHI crosses sites unencrypted ({carriage.explain(source.site, target.site)}); "
                f"use {_secure(scheme)}://, "
                f"{_declare_link_hint(carriage, source.site, target.site)}",
                index.where(integration, "endpoint"),
                entity=_entity(integration),
                related=related,
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
        for integration in index.env.integrations:
            for key in ("source", "target"):
                name = getattr(integration, key)
                if name in index.devices:
                    continue
                hint = unknown_device_hint(index, name, "declare the device or correct the name")
                yield self.finding(
                    f"integration '{integration.name}' {key} '{name}' is not the name of any "
                    f"device{hint}",
                    index.where(integration, key),
                    entity=_entity(integration),
                    detail=key,
                )
            problem = _endpoint_problem(integration)
            if problem:
                yield self.finding(
                    f"integration '{integration.name}' ({integration.kind}): endpoint {problem}",
                    index.where(integration, "endpoint"),
                    entity=_entity(integration),
                    detail="endpoint",
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
        (practice guide, Step 2, "DICOMweb services"; PS3.18; HIPAA information access
        management and access control, 45 CFR 164.308(a)(4) and 164.312(a)(1)).
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


@dataclass(slots=True)
class Association:
    """A DICOM association the environment implies: who opens it, who accepts it, for what,
    and the item that implies it (a route, a worklist entry, the dose collection). Not
    frozen: a check builds one per route and worklist consumer, and a frozen dataclass
    costs five times as much to build; nothing changes one after it is built."""

    initiator: str
    acceptor: str
    service: str
    subject: str
    locate: Callable[[], Location | None]
    """Where the item is; computed only for an association that is reported."""
    entity: str
    detail: str = ""


def _accepts_associations(index: Index, title: str) -> bool:
    """Whether the AE can be called: an acceptor with a connection that has a port."""
    device, ae = index.aes[title]
    return ae.acceptor and any(c.port is not None for c in _ae_connections(device, ae))


def _route_associations(index: Index, route) -> Iterator[Association]:
    """The associations a route needs. C-STORE: `from` calls `to`. C-MOVE: `to` (or its
    prefetch engine) asks `from`, which then calls `to` with the C-STORE sub-operations.
    C-GET: `to` calls `from` and receives on the same association. WADO-RS is HTTP
    (INT001 checks its integration). With storage commitment, the archive may send its
    result (N-EVENT-REPORT) on an association it opens to the sender (PS3.4 J.3.3)."""
    subject = f"route '{route.name}'"
    where = partial(index.where, route)
    entity = identity.route(route.name)
    method = route.effective_method
    if method in ("c-move", "c-get"):
        service = "C-MOVE request" if method == "c-move" else "C-GET"
        yield Association(route.to, route.from_, service, subject, where, entity, method)
    if method in ("c-store", "c-move"):
        yield Association(route.from_, route.to, "C-STORE", subject, where, entity)
    if route.commitment and route.from_ in index.aes and _accepts_associations(index, route.from_):
        yield Association(
            route.to,
            route.from_,
            "storage commitment result (N-EVENT-REPORT)",
            subject,
            where,
            entity,
            "storage-commitment",
        )


def _worklist_associations(index: Index, entry) -> Iterator[Association]:
    """Each consumer queries the worklist provider (C-FIND) and reports MPPS (N-CREATE,
    N-SET) to the MPPS destination: patient names, IDs and birth dates in both."""
    entity = identity.entity("worklist", entry.provider)
    for i, consumer in enumerate(entry.consumers):
        yield Association(
            consumer,
            entry.provider,
            "Modality Worklist query (C-FIND)",
            f"worklist consumer {consumer}",
            partial(index.where, entry, "consumers", i),
            entity,
            f"mwl:{consumer}",
        )
        if entry.mpps_destination:
            yield Association(
                consumer,
                entry.mpps_destination,
                "MPPS (N-CREATE/N-SET)",
                f"worklist consumer {consumer}",
                partial(index.where, entry, "mpps_destination"),
                entity,
                f"mpps:{consumer}",
            )


def _dose_associations(index: Index) -> Iterator[Association]:
    """A monitor that collects by query calls `collect_from` (C-FIND, C-MOVE), which then
    sends it the dose SRs (C-STORE)."""
    env = index.env
    monitor, collect_from = env.dose_monitor, env.dose_collect_from
    if env.dose_collection != "query" or not monitor or not collect_from:
        return
    origin = env.dose_collect_from_origin or env.dose_monitor_origin
    where = partial(index.result.location_of, origin)
    entity = identity.entity("dose", "monitor")
    subject = "the dose monitor's collection"
    yield Association(
        monitor, collect_from, "dose query (C-FIND/C-MOVE)", subject, where, entity, "dose-query"
    )
    yield Association(
        collect_from,
        monitor,
        "dose SR retrieval (C-STORE)",
        subject,
        where,
        entity,
        "dose-retrieve",
    )


def associations(index: Index) -> Iterator[Association]:
    """Every DICOM association the environment implies, from routes of any purpose,
    worklist entries and the dose monitor's collection."""
    for route in index.env.routes:
        yield from _route_associations(index, route)
    for entry in index.env.worklist:
        yield from _worklist_associations(index, entry)
    yield from _dose_associations(index)


class _TlsEnds:
    """What each AE's connections say about TLS, worked out once per AE title: thousands of
    associations share a few hundred ends."""

    def __init__(self, index: Index):
        self._index = index
        self._listeners: dict[str, list] = {}
        self._accepts: dict[str, bool] = {}
        self._calls: dict[str, bool] = {}

    def listeners(self, title: str) -> list:
        """The AE's connections that accept associations (those with a port)."""
        found = self._listeners.get(title)
        if found is None:
            device, ae = self._index.aes[title]
            found = [c for c in _ae_connections(device, ae) if c.port is not None]
            self._listeners[title] = found
        return found

    def accepts_tls(self, title: str) -> bool:
        """Whether one of the AE's listeners uses TLS."""
        found = self._accepts.get(title)
        if found is None:
            found = self._accepts[title] = any(c.uses_tls for c in self.listeners(title))
        return found

    def calls_with_tls(self, title: str) -> bool:
        """Whether the AE has a connection with TLS to call from."""
        found = self._calls.get(title)
        if found is None:
            device, ae = self._index.aes[title]
            found = self._calls[title] = any(c.uses_tls for c in _ae_connections(device, ae))
        return found


class DicomWithoutEncryptionAcrossSites(Rule):
    """A DICOM association between sites is neither on TLS nor on an encrypted site link.

    What:
        Every DICOM association whose two ends stand at different sites: routes of any
        purpose (C-STORE; prefetch by C-MOVE or C-GET, in both directions; the storage
        commitment result an archive sends back), Modality Worklist queries and MPPS
        from worklist consumers, and a dose monitor's queries (`dose.collection: query`).
        It is encrypted when the accepting AE has a connection with a port and TLS and the
        calling AE a connection with TLS (an AE uses the connections it lists, or all of
        its device's), or when an encrypting `site_links` entry (ipsec, sd-wan, tls) joins
        the two sites, directly or, with no direct link, through a chain of encrypting
        links (hub and spoke). MPLS separates traffic but does not encrypt it (RFC 4381,
        section 2). A site link that names an undeclared site is reported too.
    Why:
        Images, worklist entries and MPPS carry names, birth dates and MRNs in clear
        unless the association uses a secure transport connection profile (PS3.15
        Annex B) or travels inside an encrypted network path. Between sites it crosses
        networks others run; the HIPAA Security Rule requires transmission security
        (45 CFR 164.312(e)(1)), and encryption is the addressable specification
        (164.312(e)(2)(ii)) that a covered entity implements or documents an equivalent
        for: a site-to-site IPsec tunnel or SD-WAN overlay meets it as well as DICOM TLS.
        If a risk analysis accepted something else, suppress the finding with its reason.
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
              - {name: dicom, hostname: us.clinic.example.org}
            application_entities:
              - {ae_title: US_CLINIC, acceptor: false}
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.main.example.org, port: 11112}
            application_entities:
              - {ae_title: PACS_MAIN}
        routes:
          - {name: us-clinic-to-pacs, from: US_CLINIC, to: PACS_MAIN, purpose: reading}
        site_links:
          - {name: clinic-mpls, sites: [MAIN, CLINIC], encryption: mpls}
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
              - {name: dicom, hostname: us.clinic.example.org}
            application_entities:
              - {ae_title: US_CLINIC, acceptor: false}
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.main.example.org, port: 11112}
            application_entities:
              - {ae_title: PACS_MAIN}
        routes:
          - {name: us-clinic-to-pacs, from: US_CLINIC, to: PACS_MAIN, purpose: reading}
        site_links:
          - name: clinic-ipsec
            sites: [MAIN, CLINIC]
            encryption: ipsec
            description: Site-to-site IPsec tunnel between the firewalls
    """

    code = "SEC001"
    name = "dicom-without-encryption-across-sites"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        yield from self._unknown_link_sites(index)
        links = site_links(index)
        ends = _TlsEnds(index)
        for association in associations(index):
            finding = self._unencrypted(index, links, ends, association)
            if finding is not None:
                yield finding

    def _unknown_link_sites(self, index: Index) -> Iterator[Finding]:
        """A link to a site nobody declared protects nothing: say so instead of passing."""
        for link in index.env.site_links:
            for i, site in enumerate(link.sites):
                if site in index.sites:
                    continue
                yield self.finding(
                    f"site link '{link.name}' joins site '{site}', which is not declared"
                    f"{did_you_mean(site, index.sites)}: add it to `sites` or correct the name",
                    index.where(link, "sites", i),
                    entity=identity.entity("site-link", link.name),
                    detail=site,
                )

    def _unencrypted(
        self, index: Index, links: SiteLinks, ends: _TlsEnds, a: Association
    ) -> Finding | None:
        """The finding for one association, or None when it stays at one site, is encrypted,
        or names an AE that does not exist (the reference rules report that)."""
        if a.initiator not in index.aes or a.acceptor not in index.aes:
            return None
        caller, ae_caller = index.aes[a.initiator]
        callee, ae_callee = index.aes[a.acceptor]
        if caller.site == callee.site:
            return None
        carriage = links.between(caller.site, callee.site)
        if carriage.encrypted:
            return None
        problems: list[str] = []
        fixes: list[str] = []
        related: list[Related] = []
        listeners = ends.listeners(a.acceptor)
        if not ends.accepts_tls(a.acceptor):
            if listeners:
                plain = ", ".join(f"{c.name}:{c.port}" for c in listeners)
                problems.append(f"{a.acceptor} accepts only without TLS ({plain})")
            else:
                problems.append(f"{a.acceptor} declares no accepting connection with TLS")
            fixes.append(
                f"a TLS listener (a connection with a port and tls: true, e.g. port 2762) "
                f"to {a.acceptor}"
            )
            related.append(
                Related(index.where(ae_callee), f"{a.acceptor} ({callee.name}) is declared here")
            )
        if not ends.calls_with_tls(a.initiator):
            problems.append(f"{a.initiator} ({caller.name}) has no TLS connection")
            fixes.append(f"a connection with tls: true to {a.initiator}")
            related.append(
                Related(index.where(ae_caller), f"{a.initiator} ({caller.name}) is declared here")
            )
        if not problems:
            return None
        for link in carriage.links:
            related.append(Related(index.where(link), f"site link '{link.name}' is declared here"))
        return self.finding(
            f"{a.subject}: {a.service} {a.initiator} -> {a.acceptor} crosses sites "
            f"({caller.site} -> {callee.site}) unencrypted: {'; '.join(problems)}; "
            f"{carriage.explain(caller.site, callee.site)}: add {' and '.join(fixes)}, "
            f"{_declare_link_hint(carriage, caller.site, callee.site)}",
            a.locate(),
            entity=a.entity,
            detail=a.detail,
            related=related,
        )


class PlaintextSecret(Rule):
    """A password, token or API key is written in the environment as a literal value.

    What:
        A `credentials` field `password`, `token` or `api_key` whose value is not an
        environment reference: only `${NAME}` and `${env:NAME}` are accepted, with NAME
        made of capitals, digits and `_` (not starting with a digit). And a URL anywhere
        in the environment (an integration's `endpoint`, a conformance statement link, a
        description) with a password in its user info (`https://user:pw@host`) or a
        credential in its query (`?access_token=`, `token`, `sig`, `key`, `apikey`,
        `password`...), unless that value is such a reference.
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
          - name: imaging-study
            kind: fhir
            source: ehr
            target: ris-main
            endpoint: https://ris.example.org/fhir?access_token=eyJhbGciOi
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
          - name: imaging-study
            kind: fhir
            source: ehr
            target: ris-main
            endpoint: https://ris.example.org/fhir
            credentials: {token: "${RIS_FHIR_TOKEN}"}
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
                    entity=_entity(integration),
                    detail=field,
                )
        yield from self._secrets_in_urls(index)

    def _secrets_in_urls(self, index: Index) -> Iterator[Finding]:
        """Credentials written into URLs, in any value of any file that was read (a file
        with schema errors too: the secret is in git all the same)."""
        for path, source in index.result.sources.items():
            if not may_hold_url_credentials(source.text):
                continue  # most files: one scan of the text instead of a walk of every value
            for loc, value in _strings(source.data, ()):
                found = url_credentials(value)
                if not found or is_credential_path(loc):
                    continue  # a credential field: reported above, or masked as a whole
                for what in found:
                    entity, inside = _owner(source.data, loc)
                    yield self.finding(
                        f"{_dotted(source.data, loc)} holds a URL with a {what}: a secret "
                        "in the environment's git history; remove it from the URL, give it "
                        "as a reference in `credentials` (e.g. ${TOKEN_NAME}), and rotate it",
                        index.result.location_of((path, loc)),
                        entity=entity,
                        detail=f"{inside}:{what}",
                    )


def _strings(data: object, loc: tuple) -> Iterator[tuple[tuple, str]]:
    """Every string scalar of parsed YAML with its path of keys and indexes (a stack, not
    nested generators: an enterprise environment holds some 100,000 values)."""
    stack: list[tuple[tuple, object]] = [(loc, data)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, str):
            yield here, node
        elif isinstance(node, dict):
            stack.extend(((*here, key), value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend(((*here, i), value) for i, value in enumerate(node))


def _item_name(item: object) -> str | None:
    """The name a list item goes by (`name`, `ae_title`, `system`), if it has one."""
    if isinstance(item, dict):
        for key in ("name", "ae_title", "system", "provider"):
            if isinstance(item.get(key), str):
                return item[key]
    return None


def _dotted(data: object, loc: tuple) -> str:
    """A path in words that survive reordering: `devices[ct-main].conformance_statement`."""
    text, node = "", data
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) else None
            name = _item_name(node)
            text += f"[{name if name is not None else part}]"
        else:
            node = node.get(part) if isinstance(node, dict) else None
            text += f".{part}" if text else str(part)
    return text


_ENTITY_OF_SECTION = {"sites": identity.site, "devices": identity.device, "routes": identity.route}


def _owner(data: object, loc: tuple) -> tuple[str, str]:
    """(entity key, path inside it) of the value at `loc`: the named top-level item that
    holds it (`integration:orders`, `device:ct-main`), else the whole path."""
    if len(loc) >= 2 and isinstance(data, dict) and isinstance(loc[1], int):
        section = loc[0]
        items = data.get(section)
        item = items[loc[1]] if isinstance(items, list) else None
        name = _item_name(item)
        if name is not None and isinstance(section, str):
            make = _ENTITY_OF_SECTION.get(section)
            kind = section[:-1] if section.endswith("s") else section
            entity = make(name) if make else identity.entity(kind, name)
            return entity, _dotted(item, loc[2:])
    return identity.entity("value", _dotted(data, loc)), ""


class CredentialsOverPlainTransport(Rule):
    """An integration sends credentials unencrypted, or to a server it does not verify.

    What:
        An integration with `credentials` whose `endpoint` is `http://` or `mllp://`,
        whether or not both ends stand at the same site; or whose endpoint is
        `https://` or `mllps://` with `verify_tls: false`.
    Why:
        Passwords, tokens and API keys sent in clear can be captured by anyone on the
        path, inside the hospital network too, and then used to read PHI. A client that
        does not verify the server's certificate sends them, encrypted, to whoever
        answers: anyone who can redirect the traffic (a spoofed DNS entry, an ARP
        poisoning on the LAN) receives them (HIPAA Security Rule, transmission security
        and person or entity authentication, 45 CFR 164.312(e)(1) and (d); NIST SP
        800-52r2, section 3.5, server certificate validation; practice guide, Step 2,
        "EHR integration" and "DICOMweb services"). Trust the server's CA instead
        (a private CA's certificate in the client's trust store).
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
            if not _has_credentials(integration):
                continue
            scheme = _scheme(integration.endpoint)
            related = [
                Related(
                    index.where(integration, "credentials"), "the credentials are declared here"
                )
            ]
            if scheme in PLAIN_SCHEMES:
                yield self.finding(
                    f"integration '{integration.name}' sends credentials over {scheme}://, in "
                    f"clear: use {_secure(scheme)}://",
                    index.where(integration, "endpoint"),
                    entity=_entity(integration),
                    related=related,
                )
            elif scheme in SECURE_SCHEMES and not integration.verify_tls:
                yield self.finding(
                    f"integration '{integration.name}' sends credentials over {scheme}:// "
                    "without verifying the server's certificate (verify_tls: false): whoever "
                    "answers at that address receives them; trust the server's CA in the "
                    "client and remove verify_tls: false",
                    index.where(integration, "verify_tls"),
                    entity=_entity(integration),
                    related=related,
                )


class WeakOrExpiringTls(Rule):
    """A TLS connection's certificate expired or expires soon, or it allows TLS below 1.2.

    What:
        A connection whose `tls` profile gives a `certificate_expires` date before the
        check's date (`--today`: error) or within `expiry_warning` of it (warning), or a
        `min_version` below 1.2 (error).
    Why:
        An expired certificate stops every association on the connection: the peer
        refuses the handshake, and cross-site storage, worklist and reading stop with it,
        usually at night. TLS 1.0 and 1.1 are deprecated (RFC 8996); the DICOM secure
        transport profiles follow BCP 195 (PS3.15 Annex B.9 and later), and NIST SP
        800-52r2 requires TLS 1.2 or later for systems handling sensitive data (HIPAA
        transmission security, 45 CFR 164.312(e)(1)). Renew certificates ahead of time and
        set the lowest version to 1.2.
    Bad:
        devices:
          - name: vna
            site: MAIN
            kind: vna
            connections:
              - name: dicom-tls
                hostname: vna.main.example.org
                port: 2762
                tls: {min_version: "1.0", certificate_expires: 2026-11-01}
            application_entities:
              - {ae_title: VNA_MAIN}
    Good:
        devices:
          - name: vna
            site: MAIN
            kind: vna
            connections:
              - name: dicom-tls
                hostname: vna.main.example.org
                port: 2762
                tls: {min_version: "1.2", mutual: true, certificate_expires: 2027-10-01}
            application_entities:
              - {ae_title: VNA_MAIN}
    Options:
        expiry_warning: how long before a certificate expires it is reported as a warning
        (default 30d).
    """

    code = "SEC004"
    name = "weak-or-expiring-tls"
    severity = Severity.ERROR
    options = {"expiry_warning": duration_option("30d", "1d", "1y")}

    def check(self, index: Index) -> Iterator[Finding]:
        window = timedelta(days=self.settings["expiry_warning"].days)
        for device in index.env.devices:
            for j, conn in enumerate(device.connections):
                if not isinstance(conn.tls, TlsSettings):
                    continue
                where = (device, "connections", j, "tls")
                label = f"device '{device.name}' connection '{conn.name}'"
                expires = conn.tls.certificate_expires
                if expires is not None and expires < index.today:
                    yield self.finding(
                        f"{label}: its TLS certificate expired on {expires}: peers refuse "
                        "the handshake; renew it and update certificate_expires",
                        index.where(*where, "certificate_expires"),
                        entity=identity.device(device.name),
                        detail=f"{conn.name}:certificate",
                    )
                elif expires is not None and expires - window <= index.today:
                    finding = self.finding(
                        f"{label}: its TLS certificate expires on {expires}, within "
                        f"{self.settings['expiry_warning']}: renew it before then",
                        index.where(*where, "certificate_expires"),
                        entity=identity.device(device.name),
                        detail=f"{conn.name}:certificate",
                    )
                    yield replace(finding, severity=min(finding.severity, Severity.WARNING))
                version = conn.tls.min_version
                if version is not None and version < "1.2":
                    yield self.finding(
                        f"{label}: accepts TLS {version}, deprecated (RFC 8996): set "
                        'min_version: "1.2" or "1.3" (NIST SP 800-52r2, BCP 195)',
                        index.where(*where, "min_version"),
                        entity=identity.device(device.name),
                        detail=f"{conn.name}:min_version",
                    )
