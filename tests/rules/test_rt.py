"""Routing rules on realistic multi-file environments, with file:line asserted."""

from __future__ import annotations

from datetime import date

from imgpolicy.config import Config
from imgpolicy.engine import check

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: NIGHTHAWK, jurisdiction: US-AZ, region: us-south, teleradiology: true}
"""

DEVICES = """\
imgpolicy: 1
devices:
  - name: mg-1
    site: MAIN
    kind: modality
    modality: MG
    application_entities:
      - ae_title: MG_1
        acceptor: false
        transfer_capabilities:
          - sop_classes: [DigitalMammographyXRayImageStorageForPresentation, BreastTomosynthesisImageStorage]
            role: SCU
            transfer_syntaxes: [JPEG2000Lossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian]
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
            transfer_syntaxes: [JPEGBaseline8Bit, ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: router
    site: MAIN
    kind: router
    application_entities:
      - ae_title: ROUTER
        transfer_capabilities:
          - &all-scp
            sop_classes: [DigitalMammographyXRayImageStorageForPresentation, BreastTomosynthesisImageStorage, CTImageStorage]
            role: SCP
            transfer_syntaxes: [JPEGBaseline8Bit, JPEG2000Lossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian]
          - sop_classes: [DigitalMammographyXRayImageStorageForPresentation, BreastTomosynthesisImageStorage, CTImageStorage]
            role: SCU
            transfer_syntaxes: [JPEGBaseline8Bit, ExplicitVRLittleEndian, ImplicitVRLittleEndian]
  - name: telerad-pacs
    site: NIGHTHAWK
    kind: pacs
    application_entities:
      - ae_title: NH_PACS
        transfer_capabilities:
          - *all-scp
  - name: vna
    site: MAIN
    kind: vna
    application_entities:
      - ae_title: VNA
        transfer_capabilities:
          - sop_classes: [CTImageStorage]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
"""

ROUTES = """\
imgpolicy: 1
routes:
  - {name: mg-to-router, from: MG_1, to: ROUTER, purpose: forward, transfer_syntax: JPEG2000Lossless}
  - {name: ct-to-router, from: CT_1, to: ROUTER, purpose: forward, transfer_syntax: ExplicitVRLittleEndian}
  - name: router-to-nighthawk      # forwards "everything", mammography included
    from: ROUTER
    to: NH_PACS
    purpose: teleradiology
  - name: router-to-vna
    from: ROUTER
    to: VNA
    purpose: archive
    transfer_syntax: ExplicitVRLittleEndian
"""


def run(write_env, *select, routes=ROUTES):
    root = write_env({"sites.yaml": SITES, "devices/all.yaml": DEVICES, "routes.yaml": routes})
    result = check([str(root)], Config(select=list(select)), today=TODAY)
    assert result.load.findings == []
    return [
        (f.code, f.location.path.rsplit("/", 1)[-1], f.location.line, f.message)
        for f in result.active
    ]


def test_router_forwarding_mammography_lossy_to_teleradiology_is_caught(write_env):
    """The fault a one-route-at-a-time check misses: MG reaches telerad through a router."""
    found = run(write_env, "RT006")
    assert [(c, f, line) for c, f, line, _ in found] == [("RT006", "routes.yaml", 5)] * 2
    mammography, teleradiology = sorted((m for *_, m in found), key=lambda m: "CT" in m)
    assert "router-to-nighthawk" in mammography and "JPEGBaseline8Bit" in mammography
    assert (
        "BreastTomosynthesisImageStorage" in mammography and "cannot be suppressed" in mammography
    )
    assert (
        "CTImageStorage (JPEGBaseline8Bit)" in teleradiology and "lossy_approved" in teleradiology
    )


def test_archive_route_without_the_classes_it_receives(write_env):
    found = run(write_env, "RT002")
    assert [(c, f, line) for c, f, line, _ in found] == [("RT002", "routes.yaml", 11)]
    assert "BreastTomosynthesisImageStorage" in found[0][3]
    assert "DigitalMammographyXRayImageStorageForPresentation" in found[0][3]


def test_modality_whose_studies_never_reach_the_archive(write_env):
    found = run(write_env, "RT007")
    assert [(c, f, line) for c, f, line, _ in found] == [("RT007", "all.yaml", 8)]
    assert found[0][3].startswith("MG_1 (mg-1)")


def test_declared_route_syntax_must_be_supported_by_both_ends(write_env):
    routes = ROUTES.replace(
        "transfer_syntax: JPEG2000Lossless}", "transfer_syntax: JPEGLSLossless}"
    )
    found = run(write_env, "RT004", routes=routes)
    assert [(c, f, line) for c, f, line, _ in found] == [("RT004", "routes.yaml", 3)]
    assert "MG_1 and ROUTER" in found[0][3]


def test_match_narrows_what_the_router_forwards(write_env):
    routes = ROUTES.replace(
        "    purpose: teleradiology\n",
        "    purpose: teleradiology\n    match: {modality: [CT]}\n"
        "    transfer_syntax: ExplicitVRLittleEndian\n",
    )
    assert run(write_env, "RT006", routes=routes) == []


def test_unknown_ae_suggests_a_case_variant(write_env):
    routes = ROUTES.replace("to: VNA", "to: vna")
    found = run(write_env, "RT001", routes=routes)
    assert [(c, f, line) for c, f, line, _ in found] == [("RT001", "routes.yaml", 11)]
    assert "did you mean 'VNA'" in found[0][3]


def test_loops_are_found_once_and_prefetch_is_not_a_loop(write_env):
    routes = ROUTES + (
        "  - {name: vna-back, from: VNA, to: ROUTER, purpose: forward}\n"
        "  - {name: vna-priors, from: VNA, to: NH_PACS, purpose: prefetch}\n"
    )
    devices = DEVICES.replace(
        "          - sop_classes: [CTImageStorage]\n            role: SCP\n",
        "          - sop_classes: [CTImageStorage]\n            role: SCU\n"
        "            transfer_syntaxes: [ImplicitVRLittleEndian]\n"
        "          - sop_classes: [CTImageStorage]\n            role: SCP\n",
    )
    root = write_env({"sites.yaml": SITES, "devices/all.yaml": devices, "routes.yaml": routes})
    result = check([str(root)], Config(select=["RT008"]), today=TODAY)
    [loop] = result.active
    assert "ROUTER -> VNA -> ROUTER" in loop.message
    assert {r.location.line for r in loop.related} == {14}


def test_flow_is_computed_over_the_whole_graph(write_env):
    from imgpolicy.analysis.index import Index
    from imgpolicy.load import load_environment

    root = write_env({"sites.yaml": SITES, "devices/all.yaml": DEVICES, "routes.yaml": ROUTES})
    index = Index(load_environment([str(root)]), TODAY)
    telerad = next(r for r in index.env.routes if r.name == "router-to-nighthawk")
    modalities = {m for m, _ in index.flow.carries(telerad)}
    assert modalities == {"MG", "CT"}
    assert index.flow.arriving["NH_PACS"] == index.flow.available["ROUTER"]
