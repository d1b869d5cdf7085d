"""Inventory rules (AE) on realistic multi-file environments, with file:line asserted."""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.config import Config
from imgpolicy.engine import check

TODAY = date(2026, 11, 28)
AE_CODES = [f"AE{n:03d}" for n in range(1, 12)]

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: DR, jurisdiction: US-NV, region: us-east}
"""

CORE = """\
imgpolicy: 1
devices:
  - name: pacs
    site: MAIN
    kind: pacs
    conformance_statement: conformance/pacs.pdf
    connections:
      - {name: dicom, hostname: pacs.main.example.org, port: 11112}
    application_entities:
      - ae_title: PACS_MAIN
        connections: [dicom]
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
      - ae_title: PACS_QR
        connections: [dicom]
        transfer_capabilities:
          - {sop_class: StudyRootQueryRetrieveInformationModelFind, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
  - name: vna
    site: DR
    kind: vna
    conformance_statement: conformance/vna.pdf
    connections:
      - {name: dicom, hostname: vna.dr.example.org, port: 11112}
    application_entities:
      - ae_title: VNA
        connections: [dicom]
        initiator: false
  - name: ris
    site: MAIN
    kind: ris
    conformance_statement: conformance/ris.pdf
    connections:
      - {name: dicom, hostname: ris.main.example.org, port: 104}
    application_entities:
      - {ae_title: RIS_MWL, initiator: false}
  - name: dose
    site: MAIN
    kind: dose-monitor
    conformance_statement: conformance/dose.pdf
    connections:
      - {name: dicom, hostname: dose.main.example.org, port: 104}
    application_entities:
      - {ae_title: DOSE, initiator: false}
"""

MODALITIES = """\
imgpolicy: 1
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    conformance_statement: conformance/ct.pdf
    connections:
      - {name: dicom, hostname: ct-1.main.example.org}
    application_entities:
      - {ae_title: CT_1, connections: [dicom], acceptor: false}
"""

ROUTES = """\
imgpolicy: 1
routes:
  - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
  - {name: pacs-to-vna, from: PACS_MAIN, to: VNA, purpose: archive}
  - {name: vna-priors, from: VNA, to: PACS_MAIN, purpose: prefetch, method: c-get}
"""

WIRING = """\
imgpolicy: 1
worklist:
  - {provider: RIS_MWL, consumers: [CT_1], mpps_destination: RIS_MWL}
dose:
  monitor: DOSE
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def run(
    write_env, *select, core=CORE, modalities=MODALITIES, routes=ROUTES, wiring=WIRING, rules=None
):
    files = {
        "sites.yaml": SITES,
        "devices/core.yaml": core,
        "devices/modalities.yaml": modalities,
        "routes.yaml": routes,
        "wiring.yaml": wiring,
    }
    root = write_env(files)
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=TODAY)
    assert result.load.findings == []
    return result.active


def where(finding) -> tuple[str, str, int]:
    return finding.code, finding.location.path.rsplit("/", 1)[-1], finding.location.line


def test_base_environment_is_clean(write_env):
    assert run(write_env, "AE") == []


def test_empty_environment_gives_no_finding(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n"})
    assert check([str(root)], Config(select=["AE"]), today=TODAY).active == []


def test_unknown_references_do_not_crash(write_env):
    routes = """\
imgpolicy: 1
routes:
  - {name: ghost, from: NOBODY, to: NOWHERE, purpose: reading, match: {calling_ae: [ALSO_NOBODY]}}
"""
    wiring = """\
imgpolicy: 1
worklist:
  - {provider: NO_RIS, consumers: [NO_CT], mpps_destination: NO_MPPS}
dose:
  monitor: NO_DOSE
ai:
  - name: ghost-ai
    cleared_for: {modalities: [CT]}
    runs_on: NO_AI
    results: [{object: SR, to: [NO_PACS]}]
"""
    found = run(write_env, "AE", "CF", routes=routes, wiring=wiring)
    # The real AEs lost their wiring, so they are orphans; nothing else, and no crash.
    assert {f.code for f in found} == {"AE003"}


# --- AE001 duplicate-ae-title --------------------------------------------------------


def test_titles_differing_only_by_case_point_at_both(write_env):
    modalities = (
        MODALITIES
        + """\
  - name: ct-2
    site: MAIN
    kind: modality
    conformance_statement: conformance/ct.pdf
    application_entities:
      - {ae_title: ct_1, acceptor: false}
"""
    )
    [finding] = run(write_env, "AE001", modalities=modalities)
    assert where(finding) == ("AE001", "modalities.yaml", line_of(modalities, "ae_title: ct_1"))
    assert "'ct_1' (ct-2)" in finding.message and "'CT_1' (ct-1)" in finding.message
    [related] = finding.related
    assert related.location.line == line_of(modalities, "ae_title: CT_1")


# --- AE002 shared-host-port ----------------------------------------------------------


def test_two_devices_on_one_host_and_port(write_env):
    core = CORE.replace(
        "hostname: vna.dr.example.org, port: 11112", "hostname: PACS.main.example.org., port: 11112"
    )
    [finding] = run(write_env, "AE002", core=core)
    assert where(finding) == ("AE002", "core.yaml", line_of(core, "PACS.main.example.org."))
    assert "'vna'" in finding.message and "'pacs'" in finding.message
    assert finding.related[0].location.line == line_of(core, "pacs.main.example.org")


def test_same_host_other_port_and_one_device_many_aes_are_fine(write_env):
    core = CORE.replace(
        "hostname: vna.dr.example.org, port: 11112", "hostname: pacs.main.example.org, port: 11113"
    )
    assert run(write_env, "AE002", core=core) == []


def test_outbound_connections_without_port_never_clash(write_env):
    modalities = (
        MODALITIES
        + """\
  - name: ct-2
    site: MAIN
    kind: modality
    conformance_statement: conformance/ct.pdf
    connections:
      - {name: dicom, hostname: ct-1.main.example.org}
    application_entities:
      - {ae_title: CT_2, connections: [dicom], acceptor: false}
"""
    )
    assert run(write_env, "AE002", modalities=modalities) == []


# --- AE003 orphan-ae -----------------------------------------------------------------


def test_orphan_ae_and_what_does_not_make_one(write_env):
    modalities = (
        MODALITIES
        + """\
  - name: old-us
    site: MAIN
    kind: modality
    conformance_statement: conformance/us.pdf
    application_entities:
      - {ae_title: US_OLD, acceptor: false}
      - {ae_title: US_DISABLED, acceptor: false}
      - {ae_title: US_AI, acceptor: false}
"""
    )
    routes = ROUTES + (
        "  - {name: us-disabled, from: US_DISABLED, to: PACS_MAIN, purpose: reading, "
        "enabled: false}\n"
    )
    wiring = (
        WIRING
        + """\
ai:
  - name: triage
    cleared_for: {modalities: [US]}
    runs_on: US_AI
"""
    )
    found = run(write_env, "AE003", modalities=modalities, routes=routes, wiring=wiring)
    assert [where(f) for f in found] == [
        ("AE003", "modalities.yaml", line_of(modalities, "US_OLD")),
        ("AE003", "modalities.yaml", line_of(modalities, "US_DISABLED")),
    ]
    assert "disabled" in found[1].message and "disabled" not in found[0].message
    # PACS_QR has only a query/retrieve capability, the RIS and dose monitor only
    # worklist/dose roles: none of them is an orphan.


# --- AE004 unknown-connection --------------------------------------------------------


def test_unknown_connection_suggests_the_near_one(write_env):
    core = CORE.replace(
        "      - ae_title: PACS_QR\n        connections: [dicom]",
        "      - ae_title: PACS_QR\n        connections: [dicom, dicm]",
    )
    [finding] = run(write_env, "AE004", core=core)
    assert where(finding) == ("AE004", "core.yaml", line_of(core, "[dicom, dicm]"))
    assert "did you mean 'dicom'" in finding.message


def test_unknown_connection_on_a_device_without_connections(write_env):
    modalities = MODALITIES.replace(
        "    connections:\n      - {name: dicom, hostname: ct-1.main.example.org}\n", ""
    )
    [finding] = run(write_env, "AE004", modalities=modalities)
    assert "declares no connections" in finding.message


# --- AE005 acceptor-without-port -----------------------------------------------------


def test_acceptor_whose_connection_has_no_port(write_env):
    core = CORE.replace(
        "hostname: ris.main.example.org, port: 104", "hostname: ris.main.example.org"
    )
    [finding] = run(write_env, "AE005", core=core)
    assert where(finding) == ("AE005", "core.yaml", line_of(core, "ae_title: RIS_MWL"))
    assert finding.related[0].location.line == line_of(core, "ris.main.example.org")


def test_acceptor_on_a_device_without_connections(write_env):
    core = CORE.replace(
        "    connections:\n      - {name: dicom, hostname: dose.main.example.org, port: 104}\n", ""
    )
    [finding] = run(write_env, "AE005", core=core)
    assert where(finding) == ("AE005", "core.yaml", line_of(core, "ae_title: DOSE"))
    assert "declares no connections" in finding.message


def test_acceptor_listing_only_unknown_connections_is_left_to_ae004(write_env):
    core = CORE.replace(
        "      - ae_title: VNA\n        connections: [dicom]",
        "      - ae_title: VNA\n        connections: [dicom-tls]",
    )
    found = run(write_env, "AE004", "AE005", core=core)
    assert [f.code for f in found] == ["AE004"]


def test_acceptor_uses_the_port_of_the_connection_it_names(write_env):
    core = CORE.replace(
        "      - {name: dicom, hostname: pacs.main.example.org, port: 11112}\n",
        "      - {name: dicom, hostname: pacs.main.example.org, port: 11112}\n"
        "      - {name: out, hostname: pacs.main.example.org}\n",
    ).replace(
        "      - ae_title: PACS_QR\n        connections: [dicom]",
        "      - ae_title: PACS_QR\n        connections: [out]",
    )
    [finding] = run(write_env, "AE005", core=core)
    assert "PACS_QR" in finding.message


# --- AE006 ae-title-characters -------------------------------------------------------


def test_title_characters_and_the_extra_characters_option(write_env):
    modalities = MODALITIES.replace("ae_title: CT_1", "ae_title: CT.1")
    routes = ROUTES.replace("CT_1", "CT.1")
    [finding] = run(write_env, "AE006", modalities=modalities, routes=routes)
    assert where(finding) == ("AE006", "modalities.yaml", line_of(modalities, "CT.1"))
    assert "'.'" in finding.message and "'CT_1'" in finding.message
    assert (
        run(
            write_env,
            "AE006",
            modalities=modalities,
            routes=routes,
            rules={"AE006": {"extra_characters": "."}},
        )
        == []
    )


def test_lower_case_and_spaces_are_named(write_env):
    modalities = MODALITIES.replace("ae_title: CT_1", "ae_title: ct 1")
    [finding] = run(write_env, "AE006", modalities=modalities)
    assert "lower-case letters" in finding.message and "spaces" in finding.message


# --- AE007 missing-conformance-statement, AE008 unknown-site -------------------------


def test_missing_conformance_statement_only_for_dicom_devices(write_env):
    modalities = (
        MODALITIES.replace("    conformance_statement: conformance/ct.pdf\n", "")
        + """\
  - name: viewer
    site: MAIN
    kind: viewer
"""
    )
    [finding] = run(write_env, "AE007", modalities=modalities)
    assert where(finding) == ("AE007", "modalities.yaml", line_of(modalities, "name: ct-1"))


def test_unknown_site_with_a_hint(write_env):
    modalities = MODALITIES.replace("site: MAIN", "site: main")
    [finding] = run(write_env, "AE008", modalities=modalities)
    assert where(finding) == ("AE008", "modalities.yaml", line_of(modalities, "site: main"))
    assert "did you mean 'MAIN'" in finding.message


# --- AE009..AE011: initiator/acceptor flags against how the AE is used -------------


def test_neither_initiator_nor_acceptor(write_env):
    core = CORE.replace(
        "{ae_title: DOSE, initiator: false}", "{ae_title: DOSE, initiator: false, acceptor: false}"
    )
    found = run(write_env, "AE009", "AE010", core=core)
    assert [where(f) for f in found] == [
        ("AE009", "core.yaml", line_of(core, "ae_title: DOSE")),
        ("AE010", "core.yaml", line_of(core, "ae_title: DOSE")),
    ]
    assert "dose monitor" in found[1].message


def test_worklist_provider_that_does_not_accept(write_env):
    core = CORE.replace(
        "{ae_title: RIS_MWL, initiator: false}",
        "{ae_title: RIS_MWL, initiator: true, acceptor: false}",
    )
    [finding] = run(write_env, "AE010", core=core)
    assert where(finding) == ("AE010", "core.yaml", line_of(core, "RIS_MWL"))
    assert "worklist provider" in finding.message and "MPPS destination" in finding.message
    assert {(r.location.path.rsplit("/", 1)[-1], r.location.line) for r in finding.related} == {
        ("wiring.yaml", line_of(WIRING, "provider: RIS_MWL"))
    }


def test_route_source_that_does_not_initiate_but_prefetch_is_exempt(write_env):
    # VNA has initiator: false and is the source of the C-GET prefetch route: fine.
    assert run(write_env, "AE011") == []
    routes = ROUTES + "  - {name: vna-to-dr, from: VNA, to: PACS_MAIN, purpose: replication}\n"
    [finding] = run(write_env, "AE011", routes=routes)
    assert where(finding) == ("AE011", "core.yaml", line_of(CORE, "initiator: false"))
    assert finding.related[0].location.line == line_of(routes, "vna-to-dr")


def test_worklist_consumer_that_does_not_initiate(write_env):
    modalities = MODALITIES.replace("acceptor: false}", "initiator: false}")
    [finding] = run(write_env, "AE011", modalities=modalities)
    assert "worklist consumer" in finding.message


@pytest.mark.parametrize("code", AE_CODES)
def test_each_rule_on_the_empty_sections(write_env, code):
    root = write_env({"env.yaml": "imgpolicy: 1\nsites: []\ndevices: []\nroutes: []\n"})
    assert check([str(root)], Config(select=[code]), today=TODAY).active == []


# --- AE010/AE011 by retrieval method (slice 4) -----------------------------------------


def test_c_move_prefetch_source_must_initiate(write_env):
    """A C-MOVE SCP opens the C-STORE sub-association: `initiator: false` cannot move."""
    routes = ROUTES.replace("purpose: prefetch, method: c-get}", "purpose: prefetch}")
    [finding] = run(write_env, "AE011", routes=routes)
    assert where(finding) == ("AE011", "core.yaml", line_of(CORE, "initiator: false"))
    assert "moves studies from it (C-MOVE)" in finding.message


def test_c_get_destination_must_initiate_and_source_accept(write_env):
    """C-GET: the destination opens the association, the source accepts it."""
    core = CORE.replace(
        "      - ae_title: VNA\n        connections: [dicom]\n        initiator: false",
        "      - ae_title: VNA\n        connections: [dicom]\n        acceptor: false",
    )
    assert core != CORE
    [finding] = run(write_env, "AE010", core=core)
    assert "retrieves from it (C-GET)" in finding.message
    routes = ROUTES.replace("from: VNA, to: PACS_MAIN", "from: PACS_MAIN, to: VNA")
    [finding] = run(write_env, "AE011", routes=routes)
    assert "retrieves into it (C-GET)" in finding.message


def test_wado_rs_prefetch_opens_no_dicom_association(write_env):
    """WADO-RS is HTTP: neither flag of either end matters to it."""
    routes = ROUTES.replace("method: c-get", "method: wado-rs").replace(
        "  - {name: pacs-to-vna, from: PACS_MAIN, to: VNA, purpose: archive}\n", ""
    )
    core = CORE.replace(
        "        initiator: false", "        initiator: false\n        acceptor: false"
    )
    assert run(write_env, "AE010", core=core, routes=routes) == []
    assert run(write_env, "AE011", core=core, routes=routes) == []
    c_get = routes.replace("method: wado-rs", "method: c-get")
    [finding] = run(write_env, "AE010", core=core, routes=c_get)
    assert "retrieves from it (C-GET)" in finding.message
