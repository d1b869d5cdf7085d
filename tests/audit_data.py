"""Synthetic studies for the audit tests: pydicom's own test images re-identified with
made-up patients, accessions and AEs, so no real identity is ever in a test.

`instance()` makes one object; `write_study()` writes a study's instances to a folder as
Part 10 files (the same files the Orthanc tests send with DCMTK storescu).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

_TEMPLATES = {"CT": "CT_small.dcm", "MR": "MR_small.dcm"}

_IDENTITY = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientSex",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyDescription",
    "InstitutionName",
    "StationName",
    "SpecificCharacterSet",
)


def instance(
    *,
    patient_id: str,
    patient_name: str,
    accession: str,
    modality: str = "CT",
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: date = date(2026, 11, 2),
    description: str = "CT HEAD WO CONTRAST",
    referring: str = "REFERRER^ROBIN",
    issuer: str | None = None,
    charset: str | None = None,
    station: str | None = None,
    pixels: bool = True,
) -> Dataset:
    """One image of a synthetic patient, from pydicom's test image of `modality` (CT or
    MR), every identifying attribute replaced and fresh UIDs (unless given)."""
    template = get_testdata_file(_TEMPLATES[modality])
    assert isinstance(template, str), f"pydicom has no test file {_TEMPLATES[modality]}"
    ds = dcmread(template)
    for keyword in _IDENTITY:
        if keyword in ds:
            delattr(ds, keyword)
    if not pixels:
        del ds.PixelData
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    if issuer:
        ds.IssuerOfPatientID = issuer
    if charset:
        ds.SpecificCharacterSet = charset
    if station:
        ds.StationName = station
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.AccessionNumber = accession
    ds.ReferringPhysicianName = referring
    ds.StudyDescription = description
    ds.Modality = modality
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = study_date.strftime("%Y%m%d")
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def write_study(folder: Path, instances: list[Dataset]) -> list[Path]:
    """Write `instances` as Part 10 files under `folder` (one file per SOP Instance UID)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in instances:
        path = folder / f"{ds.SOPInstanceUID}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
