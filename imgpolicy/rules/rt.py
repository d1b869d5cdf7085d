"""RT: routing. Where studies go, and whether each hop can actually carry them."""

from __future__ import annotations

from collections.abc import Iterator

from .. import dicom
from ..analysis.index import Index, keyword
from ..findings import Finding, Related, Severity
from .base import Rule
from .common import ae_related, unknown_ae_hint


def _route_entity(route) -> str:
    return f"route:{route.name}"


def _carried_classes(index: Index, route) -> list[str]:
    return sorted({sop for _, sop in index.flow.carries(route)}, key=keyword)


class RouteUnknownAE(Rule):
    """A route names an AE title that no device declares.

    What:
        `from` or `to` of a route is not the `ae_title` of any application entity.
    Why:
        A router configured with an AE title that does not exist sends studies nowhere, or
        to whichever system happens to answer to that title (practice guide, Step 1, "AE
        title management": misconfigured routing and missing entries). Orthanc compares
        AE titles case-insensitively and dcm4chee exactly, so a title that differs only by
        case works on one system and fails on the other.
    Bad:
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
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
              - {ae_title: PACS_MAIN}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
    """

    code = "RT001"
    name = "route-unknown-ae"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            for end, key in ((route.from_, "from"), (route.to, "to")):
                if end in index.aes:
                    continue
                yield self.finding(
                    f"route '{route.name}' {key} '{end}' is not an AE title of "
                    f"any device{unknown_ae_hint(index, end)}",
                    index.where(route, key),
                    entity=_route_entity(route),
                )


class RouteDestinationNotSCP(Rule):
    """A route's destination does not accept a SOP class the route carries.

    What:
        For every SOP class that reaches the route (by flow analysis over the whole route
        graph, or named in `match.sop_classes`), the destination AE must have a transfer
        capability with `role: SCP` for it.
    Why:
        The destination rejects the presentation context during association negotiation
        (PS3.8, PS3.7 A-ASSOCIATE-AC) and the study never arrives; with a router in
        between, nobody notices until a radiologist misses the images (practice guide,
        Step 1, "DICOM conformance validation").
    Bad:
        devices:
          - name: mg-1
            site: MAIN
            kind: modality
            modality: MG
            application_entities:
              - ae_title: MG_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: DigitalMammographyXRayImageStorageForPresentation, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: mg-to-pacs, from: MG_1, to: PACS_MAIN, purpose: reading}
    Good:
        devices:
          - name: mg-1
            site: MAIN
            kind: modality
            modality: MG
            application_entities:
              - ae_title: MG_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: DigitalMammographyXRayImageStorageForPresentation, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: DigitalMammographyXRayImageStorageForPresentation, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: mg-to-pacs, from: MG_1, to: PACS_MAIN, purpose: reading}
    """

    code = "RT002"
    name = "route-destination-not-scp"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            if route.to not in index.aes:
                continue
            classes = set(_carried_classes(index, route))
            if route.match:
                classes |= set(route.match.sop_classes)
            missing = sorted(
                (s for s in classes if index.syntaxes(route.to, "SCP", s) is None), key=keyword
            )
            if missing:
                names = ", ".join(keyword(s) for s in missing)
                yield self.finding(
                    f"route '{route.name}' carries {names} to {route.to}, which does not accept "
                    f"{'it' if len(missing) == 1 else 'them'} as SCP: add the capability to "
                    f"{route.to} or narrow the route's match",
                    index.where(route, "to"),
                    entity=_route_entity(route),
                    related=ae_related(index, route.to, f"{route.to} is declared here"),
                )


class RouteSourceNotSCU(Rule):
    """A route names a SOP class its source cannot send.

    What:
        A SOP class in a route's `match.sop_classes` for which the source AE has no
        transfer capability with `role: SCU`.
    Why:
        The route promises a flow that cannot happen: the source never proposes that
        presentation context, so whatever depends on the route (archive, dose monitor, AI)
        silently receives nothing (practice guide, Step 1, "DICOM conformance validation").
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: dose
            site: MAIN
            kind: dose-monitor
            application_entities:
              - ae_title: DOSE
                transfer_capabilities:
                  - {sop_class: XRayRadiationDoseSRStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: ct-dose, from: CT_1, to: DOSE, purpose: dose, match: {sop_classes: [XRayRadiationDoseSRStorage]}}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_classes: [CTImageStorage, XRayRadiationDoseSRStorage], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: dose
            site: MAIN
            kind: dose-monitor
            application_entities:
              - ae_title: DOSE
                transfer_capabilities:
                  - {sop_class: XRayRadiationDoseSRStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: ct-dose, from: CT_1, to: DOSE, purpose: dose, match: {sop_classes: [XRayRadiationDoseSRStorage]}}
    """

    code = "RT005"
    name = "route-source-not-scu"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            if route.from_ not in index.aes or not route.match:
                continue
            for i, sop in enumerate(route.match.sop_classes):
                if index.syntaxes(route.from_, "SCU", sop) is None:
                    yield self.finding(
                        f"route '{route.name}' names {keyword(sop)}, but {route.from_} is not "
                        "SCU for it: add the capability to the source or remove the class",
                        index.where(route, "match", "sop_classes", i),
                        entity=_route_entity(route),
                        related=ae_related(index, route.from_, f"{route.from_} is declared here"),
                    )


class RouteNoCommonTransferSyntax(Rule):
    """No transfer syntax that both ends of a route support for a SOP class it carries.

    What:
        For each SOP class a route carries, the source's SCU transfer syntaxes and the
        destination's SCP transfer syntaxes for that class have nothing in common.
    Why:
        The association is rejected for that presentation context ("transfer syntaxes
        not supported"), so the study never arrives (practice guide, Step 1, "DICOM
        conformance validation"; PS3.8 association negotiation).
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [JPEG2000Lossless]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [JPEG2000Lossless, ExplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
    """

    code = "RT003"
    name = "route-no-common-transfer-syntax"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            if route.transfer_syntax:
                continue  # RT004 checks a declared syntax
            for sop in _carried_classes(index, route):
                offered = index.syntaxes(route.from_, "SCU", sop)
                accepted = index.syntaxes(route.to, "SCP", sop)
                if offered is None or accepted is None or set(offered) & set(accepted):
                    continue
                yield self.finding(
                    f"route '{route.name}': no transfer syntax for {keyword(sop)} that both "
                    f"{route.from_} ({', '.join(map(keyword, offered))}) and {route.to} "
                    f"({', '.join(map(keyword, accepted))}) support; add a common one "
                    "(ImplicitVRLittleEndian is the default every SCP must accept)",
                    index.where(route),
                    entity=_route_entity(route),
                    related=ae_related(index, route.to, f"{route.to}'s capabilities"),
                )


class RouteTransferSyntaxUnsupported(Rule):
    """A route's declared transfer syntax is not supported by one of its ends.

    What:
        `transfer_syntax` on a route is not among the source's SCU syntaxes or the
        destination's SCP syntaxes for a SOP class the route carries.
    Why:
        A router told to send in a syntax the destination does not accept fails the
        association or falls back to something else than what was agreed (practice
        guide, Step 1, "DICOM conformance validation"; PS3.8 negotiation).
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [JPEG2000Lossless, ImplicitVRLittleEndian]}
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: ct-to-vna, from: CT_1, to: VNA, purpose: archive, transfer_syntax: JPEG2000Lossless}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [JPEG2000Lossless, ImplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [JPEG2000Lossless, ImplicitVRLittleEndian]}
        routes:
          - {name: ct-to-vna, from: CT_1, to: VNA, purpose: archive, transfer_syntax: JPEG2000Lossless}
    """

    code = "RT004"
    name = "route-transfer-syntax-unsupported"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            declared = route.transfer_syntax
            if not declared:
                continue
            lacking: set[str] = set()
            classes: list[str] = []
            for sop in _carried_classes(index, route):
                short = [
                    title
                    for title, role in ((route.from_, "SCU"), (route.to, "SCP"))
                    if declared not in (index.syntaxes(title, role, sop) or [declared])
                ]
                if short:
                    lacking.update(short)
                    classes.append(keyword(sop))
            if lacking:
                who = " and ".join(sorted(lacking))
                shown = ", ".join(classes[:4]) + (
                    f" and {len(classes) - 4} more" if len(classes) > 4 else ""
                )
                yield self.finding(
                    f"route '{route.name}' sends {keyword(declared)}, which {who} "
                    f"{'does' if len(lacking) == 1 else 'do'} not list for {shown}: add it "
                    "to their capabilities, or split the route so this syntax is declared only "
                    "for the classes that support it",
                    index.where(route, "transfer_syntax"),
                    entity=_route_entity(route),
                )


class LossyTransferSyntax(Rule):
    """A lossy transfer syntax may be used where images must stay lossless.

    What:
        The transfer syntax declared on a route, or any one both ends could negotiate, is
        lossy (JPEG baseline/extended, JPEG-LS near-lossless, JPEG 2000, HTJ2K, MPEG...)
        while the route carries mammography, goes to teleradiology, or goes to the
        archive of record.
    Why:
        The practice guide's guidelines: "For teleradiology, ensure DICOM images are
        transmitted with lossless compression ... particularly for mammography"; the
        retained mammography copy must be original or lossless (21 CFR 900.12(c)(4)); an
        archive holding lossy copies holds no original. When no syntax is declared the
        acceptor chooses, so a lossy one in both lists is a real risk. This rule cannot be
        suppressed.
    Bad:
        devices:
          - name: mg-1
            site: MAIN
            kind: modality
            modality: MG
            application_entities:
              - ae_title: MG_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: DigitalMammographyXRayImageStorageForPresentation, role: SCU, transfer_syntaxes: [JPEGBaseline8Bit, ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: DigitalMammographyXRayImageStorageForPresentation, role: SCP, transfer_syntaxes: [JPEGBaseline8Bit, ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: mg-to-pacs, from: MG_1, to: PACS_MAIN, purpose: reading}
    Good:
        devices:
          - name: mg-1
            site: MAIN
            kind: modality
            modality: MG
            application_entities:
              - ae_title: MG_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: DigitalMammographyXRayImageStorageForPresentation, role: SCU, transfer_syntaxes: [JPEGBaseline8Bit, ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: DigitalMammographyXRayImageStorageForPresentation, role: SCP, transfer_syntaxes: [JPEGBaseline8Bit, ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: mg-to-pacs, from: MG_1, to: PACS_MAIN, purpose: reading, transfer_syntax: ExplicitVRLittleEndian}
    """

    code = "RT006"
    name = "lossy-transfer-syntax"
    severity = Severity.ERROR
    suppressible = False

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            items = index.flow.carries(route)
            if not items:
                continue
            dest_site = index.site_of(route.to)
            whole_route = None
            if route.purpose == "teleradiology" or (dest_site and dest_site.teleradiology):
                whole_route = "to teleradiology"
            elif route.purpose == "archive" or route.to in index.archive_titles:
                whole_route = "to the archive of record"
            at_risk: dict[str, str] = {}
            for modality, sop in sorted(items):
                why = whole_route
                if why is None and (modality == "MG" or sop in dicom.MAMMOGRAPHY_SOP_CLASSES):
                    why = "carrying mammography"
                if why is None:
                    continue
                lossy = [ts for ts in index.route_syntaxes(route, sop) if dicom.is_lossy(ts)]
                if lossy:
                    at_risk.setdefault(sop, why + ": " + ", ".join(map(keyword, lossy)))
            if not at_risk:
                continue
            detail = "; ".join(f"{keyword(s)} ({at_risk[s]})" for s in sorted(at_risk, key=keyword))
            fix = (
                "declare a lossless transfer_syntax on the route"
                if not route.transfer_syntax
                else "use a lossless transfer_syntax"
            )
            yield self.finding(
                f"route '{route.name}' may send lossy images: {detail}; {fix}",
                index.where(route, "transfer_syntax" if route.transfer_syntax else "name"),
                entity=_route_entity(route),
            )


class StudyNeverArchived(Rule):
    """An acquisition modality's studies never reach the archive of record.

    What:
        Walking the route graph from each modality AE (following only routes that carry
        its SOP classes), no path ends at an AE of the archive of record (a `vna` device,
        or one with `archive_of_record: true`).
    Why:
        "Always store the authoritative copy of images in a VNA with a standards-based
        interface, not solely in the diagnostic PACS" (practice guide, Guidelines and
        Step 2). Images that only ever live on a modality or a PACS cache are lost with
        it, and retention cannot be met.
    Bad:
        devices:
          - name: us-1
            site: MAIN
            kind: modality
            modality: US
            application_entities:
              - ae_title: US_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: UltrasoundImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: UltrasoundImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                transfer_capabilities:
                  - {sop_class: UltrasoundImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: us-to-pacs, from: US_1, to: PACS_MAIN, purpose: reading}
    Good:
        devices:
          - name: us-1
            site: MAIN
            kind: modality
            modality: US
            application_entities:
              - ae_title: US_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: UltrasoundImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: UltrasoundImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: UltrasoundImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                transfer_capabilities:
                  - {sop_class: UltrasoundImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: us-to-pacs, from: US_1, to: PACS_MAIN, purpose: reading}
          - {name: pacs-to-vna, from: PACS_MAIN, to: VNA, purpose: archive}
    """

    code = "RT007"
    name = "study-never-archived"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        archives = index.archive_titles
        reach = index.flow.reaching(archives)
        for device, ae in index.env.application_entities():
            if device.kind != "modality" or ae.ae_title in archives:
                continue
            lost = sorted(
                {
                    sop
                    for item in index.flow.origin(ae.ae_title)
                    if ae.ae_title not in reach.get(item, ())
                    for sop in [item[1]]
                },
                key=keyword,
            )
            if not lost:
                continue
            if not archives:
                why = (
                    "the environment declares no archive of record (a vna device, or "
                    "archive_of_record: true)"
                )
            else:
                why = f"no route path reaches {', '.join(sorted(archives))}"
            yield self.finding(
                f"{ae.ae_title} ({device.name}): {', '.join(map(keyword, lost))} "
                f"never reach the archive of record: {why}",
                index.where(ae, "ae_title"),
                entity=f"ae:{ae.ae_title}",
            )


class RoutingLoop(Rule):
    """Routes form a loop that studies can travel around.

    What:
        A cycle in the route graph (A -> B -> ... -> A) in which every route carries
        something. Prefetch routes (priors pulled on demand, not forwarded again) do not
        form loops.
    Why:
        A loop re-sends every study it catches forever, or until a system deduplicates it;
        it floods links and queues and can hide the one copy that matters (practice guide,
        Step 1, "misconfigured routing").
    Bad:
        devices:
          - name: router
            site: MAIN
            kind: router
            application_entities:
              - ae_title: ROUTER
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: ct-in, from: CT_1, to: ROUTER, purpose: forward}
          - {name: router-to-pacs, from: ROUTER, to: PACS_MAIN, purpose: reading}
          - {name: pacs-to-router, from: PACS_MAIN, to: ROUTER, purpose: forward}
    Good:
        devices:
          - name: router
            site: MAIN
            kind: router
            application_entities:
              - ae_title: ROUTER
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: ct-in, from: CT_1, to: ROUTER, purpose: forward}
          - {name: router-to-pacs, from: ROUTER, to: PACS_MAIN, purpose: reading}
    """

    code = "RT008"
    name = "routing-loop"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        edges: dict[str, list] = {}
        for route in index.env.routes:
            if route.purpose != "prefetch" and index.flow.carries(route):
                edges.setdefault(route.from_, []).append(route)
        for component in _strongly_connected(edges):
            loop = sorted(
                (r for node in component for r in edges.get(node, ()) if r.to in component),
                key=lambda r: index.where(r),
            )
            first = loop[0]
            titles = " -> ".join(sorted(component)) + f" -> {sorted(component)[0]}"
            yield self.finding(
                f"routes form a loop through {titles} ({', '.join(r.name for r in loop)}): "
                "restrict one route's match (e.g. calling_ae) or remove it",
                index.where(first),
                entity="loop:" + ",".join(sorted(component)),
                related=[
                    Related(index.where(r), f"route '{r.name}' is part of the loop")
                    for r in loop[1:]
                ],
            )


def _strongly_connected(edges: dict[str, list]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively; components with a cycle only."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    counter = 0
    nodes = sorted(set(edges) | {r.to for rs in edges.values() for r in rs})
    for root in nodes:
        if root in index_of:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for route in children:
                child = route.to
                if child not in index_of:
                    index_of[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                self_loop = any(r.to == node for r in edges.get(node, ()))
                if len(component) > 1 or self_loop:
                    found.append(component)
    return found


class NoPrefetchPath(Rule):
    """A reading PACS has no prior-prefetch route from the archive of record.

    What:
        A PACS AE that receives studies for reading has no inbound route with `purpose:
        prefetch` from an AE of the archive of record.
    Why:
        Relevant priors must be on the reading station before the patient is read: the
        practice guide asks to "configure automated retrieval of relevant prior studies
        from VNA" (Step 5, "Prior study prefetch"; Step 1, "prior study prefetch should
        complete before the patient reaches the reading station"). Without it radiologists
        read without comparison, or wait.
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS_MAIN}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - {ae_title: VNA}
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
          - {name: pacs-to-vna, from: PACS_MAIN, to: VNA, purpose: archive}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS_MAIN}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - {ae_title: VNA}
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
          - {name: pacs-to-vna, from: PACS_MAIN, to: VNA, purpose: archive}
          - {name: vna-priors, from: VNA, to: PACS_MAIN, purpose: prefetch}
    """

    code = "RT009"
    name = "no-prefetch-path"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        archives = index.archive_titles
        for device, ae in index.env.application_entities():
            if device.kind != "pacs" or ae.ae_title in archives:
                continue
            inbound = index.routes_to.get(ae.ae_title, ())
            if not any(r.purpose == "reading" for r in inbound):
                continue
            if any(r.purpose == "prefetch" and r.from_ in archives for r in inbound):
                continue
            yield self.finding(
                f"{ae.ae_title} ({device.name}) receives studies for reading but no prefetch "
                "route brings priors from the archive of record: add a route with purpose: "
                "prefetch from the VNA",
                index.where(ae, "ae_title"),
                entity=f"ae:{ae.ae_title}",
            )
