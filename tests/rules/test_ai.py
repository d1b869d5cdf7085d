"""AI rules on realistic multi-file environments, with file:line asserted."""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.findings import Severity

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
"""

DEVICES = """\
imgpolicy: 1
devices:
  - name: petct-1
    site: MAIN
    kind: modality
    modality: [PT, CT]
    application_entities:
      - ae_title: PETCT_1
        acceptor: false
        transfer_capabilities:
          - sop_classes: [PositronEmissionTomographyImageStorage, CTImageStorage]
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    application_entities:
      - ae_title: CT_1
        acceptor: false
        transfer_capabilities:
          - sop_class: CTImageStorage
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: router
    site: MAIN
    kind: router
    application_entities:
      - ae_title: ROUTER
        transfer_capabilities:
          - sop_classes: [PositronEmissionTomographyImageStorage, CTImageStorage]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
          - sop_classes: [PositronEmissionTomographyImageStorage, CTImageStorage]
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: ai-server
    site: MAIN
    kind: ai
    application_entities:
      - ae_title: AI_CT
        transfer_capabilities:
          - sop_classes: [CTImageStorage, PositronEmissionTomographyImageStorage]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
          - sop_classes: [ComprehensiveSRStorage, SecondaryCaptureImageStorage]
            role: SCU
            transfer_syntaxes: [ExplicitVRLittleEndian]
  - name: pacs
    site: MAIN
    kind: pacs
    application_entities:
      - ae_title: PACS_MAIN
        transfer_capabilities:
          - sop_classes: [CTImageStorage, PositronEmissionTomographyImageStorage, ComprehensiveSRStorage]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
"""

ROUTES = """\
imgpolicy: 1
routes:
  - {name: petct-in, from: PETCT_1, to: ROUTER, purpose: reading}
  - {name: ct-in, from: CT_1, to: ROUTER, purpose: reading}
  - name: router-to-ai          # forwards "everything", PET/CT included
    from: ROUTER
    to: AI_CT
    purpose: ai
  - {name: router-to-pacs, from: ROUTER, to: PACS_MAIN, purpose: reading}
  - {name: ai-results, from: AI_CT, to: PACS_MAIN, purpose: results}
"""

AI = """\
imgpolicy: 1
ai:
  - name: ich-triage
    vendor: Example AI
    fda: {pathway: 510k, number: K232817, cleared_on: 2023-11-20}
    cleared_for:
      modalities: [CT]
      intended_use: triage of suspected findings (body parts in test_ai_scope.py)
    runs_on: AI_CT
    results:
      - {object: SR, to: PACS_MAIN}
      - {object: SC, to: PACS_MAIN}
"""


NO_AI_ROUTE = ROUTES.replace(
    '  - name: router-to-ai          # forwards "everything", PET/CT included\n'
    "    from: ROUTER\n    to: AI_CT\n    purpose: ai\n",
    "",
)
assert NO_AI_ROUTE != ROUTES


def run(write_env, *select, routes=ROUTES, ai=AI, devices=DEVICES, config=None):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": devices,
            "routes.yaml": routes,
            "ai/products.yaml": ai,
        }
    )
    result = check([str(root)], config or Config(select=list(select)), today=TODAY)
    assert result.load.findings == []
    return [
        (f.code, f.location.path.rsplit("/", 1)[-1], f.location.line, f.message)
        for f in result.active
    ]


def where(found):
    return [(c, f, line) for c, f, line, _ in found]


# --- AI001 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fda",
    [
        "{pathway: 510k, number: K232817}",
        "{pathway: de-novo, number: DEN210044}",
        "{pathway: pma, number: P160048}",
        "{pathway: pma, number: P160048/S012}",
        "{pathway: hde, number: H190002}",
        "{pathway: de-novo, number: K080925}",
        "{pathway: de-novo, number: K080925, decision_date: 2009-03-02}",
        "{pathway: exempt, basis: 21 CFR 892.2050 (510(k)-exempt PACS function)}",
        "{pathway: non-device, basis: CDS criteria of FD&C Act 520(o)(1)(E)}",
    ],
)
def test_well_formed_clearances_pass(write_env, fda):
    ai = AI.replace("{pathway: 510k, number: K232817, cleared_on: 2023-11-20}", fda)
    assert run(write_env, "AI001", ai=ai) == []


@pytest.mark.parametrize(
    "fda, line, fragment",
    [
        ("{pathway: none}", 5, "without FDA authorization"),
        ("{pathway: 510k}", 5, "but no number"),
        ("{pathway: 510k, number: K23281}", 5, "not a 510(k) number"),
        ("{pathway: 510k, number: DEN210044}", 5, "set pathway: de-novo"),
        ("{pathway: de-novo, number: K232817, decision_date: 2018-02-13}", 5, "numbered DEN"),
        ("{pathway: hde, number: P160048}", 5, "set pathway: pma"),
        ("{pathway: exempt}", 5, "without the `basis`"),
        ("{pathway: investigational, basis: IDE G210001}", 5, "deployment: research"),
        ("{pathway: 510k, number: k232817}", 5, "write it as K232817"),
        ("{pathway: pma, number: P160048/S12}", 5, "not a PMA number"),
        ("{pathway: pma, number: P160048S012}", 5, "not a PMA number"),
    ],
)
def test_bad_clearances_are_located_in_the_fda_mapping(write_env, fda, line, fragment):
    ai = AI.replace("{pathway: 510k, number: K232817, cleared_on: 2023-11-20}", fda)
    found = run(write_env, "AI001", ai=ai)
    assert where(found) == [("AI001", "products.yaml", line)]
    assert fragment in found[0][3] and "ich-triage" in found[0][3]


def test_missing_fda_points_at_the_product(write_env):
    ai = AI.replace("    fda: {pathway: 510k, number: K232817, cleared_on: 2023-11-20}\n", "")
    found = run(write_env, "AI001", ai=ai)
    assert where(found) == [("AI001", "products.yaml", 3)]
    assert "no FDA authorization" in found[0][3]


def test_clearance_number_is_located_exactly_in_block_style(write_env):
    ai = AI.replace(
        "    fda: {pathway: 510k, number: K232817, cleared_on: 2023-11-20}\n",
        "    fda:\n      pathway: 510k\n      number: K-232817\n",
    )
    [finding] = list(_findings(write_env, ai, "AI001"))
    assert (finding.location.line, finding.location.column) == (7, 15)


def test_ai001_can_be_suppressed_with_a_reason(write_env):
    ai = AI.replace(
        "    fda: {pathway: 510k, number: K232817, cleared_on: 2023-11-20}\n",
        '    fda: {pathway: none}  # imgpolicy: ignore[AI001] reason="pilot"\n',
    )
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": DEVICES,
            "routes.yaml": ROUTES,
            "ai/products.yaml": ai,
        }
    )
    result = check([str(root)], Config(select=["AI001"]), today=TODAY)
    assert [f.code for f in result.active] == []
    assert [f.code for f in result.findings if f.suppressed] == ["AI001"]


def _findings(write_env, ai, *select):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": DEVICES,
            "routes.yaml": ROUTES,
            "ai/products.yaml": ai,
        }
    )
    result = check([str(root)], Config(select=list(select)), today=TODAY)
    assert result.load.findings == []
    return result.active


# --- AI002 ----------------------------------------------------------------------------


def test_router_forwarding_pet_ct_to_a_ct_product_is_caught(write_env):
    """PET images reach the CT-only product through the router: flow, not one hop."""
    found = run(write_env, "AI002")
    assert where(found) == [("AI002", "routes.yaml", 5)]
    message = found[0][3]
    assert "router-to-ai" in message and "ich-triage" in message
    assert "PT (CTImageStorage, PositronEmissionTomographyImageStorage)" in message
    assert "CT only" in message


def test_related_points_at_cleared_for(write_env):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": DEVICES,
            "routes.yaml": ROUTES,
            "ai/products.yaml": AI,
        }
    )
    [finding] = check([str(root)], Config(select=["AI002"]), today=TODAY).active
    assert [(r.location.path.rsplit("/", 1)[-1], r.location.line) for r in finding.related] == [
        ("products.yaml", 7)
    ]


def test_match_on_cleared_modality_fixes_it(write_env):
    routes = ROUTES.replace("    purpose: ai\n", "    purpose: ai\n    match: {modality: [CT]}\n")
    assert run(write_env, "AI002", routes=routes) == []


def test_route_naming_an_uncleared_modality_is_caught_even_without_traffic(write_env):
    routes = ROUTES.replace(
        "    purpose: ai\n", "    purpose: ai\n    match: {modality: [CT, MR]}\n"
    )
    found = run(write_env, "AI002", routes=routes)
    assert where(found) == [("AI002", "routes.yaml", 5)]
    assert "sends MR to AI_CT" in found[0][3]


def test_disabled_route_sends_nothing(write_env):
    routes = ROUTES.replace("    purpose: ai\n", "    purpose: ai\n    enabled: false\n")
    assert run(write_env, "AI002", routes=routes) == []


def test_results_of_unknown_modality_are_ignored(write_env):
    """Another AI's secondary captures ("" modality) do not count against a clearance."""
    devices = (
        DEVICES
        + """\
  - name: other-ai
    site: MAIN
    kind: ai
    application_entities:
      - ae_title: AI_OTHER
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
"""
    )
    routes = (
        ROUTES.replace("    purpose: ai\n", "    purpose: ai\n    match: {modality: [CT]}\n")
        + "  - {name: other-to-ai, from: AI_OTHER, to: AI_CT, purpose: ai}\n"
    )
    assert run(write_env, "AI002", routes=routes, devices=devices) == []


# --- AI003 ----------------------------------------------------------------------------


def test_results_accepted_by_pacs_pass(write_env):
    ai = AI.replace("      - {object: SC, to: PACS_MAIN}\n", "")
    assert run(write_env, "AI003", ai=ai) == []


def test_destination_rejecting_the_result_kind(write_env):
    found = run(write_env, "AI003")
    assert where(found) == [("AI003", "products.yaml", 12)]
    assert "SC results to PACS_MAIN" in found[0][3]
    assert "SecondaryCaptureImageStorage" in found[0][3]


def test_host_not_scu_for_the_result_kind(write_env):
    ai = AI.replace("{object: SC, to: PACS_MAIN}", "{object: GSPS, to: PACS_MAIN}")
    found = run(write_env, "AI003", ai=ai)
    # AI_CT cannot send GSPS, and PACS_MAIN does not accept it either
    assert sorted(where(found)) == [("AI003", "products.yaml", 12)] * 2
    assert any("AI_CT is not SCU" in m for *_, m in found)


def test_unknown_result_destination_with_case_hint(write_env):
    ai = AI.replace("{object: SR, to: PACS_MAIN}", "{object: SR, to: [PACS_MAIN, pacs_main]}")
    ai = ai.replace("      - {object: SC, to: PACS_MAIN}\n", "")
    found = run(write_env, "AI003", ai=ai)
    assert where(found) == [("AI003", "products.yaml", 11)]
    assert "did you mean 'PACS_MAIN'" in found[0][3]


def test_product_without_results(write_env):
    ai = AI.split("    results:")[0]
    found = run(write_env, "AI003", ai=ai)
    assert where(found) == [("AI003", "products.yaml", 3)]
    assert "declares no results" in found[0][3]


# --- AI004 / AI005 ----------------------------------------------------------------------


def test_unknown_host_is_reported_once_and_other_ai_rules_stay_quiet(write_env):
    ai = AI.replace("runs_on: AI_CT", "runs_on: AI_Ct")
    found = run(write_env, "AI002", "AI004", "AI005", ai=ai)
    assert where(found) == [("AI004", "products.yaml", 9)]
    assert "did you mean 'AI_CT'" in found[0][3]


def test_ai_with_no_route_in(write_env):
    routes = NO_AI_ROUTE
    found = run(write_env, "AI005", routes=routes)
    assert where(found) == [("AI005", "products.yaml", 9)]
    assert "no route sends it studies" in found[0][3]


def test_dicomweb_pull_counts_as_getting_studies(write_env):
    routes = NO_AI_ROUTE
    pull = """\
integrations:
  - name: ai-pulls-priors
    kind: dicomweb
    source: ai-server
    target: pacs
    endpoint: https://pacs.example.org/dicomweb
    services: [QIDO-RS, WADO-RS]
"""
    assert run(write_env, "AI005", routes=routes, ai=AI + pull) == []
    search_only = pull.replace("[QIDO-RS, WADO-RS]", "[QIDO-RS]")
    assert where(run(write_env, "AI005", routes=routes, ai=AI + search_only)) == [
        ("AI005", "products.yaml", 9)
    ]


def test_severity_can_be_raised_by_config(write_env):
    routes = NO_AI_ROUTE
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": DEVICES,
            "routes.yaml": routes,
            "ai/products.yaml": AI,
        }
    )
    default = check([str(root)], Config(select=["AI005"]), today=TODAY).active
    assert [f.severity for f in default] == [Severity.WARNING]
    config = Config(select=["AI005"], rules={"AI005": {"severity": Severity.ERROR}})
    raised = check([str(root)], config, today=TODAY).active
    assert [f.severity for f in raised] == [Severity.ERROR]
    assert (
        check(
            [str(root)],
            Config(select=["AI"], ignore=["AI005", "AI002", "AI003", "AI007"]),
            today=TODAY,
        ).active
        == []
    )


# --- edge cases -----------------------------------------------------------------------


def test_empty_environment_gives_no_finding(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n"})
    assert check([str(root)], Config(select=["AI"]), today=TODAY).active == []


def test_products_on_unknown_aes_do_not_crash_the_family(write_env):
    ai = """\
imgpolicy: 1
ai:
  - name: orphan
    cleared_for: {modalities: [CT]}
    runs_on: NOWHERE
    results:
      - {object: KO, to: ALSO_NOWHERE}
"""
    root = write_env({"ai.yaml": ai})
    found = check([str(root)], Config(select=["AI"]), today=TODAY).active
    assert sorted(f.code for f in found) == ["AI001", "AI003", "AI004", "AI007"]
