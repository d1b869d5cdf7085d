"""Network security (issue 11, slice 2): every DICOM association between sites, encrypted
site links, URL secrets, unverified TLS, TLS certificate expiry and versions."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.findings import Severity
from imgpolicy.model.devices import Connection
from imgpolicy.redact import url_credentials
from imgpolicy.rules.registry import all_rules

TODAY = date(2026, 11, 28)

SITES = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: us-west}
  - {name: CLINIC, jurisdiction: US-CA, region: us-west}
  - {name: HUB, jurisdiction: US-CA, region: us-west}
  - {name: DR, jurisdiction: US-AZ, region: us-south}
"""

# A clinic CT that sends in clear, queries the RIS worklist and reports MPPS; the main
# site's PACS, RIS and dose monitor listen without TLS; the DR archive too.
DEVICES = """\
imgpolicy: 1
devices:
  - name: ct-clinic
    site: CLINIC
    kind: modality
    modality: CT
    connections:
      - {name: dicom, hostname: ct.clinic.example.org, port: 104}
    application_entities:
      - {ae_title: CT_CLINIC}
  - name: pacs
    site: MAIN
    kind: pacs
    connections:
      - {name: dicom, hostname: pacs.main.example.org, port: 11112}
    application_entities:
      - {ae_title: PACS_MAIN}
  - name: ris
    site: MAIN
    kind: ris
    connections:
      - {name: dicom, hostname: ris.main.example.org, port: 11112}
    application_entities:
      - {ae_title: RIS_MAIN}
  - name: vna-dr
    site: DR
    kind: vna
    connections:
      - {name: dicom, hostname: vna.dr.example.org, port: 11112}
    application_entities:
      - {ae_title: VNA_DR}
  - name: dose
    site: MAIN
    kind: dose-monitor
    connections:
      - {name: dicom, hostname: dose.main.example.org, port: 11112}
    application_entities:
      - {ae_title: DOSE_MAIN}
"""

WORKLIST = """\
imgpolicy: 1
worklist:
  - {provider: RIS_MAIN, consumers: [CT_CLINIC], mpps_destination: RIS_MAIN}
"""


def findings(write_env, files: dict[str, str], *select: str, today: date = TODAY, config=None):
    root = write_env({"sites.yaml": SITES, "devices.yaml": DEVICES, **files})
    result = check([str(root)], config or Config(select=list(select)), today=today)
    assert result.load.findings == [], [f.message for f in result.load.findings]
    return result.active


def links(*entries: str) -> dict[str, str]:
    return {"links.yaml": "imgpolicy: 1\nsite_links:\n" + "".join(f"  - {e}\n" for e in entries)}


ROUTE = """\
imgpolicy: 1
routes:
  - {name: ct-to-pacs, from: CT_CLINIC, to: PACS_MAIN, purpose: reading}
"""

# --- SEC001: site links -----------------------------------------------------------------


@pytest.mark.parametrize("encryption", ["ipsec", "sd-wan", "tls"])
def test_an_encrypting_site_link_covers_plain_dicom(write_env, encryption):
    found = findings(
        write_env,
        {
            "routes.yaml": ROUTE,
            **links(f"{{name: l, sites: [MAIN, CLINIC], encryption: {encryption}}}"),
        },
        "SEC001",
    )
    assert found == []


def test_without_a_link_plain_dicom_across_sites_is_reported(write_env):
    [found] = findings(write_env, {"routes.yaml": ROUTE}, "SEC001")
    assert found.entity == "route:ct-to-pacs" and found.detail == ""
    assert "(CLINIC -> MAIN)" in found.message
    assert "no site link between CLINIC and MAIN is declared" in found.message
    assert "sites: [CLINIC, MAIN], encryption: ipsec" in found.message  # how to declare it


@pytest.mark.parametrize(
    "encryption,words", [("mpls", "MPLS (separated, not encrypted)"), ("none", "not encrypted")]
)
def test_a_link_that_does_not_encrypt_is_named(write_env, encryption, words):
    files = {
        "routes.yaml": ROUTE,
        **links(f"{{name: wan, sites: [CLINIC, MAIN], encryption: {encryption}}}"),
    }
    [found] = findings(write_env, files, "SEC001")
    assert f"site link 'wan' between them is {words}" in found.message
    assert "set its `encryption`" in found.message
    assert any("site link 'wan'" in r.message for r in found.related)


def test_hub_and_spoke_tunnels_carry_traffic_between_spokes(write_env):
    spokes = links(
        "{name: clinic-hub, sites: [CLINIC, HUB], encryption: ipsec}",
        "{name: hub-main, sites: [HUB, MAIN], encryption: sd-wan}",
    )
    assert findings(write_env, {"routes.yaml": ROUTE, **spokes}, "SEC001") == []


def test_a_direct_plain_link_wins_over_tunnels_elsewhere(write_env):
    spokes = links(
        "{name: clinic-hub, sites: [CLINIC, HUB], encryption: ipsec}",
        "{name: hub-main, sites: [HUB, MAIN], encryption: ipsec}",
        "{name: clinic-main-dsl, sites: [CLINIC, MAIN], encryption: none}",
    )
    [found] = findings(write_env, {"routes.yaml": ROUTE, **spokes}, "SEC001")
    assert "clinic-main-dsl" in found.message


def test_a_link_to_an_undeclared_site_is_reported(write_env):
    files = links("{name: l, sites: [MAIN, CLINC], encryption: ipsec}")
    [found] = findings(write_env, files, "SEC001")
    assert "site 'CLINC', which is not declared (did you mean 'CLINIC'?)" in found.message
    assert found.location.path.endswith("links.yaml") and found.location.line == 3


# --- SEC001: every association, not only routes -------------------------------------------


def test_worklist_query_and_mpps_across_sites_are_reported(write_env):
    """Review s02: MWL and MPPS carry names, birth dates and MRNs; they were never checked."""
    found = findings(write_env, {"worklist.yaml": WORKLIST}, "SEC001")
    assert sorted(f.detail for f in found) == ["mpps:CT_CLINIC", "mwl:CT_CLINIC"]
    mwl = next(f for f in found if f.detail == "mwl:CT_CLINIC")
    assert "Modality Worklist query (C-FIND) CT_CLINIC -> RIS_MAIN" in mwl.message
    assert (mwl.location.line, mwl.location.column) == (3, 38)  # the consumer in the list
    linked = {
        "worklist.yaml": WORKLIST,
        **links("{name: l, sites: [MAIN, CLINIC], encryption: ipsec}"),
    }
    assert findings(write_env, linked, "SEC001") == []


def test_worklist_over_tls_on_both_ends_passes(write_env):
    devices = DEVICES.replace(
        "ct.clinic.example.org, port: 104}", "ct.clinic.example.org, port: 104, tls: true}"
    )
    devices = devices.replace(
        "ris.main.example.org, port: 11112}",
        "ris.main.example.org, port: 2762, tls: {min_version: 1.3}}",
    )
    root = write_env({"sites.yaml": SITES, "devices.yaml": devices, "worklist.yaml": WORKLIST})
    assert check([str(root)], Config(select=["SEC001"]), today=TODAY).active == []


PREFETCH = """\
imgpolicy: 1
routes:
  - {name: priors, from: VNA_DR, to: PACS_MAIN, purpose: prefetch%s}
"""


@pytest.mark.parametrize(
    "method,expected",
    [
        (
            "",
            {("", "C-STORE VNA_DR -> PACS_MAIN"), ("c-move", "C-MOVE request PACS_MAIN -> VNA_DR")},
        ),
        (
            ", method: c-move",
            {("", "C-STORE VNA_DR -> PACS_MAIN"), ("c-move", "C-MOVE request PACS_MAIN -> VNA_DR")},
        ),
        (", method: c-get", {("c-get", "C-GET PACS_MAIN -> VNA_DR")}),
        (", method: wado-rs", set()),
    ],
)
def test_prefetch_associations_in_both_directions(write_env, method, expected):
    found = findings(write_env, {"routes.yaml": PREFETCH % method}, "SEC001")
    assert {(f.detail, next(s for _, s in expected if s in f.message)) for f in found} == expected


def test_storage_commitment_result_to_a_listening_sender(write_env):
    """The archive may open its own association to report the commitment (PS3.4 J.3.3)."""
    route = ROUTE.replace("purpose: reading}", "purpose: reading, commitment: true}")
    linked = links("{name: l, sites: [MAIN, CLINIC], encryption: none}")
    found = findings(write_env, {"routes.yaml": route, **linked}, "SEC001")
    assert sorted(f.detail for f in found) == ["", "storage-commitment"]
    report = next(f for f in found if f.detail == "storage-commitment")
    assert "storage commitment result (N-EVENT-REPORT) PACS_MAIN -> CT_CLINIC" in report.message
    # a sender that accepts no association gets the result on its own association
    outbound = DEVICES.replace("ct.clinic.example.org, port: 104}", "ct.clinic.example.org}")
    outbound = outbound.replace("{ae_title: CT_CLINIC}", "{ae_title: CT_CLINIC, acceptor: false}")
    root = write_env({"sites.yaml": SITES, "devices.yaml": outbound, "routes.yaml": route})
    found = check([str(root)], Config(select=["SEC001"]), today=TODAY).active
    assert [f.detail for f in found] == [""]


def test_dose_monitor_query_across_sites(write_env):
    dose = "imgpolicy: 1\ndose: {monitor: DOSE_MAIN, collection: query, collect_from: VNA_DR}\n"
    found = findings(write_env, {"dose.yaml": dose}, "SEC001")
    assert sorted(f.detail for f in found) == ["dose-query", "dose-retrieve"]
    assert all(f.location.path.endswith("dose.yaml") for f in found)
    pushed = "imgpolicy: 1\ndose: {monitor: DOSE_MAIN, collect_from: VNA_DR}\n"
    assert findings(write_env, {"dose.yaml": pushed}, "SEC001") == []


# --- INT001 -------------------------------------------------------------------------------

HL7 = """\
imgpolicy: 1
integrations:
  - {name: orders, kind: hl7, source: ris, target: ct-clinic, endpoint: "mllp://ct.clinic.example.org:2575"}
"""


def test_int001_honours_encrypting_site_links(write_env):
    [plain] = findings(write_env, {"int.yaml": HL7}, "INT001")
    assert "no site link between MAIN and CLINIC is declared" in plain.message
    tunnel = links("{name: l, sites: [CLINIC, MAIN], encryption: ipsec}")
    assert findings(write_env, {"int.yaml": HL7, **tunnel}, "INT001") == []
    mpls = links("{name: l, sites: [CLINIC, MAIN], encryption: mpls}")
    [still] = findings(write_env, {"int.yaml": HL7, **mpls}, "INT001")
    assert "MPLS" in still.message


def test_references_are_what_the_sources_say():
    rules = all_rules()
    for code in ("INT001", "SEC001"):
        why = rules[code].sections()["Why"]
        assert "data in transit" not in why  # the guide never says it
        assert "164.312(e)(2)(ii)" in why and "164.312(e)(1)" in why
    int003 = rules["INT003"].sections()["Why"]
    assert "164.502(b)" not in int003 and "164.308(a)(4)" in int003


# --- SEC002: secrets in URLs ----------------------------------------------------------------


def test_url_credentials_names_what_without_the_value():
    assert url_credentials("https://ehr:Winter2026!@fhir.example.org/r4") == ["user info password"]
    assert url_credentials("https://x.example.org/wado?access_token=eyJabc&x=1") == [
        "query parameter access_token"
    ]
    assert url_credentials("https://x.example.org/?sig=abc;key=def") == [
        "query parameter sig",
        "query parameter key",
    ]
    for clean in (
        "https://ehr@fhir.example.org/",  # a user name is no secret
        "https://${FHIR_USER}:${FHIR_PASSWORD}@fhir.example.org/",
        "https://x.example.org/?token=${TOKEN}",
        "https://x.example.org/?study=1.2.3",
    ):
        assert url_credentials(clean) == [], clean


def test_secrets_in_urls_anywhere_are_unsuppressible_and_never_repeated(write_env):
    files = {
        "int.yaml": """\
imgpolicy: 1
integrations:
  - name: viewer
    kind: dicomweb
    source: ris
    target: pacs
    endpoint: "https://ris:Hunter22x@pacs.main.example.org/dicomweb"  # imgpolicy: ignore[SEC002] reason="lab"
    services: [WADO-RS]
""",
        "more.yaml": """\
imgpolicy: 1
devices:
  - name: ai
    site: MAIN
    kind: ai
    conformance_statement: "https://vendor.example.com/dcs.pdf?X-Amz-Signature=0a1b2c3d"
    description: "results at https://ai.example.org/r?apikey=k3yk3yk3y"
""",
    }
    found = findings(write_env, files, "SEC002")
    shown = sorted((f.entity, f.detail) for f in found if f.code == "SEC002")
    assert shown == [
        ("device:ai", "conformance_statement:query parameter X-Amz-Signature"),
        ("device:ai", "description:query parameter apikey"),
        ("integration:viewer", "endpoint:user info password"),
    ]
    assert "SUP003" in {f.code for f in found}  # the inline suppression is refused
    endpoint = next(f for f in found if f.entity == "integration:viewer" and f.code == "SEC002")
    assert endpoint.location.line == 7
    assert "integrations[viewer].endpoint holds a URL with a user info password" in endpoint.message
    for f in found:
        for secret in ("Hunter22x", "0a1b2c3d", "k3yk3yk3y"):
            assert secret not in f.message


# --- SEC003: certificates not verified ----------------------------------------------------

FHIR = """\
imgpolicy: 1
integrations:
  - name: studies
    kind: fhir
    source: ris
    target: pacs
    endpoint: %s
    verify_tls: false
%s"""


def test_unverified_tls_with_credentials(write_env):
    creds = '    credentials: {token: "${PACS_TOKEN}"}\n'
    [found] = findings(
        write_env, {"int.yaml": FHIR % ("https://pacs.main.example.org/fhir", creds)}, "SEC003"
    )
    assert "without verifying the server's certificate" in found.message
    assert found.location.line == 8  # verify_tls
    assert (
        findings(
            write_env, {"int.yaml": FHIR % ("https://pacs.main.example.org/fhir", "")}, "SEC003"
        )
        == []
    )
    [plain] = findings(
        write_env, {"int.yaml": FHIR % ("http://pacs.main.example.org/fhir", creds)}, "SEC003"
    )
    assert "in clear" in plain.message


# --- SEC004: TLS profile ----------------------------------------------------------------------

TLS_DEVICE = """\
imgpolicy: 1
devices:
  - name: vna
    site: MAIN
    kind: vna
    connections:
      - {name: dicom-tls, hostname: vna.main.example.org, port: 2762, tls: %s}
    application_entities:
      - {ae_title: VNA}
"""


def sec004(write_env, tls: str, **kwargs):
    root = write_env({"d.yaml": TLS_DEVICE % tls})
    result = check([str(root)], kwargs.pop("config", Config(select=["SEC004"])), today=TODAY)
    assert result.load.findings == []
    return result.active


@pytest.mark.parametrize(
    "tls,expected",
    [
        ("{certificate_expires: 2026-11-27}", [(Severity.ERROR, "expired on 2026-11-27")]),
        ("{certificate_expires: 2026-11-28}", [(Severity.WARNING, "expires on 2026-11-28")]),
        ("{certificate_expires: 2026-12-28}", [(Severity.WARNING, "within 30d")]),
        ("{certificate_expires: 2026-12-29}", []),
        ("{min_version: 1.1}", [(Severity.ERROR, "accepts TLS 1.1, deprecated")]),
        ("{min_version: '1.0', certificate_expires: 2027-06-01}", [(Severity.ERROR, "TLS 1.0")]),
        ("{min_version: 1.2, mutual: true}", []),
        ("true", []),
        ("false", []),
    ],
)
def test_certificate_expiry_and_versions(write_env, tls, expected):
    found = sec004(write_env, tls)
    assert len(found) == len(expected)
    for f, (severity, words) in zip(found, expected, strict=True):
        assert f.severity is severity and words in f.message, f.message
        assert f.entity == "device:vna"


def test_expiry_warning_option(write_env):
    config = Config(select=["SEC004"], rules={"SEC004": {"expiry_warning": "90d"}})
    [found] = sec004(write_env, "{certificate_expires: 2027-02-01}", config=config)
    assert found.severity is Severity.WARNING
    config = Config(select=["SEC004"], rules={"SEC004": {"severity": Severity.INFO}})
    [found] = sec004(write_env, "{certificate_expires: 2026-12-01}", config=config)
    assert found.severity is Severity.INFO  # a lowered rule severity is never raised


def test_two_findings_of_one_connection_are_told_apart(write_env):
    found = sec004(write_env, "{min_version: 1.0, certificate_expires: 2020-01-01}")
    assert sorted(f.detail for f in found) == ["dicom-tls:certificate", "dicom-tls:min_version"]


# --- the model ----------------------------------------------------------------------------------


def test_connection_tls_forms():
    def conn(tls):
        return Connection.model_validate({"name": "c", "hostname": "h", "tls": tls})

    assert conn(True).uses_tls and conn({}).uses_tls and not conn(False).uses_tls
    assert conn({"min_version": 1.3}).tls.min_version == "1.3"  # an unquoted YAML number


def test_bad_tls_value_is_a_schema_error_at_the_field(write_env):
    root = write_env(
        {
            "d.yaml": TLS_DEVICE % "{min_version: 1.4}",
            "e.yaml": TLS_DEVICE.replace("name: vna", "name: vnb") % "yes",
        }
    )
    done = subprocess.run(
        [shutil.which("imgpolicy") or "imgpolicy", "check", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stdout.splitlines() if "SCHEMA" in line]
    assert len(lines) == 2, done.stdout
    assert any("d.yaml:7:" in line and "tls.min_version" in line for line in lines)
    assert any("e.yaml:7:" in line and "expected true or false" in line for line in lines)
