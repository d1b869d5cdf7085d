"""AE: inventory. Every AE title unique, reachable, wired to real connections, used."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import dicom, identity
from ..analysis.index import Index
from ..findings import Finding, Related, Severity
from ..model.devices import ApplicationEntity, Device
from .base import Rule, text_option
from .common import did_you_mean, probable_aes

_MAX_RELATED = 5
"""Enough places to find the problem; the rest would only lengthen the report."""


def _ae_entity(ae: ApplicationEntity) -> str:
    return identity.ae(ae.ae_title)


def _device_entity(device: Device) -> str:
    return identity.device(device.name)


def _is_query_retrieve(sop_uid: str) -> bool:
    info = dicom.lookup(sop_uid)
    return info is not None and "Retrieve" in info.name


class DuplicateAETitle(Rule):
    """Two AE titles differ only by upper/lower case.

    What:
        Two application entities whose `ae_title`s are equal when case is ignored
        (`CT_1` and `ct_1`). Titles that are exactly equal are already an error of the
        loader (SCHEMA009).
    Why:
        Orthanc compares AE titles case-insensitively by default and dcm4chee exactly, so
        one system sees one AE where another sees two: studies go to the wrong system or
        are refused (DESIGN domain facts; practice guide, Step 1, "AE title management";
        PS3.5 Table 6.2-1).
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false}
          - name: ct-2
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: ct_1, acceptor: false}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false}
          - name: ct-2
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_2, acceptor: false}
    """

    code = "AE001"
    name = "duplicate-ae-title"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for group in index.aes_folded.values():
            if len(group) < 2:
                continue
            first_device, first = group[0]
            for device, ae in group[1:]:
                if ae.ae_title == first.ae_title:
                    continue  # an exact duplicate: the loader's SCHEMA009
                yield self.finding(
                    f"AE title '{ae.ae_title}' ({device.name}) differs only by case from "
                    f"'{first.ae_title}' ({first_device.name}): systems that ignore case "
                    "(Orthanc) see one AE, systems that do not (dcm4chee) two; give one of "
                    "them a distinct title",
                    index.where(ae, "ae_title"),
                    entity=_ae_entity(ae),
                    related=[
                        Related(
                            index.where(first, "ae_title"), f"'{first.ae_title}' is declared here"
                        )
                    ],
                )


class SharedHostPort(Rule):
    """Two devices listen on the same hostname and port.

    What:
        Connections of two different devices with the same `hostname` (ignoring case and
        a trailing dot) and the same `port`, unless both devices name the same `cluster`.
        Several AEs of one device sharing one connection is normal and not reported.
    Why:
        Only one process can listen on a host:port; the other device's inventory entry
        is wrong, or both are one device and their AEs will be confused with each other
        (practice guide, Step 1, "AE title management": network address and port of
        every AE; PS3.15 H.1.1.3 network connection). Some listeners are shared on
        purpose: a virtual IP in front of an active/passive pair, or one listener that
        dispatches associations by called AE title to several applications (an AI
        orchestrator, a multi-tenant archive). Declare those devices with one `cluster`
        name. A warning: the clash is an inventory error until the cluster is declared.
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.example.org, port: 104}
            application_entities:
              - {ae_title: PACS, connections: [dicom]}
          - name: vna
            site: MAIN
            kind: vna
            connections:
              - {name: dicom, hostname: PACS.example.org, port: 104}
            application_entities:
              - {ae_title: VNA, connections: [dicom]}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.example.org, port: 104}
            application_entities:
              - {ae_title: PACS, connections: [dicom]}
              - {ae_title: PACS_QR, connections: [dicom]}
          - name: vna
            site: MAIN
            kind: vna
            connections:
              - {name: dicom, hostname: vna.example.org, port: 104}
            application_entities:
              - {ae_title: VNA, connections: [dicom]}
    """

    code = "AE002"
    name = "shared-host-port"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        first_at: dict[tuple[str, int], tuple[Device, int]] = {}
        reported: set[tuple[str, int, str]] = set()
        for device in index.env.devices:
            for i, conn in enumerate(device.connections):
                if conn.port is None:
                    continue
                key = (conn.hostname.casefold().rstrip("."), conn.port)
                if key not in first_at:
                    first_at[key] = (device, i)
                    continue
                other, j = first_at[key]
                if other is device or (*key, device.name) in reported:
                    continue
                if device.cluster is not None and device.cluster == other.cluster:
                    continue  # one listener on purpose: a VIP, a pair, a dispatcher
                reported.add((*key, device.name))
                yield self.finding(
                    f"device '{device.name}' connection '{conn.name}' uses "
                    f"{conn.hostname}:{conn.port}, which device '{other.name}' already "
                    "listens on: correct the hostname or port, or declare both as one "
                    "device, or give both the same `cluster` if they share one listener",
                    index.where(device, "connections", i),
                    entity=_device_entity(device),
                    detail=conn.name,
                    related=[
                        Related(
                            index.where(other, "connections", j),
                            f"'{other.name}' connection '{other.connections[j].name}'",
                        )
                    ],
                )


class OrphanAE(Rule):
    """An AE that nothing in the environment sends to, receives from, or uses.

    What:
        An application entity that no enabled route starts or ends at (nor names in
        `match.calling_ae`), that is no worklist provider, consumer or MPPS destination,
        not the dose monitor, not an AI product's `runs_on` or result destination, and
        that has no query/retrieve capability (a SOP class whose name has "Retrieve": it
        could be queried or retrieve on its own).
    Why:
        The practice guide asks to "identify orphaned AE titles (configured but no
        traffic)" (Step 1, "AE title management"): an AE left over from a decommissioned
        system is still trusted by the PACS and the router, and an AE that was meant to
        be wired but is not means studies that never arrive.
    Bad:
        devices:
          - name: old-ct
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - {ae_title: CT_OLD, acceptor: false}
    Good:
        devices:
          - name: old-ct
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - {ae_title: CT_OLD, acceptor: false}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS}
        routes:
          - {name: ct-to-pacs, from: CT_OLD, to: PACS, purpose: reading}
    """

    code = "AE003"
    name = "orphan-ae"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        env = index.env
        used: set[str] = set()
        disabled: set[str] = set()
        for route in env.routes:
            if not route.enabled:
                disabled.update((route.from_, route.to))
                continue
            used.update((route.from_, route.to))
            if route.match:
                used.update(route.match.calling_ae)
        for assignment in env.worklist:
            used.add(assignment.provider)
            used.update(assignment.consumers)
            if assignment.mpps_destination:
                used.add(assignment.mpps_destination)
        if env.dose_monitor:
            used.add(env.dose_monitor)
        for product in env.ai:
            used.add(product.runs_on)
            for result in product.results:
                used.update(result.to)
        misnamed = probable_aes(index)
        for device, ae in env.application_entities():
            if ae.ae_title in used or ae.ae_title in misnamed:
                continue  # used, or named wrongly somewhere (reported there, with a hint)
            if any(
                _is_query_retrieve(sop) for cap in ae.transfer_capabilities for sop in cap.classes
            ):
                continue
            why = " (its only routes are disabled)" if ae.ae_title in disabled else ""
            yield self.finding(
                f"AE '{ae.ae_title}' ({device.name}) is an orphan: no route, worklist, dose "
                f"or AI entry uses it and it has no query/retrieve role{why}; wire it up "
                "or remove it from the inventory (and from the systems that trust it)",
                index.where(ae, "ae_title"),
                entity=_ae_entity(ae),
            )


class UnknownConnection(Rule):
    """An AE names a connection its device does not declare.

    What:
        An entry of an application entity's `connections` that is not the `name` of one
        of its device's `connections`.
    Why:
        PS3.15 H.1.1.2: a network AE is reachable only through the network connections of
        its device. A typo leaves the AE without a host and port, so nothing can reach
        it, and the inventory no longer says where it listens (practice guide, Step 1,
        "AE title management": network address and port).
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.example.org, port: 104}
            application_entities:
              - {ae_title: PACS, connections: [dicom-tls]}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.example.org, port: 104}
              - {name: dicom-tls, hostname: pacs.example.org, port: 2762, tls: true}
            application_entities:
              - {ae_title: PACS, connections: [dicom-tls]}
    """

    code = "AE004"
    name = "unknown-connection"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for device in index.env.devices:
            names = [c.name for c in device.connections]
            known = set(names)
            for ae in device.application_entities:
                for j, name in enumerate(ae.connections):
                    if name in known:
                        continue
                    have = (
                        f"its connections are {', '.join(names)}{did_you_mean(name, names)}"
                        if names
                        else "the device declares no connections"
                    )
                    yield self.finding(
                        f"AE '{ae.ae_title}' uses connection '{name}', which device "
                        f"'{device.name}' does not declare ({have}): add the connection to "
                        "the device or correct the name",
                        index.where(ae, "connections", j),
                        entity=_ae_entity(ae),
                        detail=name,
                    )


class AcceptorWithoutPort(Rule):
    """An AE that accepts associations has no connection with a port.

    What:
        An application entity with `acceptor: true` (the default) none of whose
        connections (all of its device's connections when it lists none) has a `port`,
        or whose device declares no connections at all.
    Why:
        PS3.15 H.1.1.3: a network connection without a port is outbound only. An acceptor
        without a listening port cannot be reached, so every route, worklist query or
        retrieve towards it fails (practice guide, Step 1, "AE title management": network
        address and port of every AE). If the AE only initiates, say `acceptor: false`.
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.example.org}
            application_entities:
              - {ae_title: PACS, connections: [dicom]}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            connections:
              - {name: dicom, hostname: pacs.example.org, port: 11112}
            application_entities:
              - {ae_title: PACS, connections: [dicom]}
          - name: ct-1
            site: MAIN
            kind: modality
            connections:
              - {name: dicom, hostname: ct-1.example.org}
            application_entities:
              - {ae_title: CT_1, connections: [dicom], acceptor: false}
    """

    code = "AE005"
    name = "acceptor-without-port"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for device in index.env.devices:
            by_name = {c.name: i for i, c in enumerate(device.connections)}
            for ae in device.application_entities:
                if not ae.acceptor:
                    continue
                if not device.connections:
                    yield self.finding(
                        f"AE '{ae.ae_title}' accepts associations but device "
                        f"'{device.name}' declares no connections: add a connection with "
                        "hostname and port, or set acceptor: false if it only initiates",
                        index.where(ae, "ae_title"),
                        entity=_ae_entity(ae),
                    )
                    continue
                if ae.connections:
                    used = [by_name[n] for n in dict.fromkeys(ae.connections) if n in by_name]
                    if not used:
                        continue  # only unknown names: AE004 says so
                else:
                    used = list(range(len(device.connections)))
                if any(device.connections[i].port is not None for i in used):
                    continue
                yield self.finding(
                    f"AE '{ae.ae_title}' ({device.name}) accepts associations but none of "
                    "its connections has a port, so nothing can reach it: give a connection "
                    "a port, or set acceptor: false if it only initiates",
                    index.where(ae, "ae_title"),
                    entity=_ae_entity(ae),
                    related=[
                        Related(
                            index.where(device, "connections", i),
                            f"connection '{device.connections[i].name}' has no port",
                        )
                        for i in used[:_MAX_RELATED]
                    ],
                )


class AETitleCharacters(Rule):
    """An AE title uses characters other than upper-case letters, digits, '_' and '-'.

    What:
        An `ae_title` with a character outside `A-Z`, `0-9`, `_` and `-`: lower case,
        spaces, dots, slashes and other punctuation (PS3.5 allows them, many systems do
        not).
    Why:
        Orthanc warns about such titles; some modalities upper-case what they send, strip
        or refuse spaces, or cannot type punctuation on their service screen, so the
        title configured in one place is not the title presented in another and the
        association is rejected (DESIGN domain facts; practice guide, Step 1, "AE title
        management").
    Bad:
        devices:
          - name: us-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: us.room 1, acceptor: false}
    Good:
        devices:
          - name: us-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: US_ROOM_1, acceptor: false}
    Options:
        extra_characters: characters allowed in addition to A-Z, 0-9, '_' and '-'
            (e.g. "." where every system of the site is known to accept dots); default "".
    """

    code = "AE006"
    name = "ae-title-characters"
    severity = Severity.WARNING
    options = {
        "extra_characters": text_option(
            "",
            lambda c: c.isascii() and c.isprintable() and c != "\\",
            "printable ASCII characters other than backslash",
        )
    }

    def check(self, index: Index) -> Iterator[Finding]:
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") | set(
            str(self.settings.get("extra_characters") or "")
        )
        for device, ae in index.env.application_entities():
            bad = sorted({c for c in ae.ae_title if c not in allowed})
            if not bad:
                continue
            kinds = ["lower-case letters"] if any(c.islower() for c in bad) else []
            kinds += ["spaces"] if " " in bad else []
            kinds += [f"'{c}'" for c in bad if not c.islower() and c != " "]
            shown = ", ".join(kinds)
            suggestion = re.sub(r"[^A-Z0-9_-]", "_", ae.ae_title.upper())
            yield self.finding(
                f"AE title '{ae.ae_title}' ({device.name}) contains {shown}: some systems "
                f"refuse or alter such titles; use only A-Z, 0-9, '_' and '-' (e.g. "
                f"'{suggestion}') on the device and everywhere it is configured",
                index.where(ae, "ae_title"),
                entity=_ae_entity(ae),
            )


class MissingConformanceStatement(Rule):
    """A DICOM device has no conformance statement on file.

    What:
        A device with at least one application entity and no `conformance_statement`
        (a path or URL to the vendor's DICOM conformance statement).
    Why:
        The practice guide's Quality Audit asks that "DICOM conformance statements are on
        file for all systems", and Step 1 validates every system-to-system connection
        against them (SOP classes, transfer syntaxes, character sets). The capabilities
        declared here can only be trusted if they can be traced to that document (PS3.2).
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            conformance_statement: conformance/vendor-ct-3.2.pdf
            application_entities:
              - {ae_title: CT_1, acceptor: false}
    """

    code = "AE007"
    name = "missing-conformance-statement"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for device in index.env.devices:
            if device.application_entities and not device.conformance_statement:
                yield self.finding(
                    f"device '{device.name}' has DICOM application entities but no "
                    "conformance_statement: file the vendor's DICOM conformance statement "
                    "and give its path or URL",
                    index.where(device, "name"),
                    entity=_device_entity(device),
                )


class UnknownSite(Rule):
    """A device stands at a site that is not declared.

    What:
        A device whose `site` is not the `name` of any entry of `sites`.
    Why:
        The site gives a device its jurisdiction (which retention law applies) and its
        region (whether a DR copy is really elsewhere); a device at an unknown site
        escapes those checks and the architecture documentation (practice guide, Step 1,
        "AE title management": inventory of every source device; Step 6, retention).
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - name: ct-1
            site: MIAN
            kind: modality
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
    """

    code = "AE008"
    name = "unknown-site"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        names = list(index.sites)
        for device in index.env.devices:
            if device.site in index.sites:
                continue
            hint = (
                did_you_mean(device.site, names)
                if names
                else " (the environment declares no sites)"
            )
            yield self.finding(
                f"device '{device.name}' is at site '{device.site}', which is not "
                f"declared{hint}: add it to `sites` or correct the name",
                index.where(device, "site"),
                entity=_device_entity(device),
            )


class NeitherInitiatorNorAcceptor(Rule):
    """An AE that can neither open nor accept an association.

    What:
        An application entity with both `initiator: false` and `acceptor: false`.
    Why:
        PS3.15 H.4.3 (dicomAssociationInitiator / dicomAssociationAcceptor): such an AE
        can take part in no DICOM exchange at all, so either a flag is wrong or the entry
        is a leftover (practice guide, Step 1, "AE title management").
    Bad:
        devices:
          - name: ws-1
            site: MAIN
            kind: workstation
            application_entities:
              - {ae_title: WS_1, initiator: false, acceptor: false}
    Good:
        devices:
          - name: ws-1
            site: MAIN
            kind: workstation
            application_entities:
              - {ae_title: WS_1, initiator: true, acceptor: false}
    """

    code = "AE009"
    name = "initiator-and-acceptor-false"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for device, ae in index.env.application_entities():
            if not ae.initiator and not ae.acceptor:
                yield self.finding(
                    f"AE '{ae.ae_title}' ({device.name}) has initiator: false and acceptor: "
                    "false, so it can exchange nothing: set the flag for what it does, or "
                    "remove the AE",
                    index.where(ae, "ae_title"),
                    entity=_ae_entity(ae),
                )


def _uses(index: Index, inbound: bool) -> dict[str, list[tuple[object, tuple, str]]]:
    """AE title -> (item, path, description) of each place that makes it receive (inbound)
    or send (outbound) associations. Who opens a route's association depends on its
    `method` (`_route_uses`)."""
    uses: dict[str, list[tuple[object, tuple, str]]] = {}

    def add(title: str, item: object, path: tuple, what: str) -> None:
        uses.setdefault(title, []).append((item, path, what))

    env = index.env
    for route in env.routes:
        for title, key, what in _route_uses(route, inbound):
            add(title, route, (key,), what)
    for assignment in env.worklist:
        if inbound:
            add(assignment.provider, assignment, ("provider",), "it is a worklist provider")
            if assignment.mpps_destination:
                add(
                    assignment.mpps_destination,
                    assignment,
                    ("mpps_destination",),
                    "it is an MPPS destination",
                )
        else:
            for k, title in enumerate(assignment.consumers):
                add(
                    title,
                    assignment,
                    ("consumers", k),
                    "it is a worklist consumer (queries the worklist, sends MPPS)",
                )
    for product in env.ai:
        if inbound:
            for i, result in enumerate(product.results):
                for k, title in enumerate(result.to):
                    add(
                        title,
                        product,
                        ("results", i, "to", k),
                        f"AI product '{product.name}' sends {result.object} results to it",
                    )
        elif product.results:
            add(
                product.runs_on,
                product,
                ("runs_on",),
                f"AI product '{product.name}' sends its results from it",
            )
    return uses


def _route_uses(route, inbound: bool) -> list[tuple[str, str, str]]:
    """(AE title, route key, why) of the AEs a route makes accept (inbound) or open
    (outbound) associations. C-STORE: the source opens, the destination accepts. C-MOVE:
    the source accepts the C-MOVE request and opens the C-STORE sub-association to the
    destination (PS3.4 C.4.2). C-GET: the destination opens one association and receives
    over it, so the source only accepts (PS3.4 C.4.3). WADO-RS is HTTP, not DICOM
    associations."""
    name, method = route.name, route.effective_method
    if method == "c-store":
        if inbound:
            return [(route.to, "to", f"route '{name}' sends to it")]
        return [(route.from_, "from", f"route '{name}' sends from it")]
    if method == "c-move":
        if inbound:
            return [
                (route.to, "to", f"route '{name}' moves studies to it (C-MOVE)"),
                (route.from_, "from", f"route '{name}' sends it C-MOVE requests"),
            ]
        return [(route.from_, "from", f"route '{name}' moves studies from it (C-MOVE)")]
    if method == "c-get":
        if inbound:
            return [(route.from_, "from", f"route '{name}' retrieves from it (C-GET)")]
        return [(route.to, "to", f"route '{name}' retrieves into it (C-GET)")]
    return []


class ReceivesButNotAcceptor(Rule):
    """An AE with `acceptor: false` is where something is sent.

    What:
        An application entity with `acceptor: false` that must accept associations: the
        destination of a C-STORE or C-MOVE route, the source of a C-MOVE or C-GET route
        (it answers the retrieve request; `method`, default c-move for prefetch), a
        worklist provider, an MPPS destination, an AI result destination, or the dose
        monitor. WADO-RS routes are HTTP and exempt.
    Why:
        An AE that does not accept associations rejects every one: the route, the
        worklist query or the MPPS report fails at association time (PS3.15 H.4.3
        dicomAssociationAcceptor; PS3.8). Either the flag is wrong in the inventory or
        the wiring points at the wrong AE (practice guide, Step 1, "AE title
        management": misconfigured routing).
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false}
          - name: ct-2
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_2, acceptor: false}
        routes:
          - {name: ct-1-to-ct-2, from: CT_1, to: CT_2, purpose: forward}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS}
        routes:
          - {name: ct-1-to-pacs, from: CT_1, to: PACS, purpose: reading}
    """

    code = "AE010"
    name = "receives-but-not-acceptor"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        uses = _uses(index, inbound=True)
        monitor = index.env.dose_monitor
        for device, ae in index.env.application_entities():
            if ae.acceptor:
                continue
            found = uses.get(ae.ae_title, [])
            reasons = [what for _, _, what in found]
            if monitor == ae.ae_title:
                reasons.append("it is the dose monitor")
            if not reasons:
                continue
            more = f" and {len(reasons) - 3} more" if len(reasons) > 3 else ""
            yield self.finding(
                f"AE '{ae.ae_title}' ({device.name}) has acceptor: false, yet "
                f"{'; '.join(reasons[:3])}{more}: those associations will be rejected; set "
                "acceptor: true (with a listening port) or point them at the right AE",
                index.where(ae, "acceptor"),
                entity=_ae_entity(ae),
                related=[
                    Related(index.where(item, *path), what)
                    for item, path, what in found[:_MAX_RELATED]
                ],
            )


class SendsButNotInitiator(Rule):
    """An AE with `initiator: false` is where something is sent from.

    What:
        An application entity with `initiator: false` that must open associations: the
        source of a C-STORE or C-MOVE route (a C-MOVE SCP opens the C-STORE
        sub-association; `method`, default c-move for prefetch), the destination of a
        C-GET route, a worklist consumer (it queries the worklist and reports MPPS), or
        the AE an AI product with results runs on. WADO-RS routes are HTTP and exempt.
    Why:
        An AE that never opens associations cannot send: the route, the worklist query or
        the AI result never leaves it (PS3.15 H.4.3 dicomAssociationInitiator; PS3.7
        C-STORE). Either the flag is wrong in the inventory or the wiring names the wrong
        AE (practice guide, Step 1, "AE title management": misconfigured routing).
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS, initiator: false}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - {ae_title: VNA}
        routes:
          - {name: pacs-to-vna, from: PACS, to: VNA, purpose: archive}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS, initiator: true}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - {ae_title: VNA}
        routes:
          - {name: pacs-to-vna, from: PACS, to: VNA, purpose: archive}
    """

    code = "AE011"
    name = "sends-but-not-initiator"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        uses = _uses(index, inbound=False)
        for device, ae in index.env.application_entities():
            if ae.initiator or ae.ae_title not in uses:
                continue
            found = uses[ae.ae_title]
            reasons = [what for _, _, what in found]
            more = f" and {len(reasons) - 3} more" if len(reasons) > 3 else ""
            yield self.finding(
                f"AE '{ae.ae_title}' ({device.name}) has initiator: false, yet "
                f"{'; '.join(reasons[:3])}{more}: it can open no association to do so; set "
                "initiator: true or correct the wiring",
                index.where(ae, "initiator"),
                entity=_ae_entity(ae),
                related=[
                    Related(index.where(item, *path), what)
                    for item, path, what in found[:_MAX_RELATED]
                ],
            )


class ModalityWithoutAE(Rule):
    """An acquisition modality declares no application entity.

    What:
        A device of kind `modality` with no `application_entities`.
    Why:
        Every other check of a modality (worklist, routes to the archive of record, dose
        reports) starts from its AEs, so a modality without one passes them all in silence
        while its studies go nowhere the files can show (practice guide, Step 1, "AE title
        management": "missing entries (new modalities not configured)"). A unit that sends
        through a gateway (a DICOM converter, a vendor's acquisition workstation) is
        declared with the AE it sends from.
    Bad:
        devices:
          - {name: us-er-2, site: MAIN, kind: modality, modality: [US]}
    Good:
        devices:
          - name: us-er-2
            site: MAIN
            kind: modality
            modality: [US]
            application_entities:
              - ae_title: US_ER_2
                acceptor: false
                transfer_capabilities:
                  - sop_classes: [UltrasoundImageStorage]
                    role: SCU
                    transfer_syntaxes: [ExplicitVRLittleEndian]
    """

    code = "AE012"
    name = "modality-without-ae"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for device in index.env.devices:
            if device.kind == "modality" and not device.application_entities:
                yield self.finding(
                    f"modality '{device.name}' declares no application entity, so no check "
                    "can follow its studies: declare the AE it sends from (or the gateway's)",
                    index.where(device, "name"),
                    entity=_device_entity(device),
                )
