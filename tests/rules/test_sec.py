"""Integration (INT) and security (SEC) rules on realistic multi-file environments."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.findings import Severity

TODAY = date(2026, 11, 28)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "regional-health"

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: CLINIC, jurisdiction: US-NV, region: us-west}
  - {name: TELE, jurisdiction: US-AZ, region: us-south, teleradiology: true}
"""

DEVICES = """\
imgpolicy: 1
devices:
  - name: us-clinic
    site: CLINIC
    kind: modality
    modality: US
    connections:
      - {name: dicom, hostname: us.clinic.example.org, tls: true}
    application_entities:
      - {ae_title: US_CLINIC, connections: [dicom], acceptor: false}
  - name: ct-main
    site: MAIN
    kind: modality
    modality: CT
    connections:
      - {name: dicom, hostname: ct.main.example.org}
    application_entities:
      - {ae_title: CT_MAIN, acceptor: false}
  - name: pacs
    site: MAIN
    kind: pacs
    connections:
      - {name: dicom, hostname: pacs.main.example.org, port: 11112}
      - {name: dicom-tls, hostname: pacs.main.example.org, port: 2762, tls: true}
    application_entities:
      - {ae_title: PACS_MAIN, connections: [dicom, dicom-tls]}
      - {ae_title: PACS_LAN, connections: [dicom]}
  - name: tele-pacs
    site: TELE
    kind: pacs
    connections:
      - {name: dicom, hostname: ingest.tele.example.org, port: 104}
    application_entities:
      - {ae_title: TELE_PACS}
  - {name: ehr, site: MAIN, kind: emr}
  - {name: ris, site: MAIN, kind: ris}
  - {name: vna, site: MAIN, kind: vna}
  - {name: viewer-clinic, site: CLINIC, kind: viewer}
"""

ROUTES = """\
imgpolicy: 1
routes:
  - {name: us-clinic-to-pacs, from: US_CLINIC, to: PACS_MAIN, purpose: reading}
  - {name: ct-to-pacs, from: CT_MAIN, to: PACS_LAN, purpose: reading}
  - name: pacs-to-tele
    from: PACS_MAIN
    to: TELE_PACS
    purpose: teleradiology
  - {name: us-clinic-to-lan, from: US_CLINIC, to: PACS_LAN, purpose: reading}
"""

INTEGRATIONS = """\
imgpolicy: 1
integrations:
  - name: orders
    kind: hl7
    source: ehr
    target: ris
    endpoint: mllp://ris.main.example.org:6661
    messages: [ORM]
  - name: clinic-viewer
    kind: dicomweb
    source: viewer-clinic
    target: vna
    endpoint: http://vna.main.example.org/dicomweb
    services: [QIDO-RS, WADO-RS]
  - name: ehr-imagingstudy
    kind: fhir
    source: ehr
    target: vna
    endpoint: https://vna.main.example.org/fhir/r4
    credentials:
      username: ehr
      token: "${VNA_FHIR_TOKEN}"
"""


def run(write_env, *select, integrations=INTEGRATIONS, routes=ROUTES, devices=DEVICES):
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": devices,
            "routes.yaml": routes,
            "interfaces/integrations.yaml": integrations,
        }
    )
    result = check([str(root)], Config(select=list(select)), today=TODAY)
    assert result.load.findings == []
    return [
        (f.code, f.location.path.rsplit("/", 1)[-1], f.location.line, f.message)
        for f in result.active
    ]


def where(found):
    return [(c, f, line) for c, f, line, _ in found]


# --- INT001 ---------------------------------------------------------------------------


def test_plain_dicomweb_across_sites(write_env):
    found = run(write_env, "INT001")
    assert where(found) == [("INT001", "integrations.yaml", 13)]
    assert "clinic-viewer" in found[0][3] and "use https://" in found[0][3]
    assert "CLINIC" in found[0][3] and "MAIN" in found[0][3]


def test_plain_transport_within_a_site_is_not_int001(write_env):
    """orders is mllp:// but EHR and RIS stand at the same site."""
    assert all("orders" not in m for *_, m in run(write_env, "INT001"))


def test_unknown_ends_are_left_to_int002(write_env):
    integrations = INTEGRATIONS.replace("source: viewer-clinic", "source: viewer-gone")
    assert run(write_env, "INT001", integrations=integrations) == []
    found = run(write_env, "INT002", integrations=integrations)
    assert where(found) == [("INT002", "integrations.yaml", 11)]


# --- INT002 ---------------------------------------------------------------------------


def test_unknown_device_with_case_hint(write_env):
    integrations = INTEGRATIONS.replace("target: ris", "target: RIS")
    found = run(write_env, "INT002", integrations=integrations)
    assert where(found) == [("INT002", "integrations.yaml", 6)]
    assert "did you mean 'ris'" in found[0][3]


@pytest.mark.parametrize(
    "endpoint, fragment",
    [
        ("https://ris.main.example.org/hl7", "uses https://, which is not a hl7 transport"),
        ("ris.main.example.org:6661", "is not a URL"),
        ("mllps://ris.main.example.org:99999", "is not a valid URL"),
        ("mllps://:6661", "names no host"),
    ],
)
def test_endpoint_must_fit_the_kind(write_env, endpoint, fragment):
    integrations = INTEGRATIONS.replace("mllp://ris.main.example.org:6661", endpoint)
    found = run(write_env, "INT002", integrations=integrations)
    assert where(found) == [("INT002", "integrations.yaml", 7)]
    assert fragment in found[0][3]


@pytest.mark.parametrize(
    "endpoint",
    ["MLLPS://ris.main.example.org:6661", "mllps://10.1.2.3:6661", "mllps://[fd00::1]:6661"],
)
def test_good_endpoints(write_env, endpoint):
    integrations = INTEGRATIONS.replace("mllp://ris.main.example.org:6661", endpoint)
    assert run(write_env, "INT002", integrations=integrations) == []


# --- INT003 ---------------------------------------------------------------------------


def test_dicomweb_without_services(write_env):
    integrations = INTEGRATIONS.replace("    services: [QIDO-RS, WADO-RS]\n", "")
    found = run(write_env, "INT003", integrations=integrations)
    assert where(found) == [("INT003", "integrations.yaml", 10)]
    assert found[0][3].startswith("DICOMweb integration 'clinic-viewer' lists no services")


def test_int003_severity_and_ignore_via_config(write_env):
    integrations = INTEGRATIONS.replace("    services: [QIDO-RS, WADO-RS]\n", "")
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": DEVICES,
            "interfaces/integrations.yaml": integrations,
        }
    )
    default = check([str(root)], Config(select=["INT003"]), today=TODAY).active
    assert [f.severity for f in default] == [Severity.WARNING]
    config = Config(select=["INT003"], rules={"INT003": {"severity": Severity.ERROR}})
    assert [f.severity for f in check([str(root)], config, today=TODAY).active] == [Severity.ERROR]
    assert (
        check([str(root)], Config(select=["INT"], ignore=["INT001", "INT003"]), today=TODAY).active
        == []
    )


# --- SEC001 ---------------------------------------------------------------------------


def test_cross_site_routes_without_tls(write_env):
    found = run(write_env, "SEC001")
    assert where(found) == [("SEC001", "routes.yaml", 5), ("SEC001", "routes.yaml", 9)]
    tele, lan = found[0][3], found[1][3]
    assert "pacs-to-tele" in tele and "TELE_PACS accepts only without TLS (dicom:104)" in tele
    assert "PACS_MAIN (pacs) has no TLS connection" not in tele  # the source has TLS
    assert "us-clinic-to-lan" in lan and "PACS_LAN accepts only without TLS (dicom:11112)" in lan


def test_same_site_and_tls_routes_pass(write_env):
    """us-clinic-to-pacs crosses sites over TLS; ct-to-pacs stays at MAIN without TLS."""
    found = run(write_env, "SEC001")
    assert not any("us-clinic-to-pacs" in m or "ct-to-pacs" in m for *_, m in found)


def test_source_without_tls_and_related_locations(write_env):
    devices = DEVICES.replace(
        "{name: dicom, hostname: us.clinic.example.org, tls: true}",
        "{name: dicom, hostname: us.clinic.example.org}",
    )
    root = write_env({"sites.yaml": SITES, "devices/all.yaml": devices, "routes.yaml": ROUTES})
    found = check([str(root)], Config(select=["SEC001"]), today=TODAY).active
    first = next(f for f in found if "us-clinic-to-pacs" in f.message)
    assert first.location.line == 3
    assert "US_CLINIC (us-clinic) has no TLS connection" in first.message
    assert "add a connection with tls: true to US_CLINIC" in first.message
    assert [(r.location.path.rsplit("/", 1)[-1], r.location.line) for r in first.related] == [
        ("all.yaml", 10)
    ]


def test_destination_without_any_listener(write_env):
    devices = DEVICES.replace(
        "      - {name: dicom, hostname: ingest.tele.example.org, port: 104}\n",
        "      - {name: dicom, hostname: ingest.tele.example.org}\n",
    )
    found = run(write_env, "SEC001", devices=devices)
    tele = next(m for *_, m in found if "pacs-to-tele" in m)
    assert "TELE_PACS declares no accepting connection with TLS" in tele


def test_ae_uses_only_the_connections_it_lists(write_env):
    """PACS_LAN lists only the plain connection, though its device has a TLS one."""
    found = run(write_env, "SEC001")
    assert any("PACS_LAN accepts only without TLS" in m for *_, m in found)


# --- SEC002 ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ['"${VNA_FHIR_TOKEN}"', '"${env:VNA_FHIR_TOKEN}"', '"${_X9}"'])
def test_environment_references_pass(write_env, value):
    integrations = INTEGRATIONS.replace('"${VNA_FHIR_TOKEN}"', value)
    assert run(write_env, "SEC002", integrations=integrations) == []


@pytest.mark.parametrize(
    "value",
    [
        '"s3cr3t-Passw0rd"',
        '"$VNA_FHIR_TOKEN"',
        '"${vna_fhir_token}"',
        '"${VNA_FHIR_TOKEN} "',
        '"${9TOKEN}"',
        '"{{ vault.token }}"',
        '"${env:VNA_FHIR_TOKEN}x"',
        '"${file:/run/secret}"',
    ],
)
def test_anything_else_is_a_plaintext_secret_and_is_never_repeated(write_env, value):
    integrations = INTEGRATIONS.replace('"${VNA_FHIR_TOKEN}"', value)
    found = run(write_env, "SEC002", integrations=integrations)
    assert where(found) == [("SEC002", "integrations.yaml", 22)]
    message = found[0][3]
    assert value.strip('"') not in message
    assert "credentials.token" in message and "${EHR_IMAGINGSTUDY_TOKEN}" in message


def test_secret_located_at_the_exact_field_in_flow_style(write_env):
    integrations = INTEGRATIONS.replace(
        '    credentials:\n      username: ehr\n      token: "${VNA_FHIR_TOKEN}"\n',
        '    credentials: {username: ehr, password: "${PW}", api_key: hunter2}\n',
    )
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": DEVICES,
            "interfaces/integrations.yaml": integrations,
        }
    )
    [finding] = check([str(root)], Config(select=["SEC002"]), today=TODAY).active
    assert (finding.location.line, finding.location.column) == (20, 62)  # the value of api_key
    assert (finding.entity, finding.detail) == ("integration:ehr-imagingstudy", "api_key")
    assert "hunter2" not in finding.message


def test_sec002_cannot_be_suppressed_inline_or_by_baseline(write_env, tmp_path):
    integrations = INTEGRATIONS.replace(
        '      token: "${VNA_FHIR_TOKEN}"\n',
        '      token: "abc123"  # imgpolicy: ignore[SEC002] reason="rotated weekly"\n',
    )
    root = write_env(
        {
            "sites.yaml": SITES,
            "devices/all.yaml": DEVICES,
            "interfaces/integrations.yaml": integrations,
        }
    )
    result = check([str(root)], Config(select=["SEC002"]), today=TODAY)
    assert sorted(f.code for f in result.active) == ["SEC002", "SUP003"]
    assert all("abc123" not in f.message for f in result.findings)

    from imgpolicy import baseline

    accepted = tmp_path / "baseline.json"
    baseline.write(str(accepted), result.active)
    again = check([str(root)], Config(select=["SEC002"]), baseline=str(accepted), today=TODAY)
    assert "SEC002" in {f.code for f in again.active}


# --- SEC003 ---------------------------------------------------------------------------


def test_credentials_over_plain_transport_even_within_a_site(write_env):
    integrations = INTEGRATIONS.replace(
        "    messages: [ORM]\n",
        '    messages: [ORM]\n    credentials: {username: ehr, password: "${RIS_PW}"}\n',
    )
    found = run(write_env, "SEC003", integrations=integrations)
    assert where(found) == [("SEC003", "integrations.yaml", 7)]
    assert "orders" in found[0][3] and "use mllps://" in found[0][3]


def test_no_credentials_or_tls_is_not_sec003(write_env):
    assert run(write_env, "SEC003") == []


# --- the shipped example, mutated --------------------------------------------------------


def test_regional_example_is_clean_and_its_faults_are_found(tmp_path):
    env = tmp_path / "env"
    shutil.copytree(EXAMPLE, env)
    config = Config(select=["INT", "SEC"])
    assert check([str(env)], config, today=TODAY).active == []

    sites = env / "sites.yaml"  # the TMCH SD-WAN becomes a plain MPLS circuit
    sites.write_text(
        sites.read_text().replace(
            "sites: [SPMC, TMCH]\n    encryption: sd-wan",
            "sites: [SPMC, TMCH]\n    encryption: mpls",
        ),
        encoding="utf-8",
    )
    integrations = env / "integrations.yaml"
    integrations.write_text(
        integrations.read_text().replace(
            "mllps://hl7.nwr.imaging.example.org:7100", "mllp://hl7.nwr.imaging.example.org:7100"
        ),
        encoding="utf-8",
    )
    found = check([str(env)], config, today=TODAY).active
    others = sorted((f.code, f.entity) for f in found if f.code != "SEC001")
    assert others == [
        ("INT001", "integration:ris-orders-to-teleradiology"),
        ("SEC003", "integration:ris-orders-to-teleradiology"),
    ]
    sec001 = [f for f in found if f.code == "SEC001"]
    # TMCH keeps its worklist and storage local (edge cache, MWL broker): what crosses the
    # WAN is the broker's own worklist and MPPS, the edge's forwarding, the ED CT's dose
    # report and the priors the VNA moves to the edge
    assert {f.detail for f in sec001 if f.entity.startswith("worklist:")} == {
        "mwl:MWL_TMCH",
        "mpps:MWL_TMCH",
    }
    assert {f.entity for f in sec001 if f.entity.startswith("route:")} >= {
        "route:edge-tmch.to-router",
        "route:ct-tmch-ed.dose",
        "route:vna.prefetch-to-edge-tmch",
    }
    assert all(
        ("(TMCH -> SPMC)" in f.message or "(SPMC -> TMCH)" in f.message) and "MPLS" in f.message
        for f in sec001
    )


# --- edge cases -----------------------------------------------------------------------


def test_empty_environment_gives_no_finding(write_env):
    root = write_env({"env.yaml": "imgpolicy: 1\n"})
    assert check([str(root)], Config(select=["INT", "SEC"]), today=TODAY).active == []


def test_unknown_references_do_not_crash(write_env):
    env = """\
imgpolicy: 1
routes:
  - {name: ghost, from: NOBODY, to: NOWHERE, purpose: reading}
integrations:
  - {name: ghost-link, kind: fhir, source: a, target: b, endpoint: "http://x", credentials: {token: t}}
"""
    root = write_env({"env.yaml": env})
    found = check([str(root)], Config(select=["INT", "SEC"]), today=TODAY).active
    assert sorted(f.code for f in found) == ["INT002", "INT002", "SEC002", "SEC003"]
