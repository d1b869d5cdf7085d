"""Conformance rules (CF) on realistic multi-file environments, with file:line asserted."""

from __future__ import annotations

from datetime import date

import pytest

from imgpolicy.config import Config
from imgpolicy.engine import check

TODAY = date(2026, 11, 28)
CF_CODES = [f"CF{n:03d}" for n in range(1, 6)]

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
"""

# Receivers share their capability lists through anchors, as real environments do.
CORE = """\
imgpolicy: 1
devices:
  - name: pacs
    site: MAIN
    kind: pacs
    application_entities:
      - ae_title: PACS
        character_sets: [ISO_IR 100, ISO_IR 192]
        transfer_capabilities:
          - &store-scp
            sop_classes:
              - CTImageStorage
              - UltrasoundImageStorage
            role: SCP
            transfer_syntaxes: &native [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
          - {sop_classes: [CTImageStorage, UltrasoundImageStorage], role: SCU, transfer_syntaxes: *native}
  - name: vna
    site: MAIN
    kind: vna
    application_entities:
      - ae_title: VNA
        character_sets: [ISO 2022 IR 100, ISO_IR 192]
        transfer_capabilities:
          - *store-scp
  - name: ris
    site: MAIN
    kind: ris
    application_entities:
      - ae_title: RIS
        initiator: false
        character_sets: [ISO_IR 100]
        transfer_capabilities:
          - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCP, transfer_syntaxes: *native}
"""

MODALITIES = """\
imgpolicy: 1
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    application_entities:
      - ae_title: CT_1
        acceptor: false
        character_sets: [ISO_IR 100]
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [JPEGLosslessSV1]}
          - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
  - name: us-1
    site: MAIN
    kind: modality
    modality: US
    application_entities:
      - ae_title: US_1
        acceptor: false
        character_sets: ["ISO_IR 100"]
        transfer_capabilities:
          - {sop_class: UltrasoundImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
"""

ROUTES = """\
imgpolicy: 1
routes:
  - {name: ct-to-pacs, from: CT_1, to: PACS, purpose: reading}
  - {name: us-to-pacs, from: US_1, to: PACS, purpose: reading}
  - {name: pacs-to-vna, from: PACS, to: VNA, purpose: archive, transfer_syntax: ExplicitVRLittleEndian}
worklist:
  - {provider: RIS, consumers: [CT_1, US_1], mpps_destination: RIS}
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def run(write_env, *select, core=CORE, modalities=MODALITIES, routes=ROUTES, rules=None):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/core.yaml": core,
            "devices/modalities.yaml": modalities,
            "routes.yaml": routes,
        }
    )
    result = check([str(root)], Config(select=list(select), rules=rules or {}), today=TODAY)
    assert result.load.findings == []
    return result.active


def where(finding) -> tuple[str, str, int]:
    return finding.code, finding.location.path.rsplit("/", 1)[-1], finding.location.line


def test_base_environment_is_clean(write_env):
    assert run(write_env, "CF") == []


def test_empty_environment_gives_no_finding(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n"})
    assert check([str(root)], Config(select=["CF"]), today=TODAY).active == []


@pytest.mark.parametrize("code", CF_CODES)
def test_unknown_references_do_not_crash(write_env, code):
    routes = """\
imgpolicy: 1
routes:
  - {name: ghost, from: NOBODY, to: PACS, purpose: reading, transfer_syntax: ExplicitVRBigEndian}
  - {name: ghost-2, from: CT_1, to: NOWHERE, purpose: reading}
worklist:
  - {provider: NO_RIS, consumers: [CT_1, NO_CT], mpps_destination: NO_MPPS}
"""
    found = run(write_env, code, routes=routes)
    assert {f.code for f in found} <= {"CF002"}  # the retired syntax on the ghost route


# --- CF001 scp-without-implicit-vr ---------------------------------------------------


def test_scp_without_implicit_vr_is_reported_once_at_the_shared_anchor(write_env):
    core = CORE.replace(
        "&native [ExplicitVRLittleEndian, ImplicitVRLittleEndian]",
        "&native [ExplicitVRLittleEndian]",
    )
    found = run(write_env, "CF001", core=core)
    # The anchored store SCP (PACS and VNA) and the RIS capability that aliases the list.
    assert [where(f) for f in found] == [("CF001", "core.yaml", line_of(core, "&native"))]
    message = found[0].message
    assert "PACS" in message and "VNA" in message and "RIS" in message
    assert "ModalityWorklistInformationModelFind" in message


def test_scu_capabilities_need_no_implicit_vr(write_env):
    # CT_1 and US_1 offer no Implicit VR as SCU: not this rule's business.
    assert run(write_env, "CF001") == []


# --- CF002 retired-uid ---------------------------------------------------------------


def test_retired_uids_at_the_exact_list_item(write_env):
    core = CORE.replace(
        "              - UltrasoundImageStorage\n",
        "              - UltrasoundImageStorageRetired\n",
    )
    routes = ROUTES.replace(
        "transfer_syntax: ExplicitVRLittleEndian", "transfer_syntax: ExplicitVRBigEndian"
    )
    found = run(write_env, "CF002", core=core, routes=routes)
    assert [where(f) for f in found] == [
        ("CF002", "core.yaml", line_of(core, "UltrasoundImageStorageRetired")),
        ("CF002", "routes.yaml", line_of(routes, "ExplicitVRBigEndian")),
    ]
    # The anchored SCP list is shared by PACS and VNA: one finding names both.
    assert "PACS, VNA" in found[0].message
    assert "ExplicitVRBigEndian (1.2.840.10008.1.2.2)" in found[1].message
    assert found[1].entity == "route:pacs-to-vna"


def test_retired_transfer_syntax_in_a_capability(write_env):
    modalities = MODALITIES.replace(
        "transfer_syntaxes: [JPEGLosslessSV1]",
        "transfer_syntaxes: [JPEGLosslessSV1, JPEGLosslessNonHierarchical15]",
    )
    [finding] = run(write_env, "CF002", modalities=modalities)
    assert where(finding) == (
        "CF002",
        "modalities.yaml",
        line_of(modalities, "JPEGLosslessNonHierarchical15"),
    )
    assert finding.entity == "ae:CT_1"


def test_allow_option_accepts_keywords_and_uids(write_env):
    routes = ROUTES.replace(
        "transfer_syntax: ExplicitVRLittleEndian", "transfer_syntax: ExplicitVRBigEndian"
    )
    assert (
        run(write_env, "CF002", routes=routes, rules={"CF002": {"allow": ["ExplicitVRBigEndian"]}})
        == []
    )
    assert (
        run(write_env, "CF002", routes=routes, rules={"CF002": {"allow": ["1.2.840.10008.1.2.2"]}})
        == []
    )


# --- CF003 character-set-mismatch ----------------------------------------------------


def test_route_to_a_destination_without_the_senders_set(write_env):
    modalities = MODALITIES.replace("character_sets: [ISO_IR 100]", "character_sets: [ISO_IR 144]")
    found = run(write_env, "CF003", modalities=modalities)
    # PACS lacks Cyrillic; so does RIS, which receives CT_1's MPPS; and CT_1 lacks the
    # Latin-1 of the worklist answers.
    line = line_of(ROUTES, "provider: RIS")
    # the worklist consumer's findings are about its AE, told apart by what flows where
    assert [(where(f), f.entity, f.detail) for f in found] == [
        (
            ("CF003", "routes.yaml", line_of(ROUTES, "ct-to-pacs")),
            "route:ct-to-pacs",
            "route CT_1 -> PACS",
        ),
        (("CF003", "routes.yaml", line), "ae:CT_1", "mpps CT_1 -> RIS"),
        (("CF003", "routes.yaml", line), "ae:CT_1", "worklist RIS -> CT_1"),
    ]
    assert "CT_1 may send ISO_IR 144" in found[0].message
    assert {r.location.line for r in found[0].related} == {
        line_of(modalities, "ISO_IR 144"),
        line_of(CORE, "[ISO_IR 100, ISO_IR 192]"),
    }


def test_empty_destination_list_means_only_the_default_repertoire(write_env):
    modalities = MODALITIES.replace('["ISO_IR 100"]', "[ISO_IR 6]")
    core = CORE.replace("        character_sets: [ISO_IR 100, ISO_IR 192]\n", "")
    found = run(write_env, "CF003", core=core, modalities=modalities)
    # CT_1 (Latin-1) to PACS (nothing declared) is a mismatch; US_1 (ISO_IR 6 only) is
    # not, but it cannot read the Latin-1 worklist answers of the RIS.
    assert [(f.entity, f.detail) for f in found] == [
        ("route:ct-to-pacs", "route CT_1 -> PACS"),
        ("ae:US_1", "worklist RIS -> US_1"),
    ]
    assert "only the default ISO_IR 6" in found[0].message


def test_code_extension_form_of_the_same_set_matches(write_env):
    # PACS declares ISO_IR 100, VNA its code-extension form ISO 2022 IR 100: one repertoire.
    assert run(write_env, "CF003") == []
    core = CORE.replace("[ISO 2022 IR 100, ISO_IR 192]", "[ISO 2022 IR 144, ISO_IR 192]")
    [finding] = run(write_env, "CF003", core=core)
    assert finding.entity == "route:pacs-to-vna"
    assert "PACS may send ISO_IR 100," in finding.message


def test_worklist_provider_towards_its_consumers(write_env):
    core = CORE.replace("character_sets: [ISO_IR 100]\n", "character_sets: [ISO_IR 192]\n")
    found = run(write_env, "CF003", core=core)
    line = line_of(ROUTES, "provider: RIS")
    assert [(f.entity, f.detail, where(f)[2]) for f in found] == [
        ("ae:CT_1", "mpps CT_1 -> RIS", line),
        ("ae:CT_1", "worklist RIS -> CT_1", line),
        ("ae:US_1", "mpps US_1 -> RIS", line),
        ("ae:US_1", "worklist RIS -> US_1", line),
    ]
    assert found[1].location.column < found[2].location.column  # at each consumer
    assert "RIS may send ISO_IR 192" in found[1].message
    assert "CT_1 may send ISO_IR 100, which RIS does not declare" in found[0].message


def test_one_finding_per_sender_and_receiver(write_env):
    core = CORE
    routes = ROUTES.replace(
        "worklist:",
        "  - {name: ct-to-pacs-again, from: CT_1, to: PACS, purpose: reading}\nworklist:",
    )
    modalities = MODALITIES.replace("character_sets: [ISO_IR 100]", "character_sets: [GB18030]")
    found = [
        f
        for f in run(write_env, "CF003", core=core, modalities=modalities, routes=routes)
        if f.entity.startswith("route:")
    ]
    [finding] = found
    assert finding.entity == "route:ct-to-pacs"
    assert any("ct-to-pacs-again" in r.message for r in finding.related)


# --- CF004 invalid-character-set-combination -----------------------------------------


@pytest.mark.parametrize(
    "sets, bad",
    [
        ("[ISO_IR 192, ISO_IR 100]", True),
        ("[GBK, ISO 2022 IR 6]", True),
        ("[ISO_IR 100, ISO_IR 144]", True),
        ("[ISO 2022 IR 6, ISO 2022 IR 87]", False),
        ("[ISO_IR 100, ISO 2022 IR 87]", False),  # kept to the two rules PS3.3 states plainly
        ("[ISO_IR 192]", False),
        ("[ISO_IR 100, ISO_IR 100]", False),
    ],
)
def test_initiator_only_character_set_combinations(write_env, sets, bad):
    modalities = MODALITIES.replace("character_sets: [ISO_IR 100]", f"character_sets: {sets}")
    found = run(write_env, "CF004", modalities=modalities)
    if bad:
        [finding] = found
        assert where(finding) == ("CF004", "modalities.yaml", line_of(modalities, sets))
        assert "CT_1 (ct-1)" in finding.message
    else:
        assert found == []


def test_an_acceptor_may_support_several_sets(write_env):
    core = CORE.replace("[ISO_IR 100, ISO_IR 192]", "[ISO_IR 192, ISO_IR 100, ISO_IR 144, GB18030]")
    assert run(write_env, "CF004", core=core) == []


def test_shared_character_set_list_is_reported_once(write_env):
    modalities = MODALITIES.replace(
        "character_sets: [ISO_IR 100]", "character_sets: &sets [ISO_IR 192, ISO_IR 100]"
    ).replace('["ISO_IR 100"]', "*sets")
    [finding] = run(write_env, "CF004", modalities=modalities)
    assert "CT_1 (ct-1), US_1 (us-1)" in finding.message


# --- CF005 duplicate-transfer-capability ---------------------------------------------


def test_same_class_in_the_same_role_twice(write_env):
    scu = (
        "          - {sop_classes: [CTImageStorage, UltrasoundImageStorage], role: SCU, "
        "transfer_syntaxes: *native}\n"
    )
    core = CORE.replace(
        scu,
        scu + "          - {sop_class: UltrasoundImageStorage, role: SCP, "
        "transfer_syntaxes: [JPEGLSLossless, ImplicitVRLittleEndian]}\n",
    )
    [finding] = run(write_env, "CF005", core=core)
    assert where(finding) == ("CF005", "core.yaml", line_of(core, "JPEGLSLossless"))
    assert "UltrasoundImageStorage as SCP twice" in finding.message
    assert finding.related[0].location.line == line_of(core, "- UltrasoundImageStorage")


def test_scu_and_scp_of_one_class_are_not_duplicates(write_env):
    assert run(write_env, "CF005") == []
