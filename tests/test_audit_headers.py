"""`imgpolicy audit headers`: seeded identity errors in synthetic studies are each found
exactly once, clean studies produce nothing, the sample is reproducible, the accuracy
interval is the Wilson interval, orders are read from CSV and HL7, and no patient
identity reaches any output unless asked for (and then only text and JSON)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataelem import DataElement
from pydicom.uid import generate_uid

from imgpolicy.analysis.index import Index
from imgpolicy.audit import headers
from imgpolicy.audit.headers import (
    accuracy_figure,
    name_problems,
    sample_studies,
    studies_needed,
    wilson,
)
from imgpolicy.audit.observed import SourceFailed, StudySummary, Window
from imgpolicy.audit.orders import read_orders
from imgpolicy.audit.phi import Identity
from imgpolicy.audit.sources.folder import FolderSource
from imgpolicy.load import load_environment

from .audit_data import instance, write_study
from .audit_peers import orthanc_factory, store  # noqa: F401
from .conftest import assert_no_traceback, run

TODAY = date(2026, 11, 29)

ENV = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: west, patient_id_issuer: MAIN_MRN}
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    connections:
      - {name: c, hostname: ct-1.example.org}
    application_entities:
      - ae_title: CT_1
        acceptor: false
        character_sets: [ISO_IR 100]
        transfer_capabilities:
          - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
  - name: mr-1
    site: MAIN
    kind: modality
    modality: MR
    connections:
      - {name: c, hostname: mr-1.example.org}
    application_entities:
      - ae_title: MR_1
        acceptor: false
        transfer_capabilities:
          - {sop_class: MRImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
  - name: pacs
    site: MAIN
    kind: pacs
    connections:
      - {name: c, hostname: pacs.example.org, port: 11112}
    application_entities:
      - ae_title: PACS
        character_sets: [ISO_IR 100]
        transfer_capabilities:
          - sop_classes: [CTImageStorage, MRImageStorage]
            role: SCP
            transfer_syntaxes: [ExplicitVRLittleEndian]
routes:
  - {name: ct-to-pacs, from: CT_1, to: PACS, purpose: reading}
  - {name: mr-to-pacs, from: MR_1, to: PACS, purpose: reading}
"""


@dataclass
class Seeded:
    env: Path
    data: Path
    orders: Path
    expected: set[tuple[str, str]]
    """(code, study UID) of every seeded error."""
    clean: list[str]
    secrets: list[str]
    """Every synthetic name, patient ID, accession and study UID written."""


def _study(folder: Path, rows: list[str], secrets: list[str], count: int = 1, **fields):
    """Write one study of `count` instances; its order goes to `rows` unless
    `order=False` (or `order_mrn` gives the order another patient)."""
    order = fields.pop("order", True)
    order_mrn = fields.pop("order_mrn", None)
    raw_name = fields.pop("raw_name", None)
    names = fields.pop("names", None)
    uid = generate_uid()
    defaults = dict(
        issuer="MAIN_MRN", station="CT_1" if fields.get("modality", "CT") == "CT" else "MR_1"
    )
    instances = []
    for k in range(count):
        values = {**defaults, **fields}
        if names:
            values["patient_name"] = names[k]
        ds = instance(study_uid=uid, pixels=False, **values)
        if raw_name is not None:
            ds[0x00100010] = DataElement(0x00100010, "PN", raw_name)
        instances.append(ds)
    write_study(folder / uid, instances)
    shown = [raw_name.decode("latin-1")] if raw_name else names or [fields["patient_name"]]
    secrets.extend([fields["patient_id"], fields["accession"], uid, *shown])
    if order and fields["accession"]:
        mrn = order_mrn or fields["patient_id"]
        modality = fields.get("modality", "CT")
        rows.append(f"{fields['accession']},{mrn},Doe^Test,{modality},2026-11-02")
    return uid


def seed(tmp_path: Path) -> Seeded:
    """Five clean studies and one study per seeded error (two for the duplicate)."""
    env = tmp_path / "env"
    env.mkdir()
    (env / "environment.yaml").write_text(ENV, encoding="utf-8")
    data = tmp_path / "studies"
    rows: list[str] = []
    secrets: list[str] = []
    n = iter(range(100, 200))

    def ids():
        k = next(n)
        return dict(patient_id=f"MRN7001{k}", accession=f"ACC5{k}", patient_name=f"SYNTHA{k}^ROBIN")

    clean = [_study(data, rows, secrets, count=2, **ids()) for _ in range(3)]
    clean += [
        _study(data, rows, secrets, modality="MR", description="MR KNEE", **ids()) for _ in range(2)
    ]
    expected = set()

    def seeded(code, **fields):
        expected.add((code, _study(data, rows, secrets, **{**ids(), **fields})))

    seeded("AUDIT020", patient_id="", order_mrn="MRN8000001")
    seeded("AUDIT021", issuer=None)
    seeded("AUDIT022", issuer="EAST_MRN")
    seeded("AUDIT023", order_mrn="MRN9999999")
    seeded("AUDIT024", patient_name="SYNTHB JOHN")
    seeded("AUDIT024", modality="MR", patient_name="x", raw_name=b"M\xdcLLERSYN^HANS")
    seeded("AUDIT025", accession="")
    seeded("AUDIT026", order=False)
    seeded("AUDIT027", description="")
    seeded("AUDIT028", referring="")
    seeded("AUDIT029", modality="MR", station="CT_1", description="MR BRAIN")
    seeded("AUDIT030", charset="ISO_IR 192")
    seeded("AUDIT032", count=2, names=["SYNTHC^JANE", "SYNTHC^JANET"])
    twin = {**ids(), "description": "CT CHEST"}
    _study(data, rows, secrets, **twin)
    expected.add(("AUDIT031", _study(data, rows, secrets, **{**twin, "accession": "ACC5999"})))
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "Accession Number,Patient ID,Patient Name,Modality,Scheduled Date\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    secrets += ["MRN9999999", "MRN8000001"]
    return Seeded(env, data, orders, expected, clean, [s for s in secrets if s])


def _index(env: Path) -> Index:
    return Index(load_environment((str(env),)), TODAY)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    return seed(tmp_path_factory.mktemp("seeded"))


def test_each_seeded_error_is_found_once_and_clean_studies_give_nothing(seeded):
    orders = read_orders(seeded.orders)
    result = headers.audit(
        _index(seeded.env),
        [FolderSource(seeded.data)],
        Window(),
        identity=Identity(),
        sample=100,
        seed=0,
        orders=orders,
    )
    found = [(f.code, f.detail.split()[0]) for f in result.findings]
    assert len(found) == len(set(found)), "a problem reported twice"
    duplicate_pair = {uid for code, uid in found if code == "AUDIT031"}
    expected = {(c, u) for c, u in seeded.expected if c != "AUDIT031"}
    assert set(found) - {("AUDIT031", u) for u in duplicate_pair} == expected
    assert len(duplicate_pair) == 1
    assert not {uid for _, uid in found} & set(seeded.clean)
    assert result.observed == 5 + 13 + 2
    # inaccurate: no ID, ID not the order's, no accession, no order
    figure = result.figures[0]
    assert figure.item == "patient-id-accuracy" and figure.value == pytest.approx(16 / 20)
    assert figure.met is False and "16 of 20" in figure.text


def test_findings_sit_at_what_the_environment_declares(seeded):
    result = headers.audit(
        _index(seeded.env),
        [FolderSource(seeded.data)],
        Window(),
        identity=Identity(),
        orders=read_orders(seeded.orders),
    )
    by_code = {f.code: f for f in result.findings}
    text = (seeded.env / "environment.yaml").read_text().splitlines()
    assert "patient_id_issuer" in text[by_code["AUDIT022"].location.line - 1]
    assert "modality: CT" in text[by_code["AUDIT029"].location.line - 1]
    assert "character_sets" in text[by_code["AUDIT030"].location.line - 1]
    assert by_code["AUDIT030"].entity == "ae:PACS"
    assert by_code["AUDIT020"].entity == "device:ct-1"


def test_without_orders_no_order_findings_and_no_verdict(seeded):
    result = headers.audit(
        _index(seeded.env), [FolderSource(seeded.data)], Window(), identity=Identity()
    )
    codes = {f.code for f in result.findings}
    assert not codes & {"AUDIT023", "AUDIT026"}
    assert "AUDIT025" in codes
    # 19 of 20 IDs present: the interval is wholly below 99.9 %, so not met even so
    assert result.figures[0].met is False


def test_sampling_is_reproducible_and_depends_on_the_seed():
    studies = [StudySummary(generate_uid(), ("CT",)) for _ in range(50)] + [
        StudySummary(generate_uid(), ("MR", "SR")) for _ in range(7)
    ]
    first = sample_studies(studies, 10, seed=1)
    shuffled = studies[:]
    random.Random(5).shuffle(shuffled)
    again = sample_studies(shuffled, 10, seed=1)
    other = sample_studies(studies, 10, seed=2)
    uids = lambda chosen, m: [s.study_uid for s in chosen[m][0]]  # noqa: E731
    assert uids(first, "CT") == uids(again, "CT")
    assert uids(first, "CT") != uids(other, "CT")
    assert len(uids(first, "CT")) == 10 and first["CT"][1] == 50
    assert len(uids(first, "MR")) == 7 and uids(first, "MR") == uids(other, "MR")
    assert uids(first, "CT") == sorted(uids(first, "CT"))


@pytest.mark.parametrize(
    "successes,n,low,high",
    # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score)
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    found = wilson(successes, n)
    assert found == pytest.approx((low, high), abs=1e-4)


def test_accuracy_needs_the_lower_bound_at_the_target():
    assert studies_needed() == 3838
    assert wilson(3838, 3838)[0] >= 0.999 > wilson(3837, 3837)[0]
    assert accuracy_figure(100, 100, True).met is None
    assert "3,838" in accuracy_figure(100, 100, True).text
    assert accuracy_figure(3838, 3838, True).met is True
    assert accuracy_figure(98, 100, True).met is False
    assert accuracy_figure(4000, 4000, False).met is None


@pytest.mark.parametrize(
    "name,terms,problem",
    [
        ("", [], "no patient name"),
        ("DOE JOHN", [], "not separated"),
        ("DOE, JOHN", [], "not separated"),
        ("DOE ^JOHN", [], "spaces around"),
        ("A^B^C^D^E^F", [], "6 components"),
        ("MÜLLER^HANS", [], "outside the default character set ISO_IR 6"),
        ("ΔΟΕ^ΙΩ", ["ISO_IR 100"], "outside the declared character set ISO_IR 100"),
    ],
)
def test_name_problems(name, terms, problem):
    found = "; ".join(name_problems(name, terms))
    assert problem in found, found


@pytest.mark.parametrize(
    "name,terms",
    [
        ("DOE^JOHN", []),
        ("Doe^John^Q^^Jr", []),
        ("MÜLLER^HANS", ["ISO_IR 100"]),
        ("DOE", []),
        ("山田^太郎", ["ISO_IR 192"]),
    ],
)
def test_good_names_have_no_problem(name, terms):
    assert name_problems(name, terms) == []


# --- orders -----------------------------------------------------------------------------------


def test_orders_csv_with_other_column_names_and_separator(tmp_path):
    path = tmp_path / "ris.csv"
    path.write_text(
        "\ufeffAcc No;MRN;Issuer of Patient ID;Exam Description;Study Date;Modality\n"
        "A1;P1;MAIN_MRN;CT HEAD;20261102;ct\n"
        "\n"
        "A2;P2;;MR KNEE;2026-11-03 08:15;MR\n",
        encoding="utf-8",
    )
    orders = read_orders(path)
    assert len(orders) == 2
    first = orders.find(" A1 ")
    assert first.mrn == "P1" and first.issuer == "MAIN_MRN" and first.modality == "CT"
    assert first.procedure == "CT HEAD" and first.day == date(2026, 11, 2)
    assert orders.find("A2").day == date(2026, 11, 3) and orders.find("A2").location.line == 4


@pytest.mark.parametrize(
    "text,where,words",
    [
        ("accession,mrn\nA1,P1\n,P2\n", ":3:", "accession column is empty"),
        ("accession,name\nA1,X\n", ":1:", "no mrn column"),
        ("accession,mrn,date\nA1,P1,2026-11-02\nA2,P2,yesterday\n", ":3:", "not a date"),
        ("accession,mrn\nA1,P1\nA1,P2\n", ":3:", "also at line 2"),
        ("accession,mrn\nA1,P1,extra\n", ":2:", "3 fields where the header has 2"),
    ],
)
def test_bad_csv_lines_name_the_line(tmp_path, text, where, words):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFailed) as caught:
        read_orders(path)
    message = str(caught.value)
    assert f"{path}{where}" in message and words in message
    assert "P2" not in message and "A1" not in message  # values are patient identity


HL7 = (
    "\x0bMSH|^~\\&|RIS|MAIN|PACS|MAIN|20261102080000||ORM^O01|1|P|2.5.1\r"
    "PID|1||XX123^^^OTHER^PI~P100^^^MAIN_MRN&1.2.3&ISO^MR||DOE^JANE^Q^JR^DR\r"
    "ORC|NW|PL1|FI1\r"
    "OBR|1|PL1|FI1|CTHEAD^CT HEAD WO CONTRAST^L|||20261102|||||||||||ACC1|RP1|||||CT|||^^^20261103090000\r"
    "\x1c\r"
    "\x0bMSH|^~\\&|RIS|MAIN|PACS|MAIN|20261102080500||ACK^O01|2|P|2.5.1\r"
    "MSA|AA|1\r\x1c\r"
    "MSH|^~\\&|RIS|MAIN|PACS|MAIN|20261102081000||ORM^O01|3|P|2.5.1\n"
    "PID|1||P200^^^MAIN_MRN||ROE^RICHARD\n"
    "ORC|NW|PL2|FI2\n"
    "OBR|1|PL2|FI2|MRKNEE^MR KNEE\\T\\LEG||||||||||||||||||||MR\n"
    "MSH|^~\\&|RIS|MAIN|PACS|MAIN|20261102082000||ORM^O01|4|P|2.5.1\n"
    "PID|1||P300^^^MAIN_MRN||POE^PAT\n"
    "ORC|NW|PL3|FI3\n"
    "OBR|1|PL3|FI3|XR^XR CHEST\n"
    "MSH|^~\\&|RIS|MAIN|PACS|MAIN|20261102083000||ORM^O01|5|P|2.5.1\n"
    "PID|1||P300^^^MAIN_MRN||POE^PAT\n"
    "ORC|CA|PL3|FI3\n"
    "OBR|1|PL3|FI3|XR^XR CHEST\n"
)


def test_orders_from_hl7_messages(tmp_path):
    path = tmp_path / "orders.hl7"
    path.write_bytes(HL7.encode())
    orders = read_orders(path)
    first = orders.find("ACC1")  # OBR-18, not the placer (PL1) or filler (FI1) number
    assert first.mrn == "P100" and first.issuer == "MAIN_MRN"  # the MR-typed PID-3 repetition
    assert first.patient_name == "DOE^JANE^Q^DR^JR" and first.procedure == "CT HEAD WO CONTRAST"
    assert first.day == date(2026, 11, 3) and first.modality == "CT"
    assert first.location.line == 4
    second = orders.find("FI2")  # no OBR-18: the filler order number
    assert second.mrn == "P200" and second.procedure == "MR KNEE&LEG" and second.modality == "MR"
    assert orders.find("FI3") is None and orders.cancelled == 1 and orders.skipped == 1
    assert orders.find("PL1") is None and len(orders) == 2


@pytest.mark.parametrize(
    "text,line,words",
    [
        ("PID|1||P1\rMSH|^~\\&|A|B|C|D|1||ORM^O01|1|P|2.5\r", 1, "before the first MSH"),
        ("MSH|^~\\&|A|B|C|D|1||ORM^O01|1|P|2.5\rPID|1||\rOBR|1||F1\r", 2, "PID-3"),
        ("MSH|^~\\&|A|B|C|D|1||ORM^O01|1|P|2.5\rPID|1||P1\rOBR|1\r", 3, "no accession"),
        ("MSH|^~\\&|A|B|C|D|1||ORM^O01|1|P|2.5\rPID|1||P1\rob r|1\r", 3, "segment name"),
    ],
)
def test_bad_hl7_names_the_line(tmp_path, text, line, words):
    path = tmp_path / "orders.hl7"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFailed, match=words) as caught:
        read_orders(path)
    assert str(caught.value).startswith(f"{path}:{line}:")


def test_cli_bad_orders_file_exits_2_with_file_line(seeded, tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text("accession,mrn\nA1,P1\n,P2\n", encoding="utf-8")
    result = run("audit", "headers", str(seeded.env), str(seeded.data), "--orders", str(bad))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"{bad}:3:" in result.stderr and "accession column is empty" in result.stderr


# --- patient identity in every format ---------------------------------------------------------

FORMATS = ["text", "json", "sarif", "junit", "github", "gitlab"]


def _cli(seeded: Seeded, *more: str):
    return run(
        "audit",
        "headers",
        str(seeded.env),
        str(seeded.data),
        "--orders",
        str(seeded.orders),
        "--today",
        "2026-11-29",
        *more,
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_patient_identity_in_any_format_by_default(seeded, fmt):
    result = _cli(seeded, "--format", fmt)
    assert_no_traceback(result)
    assert result.exit_code == 1, result.stderr
    assert "AUDIT023" in result.output
    leaked = [s for s in seeded.secrets if s in result.output or s in result.stderr]
    assert not leaked


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_show_phi_shows_identity_in_text_and_json(seeded, fmt):
    result = _cli(seeded, "--format", fmt, "--show-phi")
    assert result.exit_code == 1, result.stderr
    assert "MRN9999999" in result.output  # the order's patient ID in the AUDIT023 message
    assert "SYNTHB JOHN" in result.output
    if fmt == "json":
        document = json.loads(result.output)
        assert any(f["code"] == "AUDIT031" for f in document["findings"])


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "gitlab"])
def test_show_phi_with_a_code_host_format_is_a_usage_error(seeded, fmt):
    result = _cli(seeded, "--format", fmt, "--show-phi")
    assert_no_traceback(result)
    assert result.exit_code == 2 and "--show-phi" in result.stderr
    assert not [s for s in seeded.secrets if s in result.output]


# --- a real Orthanc, over REST and DICOMweb ------------------------------------------------------


@pytest.fixture(scope="module")
def stored(orthanc_factory, seeded):  # noqa: F811
    pacs = orthanc_factory(aet="AUDIT_PACS")
    for folder in sorted(seeded.data.iterdir()):
        files = sorted(folder.glob("*.dcm"))
        store(pacs, files, calling_ae=str(dcmread(files[0]).StationName))
    return pacs


@pytest.mark.peers
@pytest.mark.parametrize("scheme", ["orthanc", "dicomweb"])
def test_real_archive_gives_exactly_the_seeded_errors(seeded, stored, scheme, monkeypatch):
    url = stored.url if scheme == "orthanc" else stored.dicomweb
    monkeypatch.setenv("IMGPOLICY_SOURCE_USER", stored.user)
    monkeypatch.setenv("IMGPOLICY_SOURCE_PASSWORD", stored.password)
    result = _cli_source(seeded, f"{scheme}+{url}", "--format", "json", "--show-phi")
    assert_no_traceback(result)
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.output)
    codes = sorted(f["code"] for f in document["findings"])
    assert codes == sorted(code for code, _ in seeded.expected)
    for code, uid in seeded.expected:
        if code != "AUDIT031":
            assert any(f["code"] == code and uid in f["message"] for f in document["findings"])
    assert any("16 of 20 sampled studies" in note for note in document["notes"])


def _cli_source(seeded: Seeded, source: str, *more: str):
    return run(
        "audit",
        "headers",
        str(seeded.env),
        source,
        "--orders",
        str(seeded.orders),
        "--today",
        "2026-11-29",
        *more,
    )


def test_evidence_has_the_accuracy_and_no_identity(seeded, tmp_path):
    evidence = tmp_path / "headers.json"
    result = _cli(seeded, "--format", "json", "--evidence", str(evidence))
    assert result.exit_code == 1, result.stderr
    text = evidence.read_text(encoding="utf-8")
    (figure,) = json.loads(text)["figures"]
    assert figure["item"] == "patient-id-accuracy" and figure["met"] is False
    assert figure["value"] == pytest.approx(0.8)
    assert not [s for s in seeded.secrets if s in text]


def test_encounter_based_point_of_care_needs_no_accession_or_referrer(tmp_path):
    """examples/regional-health's ED POCUS is encounter-based (no order: the ED physician
    who scans reads), so no Accession Number and no Referring Physician is normal there;
    an ordered CT without a referrer is still a finding."""
    regional = Path(__file__).parent.parent / "examples" / "regional-health"
    loaded = load_environment((str(regional),), None)
    index = Index(loaded, date(2026, 11, 29))
    pocus = instance(
        patient_id="SYN0042",
        patient_name="SYNTH^POCUS",
        accession="",
        referring="",
        issuer="SPRH_EPIC",
        charset="ISO_IR 100",
        station="US_SPMC_POCUS",
        description="FAST EXAM",
        pixels=False,
    )
    pocus.Modality = "US"
    ordered = instance(
        patient_id="SYN0043",
        patient_name="SYNTH^CT",
        accession="SYNACC43",
        referring="",
        issuer="SPRH_EPIC",
        charset="ISO_IR 100",
        station="CT_SPMC_ED",
        pixels=False,
    )
    write_study(tmp_path / "pocus", [pocus])
    write_study(tmp_path / "ct", [ordered])
    result = headers.audit(index, [FolderSource(tmp_path)], Window(), identity=Identity())
    found = sorted((f.code, f.message.split(" (")[1].split(",")[0]) for f in result.findings)
    assert found == [("AUDIT028", "CT")]
