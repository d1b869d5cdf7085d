"""AI: imaging AI products. Cleared, fed only what they are cleared for, heard from."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import dicom
from ..analysis.index import Index, keyword
from ..findings import Finding, Related, Severity
from .base import Rule
from .common import ae_related, unknown_ae_hint

_FDA_NUMBER = {
    "510k": re.compile(r"K\d{6}"),
    "de-novo": re.compile(r"DEN\d{6}"),
    "pma": re.compile(r"P\d{6}(?:/S\d{3})?"),
}
_FDA_FORMAT = {
    "510k": "K followed by 6 digits, e.g. K232817",
    "de-novo": "DEN followed by 6 digits, e.g. DEN210044",
    "pma": "P followed by 6 digits, optionally a supplement, e.g. P160048 or P160048/S012",
}
_PATHWAY_NAME = {"510k": "510(k)", "de-novo": "De Novo", "pma": "PMA"}

_PULLING_SERVICES = frozenset({"WADO-RS", "WADO-URI"})


def _entity(product) -> str:
    return f"ai:{product.name}"


def _route_entity(route) -> str:
    return f"route:{route.name}"


def _pathway_of(number: str) -> str | None:
    for pathway, pattern in _FDA_NUMBER.items():
        if pattern.fullmatch(number):
            return pathway
    return None


class AIWithoutClearance(Rule):
    """An AI product in clinical use has no FDA clearance on record.

    What:
        An `ai` product without `fda`, with `pathway: none`, without a clearance `number`,
        or with a number that does not fit its pathway: a 510(k) is K and 6 digits, a De
        Novo DEN and 6 digits, a PMA P and 6 digits (optionally with a supplement, as in
        P123456/S012).
    Why:
        "Confirm that each imaging AI product has appropriate FDA 510(k) clearance or De
        Novo classification ... AI products without FDA clearance cannot be used for
        clinical diagnosis" (practice guide, Step 3, "FDA clearance verification"; Quality
        Audit: "Imaging AI products have documented FDA clearance for their intended use").
        A number in the wrong format cannot be looked up in the FDA database, so the
        clearance is not documented. This rule cannot be suppressed: take the product out
        of the clinical workflow, or record its clearance.
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
            fda: {pathway: 510k, number: K232817, cleared_on: 2023-11-20}
            cleared_for: {modalities: [CT], body_parts: [CHEST]}
            runs_on: AI_1
            results:
              - {object: SR, to: PACS_MAIN}
    """

    code = "AI001"
    name = "ai-without-clearance"
    severity = Severity.ERROR
    suppressible = False

    def check(self, index: Index) -> Iterator[Finding]:
        for product in index.env.ai:
            fda = product.fda
            where = f"AI product '{product.name}'"
            if fda is None:
                yield self.finding(
                    f"{where} has no FDA clearance on record: add `fda` with its pathway "
                    "(510k, de-novo, pma) and number from the FDA database, or take it out of "
                    "clinical use",
                    index.where(product, "name"),
                    entity=_entity(product),
                )
                continue
            if fda.pathway == "none":
                yield self.finding(
                    f"{where} is not FDA cleared (pathway: none): it cannot be used for "
                    "clinical diagnosis; remove it from the clinical workflow (research use "
                    "belongs outside this environment) or record its clearance",
                    index.where(product, "fda", "pathway"),
                    entity=_entity(product),
                )
                continue
            expected = _FDA_FORMAT[fda.pathway]
            if not fda.number:
                yield self.finding(
                    f"{where} names the {_PATHWAY_NAME[fda.pathway]} pathway but no clearance "
                    f"number: add `number` ({expected}) so the clearance can be verified",
                    index.where(product, "fda", "pathway"),
                    entity=_entity(product),
                )
                continue
            number = fda.number
            if _FDA_NUMBER[fda.pathway].fullmatch(number):
                continue
            cleaned = re.sub(r"\s+", "", number).upper()
            other = _pathway_of(cleaned)
            if cleaned != number and other == fda.pathway:
                hint = f"write it as {cleaned} (capitals, no spaces)"
            elif other:
                hint = f"it looks like a {_PATHWAY_NAME[other]} number: set pathway: {other}"
                if cleaned != number:
                    hint += f" and write it as {cleaned}"
            else:
                hint = "copy it from the FDA database entry of the installed version"
            yield self.finding(
                f"{where}: clearance number '{number}' is not a {_PATHWAY_NAME[fda.pathway]} "
                f"number ({expected}); {hint}",
                index.where(product, "fda", "number"),
                entity=_entity(product),
            )


class AIInputNotCleared(Rule):
    """Studies of a modality an AI product is not cleared for are routed to it.

    What:
        By flow analysis over the whole route graph, the AE an AI product `runs_on`
        receives studies whose modality is not in its `cleared_for.modalities` (also when
        a router forwards "everything" to it), or a route to that AE names such a modality
        in `match.modality`. Results of unknown modality (e.g. another AI's output) are
        not counted.
    Why:
        An FDA clearance covers a stated input: "Document the cleared indication, input
        modality, and intended use" (practice guide, Step 3, "FDA clearance verification").
        A chest X-ray product fed CR when it is cleared for DR, or a CT product fed PET/CT
        series, produces output outside its clearance that still lands on the radiologist's
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
          - {name: ct-to-ai, from: CT_1, to: AI_1, purpose: ai}
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
            for route in index.routes_to.get(title, ()):
                if not route.enabled:
                    continue
                items = flow.carries(route) & uncleared
                modalities: dict[str, set[str]] = {}
                for modality, sop in items:
                    modalities.setdefault(modality, set()).add(sop)
                named = [
                    m for m in (route.match.modality if route.match else []) if m not in cleared
                ]
                for modality in named:
                    modalities.setdefault(modality, set())
                if not modalities:
                    continue
                detail = ", ".join(
                    m + (f" ({', '.join(sorted(map(keyword, sops)))})" if sops else "")
                    for m, sops in sorted(modalities.items())
                )
                yield self.finding(
                    f"route '{route.name}' sends {detail} to {title}, where AI product "
                    f"'{product.name}' is cleared for {', '.join(sorted(cleared))} only: "
                    "narrow the route's match to the cleared modalities, or give the product "
                    "an AE of its own",
                    index.where(route),
                    entity=_route_entity(route),
                    related=related,
                )


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
        for product in index.env.ai:
            title = product.runs_on
            device = index.device_of(title)
            if device is None:
                continue  # AI004
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
