"""RT: routing. Where studies go, and whether each hop can actually carry them."""

from __future__ import annotations

from collections.abc import Iterator

from .. import dicom, identity
from ..analysis.index import Index, declared_syntax, keyword
from ..analysis.jurisdiction import is_us
from ..findings import Finding, Related, Severity
from .base import Rule, duration_option
from .common import (
    ae_related,
    did_you_mean,
    lost_to_unresolved_routes,
    probable_aes,
    unknown_ae_hint,
)


def _route_entity(route) -> str:
    return identity.route(route.name)


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
                    detail=key,
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
            accepted = index.role_classes(route.to, "SCP")
            carried = index.carried_classes(route)
            classes = set(carried).union(route.match.sop_classes) if route.match else carried
            missing = [s for s in classes if s not in accepted]
            if missing:
                missing.sort(key=keyword)
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
            sends = index.role_classes(route.from_, "SCU")
            for i, sop in enumerate(route.match.sop_classes):
                if sop not in sends:
                    yield self.finding(
                        f"route '{route.name}' names {keyword(sop)}, but {route.from_} is not "
                        "SCU for it: add the capability to the source or remove the class",
                        index.where(route, "match", "sop_classes", i),
                        entity=_route_entity(route),
                        detail=keyword(sop),
                        related=ae_related(index, route.from_, f"{route.from_} is declared here"),
                    )


class RouteNoCommonTransferSyntax(Rule):
    """No transfer syntax that both ends of a route support for a SOP class it carries.

    What:
        For each SOP class a route carries and does not fix a syntax for (`transfer_syntax`,
        or the class's entry in `transfer_syntaxes`: RT004 checks those), the source's SCU
        transfer syntaxes and the destination's SCP transfer syntaxes for that class have
        nothing in common.
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
            classes = index.carried_classes(route)
            if not classes or route.transfer_syntax:
                continue  # RT004 checks a declared syntax
            offers = index.role_classes(route.from_, "SCU")
            accepts = index.role_classes(route.to, "SCP")
            for sop in classes:
                if route.transfer_syntaxes.get(sop):
                    continue  # RT004 checks a declared syntax
                offered = offers.get(sop)
                accepted = accepts.get(sop)
                if offered is None or accepted is None or not set(offered).isdisjoint(accepted):
                    continue
                yield self.finding(
                    f"route '{route.name}': no transfer syntax for {keyword(sop)} that both "
                    f"{route.from_} ({', '.join(map(keyword, offered))}) and {route.to} "
                    f"({', '.join(map(keyword, accepted))}) support; add a common one "
                    "(ImplicitVRLittleEndian is the default every SCP must accept)",
                    index.where(route),
                    entity=_route_entity(route),
                    detail=keyword(sop),
                    related=ae_related(index, route.to, f"{route.to}'s capabilities"),
                )


class RouteTransferSyntaxUnsupported(Rule):
    """A route's declared transfer syntax is not supported by one of its ends.

    What:
        The syntax a route declares for a SOP class it carries (the class's entry in
        `transfer_syntaxes`, else the route's `transfer_syntax`) is not among the source's
        SCU syntaxes or the destination's SCP syntaxes for that class. A per-class entry is
        reported at that entry.
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
            if not route.transfer_syntax and not route.transfer_syntaxes:
                continue  # nothing declared: the ends negotiate (RT003)
            lacking: set[str] = set()
            classes: list[str] = []
            for sop in index.carried_classes(route):
                declared = declared_syntax(route, sop)
                if not declared:
                    continue
                short = _ends_lacking(index, route, sop, declared)
                if not short:
                    continue
                if sop in route.transfer_syntaxes:
                    yield self._per_class(index, route, sop, declared, short)
                    continue
                lacking.update(short)
                classes.append(keyword(sop))
            if lacking and route.transfer_syntax:
                who = " and ".join(sorted(lacking))
                shown = ", ".join(classes[:4]) + (
                    f" and {len(classes) - 4} more" if len(classes) > 4 else ""
                )
                yield self.finding(
                    f"route '{route.name}' sends {keyword(route.transfer_syntax)}, which {who} "
                    f"{'does' if len(lacking) == 1 else 'do'} not list for {shown}: add it "
                    "to their capabilities, or declare the syntax per class in "
                    "transfer_syntaxes (or split the route) so it applies only to the classes "
                    "that support it",
                    index.where(route, "transfer_syntax"),
                    entity=_route_entity(route),
                )

    def _per_class(self, index: Index, route, sop: str, declared: str, short: list[str]):
        """The finding about one `transfer_syntaxes` entry, at that entry."""
        who = " and ".join(short)
        return self.finding(
            f"route '{route.name}' sends {keyword(sop)} as {keyword(declared)}, which {who} "
            f"{'does' if len(short) == 1 else 'do'} not list for it: add the syntax to "
            f"their capabilities for {keyword(sop)}, or declare one they both list",
            index.where_class_syntax(route, sop),
            entity=_route_entity(route),
            detail=keyword(sop),
        )


def _ends_lacking(index: Index, route, sop: str, declared: str) -> list[str]:
    """The ends of `route` (source as SCU, destination as SCP) that do not list `declared`
    for `sop`; an end without a capability for the class is RT002's or RT005's."""
    return [
        title
        for title, role in ((route.from_, "SCU"), (route.to, "SCP"))
        if declared not in (index.syntaxes(title, role, sop) or [declared])
    ]


class LossyTransferSyntax(Rule):
    """A lossy transfer syntax may be used where images must stay original or lossless.

    What:
        A lossy transfer syntax (JPEG baseline/extended, JPEG-LS near-lossless, JPEG 2000,
        HTJ2K, MPEG...) that a route declares for a SOP class it carries (`transfer_syntaxes`
        or `transfer_syntax`), or that both ends could negotiate for it, while the class is
        mammography (any route), or the route goes to teleradiology or to the archive of
        record. Not reported for originals acquired lossy: video classes (Video Endoscopic,
        Microscopic and Photographic Image Storage exist only as MPEG/HEVC streams) and
        syntaxes that every device originating the class lists in its
        `acquisition_syntaxes` (ultrasound cine acquired as JPEG baseline). A teleradiology
        route whose `lossy_approved` records who approved lossy compression passes, except
        for mammography.
    Why:
        Mammography: the retained copy must be the original or lossless compressed, and
        lossy images are not used for final interpretation (FDA MQSA Policy Guidance Help
        System; 21 CFR 900.12(c)(4)(i) on retention). For sites in the US this finding
        cannot be suppressed; elsewhere it can, with the reason your regulator accepts.
        Teleradiology: the practice guide's guidelines ask for lossless transmission; the
        ACR-AAPM-SIIM Technical Standard for Electronic Practice of Medical Imaging allows
        irreversible compression under a physician's direction, so record that approval
        in `lossy_approved`. Archive: a copy recompressed lossy on its way to the archive
        of record is not the original any more (practice guide, Step 2). When no syntax is
        declared the acceptor chooses, so a lossy one in both lists is a real risk.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
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
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
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

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            items = index.flow.carries(route)
            if not items:
                continue
            destination = _lossless_destination(index, route)
            # approved lossy transmission for teleradiology leaves only mammography at risk
            guarded = bool(destination) and not (
                destination == "to teleradiology" and route.lossy_approved
            )
            mammography: dict[str, list[str]] = {}
            elsewhere: dict[str, list[str]] = {}
            lossy_for: dict[str, list[str]] = {}
            for item in sorted(i for i in items if _is_mammography(i) or guarded):
                sop = item[1]
                mammogram = _is_mammography(item)
                if not mammogram and sop in dicom.VIDEO_SOP_CLASSES:
                    continue  # video is acquired lossy
                lossy = lossy_for.get(sop)
                if lossy is None:
                    lossy = lossy_for[sop] = [
                        ts for ts in index.route_syntaxes(route, sop) if dicom.is_lossy(ts)
                    ]
                if not lossy:
                    continue
                if mammogram:
                    _note(mammography, sop, lossy)
                else:
                    acquired = _acquired_lossy(index, route, item)
                    _note(elsewhere, sop, [ts for ts in lossy if ts not in acquired])
            if mammography:
                yield self._mammography(index, route, mammography)
            if elsewhere:
                yield self._recompressed(index, route, elsewhere, destination or "")

    def _mammography(self, index: Index, route, at_risk: dict[str, list[str]]) -> Finding:
        """Lossy mammography: a safety finding where MQSA applies (either end in the US)."""
        in_us = any(
            site is not None and is_us(site.jurisdiction)
            for site in (index.site_of(route.from_), index.site_of(route.to))
        )
        why = (
            "mammograms must stay original or lossless (FDA MQSA Policy Guidance; 21 CFR "
            "900.12(c)(4)(i)); this cannot be suppressed"
            if in_us
            else "mammograms should stay original or lossless (outside the US, suppress "
            "this only with the reason your regulator accepts)"
        )
        return self.finding(
            f"route '{route.name}' may send mammography lossy: {_shown(at_risk)}; {why}: "
            f"{_fix(route, at_risk)}",
            _where(index, route, at_risk),
            entity=_route_entity(route),
            detail="mammography",
            suppressible=not in_us,
        )

    def _recompressed(
        self, index: Index, route, at_risk: dict[str, list[str]], destination: str
    ) -> Finding:
        """Lossy copies of lossless originals to teleradiology or the archive of record."""
        extra = (
            ", or record who approved lossy compression for teleradiology in the route's "
            "lossy_approved"
            if destination == "to teleradiology"
            else "; if the modality acquires them in that syntax, list it in the device's "
            "acquisition_syntaxes (the original is then lossy, not a lossy copy)"
        )
        return self.finding(
            f"route '{route.name}' may send lossy images {destination}: {_shown(at_risk)}; "
            f"{_fix(route, at_risk)}{extra}",
            _where(index, route, at_risk),
            entity=_route_entity(route),
            detail=destination.removeprefix("to ").removeprefix("the "),
        )


def _is_mammography(item: tuple[str, str]) -> bool:
    """A mammography image: from an MG device, or of a mammography SOP class."""
    return item[0] == "MG" or item[1] in dicom.MAMMOGRAPHY_SOP_CLASSES


def _lossless_destination(index: Index, route) -> str | None:
    """Why everything `route` carries must arrive losslessly, in words; None if nothing
    about its destination requires it."""
    site = index.site_of(route.to)
    if route.purpose == "teleradiology" or (site is not None and site.teleradiology):
        return "to teleradiology"
    if route.purpose == "archive" or route.to in index.archive_titles:
        return "to the archive of record"
    return None


def _acquired_lossy(index: Index, route, item: tuple[str, str]) -> frozenset[str]:
    """The lossy syntaxes that `item` is acquired in by every device that originates it
    and whose studies reach `route` (so forwarding them as such loses nothing)."""
    reach = index.flow.reaching(frozenset({route.from_})).get(item, {route.from_})
    acquired = [
        frozenset(ts for ts in device.acquisition_syntaxes if dicom.is_lossy(ts))
        for title in sorted(reach)
        if item in index.flow.origin(title) and (device := index.device_of(title))
    ]
    return frozenset.intersection(*acquired) if acquired else frozenset()


def _note(at_risk: dict[str, list[str]], sop: str, lossy: list[str]) -> None:
    """Add `lossy` syntaxes for `sop` (once each); nothing when `lossy` is empty."""
    if lossy:
        listed = at_risk.setdefault(sop, [])
        listed.extend(ts for ts in lossy if ts not in listed)


def _shown(at_risk: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{keyword(sop)} ({', '.join(map(keyword, at_risk[sop]))})"
        for sop in sorted(at_risk, key=keyword)
    )


def _fix(route, at_risk: dict[str, list[str]]) -> str:
    """What to change: a lossless syntax declared for the classes at risk."""
    if any(sop in route.transfer_syntaxes for sop in at_risk) or route.transfer_syntax:
        return "declare a lossless syntax for them instead"
    return (
        "declare a lossless transfer_syntax on the route (or per class in transfer_syntaxes, "
        f"e.g. {{{keyword(min(at_risk, key=keyword))}: JPEG2000Lossless}})"
    )


def _where(index: Index, route, at_risk: dict[str, list[str]]):
    """At the declared syntax that is lossy (a per-class entry, or the route's), else at
    the route's name."""
    for sop in sorted(at_risk, key=keyword):
        if sop in route.transfer_syntaxes:
            return index.where_class_syntax(route, sop)
    return index.where(route, "transfer_syntax" if route.transfer_syntax else "name")


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
        misnamed_sources = probable_aes(index, "route-from")
        for device, ae in index.env.application_entities():
            if device.kind != "modality" or ae.ae_title in archives:
                continue
            if ae.ae_title in misnamed_sources:
                continue  # a route names it wrongly: RT001 reports that route
            lost = sorted(
                {
                    sop
                    for item in index.flow.origin(ae.ae_title)
                    if ae.ae_title not in reach.get(item, ())
                    for sop in [item[1]]
                },
                key=keyword,
            )
            if not lost or set(lost) <= {
                sop for _, sop in lost_to_unresolved_routes(index, ae.ae_title)
            }:
                continue  # nothing lost, or lost into a route to an unknown AE (RT001)
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
                entity=identity.ae(ae.ae_title),
            )


class RoutingLoop(Rule):
    """Routes form a loop that studies can travel around.

    What:
        A cycle of routes (A -> B -> ... -> A) around which some item (a modality's SOP
        class) can travel all the way round: at each hop the next route must carry it and,
        when its `match.calling_ae` is set, name the AE the item arrived from. Two sites
        that send each other only their own modalities' studies (`calling_ae`) form no
        loop. Prefetch routes (priors pulled on demand, not forwarded again) do not form
        loops.
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
        for loop in index.flow.loops():
            first, *rest = loop.routes
            order = sorted(loop.titles)
            titles = " -> ".join(order) + f" -> {order[0]}"
            yield self.finding(
                f"routes form a loop through {titles} "
                f"({', '.join(r.name for r in loop.routes)}): {_items_text(loop.items)} can "
                "travel round it for ever; restrict one route's match (e.g. calling_ae: "
                "the AEs whose studies it should forward) or remove it",
                index.where(first),
                entity=identity.entity("loop", ",".join(order)),
                related=[
                    Related(index.where(r), f"route '{r.name}' is part of the loop") for r in rest
                ],
            )


def _items_text(items, limit: int = 3) -> str:
    """What circulates, as `CT CTImageStorage`, the first few and a count of the rest."""
    names = sorted(f"{m} {keyword(sop)}".strip() for m, sop in items)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


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
        misnamed = probable_aes(index, "route-to")
        for device, ae in index.env.application_entities():
            if device.kind != "pacs" or ae.ae_title in archives:
                continue
            inbound = index.routes_to.get(ae.ae_title, ())
            if not any(r.purpose == "reading" for r in inbound):
                continue
            if any(
                r.purpose == "prefetch" and (r.from_ in archives or r.from_ not in index.aes)
                for r in inbound
            ):
                continue  # prefetched, or from an AE that RT001 reports as unknown
            if ae.ae_title in misnamed and any(
                r.purpose == "prefetch" and r.to not in index.aes for r in index.env.routes
            ):
                continue  # a prefetch route names it wrongly: RT001 reports that route
            yield self.finding(
                f"{ae.ae_title} ({device.name}) receives studies for reading but no prefetch "
                "route brings priors from the archive of record: add a route with purpose: "
                "prefetch from the VNA",
                index.where(ae, "ae_title"),
                entity=identity.ae(ae.ae_title),
            )


def _uid(keyword_: str) -> str:
    info = dicom.lookup(keyword_)
    assert info is not None, keyword_
    return info.uid


_QR_FIND = frozenset(
    map(
        _uid,
        (
            "StudyRootQueryRetrieveInformationModelFind",
            "PatientRootQueryRetrieveInformationModelFind",
        ),
    )
)
_QR_RETRIEVE = {
    "c-move": frozenset(
        map(
            _uid,
            (
                "StudyRootQueryRetrieveInformationModelMove",
                "PatientRootQueryRetrieveInformationModelMove",
            ),
        )
    ),
    "c-get": frozenset(
        map(
            _uid,
            (
                "StudyRootQueryRetrieveInformationModelGet",
                "PatientRootQueryRetrieveInformationModelGet",
            ),
        )
    ),
}
STORAGE_COMMITMENT = _uid("StorageCommitmentPushModel")


def _has_any(index: Index, title: str, role: str, classes: frozenset[str]) -> bool:
    return any(index.syntaxes(title, role, sop) is not None for sop in classes)


class RetrievalNotWired(Rule):
    """A prefetch (or any C-MOVE, C-GET or WADO-RS route) cannot retrieve as declared.

    What:
        For a route whose `method` is c-move (the default for `purpose: prefetch`) or
        c-get: the source (`from`) is not a Query/Retrieve SCP (Study or Patient Root FIND,
        and MOVE or GET as the method needs); with c-move, the source declares
        `move_destinations` and `to` is not among them; with c-get, `to` is not a
        Query/Retrieve SCU for GET, or the source declares `peers` without `to`. With
        wado-rs, no `dicomweb` integration with WADO-RS joins the two devices. A
        `trigger` that names no integration.
    Why:
        Priors reach the reading PACS only if the archive answers the query and the
        retrieve (PS3.4 Annex C, Query/Retrieve Service Class): with C-MOVE the archive
        opens a new association to the destination, which it must know by AE title in its
        move-destination table, or it refuses the move (C-MOVE status A801, "move
        destination unknown"); with C-GET the reader retrieves over its own association
        (IHE Scheduled Workflow and Patient Information Reconciliation prefetch). The
        practice guide asks that prior studies be retrieved before the patient is read
        (Step 5, "Prior study prefetch").
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: vna-priors, from: VNA, to: PACS_MAIN, purpose: prefetch}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_classes: [StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelMove], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                move_destinations: [PACS_MAIN]
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_classes: [StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelMove], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: vna-priors, from: VNA, to: PACS_MAIN, purpose: prefetch, method: c-move}
    """

    code = "RT010"
    name = "retrieval-not-wired"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        integrations = {i.name: i for i in index.env.integrations}
        for route in index.env.routes:
            if route.trigger is not None and route.trigger not in integrations:
                yield self.finding(
                    f"route '{route.name}' is triggered by '{route.trigger}', which is no "
                    f"integration{did_you_mean(route.trigger, integrations)}: name the "
                    "integration whose messages (e.g. ORM^O01) start it",
                    index.where(route, "trigger"),
                    entity=_route_entity(route),
                    detail="trigger",
                )
            method = route.effective_method
            if method == "c-store" or route.from_ not in index.aes or route.to not in index.aes:
                continue  # a push, or an unknown AE that RT001 reports
            if method == "wado-rs":
                yield from self._wado(index, route)
            else:
                yield from self._dimse(index, route, method)

    def _dimse(self, index: Index, route, method: str) -> Iterator[Finding]:
        """C-MOVE and C-GET: the source answers the query and the retrieve."""
        source, dest = route.from_, route.to
        verb = method.upper()
        lacking = []
        if not _has_any(index, source, "SCP", _QR_FIND):
            lacking.append("FIND")
        if not _has_any(index, source, "SCP", _QR_RETRIEVE[method]):
            lacking.append(verb[2:])
        if lacking:
            yield self.finding(
                f"route '{route.name}' retrieves from {source} with {verb}, but {source} is "
                f"no Query/Retrieve SCP for {' and '.join(lacking)}: add "
                f"StudyRootQueryRetrieveInformationModel{'/'.join(x.title() for x in lacking)} "
                f"as SCP to {source} (from its conformance statement) or correct the method",
                index.where(route, "method" if route.method else "from"),
                entity=_route_entity(route),
                detail="source not Q/R SCP",
                related=ae_related(index, source, f"{source} is declared here"),
            )
        _, source_ae = index.aes[source]
        if method == "c-move":
            table = source_ae.move_destinations
            if table is not None and dest not in table:
                yield self.finding(
                    f"route '{route.name}' moves priors from {source} to {dest}, but {dest} "
                    f"is not in {source}'s move_destinations: {source} refuses the C-MOVE "
                    f"(move destination unknown); add {dest} (with its host and port) to "
                    f"{source}'s C-MOVE destination table",
                    index.where(route, "to"),
                    entity=_route_entity(route),
                    detail="not a move destination",
                    related=[Related(index.where(source_ae, "move_destinations"), "the table")],
                )
            return
        if not _has_any(index, dest, "SCU", _QR_RETRIEVE["c-get"]):
            yield self.finding(
                f"route '{route.name}' retrieves with C-GET into {dest}, but {dest} is no "
                "Query/Retrieve SCU for GET: add StudyRootQueryRetrieveInformationModelGet "
                f"as SCU to {dest}, or use c-move",
                index.where(route, "to"),
                entity=_route_entity(route),
                detail="destination not GET SCU",
                related=ae_related(index, dest, f"{dest} is declared here"),
            )
        peers = source_ae.peers
        if isinstance(peers, list) and dest not in peers:
            yield self.finding(
                f"route '{route.name}': {dest} retrieves from {source} with C-GET, but {dest} "
                f"is not in {source}'s peers, so {source} rejects its association: add it",
                index.where(route, "to"),
                entity=_route_entity(route),
                detail="not a peer",
                related=[Related(index.where(source_ae, "peers"), f"{source}'s known peers")],
            )

    def _wado(self, index: Index, route) -> Iterator[Finding]:
        """WADO-RS: a DICOMweb integration between the two devices, with WADO-RS."""
        source, dest = index.device_of(route.from_), index.device_of(route.to)
        assert source is not None and dest is not None
        for integration in index.env.integrations:
            ends = {integration.source, integration.target}
            if (
                integration.kind == "dicomweb"
                and ends == {source.name, dest.name}
                and (not integration.services or "WADO-RS" in integration.services)
            ):
                return
        yield self.finding(
            f"route '{route.name}' retrieves with WADO-RS from {source.name} into "
            f"{dest.name}, but no dicomweb integration with WADO-RS joins them: declare it "
            "(its endpoint and credentials) or correct the method",
            index.where(route, "method"),
            entity=_route_entity(route),
            detail="no DICOMweb integration",
        )


class StorageNotCommitted(Rule):
    """A modality deletes its local copies without the archive's storage commitment.

    What:
        A modality with `local_deletion` and `requires_commitment: true` (the default)
        none of whose routes to a PACS or the archive of record sets `commitment: true`;
        a modality that deletes sooner than `minimum_unconfirmed` (default 1d) without
        requiring commitment; and any route with `commitment: true` whose source is not
        Storage Commitment Push Model SCU or whose destination is not its SCP.
    Why:
        A modality that deletes a study once it has "sent" it loses the only copy when
        the send failed or the receiver lost it: the patient is scanned again (a second
        dose) or the study is gone. Storage Commitment (PS3.4 Annex J) is how the archive
        confirms it has safely stored each instance, and IHE Scheduled Workflow asks the
        modality to delete only committed instances.
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            local_deletion: {after: 2d, requires_commitment: true}
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            local_deletion: {after: 2d, requires_commitment: true}
            application_entities:
              - ae_title: CT_1
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: StorageCommitmentPushModel, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: StorageCommitmentPushModel, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading, commitment: true}
    Options:
        minimum_unconfirmed: how long a modality that does not ask for commitment must
            keep a sent study (default 1d: time to see and resend a failed send).
    """

    code = "RT011"
    name = "storage-not-committed"
    severity = Severity.ERROR
    options = {"minimum_unconfirmed": duration_option("1d", "1h", "1y")}

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            if route.commitment:
                yield from self._capable(index, route)
        minimum = self.settings["minimum_unconfirmed"]
        for device in index.env.devices:
            deletion = device.local_deletion
            if deletion is None or device.kind != "modality":
                continue
            if not deletion.requires_commitment:
                if deletion.after < minimum:
                    yield self.finding(
                        f"{device.name} deletes sent studies after {deletion.after} without "
                        "waiting for storage commitment: a failed send loses the study; set "
                        f"requires_commitment: true or keep studies at least {minimum}",
                        index.where(device, "local_deletion", "after"),
                        entity=identity.device(device.name),
                        detail="unconfirmed deletion",
                    )
                continue
            titles = [ae.ae_title for ae in device.application_entities]
            safe = [
                r
                for t in titles
                for r in index.routes_from.get(t, ())
                if r.enabled and _is_safe_store(index, r.to)
            ]
            if any(r.commitment for r in safe):
                continue
            where = ", ".join(f"'{r.name}'" for r in safe) or "none of its routes"
            yield self.finding(
                f"{device.name} deletes sent studies after {deletion.after} once they are "
                f"committed, but no route to a PACS or the archive of record requests "
                f"storage commitment ({where}): its studies are never confirmed; set "
                "commitment: true on the route to the PACS or archive",
                index.where(device, "local_deletion"),
                entity=identity.device(device.name),
                detail="no commitment",
                related=[Related(index.where(r, "name"), f"route '{r.name}'") for r in safe[:5]],
            )

    def _capable(self, index: Index, route) -> Iterator[Finding]:
        """Both ends of a committed route support the Storage Commitment Push Model."""
        for end, role in ((route.from_, "SCU"), (route.to, "SCP")):
            if end not in index.aes or index.syntaxes(end, role, STORAGE_COMMITMENT) is not None:
                continue
            yield self.finding(
                f"route '{route.name}' requests storage commitment, but {end} is not "
                f"StorageCommitmentPushModel {role}: add the capability (from its "
                "conformance statement) or the commitment never comes",
                index.where(route, "commitment"),
                entity=_route_entity(route),
                detail=f"commitment {role}",
                related=ae_related(index, end, f"{end} is declared here"),
            )


def _is_safe_store(index: Index, title: str) -> bool:
    """An AE whose storage is a safe copy: a PACS, a VNA or the archive of record."""
    device = index.device_of(title)
    return device is not None and (device.kind in ("pacs", "vna") or device.is_archive_of_record)


class ResearchRouteWithoutDeidentification(Rule):
    """Studies leave for research, or for a reader without a BAA, with patient identity in them.

    What:
        An enabled route with `purpose: research`, or to an AE at a teleradiology site
        whose contract says `baa: false`, that declares no `deidentify` profile. Routes
        from a `deidentifier` device (it already removed the identity) or to one (it is
        about to) are not reported.
    Why:
        Checkpoint A of the practice guide asks: "Are there research imaging workflows
        that require separate data management or de-identification?" DICOM defines what
        de-identification removes (PS3.15 Annex E, Basic Application Level
        Confidentiality Profile and its options); HIPAA allows disclosure for research
        without authorization only of de-identified data (45 CFR 164.514(b)) or under an
        IRB waiver, and to a business associate only under a BAA (45 CFR 164.502(e)).
        A study sent as it is carries the name, birth date, MRN and accession number in
        its header, and often burned into its pixels.
    Bad:
        routes:
          - {name: to-research, from: PACS_MAIN, to: RESEARCH_PACS, purpose: research}
    Good:
        routes:
          - name: to-research
            from: PACS_MAIN
            to: RESEARCH_PACS
            purpose: research
            deidentify:
              profile: PS3.15 Annex E Basic Application Level Confidentiality Profile
              options: [Retain Longitudinal Temporal Information with Modified Dates Option]
    """

    code = "RT012"
    name = "research-route-without-deidentification"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for route in index.env.routes:
            if not route.enabled or route.deidentify is not None:
                continue
            why = _identity_must_not_leave(index, route)
            if why is None:
                continue
            ends = (index.device_of(route.from_), index.device_of(route.to))
            if any(d is not None and d.kind == "deidentifier" for d in ends):
                continue
            yield self.finding(
                f"route '{route.name}' {why} without de-identification: add `deidentify` "
                "with the PS3.15 Annex E profile and options the router (or a "
                "de-identifier on the way) applies",
                index.where(route),
                entity=identity.route(route.name),
            )


def _identity_must_not_leave(index: Index, route) -> str | None:
    """Why the route must not carry patient identity, or None when it may."""
    if route.purpose == "research":
        return f"sends studies to {route.to} for research"
    site = index.site_of(route.to)
    contract = site.teleradiology if site else None
    if site is not None and contract is not None and not contract.baa:
        return (
            f"sends studies to {route.to} at '{site.name}', a reading provider without a "
            "business associate agreement (baa: false),"
        )
    return None
