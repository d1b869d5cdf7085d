"""AI: imaging AI products. Cleared, fed only what they are cleared for, heard from."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import dicom, identity
from ..analysis.index import Index, keyword
from ..analysis.jurisdiction import is_us
from ..findings import Finding, Related, Severity
from ..model.types import Duration
from .base import Rule, duration_option
from .common import ae_related, probable_aes, unknown_ae_hint
from .dr import _cutoff

_FDA_NUMBER = {
    "510k": re.compile(r"K\d{6}"),
    "de-novo": re.compile(r"DEN\d{6}"),
    "pma": re.compile(r"P\d{6}(?:/S\d{3})?"),
    "hde": re.compile(r"H\d{6}"),
}
_FDA_FORMAT = {
    "510k": "K followed by 6 digits, e.g. K232817",
    "de-novo": "DEN followed by 6 digits, e.g. DEN210044 (K and 6 digits if granted before 2012)",
    "pma": "P followed by 6 digits, optionally a supplement, e.g. P160048 or P160048/S012",
    "hde": "H followed by 6 digits, e.g. H190002",
}
_PATHWAY_NAME = {"510k": "510(k)", "de-novo": "De Novo", "pma": "PMA", "hde": "HDE"}
_DECIDED = {"510k": "cleared", "de-novo": "granted", "pma": "approved", "hde": "approved"}
"""What the FDA does on each pathway: a 510(k) is cleared, a De Novo granted, a PMA or an
HDE approved."""
_LAST_K_NUMBERED_DE_NOVO = 2012
"""De Novos decided before FDASIA (2012) are listed under their 510(k) K-number."""
_WITH_BASIS = {
    "exempt": "the 510(k) exemption it relies on (e.g. the 21 CFR 892 section)",
    "non-device": "why it is not a device (FD&C Act 520(o), the FDA Clinical Decision "
    "Support Software guidance)",
    "investigational": "the IDE number or the IRB protocol",
}

_PULLING_SERVICES = frozenset({"WADO-RS", "WADO-URI"})


def _entity(product) -> str:
    return identity.entity("ai", product.name)


def _route_entity(route) -> str:
    return identity.route(route.name)


def _pathway_of(number: str) -> str | None:
    for pathway, pattern in _FDA_NUMBER.items():
        if pattern.fullmatch(number):
            return pathway
    return None


def _in_us(index: Index, product) -> bool:
    """FDA authorization binds products used in the US: a product whose AE stands at a
    site outside it is not checked (one not found is, rather than missed)."""
    site = index.site_of(product.runs_on)
    return site is None or is_us(site.jurisdiction)


def _number_fits(pathway: str, number: str, fda) -> bool:
    if _FDA_NUMBER[pathway].fullmatch(number):
        return True
    decided = fda.decided_on
    return (
        pathway == "de-novo"
        and _FDA_NUMBER["510k"].fullmatch(number) is not None
        and (decided is None or decided.year <= _LAST_K_NUMBERED_DE_NOVO)
    )


class AIWithoutClearance(Rule):
    """An AI product in clinical use has no FDA marketing authorization on record.

    What:
        An `ai` product with `deployment: clinical` (the default) at a site in the US
        (jurisdiction US or US-xx) without `fda`, with `pathway: none`, with an
        authorization number missing or not fitting its pathway (a 510(k) is K and 6
        digits; a De Novo DEN and 6 digits, or K and 6 digits when granted before 2012; a
        PMA P and 6 digits, optionally with a supplement as in P123456/S012; an HDE H and
        6 digits), with `pathway: exempt` or `non-device` without the `basis` it rests
        on, or with `pathway: investigational` (use under an IDE or IRB protocol is
        `deployment: research` or `shadow`). Products in shadow or research deployment
        are not checked.
    Why:
        "Confirm that each imaging AI product has appropriate FDA 510(k) clearance or De
        Novo classification ... AI products without FDA clearance cannot be used for
        clinical diagnosis" (practice guide, Step 3, "FDA clearance verification"; Quality
        Audit: "Imaging AI products have documented FDA clearance for their intended
        use"). A 510(k) is cleared, a De Novo granted, a PMA or an HDE approved (FD&C Act
        510(k), 513(f)(2), 515, 520(m)); some software functions are exempt from 510(k)
        or are not devices (FD&C Act 520(o)), which the record must say. A number in the
        wrong format cannot be looked up in the FDA databases, so the authorization is
        not documented.
    Bad:
        ai:
          - name: lung-nodule-cad
            vendor: Example AI
            fda: {pathway: 510k, number: DEN210044}
            cleared_for: {modalities: [CT], body_parts: [CHEST]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
    Good:
        ai:
          - name: lung-nodule-cad
            vendor: Example AI
            fda: {pathway: 510k, number: K232817, decision_date: 2023-11-20}
            cleared_for: {modalities: [CT], body_parts: [CHEST]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
          - name: bone-age-research
            fda: {pathway: investigational, basis: IRB protocol 2025-0142}
            deployment: research
            cleared_for: {modalities: [DX], body_parts: [HAND]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
    """

    code = "AI001"
    name = "ai-without-clearance"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for product in index.env.ai:
            if product.deployment != "clinical" or not _in_us(index, product):
                continue
            problem = self._problem(product)
            if problem is not None:
                message, path = problem
                yield self.finding(
                    f"AI product '{product.name}' {message}",
                    index.where(product, *path),
                    entity=_entity(product),
                )

    def _problem(self, product) -> tuple[str, tuple[str, ...]] | None:
        """What is missing from the product's authorization record, and where to say it."""
        fda = product.fda
        if fda is None:
            return (
                "is in clinical use with no FDA authorization on record: add `fda` with its "
                "pathway (510k, de-novo, pma, hde, exempt, non-device) and number from the "
                "FDA database, or set `deployment: shadow` or `research` until it has one",
                ("name",),
            )
        pathway = fda.pathway
        if pathway == "none":
            return (
                "is in clinical use without FDA authorization (pathway: none): it cannot be "
                "used for clinical diagnosis; take it out of the clinical workflow "
                "(`deployment: shadow` or `research`) or record its authorization",
                ("fda", "pathway"),
            )
        if pathway == "investigational":
            return (
                "is investigational (IDE or IRB study) but deployed clinically: set "
                "`deployment: research` (or `shadow`) and keep its results off the clinical "
                "worklist, or record its marketing authorization",
                ("fda", "pathway"),
            )
        if pathway in _WITH_BASIS:
            if fda.basis:
                return None
            return (
                f"is recorded as {pathway} without the `basis` it rests on: add "
                f"`basis` with {_WITH_BASIS[pathway]}",
                ("fda", "pathway"),
            )
        expected = _FDA_FORMAT[pathway]
        if not fda.number:
            return (
                f"names the {_PATHWAY_NAME[pathway]} pathway but no number: add `number` "
                f"({expected}) so it can be verified in the FDA database",
                ("fda", "pathway"),
            )
        number = fda.number
        if _number_fits(pathway, number, fda):
            return None
        cleaned = re.sub(r"\s+", "", number).upper()
        other = _pathway_of(cleaned)
        if _number_fits(pathway, cleaned, fda):
            hint = f"write it as {cleaned} (capitals, no spaces)"
        elif pathway == "de-novo" and other == "510k":
            hint = (
                "De Novos granted since 2012 are numbered DEN; a K-number means a 510(k): "
                "set pathway: 510k, or correct the number or the decision date"
            )
        elif other:
            hint = f"it looks like a {_PATHWAY_NAME[other]} number: set pathway: {other}"
            if cleaned != number:
                hint += f" and write it as {cleaned}"
        else:
            hint = "copy it from the FDA database entry of the installed version"
        return (
            f"has number '{number}', which is not a {_PATHWAY_NAME[pathway]} number "
            f"({expected}); "
            f"{hint}",
            ("fda", "number"),
        )


class AIInputNotCleared(Rule):
    """Studies of a modality or body part an AI product is not cleared for are routed to it.

    What:
        By flow analysis over the whole route graph, the AE an AI product `runs_on`
        receives studies whose modality is not in its `cleared_for.modalities` (also when
        a router forwards "everything" to it), or a route to that AE names such a modality
        in `match.modality`. Results of unknown modality (e.g. another AI's output) are
        not counted. When the product is cleared for some `body_parts`, each route into
        its AE that brings a cleared modality must filter on `match.body_part` with
        those body parts only (Body Part Examined (0018,0015), compared ignoring case),
        unless the product's `input_selection` says how the AI platform selects its
        input itself.
    Why:
        An FDA clearance covers a stated input: "Document the cleared indication, input
        modality, and intended use" (practice guide, Step 3, "FDA clearance verification").
        A chest X-ray product fed CR when it is cleared for DR, a CT product fed PET/CT
        series, or an intracranial-hemorrhage product cleared for head CT fed every CT,
        produces output outside its clearance that still lands on the radiologist's
        worklist.
    Bad:
        devices:
          - name: mr-1
            site: MAIN
            kind: modality
            modality: MR
            application_entities:
              - ae_title: MR_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: MRImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - ae_title: AI_1
                transfer_capabilities:
                  - {sop_classes: [CTImageStorage, MRImageStorage], role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: mr-to-ai, from: MR_1, to: AI_1, purpose: ai}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT], body_parts: [HEAD]}
            runs_on: AI_1
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
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - ae_title: AI_1
                transfer_capabilities:
                  - {sop_classes: [CTImageStorage, MRImageStorage], role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
        routes:
          - {name: ct-to-ai, from: CT_1, to: AI_1, purpose: ai, match: {body_part: [HEAD]}}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT], body_parts: [HEAD]}
            runs_on: AI_1
    """

    code = "AI002"
    name = "ai-input-not-cleared"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        flow = index.flow
        for product in index.env.ai:
            title = product.runs_on
            if title not in index.aes:
                continue  # AI004
            cleared = set(product.cleared_for.modalities)
            arriving = flow.arriving.get(title, set())
            uncleared = {item for item in arriving if item[0] and item[0] not in cleared}
            related = [
                Related(
                    index.where(product, "cleared_for"),
                    f"'{product.name}' is cleared for {', '.join(sorted(cleared))}",
                )
            ]
            for route in _routes_into(index, product):
                finding = self._modalities(index, product, route, uncleared, related)
                if finding is not None:
                    yield finding
                finding = self._body_parts(index, product, route)
                if finding is not None:
                    yield finding

    def _modalities(self, index, product, route, uncleared, related) -> Finding | None:
        """The route carries (or names) modalities outside the clearance."""
        cleared = product.cleared_for.modalities
        modalities: dict[str, set[str]] = {}
        for modality, sop in index.flow.carries(route) & uncleared:
            modalities.setdefault(modality, set()).add(sop)
        for modality in route.match.modality if route.match else []:
            if modality not in cleared:
                modalities.setdefault(modality, set())
        if not modalities:
            return None
        detail = ", ".join(
            m + (f" ({', '.join(sorted(map(keyword, sops)))})" if sops else "")
            for m, sops in sorted(modalities.items())
        )
        return self.finding(
            f"route '{route.name}' sends {detail} to {route.to}, where AI product "
            f"'{product.name}' is cleared for {', '.join(sorted(cleared))} only: "
            "narrow the route's match to the cleared modalities, or give the product "
            "an AE of its own",
            index.where(route),
            entity=_route_entity(route),
            detail=product.name,
            related=related,
        )

    def _body_parts(self, index, product, route) -> Finding | None:
        """The product is cleared for some body parts, and the route sends it the cleared
        modalities without a `match.body_part` filter, or with other body parts."""
        parts = product.cleared_for.body_parts
        if not parts or product.input_selection:
            return None
        modalities = _cleared_modalities_carried(index, product, route)
        if not modalities:
            return None
        folded = {p.casefold() for p in parts}
        sent = route.match.body_part if route.match else []
        what = "/".join(modalities)
        if not sent:
            problem = f"sends every {what} study"
        else:
            outside = [b for b in sent if b.casefold() not in folded]
            if not outside:
                return None
            problem = f"sends {what} of {', '.join(outside)}"
        return self.finding(
            f"route '{route.name}' {problem} to {route.to}, where AI product "
            f"'{product.name}' is cleared for {', '.join(parts)} only: set the route's "
            f"match.body_part to {', '.join(parts)}, or record in `input_selection` how the "
            "AI platform selects its input",
            index.where(route),
            entity=_route_entity(route),
            detail=f"{product.name}: body part",
            related=[
                Related(
                    index.where(product, "cleared_for", "body_parts"),
                    f"'{product.name}' is cleared for {', '.join(parts)}",
                )
            ],
        )


def _routes_into(index: Index, product) -> list:
    """The enabled routes to the AE the product runs on."""
    return [r for r in index.routes_to.get(product.runs_on, ()) if r.enabled]


def _cleared_modalities_carried(index: Index, product, route) -> list[str]:
    """The cleared modalities the route brings to the product (what it carries by flow
    analysis, or what its match names)."""
    cleared = product.cleared_for.modalities
    carried = {m for m, _ in index.flow.carries(route)}
    named = set(route.match.modality) if route.match else set()
    return [m for m in cleared if m in carried or m in named]


class AIResultsNowhere(Rule):
    """An AI product's results have nowhere to go.

    What:
        An AI product with no `results`; or a result whose destination AE does not exist or
        accepts none of the SOP classes of that object kind as SCP (SR: Comprehensive,
        Comprehensive 3D, Enhanced or Basic Text SR; SC: Secondary Capture, single or
        multi-frame; GSPS; SEG; KO); or whose `runs_on` AE is not SCU for any of them.
    Why:
        "AI processes and returns results as DICOM Secondary Capture, DICOM SR (Structured
        Report), or DICOM Presentation State" and the team must "define where AI results
        appear" (practice guide, Step 3, "Integration architecture" and "Workflow
        integration"). A result that the destination rejects at association negotiation
        (PS3.8) never flags the study on the worklist: the triage the product was bought
        for silently does not happen.
    Bad:
        devices:
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - ae_title: AI_1
                transfer_capabilities:
                  - {sop_class: ComprehensiveSRStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
    Good:
        devices:
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - ae_title: AI_1
                transfer_capabilities:
                  - {sop_class: ComprehensiveSRStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_classes: [CTImageStorage, ComprehensiveSRStorage], role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
    """

    code = "AI003"
    name = "ai-results-nowhere"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for product in index.env.ai:
            if not product.results:
                yield self.finding(
                    f"AI product '{product.name}' declares no results: add `results` with the "
                    "object it produces (SR, SC, GSPS...) and the AE where radiologists read "
                    "it (usually the PACS)",
                    index.where(product, "name"),
                    entity=_entity(product),
                )
                continue
            source = product.runs_on
            known_source = source in index.aes
            for i, result in enumerate(product.results):
                classes = dicom.RESULT_SOP_CLASSES[result.object]
                names = ", ".join(sorted(map(keyword, classes)))
                if known_source:
                    sends = index.capabilities[source]["SCU"]
                    if not classes & sends.keys():
                        yield self.finding(
                            f"AI product '{product.name}' returns {result.object}, but "
                            f"{source} is not SCU for any {result.object} SOP class ({names}): "
                            f"add the capability to {source} or correct the object kind",
                            index.where(product, "results", i, "object"),
                            entity=_entity(product),
                            detail=result.object,
                            related=ae_related(index, source, f"{source} is declared here"),
                        )
                for j, dest in enumerate(result.to):
                    if dest not in index.aes:
                        yield self.finding(
                            f"AI product '{product.name}' sends {result.object} results to "
                            f"'{dest}', which is not an AE title of any device"
                            f"{unknown_ae_hint(index, dest)}",
                            index.where(product, "results", i, "to", j),
                            entity=_entity(product),
                            detail=f"{result.object} to {dest}",
                        )
                        continue
                    accepts = index.capabilities[dest]["SCP"]
                    if classes & accepts.keys():
                        continue
                    yield self.finding(
                        f"AI product '{product.name}' sends {result.object} results to {dest}, "
                        f"which accepts none of {names} as SCP: the results are rejected; add "
                        f"the capability to {dest} or send them where radiologists read",
                        index.where(product, "results", i, "to", j),
                        entity=_entity(product),
                        detail=f"{result.object} to {dest}",
                        related=ae_related(index, dest, f"{dest} is declared here"),
                    )


class AIUnknownHost(Rule):
    """An AI product runs on an AE title that no device declares.

    What:
        `runs_on` of an `ai` product is not the `ae_title` of any application entity.
    Why:
        Without its AE nothing can be routed to the product, its inputs cannot be checked
        against its clearance and its results have no sender (practice guide, Step 3,
        "Integration architecture": studies reach the AI server "via DICOM Send"; Step 1,
        "AE title management").
    Bad:
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
    Good:
        devices:
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - {ae_title: AI_1}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
    """

    code = "AI004"
    name = "ai-unknown-host"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for product in index.env.ai:
            title = product.runs_on
            if title in index.aes:
                continue
            yield self.finding(
                f"AI product '{product.name}' runs_on '{title}', which is not an AE title of "
                f"any device{unknown_ae_hint(index, title)}",
                index.where(product, "runs_on"),
                entity=_entity(product),
            )


class AIGetsNoStudies(Rule):
    """Nothing sends studies to an AI product.

    What:
        No enabled route goes to the AE an AI product `runs_on`, nothing arrives there by
        flow analysis, and the AI server's device does not pull images over a DICOMweb
        integration (WADO-RS or WADO-URI).
    Why:
        The practice guide's integration architecture has the "PACS route studies to AI
        server via DICOM Send", or the AI platform "pull images on demand" over DICOMweb
        WADO-RS (Step 3, "Integration architecture"). A product with neither is paid for,
        validated and documented, and never runs; radiologists believe studies are triaged
        when they are not.
    Bad:
        devices:
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - {ae_title: AI_1}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
    Good:
        devices:
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - {ae_title: AI_1}
          - name: router
            site: MAIN
            kind: router
            application_entities:
              - {ae_title: ROUTER}
        routes:
          - {name: router-to-ai, from: ROUTER, to: AI_1, purpose: ai, match: {modality: [CT]}}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
    """

    code = "AI005"
    name = "ai-gets-no-studies"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        pulling = {
            i.source
            for i in index.env.integrations
            if i.kind == "dicomweb" and (not i.services or _PULLING_SERVICES & set(i.services))
        }
        misnamed = probable_aes(index, "route-to")
        for product in index.env.ai:
            title = product.runs_on
            device = index.device_of(title)
            if device is None:
                continue  # AI004
            if title in misnamed:
                continue  # a route names it wrongly: RT001 reports that route, with a hint
            if index.flow.arriving.get(title) or device.name in pulling:
                continue
            if any(r.enabled for r in index.routes_to.get(title, ())):
                continue
            yield self.finding(
                f"AI product '{product.name}' runs on {title}, but no route sends it studies "
                f"and {device.name} pulls none over DICOMweb: add a route with purpose: ai "
                "(from the router or PACS, matching the cleared modalities) or a dicomweb "
                "integration with WADO-RS",
                index.where(product, "runs_on"),
                entity=_entity(product),
                related=ae_related(index, title, f"{title} is declared here"),
            )


class AIVersionNotCleared(Rule):
    """The installed version of a clinical AI product is not one its authorization covers.

    What:
        An AI product in clinical use at a US site whose `version` is not among its
        `fda.cleared_versions` (when the record lists them), or that lists cleared
        versions but does not say which `version` is installed.
    Why:
        A 510(k), De Novo or PMA covers the device as submitted; a new version with
        changed algorithms may need its own submission unless a predetermined change
        control plan (PCCP) covers it (FDA, "Deciding When to Submit a 510(k) for a
        Software Change to an Existing Device"; 21 CFR 807.81(a)(3)). The practice guide
        asks to "Document the cleared indication, input modality, and intended use"
        (Step 3, "FDA clearance verification"): documenting the clearance of another
        version does not document this one.
    Bad:
        ai:
          - name: ich-triage
            version: "5.0"
            fda: {pathway: 510k, number: K232817, cleared_versions: ["4.2", "4.3"]}
            cleared_for: {modalities: [CT], body_parts: [HEAD]}
            runs_on: AI_1
    Good:
        ai:
          - name: ich-triage
            version: "4.3"
            fda: {pathway: 510k, number: K232817, cleared_versions: ["4.2", "4.3"]}
            cleared_for: {modalities: [CT], body_parts: [HEAD]}
            runs_on: AI_1
    """

    code = "AI006"
    name = "ai-version-not-cleared"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for product in index.env.ai:
            fda = product.fda
            if fda is None or not fda.cleared_versions:
                continue
            if product.deployment != "clinical" or not _in_us(index, product):
                continue
            listed = ", ".join(fda.cleared_versions)
            if product.version is None:
                yield self.finding(
                    f"AI product '{product.name}' lists cleared versions ({listed}) but not "
                    "the installed one: add `version` as the product's About screen shows it",
                    index.where(product, "fda", "cleared_versions"),
                    entity=_entity(product),
                )
            elif product.version not in fda.cleared_versions:
                yield self.finding(
                    f"AI product '{product.name}' runs version {product.version}, which its "
                    f"FDA record does not cover (cleared versions: {listed}): record the "
                    "authorization (or PCCP) that covers it, or go back to a cleared version",
                    index.where(product, "version"),
                    entity=_entity(product),
                )


class AIMonitoringOverdue(Rule):
    """A clinical AI product's performance has not been reviewed on schedule.

    What:
        An AI product in clinical use (`deployment: clinical`, the default) without
        `monitoring.last_review`, whose last review is older than `monitoring.every` (or
        the `every` option when the product gives none) before today (`--today`), or
        whose last review is after today (a typo).
    Why:
        "Track AI system metrics: processing time per study, positive finding rate, false
        positive rate (estimated from radiologist override data), system availability,
        and failure rate. Compare against the vendor's published performance claims"
        (practice guide, Step 3, "Performance monitoring" and "Clinical governance"; ACR
        Assess-AI). A model's performance drifts with new scanners, protocols and patient
        mix; nobody notices unless the metrics are reviewed.
    Bad:
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
            monitoring: {last_review: 2024-01-15, every: 6mo}
    Good:
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT]}
            runs_on: AI_1
            monitoring: {last_review: 2026-09-30, every: 6mo}
    Options:
        every: how often a product without `monitoring.every` must be reviewed (default
        12mo, calendar months).
    """

    code = "AI007"
    name = "ai-monitoring-overdue"
    severity = Severity.WARNING
    options = {"every": duration_option("12mo", "1d", "10y")}

    def check(self, index: Index) -> Iterator[Finding]:
        today = index.today
        for product in index.env.ai:
            if product.deployment != "clinical":
                continue
            monitoring = product.monitoring
            last = monitoring.last_review if monitoring else None
            if last is None:
                yield self.finding(
                    f"AI product '{product.name}' is in clinical use with no performance "
                    "review on record: add `monitoring` with the date of the last review "
                    "(`last_review`) and how often it is reviewed (`every`)",
                    index.where(product, *(("monitoring",) if monitoring else ("name",))),
                    entity=_entity(product),
                )
                continue
            every: Duration = (monitoring.every if monitoring else None) or self.settings["every"]
            if last > today:
                yield self.finding(
                    f"AI product '{product.name}' was last reviewed on {last.isoformat()}, "
                    f"after today ({today.isoformat()}): correct the date",
                    index.where(product, "monitoring", "last_review"),
                    entity=_entity(product),
                )
            elif last < _cutoff(today, every):
                yield self.finding(
                    f"AI product '{product.name}' was last reviewed on {last.isoformat()}, "
                    f"more than {every} before {today.isoformat()}: review its performance "
                    "(positive rate, overrides, failures against the vendor's claims) and "
                    "record the date",
                    index.where(product, "monitoring", "last_review"),
                    entity=_entity(product),
                )


class AIPopulationNotFiltered(Rule):
    """An AI product cleared for adults can receive studies of children.

    What:
        An AI product whose `cleared_for.population.min_age` is set, without
        `input_selection`, and a route into its AE that brings a cleared modality without
        a `match.min_age` at least that age.
    Why:
        A clearance states the patient population (most imaging AI is cleared for
        adults, 18 and over): "Document the cleared indication, input modality, and
        intended use" (practice guide, Step 3, "FDA clearance verification"). A product
        fed pediatric studies produces output outside its validation that still reaches
        the worklist; most institutions filter by age in the router or the AI platform.
        A warning, because a site without pediatric patients has nothing to filter.
    Bad:
        routes:
          - {name: ct-to-ai, from: CT_1, to: AI_1, purpose: ai}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT], population: {min_age: 18}}
            runs_on: AI_1
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - ae_title: AI_1
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
    Good:
        routes:
          - {name: ct-to-ai, from: CT_1, to: AI_1, purpose: ai, match: {min_age: 18}}
        ai:
          - name: ich-triage
            fda: {pathway: 510k, number: K232817}
            cleared_for: {modalities: [CT], population: {min_age: 18}}
            runs_on: AI_1
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: ai-server
            site: MAIN
            kind: ai
            application_entities:
              - ae_title: AI_1
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
    """

    code = "AI008"
    name = "ai-population-not-filtered"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for product in index.env.ai:
            population = product.cleared_for.population
            youngest = population.min_age if population else None
            if youngest is None or product.input_selection or product.runs_on not in index.aes:
                continue
            for route in _routes_into(index, product):
                if not _cleared_modalities_carried(index, product, route):
                    continue
                filtered = route.match.min_age if route.match else None
                if filtered is not None and filtered >= youngest:
                    continue
                scope = "all ages" if filtered is None else f"patients from {filtered}"
                yield self.finding(
                    f"route '{route.name}' sends {route.to} studies of {scope}, while AI "
                    f"product '{product.name}' is cleared for patients from {youngest}: "
                    f"set the route's match.min_age to {youngest}, or record in "
                    "`input_selection` how the AI platform selects its input",
                    index.where(route),
                    entity=_route_entity(route),
                    detail=product.name,
                    related=[
                        Related(
                            index.where(product, "cleared_for", "population"),
                            f"'{product.name}' is cleared for patients from {youngest}",
                        )
                    ],
                )
