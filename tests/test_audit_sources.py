"""Audit sources: a folder of DICOM files, Orthanc's REST API and DICOMweb, read for real.

One Orthanc (with Debian's DICOMweb plugin) is started for the module and fed by DCMTK
storescu from several calling AEs; the same files sit in a folder. Every source must give
the same studies and headers for the same data, Orthanc the exchanges (who sent what, to
which AE), and every failure (wrong password, refused port, stalled server) a
SourceFailed that names the server without its credentials and says what to do.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, XRayRadiationDoseSRStorage, generate_uid

from imgpolicy.audit.observed import SourceFailed, StudySummary, Unsupported, Window
from imgpolicy.audit.sources import Settings, open_source
from imgpolicy.audit.sources.folder import FolderSource
from imgpolicy.audit.sources.orthanc import OrthancSource, orthanc_dataset

from .audit_data import instance, write_study
from .audit_peers import orthanc_factory, store  # noqa: F401 (the fixture, by name)
from .conftest import EXAMPLES, assert_no_traceback, run

COMPREHENSIVE_SR = UID("1.2.840.10008.5.1.4.1.1.88.33")

# Attributes every source must give alike (what the headers audit reads).
COMPARED = (
    "PatientID",
    "PatientName",
    "AccessionNumber",
    "StudyDescription",
    "ReferringPhysicianName",
    "Modality",
    "StudyDate",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "SpecificCharacterSet",
    "StationName",
    "IssuerOfPatientID",
    "ImageType",
    "Rows",
)


def sr(sop_class: UID, *, study_date: date, patient_id: str, title: str) -> Dataset:
    """A small SR document (a dose report when `sop_class` is one) of a synthetic patient:
    a container with one numeric item, as a modality's RDSR carries its dose totals."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.PatientName, ds.AccessionNumber = patient_id, "SR^PATIENT", "ACC-SR"
    ds.Modality = "SR"
    ds.StudyDate = ds.ContentDate = study_date.strftime("%Y%m%d")
    ds.StudyTime = ds.ContentTime = "101010"
    ds.SeriesNumber, ds.InstanceNumber = 99, 1
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "UNVERIFIED"
    ds.ConceptNameCodeSequence = Sequence([code("113701", "DCM", title)])
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "NUM"
    item.ConceptNameCodeSequence = Sequence([code("113813", "DCM", "CT Dose Length Product Total")])
    measured = Dataset()
    measured.NumericValue = "812.5"
    measured.MeasurementUnitsCodeSequence = Sequence([code("mGy.cm", "UCUM", "mGy.cm")])
    item.MeasuredValueSequence = Sequence([measured])
    ds.ContentSequence = Sequence([item])
    return ds


def code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


class Seeded:
    """What was stored, and where: the Orthanc, the folder with the same files."""

    def __init__(self, peer: Any, folder: Path, studies: dict[str, str], dose_uid: str):
        self.peer = peer
        self.folder = folder
        self.studies = studies  # name -> Study Instance UID
        self.dose_uid = dose_uid

    def settings(self, **changes: Any) -> Settings:
        return Settings(**{"user": self.peer.user, "password": self.peer.password, **changes})

    def orthanc(self) -> OrthancSource:
        return OrthancSource(self.peer.url, self.settings())

    def dicomweb(self):
        return open_source(f"dicomweb+{self.peer.dicomweb}", self.settings())


@pytest.fixture(scope="module")
def seeded(orthanc_factory, tmp_path_factory):  # noqa: F811 (the fixture imported above)
    peer = orthanc_factory(aet="AUDIT_PACS")
    folder = tmp_path_factory.mktemp("files")
    ct_uid, ct_series = generate_uid(), generate_uid()
    head = [
        instance(
            patient_id="PAT-001",
            patient_name="TESTER^ALPHA",
            accession="ACC-1",
            study_uid=ct_uid,
            series_uid=ct_series,
            station="CT1",
            pixels=False,
        )
        for _ in range(2)
    ]
    knee = [
        instance(
            patient_id="PAT-002",
            patient_name="TESTER^BRAVO",
            accession="ACC-2",
            modality="MR",
            study_date=date(2026, 10, 1),
            description="MR KNEE",
            pixels=False,
        )
    ]
    chest = [
        instance(
            patient_id="PAT-003",
            patient_name="TESTER^CHARLIE",
            accession="ACC-3",
            study_date=date(2026, 11, 15),
            issuer="HOSP",
            pixels=False,
        )
    ]
    dose = sr(
        XRayRadiationDoseSRStorage,
        study_date=date(2026, 11, 2),
        patient_id="PAT-001",
        title="X-Ray Radiation Dose Report",
    )
    other = sr(COMPREHENSIVE_SR, study_date=date(2026, 11, 2), patient_id="PAT-001", title="Report")
    store(peer, write_study(folder / "ct", head), "CT_SCANNER")
    store(peer, write_study(folder / "mr", knee), "MR_SCANNER")
    store(peer, write_study(folder / "chest", chest), "WORKSTATION")
    store(peer, write_study(folder / "sr", [dose, other]), "CT_SCANNER")
    # a store to an AE title Orthanc does not have: rejected, so never an exchange
    # one study uploaded over REST: in the archive, but no DICOM exchange
    uploaded = instance(patient_id="PAT-004", patient_name="TESTER^DELTA", accession="ACC-4")
    [upload] = write_study(folder / "rest", [uploaded])
    request = urllib.request.Request(
        f"{peer.url}/instances", data=upload.read_bytes(), headers=peer.auth(), method="POST"
    )
    urllib.request.urlopen(request, timeout=60).close()
    refused = store(
        peer,
        write_study(tmp_path_factory.mktemp("refused"), knee),
        "STRAY",
        called_ae="NOT_PACS",
        check=False,
    )
    assert refused.returncode != 0
    (folder / "notes.txt").write_text("not DICOM\n")
    os.mkfifo(folder / "pipe")  # a FIFO: skipped without waiting for a writer
    studies = {
        "head": ct_uid,
        "knee": knee[0].StudyInstanceUID,
        "chest": chest[0].StudyInstanceUID,
        "dose": dose.StudyInstanceUID,
        "other": other.StudyInstanceUID,
        "uploaded": uploaded.StudyInstanceUID,
    }
    return Seeded(peer, folder, studies, dose.SOPInstanceUID)


def summaries(studies: list[StudySummary]) -> list[tuple[str, tuple[str, ...], date | None]]:
    return [(s.study_uid, s.modalities, s.study_date) for s in studies]


def compared(datasets: list[Dataset]) -> list[dict[str, Any]]:
    """The attributes that must agree, as plain values (a PN as its text)."""
    return [
        {
            key: (str(ds[key].value) if ds[key].VR == "PN" else ds[key].value)
            for key in COMPARED
            if key in ds
        }
        for ds in datasets
    ]


# --- exchanges: Orthanc records who sent what ------------------------------------------


@pytest.mark.peers
def test_orthanc_exchanges_say_who_sent_which_series(seeded):
    exchanges = list(seeded.orthanc().exchanges(Window()))
    got = sorted((e.study_uid, e.calling_ae, e.called_ae, e.modality, e.objects) for e in exchanges)
    uid = seeded.studies
    assert got == sorted(
        [
            (uid["head"], "CT_SCANNER", "AUDIT_PACS", "CT", 2),
            (uid["knee"], "MR_SCANNER", "AUDIT_PACS", "MR", 1),
            (uid["chest"], "WORKSTATION", "AUDIT_PACS", "CT", 1),
            (uid["dose"], "CT_SCANNER", "AUDIT_PACS", "SR", 1),
            (uid["other"], "CT_SCANNER", "AUDIT_PACS", "SR", 1),
        ]
    )
    dose = next(e for e in exchanges if e.study_uid == uid["dose"])
    assert dose.sop_class == str(XRayRadiationDoseSRStorage)
    assert all(e.host == "127.0.0.1" and e.when and e.accepted for e in exchanges)
    assert all(e.where == f"orthanc {seeded.peer.url}" for e in exchanges)
    assert list(seeded.orthanc().exchanges(Window())) == exchanges  # the same, in order


@pytest.mark.peers
def test_instances_uploaded_over_rest_are_not_traffic_and_a_note_says_so(seeded):
    source = seeded.orthanc()
    exchanges = list(source.exchanges(Window()))
    assert seeded.studies["uploaded"] not in {e.study_uid for e in exchanges}
    assert source.notes == [
        f"1 instances in orthanc {seeded.peer.url} did not come over DICOM (no calling AE "
        "recorded): not counted as traffic"
    ]


@pytest.mark.peers
def test_orthanc_exchanges_are_filtered_by_reception_date(seeded):
    source = seeded.orthanc()
    everything = list(source.exchanges(Window()))
    day = min(e.when for e in everything).date()  # Orthanc's clock, not ours
    last = max(e.when for e in everything).date()
    assert len(list(source.exchanges(Window(day, last)))) == len(everything)
    assert list(source.exchanges(Window(last + timedelta(days=1)))) == []
    assert list(source.exchanges(Window(None, day - timedelta(days=1)))) == []


class FakeChanges:
    """Orthanc's /changes over a list of (date, change type): for the bisection that
    finds where a window starts without reading the log from its beginning."""

    def __init__(self, days: list[date]) -> None:
        self.changes: list[dict[str, Any]] = [
            {
                "Seq": seq,
                "ChangeType": "NewInstance",
                "ID": f"i{seq}",
                "Date": f"{day:%Y%m%d}T120000",
            }
            for seq, day in enumerate(days, 1)
        ]
        self.asked: list[dict[str, Any]] = []

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        assert path == "/changes"
        params = params or {}
        self.asked.append(params)
        if "last" in params:
            return {"Last": len(self.changes)}
        since, limit = int(params["since"]), int(params["limit"])
        page = [c for c in self.changes if c["Seq"] > since][:limit]
        last = page[-1]["Seq"] if page else since
        return {"Changes": page, "Done": last >= len(self.changes), "Last": last}


def test_the_window_start_is_found_by_bisection_not_by_reading_everything():
    start = date(2026, 1, 1)
    days = [start + timedelta(days=n // 10) for n in range(5000)]  # 10 a day for 500 days
    source = OrthancSource("http://127.0.0.1:9", Settings())
    fake = FakeChanges(days)
    source.rest = fake  # type: ignore[assignment]
    window = Window(date(2026, 3, 1), date(2026, 3, 2))
    got = source._received(window)
    expected = [f"i{seq}" for seq, day in enumerate(days, 1) if window.holds(day)]
    assert got == expected and len(got) == 20
    assert len(fake.asked) < 40  # log2(5000) probes and a page or two, not 5000 / 500 pages


# --- studies and headers: every source alike -------------------------------------------


@pytest.mark.peers
def test_orthanc_dicomweb_and_the_folder_list_the_same_studies(seeded):
    uid = seeded.studies
    folder = FolderSource(seeded.folder)
    listed = [summaries(s.studies(Window())) for s in (seeded.orthanc(), seeded.dicomweb(), folder)]
    assert listed[0] == listed[1] == listed[2]
    assert {study for study, _, _ in listed[0]} == set(uid.values())
    assert (uid["knee"], ("MR",), date(2026, 10, 1)) in listed[0]
    november = Window(date(2026, 11, 1), date(2026, 11, 30))
    for source in (seeded.orthanc(), seeded.dicomweb(), folder):
        assert {s.study_uid for s in source.studies(november)} == set(uid.values()) - {uid["knee"]}
        assert [s.study_uid for s in source.studies(Window(date(2026, 11, 10)))] == [uid["chest"]]


@pytest.mark.peers
def test_orthanc_dicomweb_and_the_folder_give_the_same_headers(seeded):
    orthanc, dicomweb, folder = seeded.orthanc(), seeded.dicomweb(), FolderSource(seeded.folder)
    for study in orthanc.studies(Window()):
        read = [source.headers(study) for source in (orthanc, dicomweb, folder)]
        assert compared(read[0]) == compared(read[1]) == compared(read[2])
        assert read[0] and all("PixelData" not in ds for headers in read for ds in headers)
        assert {e.keyword for e in read[0][0]} == {e.keyword for e in read[1][0]}
    [first, second] = orthanc.headers(StudySummary(seeded.studies["head"]))  # not listed first
    assert (first.PatientID, str(first.PatientName), first.StationName) == (
        "PAT-001",
        "TESTER^ALPHA",
        "CT1",
    )
    assert first.SOPInstanceUID < second.SOPInstanceUID
    assert orthanc.headers(StudySummary("1.2.3.999")) == []


def test_orthanc_tags_become_a_dataset_with_dictionary_vrs():
    tags = {
        "0008,0008": {"Name": "ImageType", "Type": "String", "Value": "ORIGINAL\\PRIMARY"},
        "0008,0090": {"Name": "ReferringPhysicianName", "Type": "String", "Value": ""},
        "0010,0010": {"Name": "PatientName", "Type": "String", "Value": "Müller^Jürgen"},
        "0028,0010": {"Name": "Rows", "Type": "String", "Value": "512"},
        "0028,0106": {"Name": "SmallestImagePixelValue", "Type": "String", "Value": "-1024"},
        "0032,4000": {"Name": "StudyComments", "Type": "String", "Value": "a\\b"},
        "0043,1028": {"Name": "Private", "PrivateCreator": "GEMS", "Type": "String", "Value": "x"},
        "0018,9345": {"Name": "CTDIvol", "Type": "TooLong", "Value": None},
        "0010,1002": {
            "Name": "OtherPatientIDsSequence",
            "Type": "Sequence",
            "Value": [{"0010,0020": {"Name": "PatientID", "Type": "String", "Value": "X1"}}],
        },
    }
    ds = orthanc_dataset(tags)
    assert list(ds.ImageType) == ["ORIGINAL", "PRIMARY"]
    assert ds.ReferringPhysicianName in (None, "") and "ReferringPhysicianName" in ds
    assert str(ds.PatientName) == "Müller^Jürgen"
    assert ds.Rows == 512 and ds["Rows"].VR == "US"
    assert ds.SmallestImagePixelValue == -1024 and ds["SmallestImagePixelValue"].VR == "SS"
    assert ds.StudyComments == "a\\b"  # LT: a backslash is text
    assert 0x00431028 not in ds and "CTDIvol" not in ds
    assert ds.OtherPatientIDsSequence[0].PatientID == "X1"


# --- dose reports ------------------------------------------------------------------------


@pytest.mark.peers
def test_every_source_finds_the_dose_report_and_only_it(seeded):
    for source in (seeded.orthanc(), seeded.dicomweb(), FolderSource(seeded.folder)):
        reports = list(source.dose_reports(Window()))
        assert [ds.SOPInstanceUID for ds in reports] == [seeded.dose_uid], source.name
        [report] = reports
        measured = report.ContentSequence[0].MeasuredValueSequence[0]
        assert float(measured.NumericValue) == 812.5
        assert list(source.dose_reports(Window(date(2026, 11, 3)))) == []


# --- what a source cannot say ------------------------------------------------------------


@pytest.mark.peers
def test_a_folder_and_dicomweb_do_not_say_who_sent_what(seeded):
    for source in (FolderSource(seeded.folder), seeded.dicomweb()):
        with pytest.raises(Unsupported, match=r"Orthanc.*storescp log or audit messages"):
            list(source.exchanges(Window()))


@pytest.mark.peers
def test_the_folder_skips_what_is_not_dicom_and_says_so(seeded):
    folder = FolderSource(seeded.folder)
    folder.studies(Window())
    assert "Skipped 1 files under" in " ".join(folder.notes)
    assert any("not DICOM" in note for note in folder.notes)
    assert any("FIFO" in note for note in folder.notes)


def test_one_part10_file_is_a_source(tmp_path):
    [path] = write_study(tmp_path, [instance(patient_id="P", patient_name="A^B", accession="X")])
    source = open_source(str(path), Settings())
    assert isinstance(source, FolderSource)
    [study] = source.studies(Window())
    [ds] = source.headers(study)
    assert ds.PatientID == "P" and "PixelData" not in ds


# --- failures: a message that names the server and says what to do ----------------------


@pytest.mark.peers
@pytest.mark.parametrize("scheme", ["orthanc", "dicomweb"])
def test_a_wrong_password_is_a_clear_failure_without_the_password(seeded, scheme):
    url = seeded.peer.url if scheme == "orthanc" else seeded.peer.dicomweb
    userinfo = url.replace("http://", f"http://{seeded.peer.user}:wrong-secret@")
    source = open_source(f"{scheme}+{userinfo}", Settings())
    with pytest.raises(SourceFailed) as failed:
        source.studies(Window())
    message = str(failed.value)
    assert "HTTP 401" in message and url in message and "--user" in message
    assert "wrong-secret" not in message and seeded.peer.user not in message
    assert source.name == f"{scheme} {url}"


@pytest.mark.parametrize("scheme", ["orthanc", "dicomweb"])
def test_a_refused_port_is_a_clear_failure(scheme):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = open_source(f"{scheme}+http://127.0.0.1:{port}", Settings(timeout=5))
    with pytest.raises(SourceFailed, match=f"127.0.0.1:{port}.*cannot connect.*check that"):
        source.studies(Window())


@pytest.fixture
def stalled():
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for conn in held:
        conn.close()


@pytest.mark.parametrize("scheme", ["orthanc", "dicomweb"])
def test_a_stalled_server_is_a_timeout_not_a_hang(stalled, scheme):
    source = open_source(f"{scheme}+http://127.0.0.1:{stalled}", Settings(timeout=0.5))
    started = time.monotonic()
    with pytest.raises(SourceFailed, match=r"timed out.*raise --timeout"):
        source.studies(Window())
    assert time.monotonic() - started < 30  # a hang guard, not a timing assertion


def test_a_source_url_that_is_not_one_is_refused_with_a_message():
    with pytest.raises(SourceFailed, match="give the Orthanc address as http://host:port"):
        open_source("orthanc+http://user:pw@host:notaport", Settings())


def test_the_cli_exits_2_on_a_refused_orthanc():
    pytest.importorskip("imgpolicy.audit.traffic")
    result = run(
        "audit", "traffic", str(EXAMPLES / "regional-health"), "orthanc+http://127.0.0.1:1"
    )
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert "Orthanc http://127.0.0.1:1" in result.stderr and "cannot connect" in result.stderr


@pytest.mark.peers
@pytest.mark.parametrize("command", ["traffic", "headers"])
def test_the_cli_exits_2_on_a_wrong_password_and_never_shows_it(seeded, monkeypatch, command):
    pytest.importorskip(f"imgpolicy.audit.{command}")
    monkeypatch.setenv("IMGPOLICY_SOURCE_PASSWORD", "wrong-secret")
    env = str(EXAMPLES / "regional-health")
    spec = f"orthanc+{seeded.peer.url}"
    result = run("audit", command, env, spec, "--user", seeded.peer.user)
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"Orthanc {seeded.peer.url}" in result.stderr and "HTTP 401" in result.stderr
    assert "wrong-secret" not in result.stderr + result.output
