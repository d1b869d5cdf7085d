"""`imgpolicy audit dose`: Radiation Dose SRs read into numbers, and judged against the
environment's DRLs (facility median) and CT Dose Check values (single studies).

The dose SRs are built with pydicom (tests/rdsr_data.py) and checked with DCMTK's
`dsrdump`; one is built with DCMTK's `xml2dsr`. The end-to-end tests seed a folder (and a
real Orthanc) with one exam whose median is above its DRL and one study above a
notification value, and expect exactly those two findings, in every format, without the
synthetic patients' identity.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import XRayRadiationDoseSRStorage

from imgpolicy.analysis.index import Index
from imgpolicy.audit import dose, rdsr
from imgpolicy.audit.observed import Exchange, StudySummary, Unsupported, Window
from imgpolicy.audit.phi import Identity
from imgpolicy.load import load_environment

from . import rdsr_data
from .audit_data import instance
from .audit_peers import orthanc_factory, store  # noqa: F401 (the fixture, by name)
from .conftest import run

DAY = date(2026, 11, 2)

ENV = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: west}
  - {name: EAST, jurisdiction: US-CA, region: west}
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    application_entities:
      - {ae_title: CT_1}
  - name: ct-east
    site: EAST
    kind: modality
    modality: CT
    application_entities:
      - {ae_title: CT_EAST}
  - name: dx-1
    site: MAIN
    kind: modality
    modality: DX
    application_entities:
      - {ae_title: DX_1}
dose:
  reference_levels:
    - {exam: CT head, modality: CT, ctdivol_mgy: 57, dlp_mgy_cm: 1000,
       descriptions: ["CT HEAD*"], source: ACR-AAPM, edition: "2023"}
    - {exam: CT abdomen-pelvis, modality: CT, ctdivol_mgy: 25,
       procedure_codes: ["RADLEX:RPID144"], source: ACR-AAPM, edition: "2023"}
    - {exam: XR CHEST PA, modality: DX, dap_gy_cm2: 0.15}
  notification_values:
    - {exam: Adult head, ctdivol_mgy: 80, descriptions: ["Head*"]}
    - {exam: Adult abdomen, ctdivol_mgy: 50, descriptions: ["Abd*"]}
  alert_values: {ctdivol_mgy: 1000, dlp_mgy_cm: 8000}
"""

ABDOMEN = ("RPID144", "CT ABDOMEN PELVIS W CONTRAST", "RADLEX")


def _patient(i: int) -> dict:
    """A synthetic patient: names and IDs the PHI test greps every output for."""
    return {
        "patient_id": f"SYNMRN{i:05d}",
        "patient_name": f"SYNTHETIC^PATIENT{i:03d}",
        "accession": f"SYNACC{i:05d}",
    }


def _head(i: int, ctdivol: float, *, extra: list | None = None, **more) -> Dataset:
    """A CT head study: a localizer-free helical head scan, DLP 15 x CTDIvol."""
    events = [("Head routine", ctdivol, ctdivol * 15), *(extra or [])]
    options = {"description": "CT HEAD WO CONTRAST", "sending_ae": "CT_1", **more}
    options.setdefault("study_date", DAY)
    return rdsr_data.ct_rdsr(**_patient(i), events=events, **options)


def _abdomen(i: int, ctdivol: float, **more) -> Dataset:
    options = {"description": "CT ABD", "procedure": ABDOMEN, "sending_ae": "CT_1", **more}
    return rdsr_data.ct_rdsr(
        **_patient(i),
        events=[("Abdomen portal", ctdivol, ctdivol * 40)],
        study_date=DAY,
        **options,
    )


def _chest(i: int, dap_gy_cm2: float) -> Dataset:
    return rdsr_data.projection_rdsr(
        **_patient(i),
        planes=[(dap_gy_cm2 / 1e4, 0.0008, None)],
        study_date=DAY,
        description="XR CHEST PA",
        sending_ae="DX_1",
    )


def _seeded() -> list[Dataset]:
    """The seeded month: CT head's median below its DRL but one study's acquisition
    above the head notification value (95 > 80 mGy); CT abdomen's median above its DRL
    (28 > 25 mGy) with every acquisition below the notification value; chest below; two
    studies of an exam without a level."""
    heads = [_head(i, 40 + i % 10) for i in range(20)]
    heads[7] = _head(7, 44, extra=[("Head perfusion-like repeat", 95, 400)])
    abdomens = [_abdomen(100 + i, 26 + i % 5) for i in range(20)]
    chests = [_chest(200 + i, 0.08 + (i % 5) / 100) for i in range(20)]
    knees = [
        rdsr_data.ct_rdsr(
            **_patient(300 + i), events=[("Knee", 8, 120)], description="CT KNEE", study_date=DAY
        )
        for i in range(2)
    ]
    return [*heads, *abdomens, *chests, *knees]


class ListSource:
    """A source that holds the given datasets (for the judgement's unit tests)."""

    def __init__(self, datasets: list[Dataset], name: str = "test source") -> None:
        self.datasets = datasets
        self.name = name
        self.notes: list[str] = []
        self.records_every_association = False

    def dose_reports(self, window: Window) -> Iterator[Dataset]:
        yield from self.datasets

    def exchanges(self, window: Window) -> Iterator[Exchange]:
        raise Unsupported("not asked of a dose source")

    def studies(self, window: Window) -> list[StudySummary]:
        raise Unsupported("not asked of a dose source")

    def headers(self, study: StudySummary) -> list[Dataset]:
        raise Unsupported("not asked of a dose source")


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "env"
    folder.mkdir()
    (folder / "environment.yaml").write_text(ENV, encoding="utf-8")
    return folder


def _index(folder: Path, text: str | None = None) -> Index:
    if text is not None:
        (folder / "environment.yaml").write_text(text, encoding="utf-8")
    loaded = load_environment((str(folder),))
    assert loaded.schema_valid, [f.message for f in loaded.findings]
    return Index(loaded, date(2026, 11, 29))


def _audit(folder: Path, datasets: list[Dataset], text: str | None = None, **options):
    return dose.audit(
        _index(folder, text), [ListSource(datasets)], Window(), identity=Identity(**options)
    )


# --- reading dose SRs ------------------------------------------------------------------


def test_a_ct_dose_report_gives_its_events_totals_and_where_it_was_made():
    ds = rdsr_data.ct_rdsr(
        **_patient(1),
        events=[("Head routine", 55.0, 900.0), ("Head thin", 10.0, 150.0)],
        dlp_total=1080.0,
        procedure=("RPID22", "CT HEAD WO", "RADLEX"),
        sending_ae="CT_1",
        station="CTROOM1",
        serial="SN-42",
    )
    report = rdsr.read(ds)
    assert report is not None and report.kind == "ct" and report.modality == "CT"
    assert [(e.protocol, e.ctdivol_mgy, e.dlp_mgy_cm) for e in report.events] == [
        ("Head routine", 55.0, 900.0),
        ("Head thin", 10.0, 150.0),
    ]
    # the accumulated DLP as the report states it (not the events' sum), the highest
    # acquisition's CTDIvol, and the sum for the alert value
    assert report.metrics == {"dlp_mgy_cm": 1080.0, "ctdivol_mgy": 55.0}
    assert report.accumulated_ctdivol_mgy == 65.0
    assert (report.sending_ae, report.station, report.serial_number) == ("CT_1", "CTROOM1", "SN-42")
    assert report.manufacturer == "ACME Medical" and report.study_date == DAY
    assert [(c.scheme, c.value) for c in report.procedure_codes] == [("RADLEX", "RPID22")]
    assert report.description == "CT HEAD WO CONTRAST" and report.unreadable == ()


def test_without_an_accumulated_dlp_the_events_dlps_are_summed():
    ds = rdsr_data.ct_rdsr(**_patient(1), events=[("A", 5, 100), ("B", 6, 150)])
    accumulated = ds.ContentSequence[5]
    assert accumulated.ConceptNameCodeSequence[0].CodeValue == "113811"
    del accumulated.ContentSequence[1]  # CT Dose Length Product Total
    report = rdsr.read(ds)
    assert report is not None and report.metrics["dlp_mgy_cm"] == 250


def test_a_projection_report_converts_to_the_levels_units_and_sums_the_planes():
    # DAP in Gy.m2 (as RDSRs give it) -> Gy*cm2; Dose (RP) Gy -> mGy; fluoro s -> min
    ds = rdsr_data.projection_rdsr(
        **_patient(2), planes=[(0.0012, 0.25, 300.0), (0.0003, 0.05, 120.0)], sending_ae="XA_1"
    )
    report = rdsr.read(ds)
    assert report is not None and report.kind == "projection"
    assert report.metrics == {"dap_gy_cm2": 15.0, "air_kerma_mgy": 300.0, "fluoro_time_min": 7.0}
    # an SR header's Modality says nothing: any projection modality, narrowed by the device
    assert report.modality == "" and {"DX", "XA", "RF"} <= report.modalities


def test_a_mammography_report_gives_the_more_exposed_breasts_accumulated_agd():
    ds = rdsr_data.mammography_rdsr(**_patient(3), agd_by_breast={"R": 1.4, "L": 1.9})
    report = rdsr.read(ds)
    assert report is not None and report.kind == "mammography" and report.modality == "MG"
    assert report.metrics == {"agd_mgy": 1.9}


def test_a_radiopharmaceutical_report_gives_the_administered_activity():
    report = rdsr.read(rdsr_data.rrdsr(**_patient(4), activity_mbq=370))
    assert report is not None and report.kind == "radiopharmaceutical"
    assert report.metrics == {"activity_mbq": 370.0} and report.modalities == {"NM", "PT"}


def test_other_objects_are_not_dose_reports():
    image = instance(**_patient(5), pixels=False)
    text_sr = rdsr_data.ct_rdsr(**_patient(6), events=[("A", 1, 1)])
    text_sr.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"  # Basic Text SR
    text_sr.ConceptNameCodeSequence = Sequence([rdsr_data.code("18748-4", "Report", "LN")])
    assert rdsr.read(image) is None and rdsr.read(text_sr) is None
    assert rdsr.read(Dataset()) is None


def test_missing_and_malformed_values_are_none_and_counted_never_a_crash():
    ds = rdsr_data.ct_rdsr(**_patient(7), events=[("A", 12.0, 300.0), ("B", 9.0, 200.0)])
    first, second = (ds.ContentSequence[i].ContentSequence[4] for i in (6, 7))
    assert first.ConceptNameCodeSequence[0].CodeValue == "113829"  # CT Dose
    first.ContentSequence[0].MeasuredValueSequence[0].MeasurementUnitsCodeSequence[
        0
    ].CodeValue = "Gy.dm"  # a unit nobody uses
    del second.ContentSequence[0].MeasuredValueSequence  # an empty NUM
    second.ContentSequence[2].MeasuredValueSequence[0].NumericValue = "12"
    report = rdsr.read(ds)
    assert report is not None
    assert [e.ctdivol_mgy for e in report.events] == [None, None]
    assert report.metrics == {"dlp_mgy_cm": 500.0}  # the stated total still counts
    assert report.unreadable == ("113830 (Gy.dm)",)
    bare = Dataset()
    bare.SOPClassUID = XRayRadiationDoseSRStorage
    bare.ContentSequence = Sequence([Dataset(), Dataset()])  # items without anything
    empty = rdsr.read(bare)
    assert empty is not None and empty.metrics == {} and empty.study_date is None


def test_a_pathologically_deep_content_tree_is_bounded():
    ds = rdsr_data.ct_rdsr(**_patient(8), events=[("A", 5, 50)])
    node = ds
    for _ in range(200):
        child = rdsr_data.container(rdsr_data.code("113811", "CT Accumulated Dose Data"), [])
        node.ContentSequence = Sequence([*node.get("ContentSequence", []), child])
        node = child
    assert rdsr.read(ds) is not None


@pytest.fixture(scope="module")
def dsrdump() -> str:
    tool = shutil.which("dsrdump", path="/usr/bin:/usr/local/bin")
    if not tool:
        pytest.skip("DCMTK's dsrdump is not installed")
    return tool


@pytest.mark.peers
@pytest.mark.parametrize(
    ("build", "shown"),
    [
        (
            lambda: rdsr_data.ct_rdsr(**_patient(9), events=[("Head", 55, 900), ("Neck", 12, 300)]),
            [
                '"Mean CTDIvol")="55" (mGy',
                '"DLP")="300" (mGy.cm',
                '"CT Dose Length Product Total")="1200"',
                "X-Ray Radiation Dose SR Document",
            ],
        ),
        (
            lambda: rdsr_data.projection_rdsr(**_patient(10), planes=[(0.0012, 0.002, 90.0)]),
            ['"Dose Area Product Total")="0.0012" (Gy.m2', '"Total Fluoro Time")="90" (s'],
        ),
        (
            lambda: rdsr_data.mammography_rdsr(**_patient(11), agd_by_breast={"R": 1.4}),
            ['"Accumulated Average Glandular Dose")="1.4" (mGy'],
        ),
        (
            lambda: rdsr_data.rrdsr(**_patient(12), activity_mbq=370),
            ['"Administered activity")="370" (MBq', "Radiopharmaceutical Radiation Dose SR"],
        ),
    ],
)
def test_dcmtk_dsrdump_reads_the_test_reports_without_a_warning(dsrdump, tmp_path, build, shown):
    path = rdsr_data.write(tmp_path, build())
    done = subprocess.run([dsrdump, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    for text in shown:
        assert text in done.stdout


def _dcmtk_xml(events: list[tuple[str, float, float]], dlp_total: float) -> str:
    """A CT Radiation Dose report in DCMTK's XML (the format xml2dsr reads)."""

    def concept(value: str, meaning: str) -> str:
        return (
            f"<concept><value>{value}</value><scheme><designator>DCM</designator></scheme>"
            f"<meaning>{meaning}</meaning></concept>"
        )

    def num(value: str, meaning: str, number: float, unit: str) -> str:
        return (
            f"<num><relationship>CONTAINS</relationship>{concept(value, meaning)}"
            f"<value>{number}</value><unit><value>{unit}</value><scheme><designator>UCUM"
            f"</designator></scheme><meaning>{unit}</meaning></unit></num>"
        )

    acquisitions = "".join(
        f'<container flag="SEPARATE"><relationship>CONTAINS</relationship>'
        f"{concept('113819', 'CT Acquisition')}"
        f"<text><relationship>CONTAINS</relationship>"
        f"{concept('125203', 'Acquisition Protocol')}<value>{protocol}</value></text>"
        f'<container flag="SEPARATE"><relationship>CONTAINS</relationship>'
        f"{concept('113829', 'CT Dose')}{num('113830', 'Mean CTDIvol', ctdi, 'mGy')}"
        f"{num('113838', 'DLP', dlp, 'mGy.cm')}</container></container>"
        for protocol, ctdi, dlp in events
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<report type="X-Ray Radiation Dose SR">'
        '<sopclass uid="1.2.840.10008.5.1.4.1.1.88.67">XRayRadiationDoseSRStorage</sopclass>'
        "<modality>SR</modality>"
        "<device><manufacturer>ACME Medical</manufacturer><model>Model X</model>"
        "<serial>SN-XML-1</serial><version>1.0</version></device>"
        "<patient><id>SYNMRN00013</id><name><first>XML</first><last>SYNTHETIC</last></name>"
        "<sex>O</sex></patient>"
        '<study uid="1.2.826.0.1.3680043.8.498.913"><id>1</id><date>2026-11-02</date><time>10:15:00</time>'
        "<accession><number>SYNACC00013</number></accession>"
        "<description>CT HEAD WO CONTRAST</description></study>"
        '<series uid="1.2.826.0.1.3680043.8.498.914"><number>900</number></series>'
        '<instance uid="1.2.826.0.1.3680043.8.498.915"><number>1</number></instance>'
        '<document><completion flag="COMPLETE"></completion>'
        '<verification flag="UNVERIFIED"></verification>'
        '<content><date>2026-11-02</date><time>10:15:00</time><container flag="SEPARATE">'
        f"{concept('113701', 'X-Ray Radiation Dose Report')}"
        f'<container flag="SEPARATE"><relationship>CONTAINS</relationship>'
        f"{concept('113811', 'CT Accumulated Dose Data')}"
        f"{num('113813', 'CT Dose Length Product Total', dlp_total, 'mGy.cm')}</container>"
        f"{acquisitions}</container></content></document></report>\n"
    )


@pytest.mark.peers
def test_a_report_built_by_dcmtk_xml2dsr_reads_the_same(tmp_path, dsrdump):
    xml2dsr = shutil.which("xml2dsr", path="/usr/bin:/usr/local/bin")
    if not xml2dsr:
        pytest.skip("DCMTK's xml2dsr is not installed")
    source, built = tmp_path / "ct.xml", tmp_path / "ct.dcm"
    source.write_text(_dcmtk_xml([("Head", 61.5, 980.0), ("Neck", 8.0, 150.0)], 1130.0))
    done = subprocess.run(
        [xml2dsr, str(source), str(built)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    dumped = subprocess.run([dsrdump, str(built)], capture_output=True, text=True, timeout=60)
    assert dumped.returncode == 0 and '"Mean CTDIvol")="61.5"' in dumped.stdout
    report = rdsr.read(dcmread(built))
    assert report is not None and report.kind == "ct" and report.serial_number == "SN-XML-1"
    assert report.metrics == {"dlp_mgy_cm": 1130.0, "ctdivol_mgy": 61.5}
    assert [e.protocol for e in report.events] == ["Head", "Neck"]
    assert report.study_date == DAY and report.description == "CT HEAD WO CONTRAST"


# --- the judgement ---------------------------------------------------------------------


def _codes(result, *, missing: bool = False) -> list[tuple[str, str]]:
    """(code, entity) of the findings; those about modalities without any report
    (AUDIT043) only when `missing`, for tests that seed one modality."""
    return [(f.code, f.entity) for f in _judged(result, missing=missing)]


def _judged(result, *, missing: bool = False) -> list:
    return [f for f in result.findings if missing or f.code != "AUDIT043"]


def _line(text: str) -> int:
    """The line of ENV that holds `text`."""
    return next(n for n, line in enumerate(ENV.splitlines(), 1) if text in line)


def test_the_seeded_month_finds_the_median_above_its_drl_and_the_one_high_study(env_dir):
    result = _audit(env_dir, _seeded())
    assert _codes(result) == [
        ("AUDIT040", "drl:CT:CT abdomen-pelvis"),
        ("AUDIT041", "notification:CT:Adult head"),
    ]
    drl, high = result.findings
    assert "median CTDIvol of 20 studies is 28 mGy, above the DRL of 25 mGy" in drl.message
    assert "(ACR-AAPM, 2023); 75th percentile 29 mGy" in drl.message
    assert drl.location is not None and drl.location.line == _line("ctdivol_mgy: 25")
    assert "CTDIvol 95 mGy in the acquisition 'Head perfusion-like repeat'" in high.message
    assert "notification value of 80 mGy for the protocol group 'Adult head'" in high.message
    assert "of 2026-11-02 on 'ct-1'" in high.message
    assert result.observed == 62 and result.window == ("2026-11-02", "2026-11-02")
    figure = result.figures[0]
    assert figure.item == "dose-monitoring" and figure.met is False
    assert "1 facility median above the DRL" in figure.text
    assert any("'CT KNEE' x2" in note for note in result.notes)


def test_the_chart_data_has_every_level_and_metric_in_plain_numbers(env_dir):
    result = _audit(env_dir, _seeded())
    series = {(s["exam"], s["metric"]): s for s in result.data["dose"]}
    assert set(series) == {
        ("CT head", "ctdivol_mgy"),
        ("CT head", "dlp_mgy_cm"),
        ("CT abdomen-pelvis", "ctdivol_mgy"),
        ("XR CHEST PA", "dap_gy_cm2"),
    }
    abdomen = series[("CT abdomen-pelvis", "ctdivol_mgy")]
    assert abdomen["values_sorted"] == sorted([26 + i % 5 for i in range(20)])
    assert (abdomen["n"], abdomen["median"], abdomen["drl"], abdomen["unit"]) == (20, 28, 25, "mGy")
    assert abdomen["p75"] == 29
    chest = series[("XR CHEST PA", "dap_gy_cm2")]
    assert chest["values_sorted"][0] == 0.08 and chest["unit"] == "Gy*cm2"
    json.dumps(result.data)  # plain JSON


def test_a_study_maps_by_procedure_code_before_description(env_dir):
    # described as a head, coded as an abdomen-pelvis: the code wins
    coded = [_abdomen(i, 30, description="CT HEAD WO CONTRAST") for i in range(20)]
    result = _audit(env_dir, coded)
    series = {(s["exam"], s["metric"]): s["n"] for s in result.data["dose"]}
    assert series[("CT abdomen-pelvis", "ctdivol_mgy")] == 20
    assert series[("CT head", "ctdivol_mgy")] == 0
    # a code of another scheme does not match a SCHEME:VALUE declaration
    other = [_abdomen(i, 30, procedure=("RPID144", "x", "LOCAL")) for i in range(3)]
    assert any("'CT ABD' x3" in n for n in _audit(env_dir, other).notes)


def test_a_description_equal_to_the_exam_name_maps_without_patterns(env_dir):
    result = _audit(env_dir, [_chest(i, 0.2) for i in range(20)])
    assert _codes(result) == [("AUDIT040", "drl:DX:XR CHEST PA")]
    assert "median DAP of 20 studies is 0.2 Gy·cm², above the DRL of 0.15" in (
        _judged(result)[0].message
    )


def test_too_few_studies_give_a_note_and_no_verdict(env_dir):
    heads = [_head(i, 90 if i else 50) for i in range(5)]  # a median far above 57 mGy
    result = _audit(env_dir, heads)
    assert "AUDIT040" not in [f.code for f in result.findings]
    assert any(
        "CT head: 5 studies reporting CTDIvol, fewer than the 20" in n and "median 90 mGy" in n
        for n in result.notes
    )
    # no verdict on the levels, but DX and the abdomen have no data and CT head too few
    assert result.figures[0].met is False and "no dose reports from DX" in result.figures[0].text


def test_levels_without_studies_and_groups_no_study_matched_are_one_note_each(env_dir):
    result = _audit(env_dir, [_head(i, 40) for i in range(20)])
    empty = [n for n in result.notes if "had no study in the sources" in n]
    assert len(empty) == 1 and "CT head (" not in empty[0]
    unmatched = [n for n in result.notes if "notification value" in n and "matched no CT" in n]
    assert unmatched == [
        "1 CT Dose Check notification value matched no CT study, so no study was compared "
        "with it: Adult abdomen. Give them `descriptions:` (patterns of Study Description or "
        "protocol name) or `procedure_codes:` as the studies carry them."
    ]


def test_every_level_with_enough_studies_and_below_its_drl_is_met(env_dir):
    datasets = [
        *(_head(i, 40) for i in range(20)),
        *(_abdomen(100 + i, 20) for i in range(20)),
        *(_chest(200 + i, 0.1) for i in range(20)),
    ]
    result = _audit(env_dir, datasets)
    assert result.findings == []
    assert result.figures[0].met is True
    assert (
        "No facility median above its DRL, and dose reports from every modality"
        in result.figures[0].text
    )


def test_enough_studies_for_some_levels_only_is_no_verdict(env_dir):
    datasets = [*(_head(i, 40) for i in range(20)), *(_chest(200 + i, 0.1) for i in range(3))]
    result = _audit(env_dir, datasets)
    assert _judged(result) == []
    figure = result.figures[0]
    assert figure.met is None and "CT abdomen-pelvis CTDIvol" in figure.text


def test_the_accumulated_dose_above_the_alert_value_is_an_error(env_dir):
    perfusion = _head(1, 40, extra=[(f"Perfusion {n}", 30, 20) for n in range(33)])
    result = _audit(env_dir, [perfusion])
    alert = [f for f in result.findings if f.code == "AUDIT042"]
    assert len(alert) == 1 and alert[0].severity.name == "ERROR"
    assert "accumulated CTDIvol (sum of the acquisitions) 1030 mGy is above the alert value" in (
        alert[0].message
    )
    assert alert[0].location is not None and alert[0].location.line == _line("alert_values")
    # none of its acquisitions is above the head notification value
    assert "AUDIT041" not in [f.code for f in result.findings]


def test_an_acquisition_maps_to_its_protocol_group_by_its_own_protocol_name(env_dir):
    # a head study whose abdomen acquisition (60 mGy) is above the abdomen value (50), not
    # the head's (80)
    study = _head(1, 40, extra=[("Abdomen portal", 60, 600)])
    result = _audit(env_dir, [study])
    [finding] = [f for f in result.findings if f.code == "AUDIT041"]
    assert finding.entity == "notification:CT:Adult abdomen"


def test_pediatric_patients_are_not_compared_with_adult_levels(env_dir):
    child = _head(1, 40, birth_date="20200101")
    result = _audit(env_dir, [child])
    assert any("'CT head: no level for pediatric patients at MAIN' x1" in n for n in result.notes)
    text = ENV.replace(  # the exam's mapping comes from its adult level
        "  notification_values:",
        "    - {exam: CT head, modality: CT, patient_category: pediatric, ctdivol_mgy: 35}\n"
        "  notification_values:",
    )
    result = _audit(env_dir, [_head(i, 40, birth_date="20200101") for i in range(20)], text)
    assert _codes(result)[0] == ("AUDIT040", "drl:CT:CT head")
    assert _judged(result)[0].message.startswith("CT head (pediatric): the facility median")


def test_a_site_level_applies_to_the_devices_at_that_site(env_dir):
    text = ENV.replace(
        "  notification_values:",
        "    - {exam: CT head, modality: CT, site: EAST, ctdivol_mgy: 35,\n"
        '       descriptions: ["CT HEAD*"]}\n  notification_values:',
    )
    east = [_head(i, 40, sending_ae="CT_EAST") for i in range(20)]
    main = [_head(100 + i, 40) for i in range(20)]
    result = _audit(env_dir, [*east, *main], text)
    assert [f.message.split(":")[0] for f in _judged(result)] == ["CT head at EAST"]


def test_a_station_name_finds_the_device_when_the_sender_is_unknown(env_dir):
    study = _head(1, 40, extra=[("Head repeat", 95, 300)], sending_ae=None, station="ct-east")
    [finding] = _judged(_audit(env_dir, [study]))
    assert "on 'ct-east'" in finding.message
    anonymous = _head(2, 40, extra=[("Head repeat", 95, 300)], sending_ae=None, station="ROOM9")
    found = [f for f in _audit(env_dir, [anonymous]).findings if f.code == "AUDIT041"]
    assert "on station ROOM9 ACME Medical SN-CT-0001" in found[0].message


def test_a_modality_that_sent_no_reports_is_named_at_its_device(env_dir):
    result = _audit(env_dir, [_head(i, 40) for i in range(20)])
    [missing] = [f for f in result.findings if f.code == "AUDIT043"]
    assert missing.entity == "modality:DX" and "'dx-1'" in missing.message
    assert missing.location is not None and missing.location.line == _line("modality: DX")
    none_ = ENV.replace("    modality: DX\n", "    modality: DX\n    dose_report: none\n")
    assert "AUDIT043" not in [f.code for f in _audit(env_dir, [_head(1, 40)], none_).findings]


def test_the_same_object_twice_and_a_resent_report_count_once(env_dir):
    first = _head(1, 40)
    resent = _head(1, 40, extra=[("Head repeat", 30, 200)], study_uid=first.StudyInstanceUID)
    image = instance(**_patient(2), pixels=False)
    result = dose.audit(
        _index(env_dir),
        [ListSource([first, resent, image]), ListSource([first], "second source")],
        Window(),
        identity=Identity(),
    )
    assert result.observed == 1
    series = {(s["exam"], s["metric"]): s for s in result.data["dose"]}
    assert series[("CT head", "dlp_mgy_cm")]["values_sorted"] == [800]  # the resent one
    assert any("1 SR skipped: not Radiation Dose SRs" in n for n in result.notes)
    assert any("1 study had more than one dose report" in n for n in result.notes)


def test_reports_outside_the_window_are_left_out(env_dir):
    late = _head(1, 95, study_date=DAY + timedelta(days=40))
    result = dose.audit(
        _index(env_dir),
        [ListSource([late])],
        Window(date(2026, 11, 1), date(2026, 11, 30)),
        identity=Identity(),
    )
    assert result.observed == 0 and any(
        "1 dose report outside the window" in n for n in result.notes
    )


def test_no_drl_declared_is_not_met(env_dir):
    text = ENV.split("dose:")[0] + "dose:\n  alert_values: {ctdivol_mgy: 1000}\n"
    result = _audit(env_dir, [_head(1, 40)], text)
    assert result.figures[0].met is False and "No diagnostic reference level" in (
        result.figures[0].text
    )


def test_findings_never_show_patient_identity_unless_asked(env_dir):
    datasets = _seeded()
    hidden = _audit(env_dir, datasets)
    shown = _audit(env_dir, datasets, show=True)
    text = json.dumps([f.message for f in hidden.findings]) + " ".join(hidden.notes)
    text += json.dumps(hidden.data)
    for ds in datasets:
        for secret in (ds.PatientID, str(ds.PatientName), ds.AccessionNumber, ds.StudyInstanceUID):
            assert secret not in text
    high = next(f for f in shown.findings if f.code == "AUDIT041")
    assert "patient SYNMRN00007" in high.message and datasets[7].StudyInstanceUID in high.message
    # the finding's identity does not depend on --show-phi
    assert [f.detail for f in hidden.findings] == [f.detail for f in shown.findings]


def test_the_same_reports_in_another_order_give_the_same_result(env_dir):
    datasets = _seeded()
    one = _audit(env_dir, datasets)
    other = _audit(env_dir, list(reversed(datasets)))
    assert one.findings == other.findings and one.notes == other.notes
    assert one.data == other.data and one.figures == other.figures


# --- end to end ------------------------------------------------------------------------


FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")


@pytest.fixture(scope="module")
def seeded_folder(tmp_path_factory) -> tuple[Path, list[Dataset]]:
    folder = tmp_path_factory.mktemp("dose_reports")
    datasets = _seeded()
    for ds in datasets:
        rdsr_data.write(folder, ds)
    image = instance(**_patient(400), pixels=False)
    image.save_as(folder / "image.dcm", enforce_file_format=True)
    return folder, datasets


def _secrets(datasets: list[Dataset]) -> list[str]:
    return [
        value
        for ds in datasets
        for value in (ds.PatientID, str(ds.PatientName), ds.AccessionNumber, ds.StudyInstanceUID)
    ]


def _check_cli(env_dir: Path, source: str, datasets: list[Dataset], tmp_path: Path) -> None:
    """`imgpolicy audit dose ENV SOURCE` in every format: the two seeded findings, nothing
    else, no patient identity; the evidence file has the chart data."""
    evidence = tmp_path / "dose.evidence.json"
    result = run(
        "audit", "dose", str(env_dir), source, "--format", "json", "--evidence", str(evidence)
    )
    assert result.exit_code == 0, result.output  # both findings are warnings
    found = json.loads(result.output)
    codes = sorted(f["code"] for f in found["findings"])
    assert codes == ["AUDIT040", "AUDIT041"], found
    for fmt in FORMATS:
        out = run("audit", "dose", str(env_dir), source, "--format", fmt).output
        for secret in _secrets(datasets):
            assert secret not in out, (fmt, secret)
    assert evidence.exists()
    saved = evidence.read_text()
    assert "values_sorted" in saved and not any(s in saved for s in _secrets(datasets))
    failing = run("audit", "dose", str(env_dir), source, "--fail-on", "warning")
    assert failing.exit_code == 1


def test_the_cli_audits_a_folder_of_dose_reports(env_dir, seeded_folder, tmp_path):
    folder, datasets = seeded_folder
    _check_cli(env_dir, str(folder), datasets, tmp_path)


@pytest.fixture(scope="module")
def seeded_orthanc(orthanc_factory, seeded_folder):  # noqa: F811 (the fixture, by name)
    """A real Orthanc fed by storescu from the CT's and the DX's AE titles."""
    folder, datasets = seeded_folder
    peer = orthanc_factory(aet="DOSE_PACS")
    by_sender: dict[str, list[Path]] = {}
    for ds in datasets:
        sender = ds.file_meta.get("SourceApplicationEntityTitle", "") or "CT_OTHER"
        by_sender.setdefault(sender, []).append(folder / f"{ds.SOPInstanceUID}.dcm")
    for sender, paths in sorted(by_sender.items()):
        store(peer, paths, sender)
    store(peer, [folder / "image.dcm"], "CT_1")
    return peer, datasets


@pytest.mark.peers
@pytest.mark.parametrize("api", ["orthanc", "dicomweb"])
def test_the_cli_audits_dose_reports_in_a_real_orthanc(
    env_dir, seeded_orthanc, tmp_path, monkeypatch, api
):
    peer, datasets = seeded_orthanc
    monkeypatch.setenv("IMGPOLICY_SOURCE_USER", peer.user)
    monkeypatch.setenv("IMGPOLICY_SOURCE_PASSWORD", peer.password)
    url = peer.url if api == "orthanc" else peer.dicomweb
    _check_cli(env_dir, f"{api}+{url}", datasets, tmp_path)


def test_a_study_matching_two_exams_equally_counts_once_and_says_so(env_dir):
    text = ENV.replace(
        "  notification_values:",
        '    - {exam: CT head trauma, modality: CT, ctdivol_mgy: 60, descriptions: ["CT HEAD W*"]}\n'
        "  notification_values:",
    )
    result = _audit(env_dir, [_head(1, 40)], text)
    series = {(s["exam"], s["metric"]): s["n"] for s in result.data["dose"]}
    assert (
        series[("CT head", "ctdivol_mgy")] == 1 and series[("CT head trauma", "ctdivol_mgy")] == 0
    )
    assert any(
        "1 study matched more than one exam equally" in n and "'CT HEAD WO CONTRAST' x1" in n
        for n in result.notes
    )


def test_missing_rrdsr_points_at_the_hot_lab_the_environment_names(tmp_path):
    """examples/regional-health: NM and PET activity comes from the hot-lab system
    (dose.rrdsr_source: hotlab-sprh, IHE REM-NM), not from the cameras; when no RRDSR is
    found, the finding says to check that system, not the cameras' export."""
    from imgpolicy.audit.sources.folder import FolderSource

    regional = Path(__file__).parent.parent / "examples" / "regional-health"
    index = Index(load_environment((str(regional),), None), date(2026, 11, 29))
    rdsr_data.write(
        tmp_path,
        rdsr_data.ct_rdsr(
            patient_id="SYN1",
            patient_name="SYN^ONE",
            accession="A1",
            events=[("Head", 45.0, 800.0)],
            description="CT head without contrast",
            sending_ae="CT_SPMC_ED",
        ),
    )
    result = dose.audit(index, [FolderSource(tmp_path)], Window(), identity=Identity())
    missing = {f.entity: f.message for f in result.findings if f.code == "AUDIT043"}
    assert "'hotlab-sprh' (dose.rrdsr_source)" in missing["modality:PT"]
    assert "'hotlab-sprh' (dose.rrdsr_source)" in missing["modality:NM"]
    assert "hotlab" not in missing["modality:DX"]
