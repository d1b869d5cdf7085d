"""Synthetic Radiation Dose SRs for the dose audit's tests, built with pydicom.

`ct_rdsr()` makes a TID 10011 CT Radiation Dose report with one CT Acquisition per event;
`projection_rdsr()` a TID 10001 Projection X-Ray report (DX, XA, RF, with planes) and
`mammography_rdsr()` one for MG with accumulated AGD per breast; `rrdsr()` a TID 10021
Radiopharmaceutical Radiation Dose report. The structure follows PS3.16 closely enough that
DCMTK's `dsrdump` reads them without a warning (the tests check it). Patients, accessions
and UIDs are made up.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    RadiopharmaceuticalRadiationDoseSRStorage,
    XRayRadiationDoseSRStorage,
    generate_uid,
)


def code(value: str, meaning: str, scheme: str = "DCM") -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _item(value_type: str, concept: Dataset, relationship: str) -> Dataset:
    item = Dataset()
    item.RelationshipType = relationship
    item.ValueType = value_type
    item.ConceptNameCodeSequence = Sequence([concept])
    return item


def container(concept: Dataset, children: list[Dataset], rel: str = "CONTAINS") -> Dataset:
    item = _item("CONTAINER", concept, rel)
    item.ContinuityOfContent = "SEPARATE"
    item.ContentSequence = Sequence(children)
    return item


def num(concept: Dataset, value: float, unit: str, rel: str = "CONTAINS") -> Dataset:
    item = _item("NUM", concept, rel)
    measured = Dataset()
    measured.NumericValue = f"{value:.6g}"
    measured.MeasurementUnitsCodeSequence = Sequence([code(unit, unit, "UCUM")])
    item.MeasuredValueSequence = Sequence([measured])
    return item


def text(concept: Dataset, value: str, rel: str = "CONTAINS") -> Dataset:
    item = _item("TEXT", concept, rel)
    item.TextValue = value
    return item


def coded(concept: Dataset, value: Dataset, rel: str = "CONTAINS") -> Dataset:
    item = _item("CODE", concept, rel)
    item.ConceptCodeSequence = Sequence([value])
    return item


def uidref(concept: Dataset, uid: str, rel: str = "CONTAINS") -> Dataset:
    item = _item("UIDREF", concept, rel)
    item.UID = uid
    return item


def _document(
    *,
    sop_class: str,
    title: Dataset,
    template: str,
    content: list[Dataset],
    patient_id: str,
    patient_name: str,
    accession: str,
    study_uid: str | None,
    study_date: date,
    description: str,
    station: str,
    manufacturer: str,
    serial: str,
    procedure: tuple[str, str, str] | None,
    sending_ae: str | None,
    birth_date: str,
) -> Dataset:
    """The SR Document General, patient, study and Enhanced General Equipment modules
    around `content`."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if sending_ae:
        ds.file_meta.SourceApplicationEntityTitle = sending_ae
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    day = study_date.strftime("%Y%m%d")
    ds.StudyDate = ds.ContentDate = ds.SeriesDate = day
    ds.StudyTime = ds.ContentTime = "101500"
    ds.AccessionNumber = accession
    ds.Modality = "SR"
    ds.Manufacturer = manufacturer
    ds.ReferringPhysicianName = "REFERRER^ROBIN"
    ds.StudyDescription = description
    ds.StationName = station
    ds.ManufacturerModelName = "Model X"
    ds.DeviceSerialNumber = serial
    ds.SoftwareVersions = "1.0"
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = birth_date
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyID = "1"
    ds.SeriesNumber = 900
    ds.InstanceNumber = 1
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([title])
    ds.ContinuityOfContent = "SEPARATE"
    template_item = Dataset()
    template_item.MappingResource = "DCMR"
    template_item.TemplateIdentifier = template
    ds.ContentTemplateSequence = Sequence([template_item])
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.PerformedProcedureCodeSequence = Sequence()
    if procedure:
        ds.ProcedureCodeSequence = Sequence([code(*procedure)])
    ds.ContentSequence = Sequence(content)
    return ds


def _context(procedure_reported: Dataset, study_uid: str) -> list[Dataset]:
    """The items before the dose data: language, procedure reported, observer, scope."""
    return [
        coded(
            code("121049", "Language of Content Item and Descendants"),
            code("en-US", "English (United States)", "RFC5646"),
            "HAS CONCEPT MOD",
        ),
        coded(code("121058", "Procedure reported"), procedure_reported, "HAS CONCEPT MOD"),
        coded(code("121005", "Observer Type"), code("121007", "Device"), "HAS OBS CONTEXT"),
        uidref(
            code("121012", "Device Observer UID"), "1.2.826.0.1.3680043.8.498.1", "HAS OBS CONTEXT"
        ),
        coded(code("113705", "Scope of Accumulation"), code("113014", "Study"), "HAS OBS CONTEXT"),
    ]


def ct_rdsr(
    *,
    patient_id: str,
    patient_name: str,
    accession: str,
    events: list[tuple[str, float, float]],
    dlp_total: float | None = None,
    study_uid: str | None = None,
    study_date: date = date(2026, 11, 2),
    description: str = "CT HEAD WO CONTRAST",
    station: str = "CT1",
    manufacturer: str = "ACME Medical",
    serial: str = "SN-CT-0001",
    procedure: tuple[str, str, str] | None = None,
    sending_ae: str | None = None,
    birth_date: str = "19700101",
) -> Dataset:
    """A CT Radiation Dose report (TID 10011): `events` as (protocol, CTDIvol mGy, DLP
    mGy.cm), the accumulated DLP `dlp_total` (default: their sum)."""
    study_uid = study_uid or generate_uid()
    total = sum(dlp for _, _, dlp in events) if dlp_total is None else dlp_total
    accumulated = container(
        code("113811", "CT Accumulated Dose Data"),
        [
            num(code("113812", "Total Number of Irradiation Events"), len(events), "{events}"),
            num(code("113813", "CT Dose Length Product Total"), total, "mGy.cm"),
        ],
    )
    acquisitions = [
        container(
            code("113819", "CT Acquisition"),
            [
                text(code("125203", "Acquisition Protocol"), protocol),
                coded(code("123014", "Target Region"), code("69536005", "Head", "SCT")),
                coded(
                    code("113820", "CT Acquisition Type"),
                    code("P5-08001", "Spiral Acquisition", "SRT"),
                ),
                uidref(code("113769", "Irradiation Event UID"), generate_uid()),
                container(
                    code("113829", "CT Dose"),
                    [
                        num(code("113830", "Mean CTDIvol"), ctdivol, "mGy"),
                        coded(
                            code("113835", "CTDIw Phantom Type"),
                            code("113690", "IEC Head Dosimetry Phantom"),
                        ),
                        num(code("113838", "DLP"), dlp, "mGy.cm"),
                    ],
                ),
            ],
        )
        for protocol, ctdivol, dlp in events
    ]
    content = [
        *_context(code("P5-08000", "Computed Tomography X-Ray", "SRT"), study_uid),
        accumulated,
        *acquisitions,
        coded(
            code("113854", "Source of Dose Information"),
            code("113856", "Automated Data Collection"),
        ),
    ]
    return _document(
        sop_class=XRayRadiationDoseSRStorage,
        title=code("113701", "X-Ray Radiation Dose Report"),
        template="10011",
        content=content,
        patient_id=patient_id,
        patient_name=patient_name,
        accession=accession,
        study_uid=study_uid,
        study_date=study_date,
        description=description,
        station=station,
        manufacturer=manufacturer,
        serial=serial,
        procedure=procedure,
        sending_ae=sending_ae,
        birth_date=birth_date,
    )


def projection_rdsr(
    *,
    patient_id: str,
    patient_name: str,
    accession: str,
    planes: list[tuple[float, float, float | None]],
    study_uid: str | None = None,
    study_date: date = date(2026, 11, 2),
    description: str = "XR CHEST PA",
    station: str = "DX1",
    manufacturer: str = "ACME Medical",
    serial: str = "SN-DX-0001",
    procedure: tuple[str, str, str] | None = None,
    sending_ae: str | None = None,
    birth_date: str = "19700101",
) -> Dataset:
    """A Projection X-Ray Radiation Dose report (TID 10001) with one Accumulated X-Ray Dose
    container per plane: (DAP total Gy.m2, Dose (RP) total Gy, fluoroscopy time s or None)."""
    study_uid = study_uid or generate_uid()
    containers = []
    for dap, dose_rp, fluoro in planes:
        items = [
            coded(code("113764", "Acquisition Plane"), code("113622", "Single Plane")),
            num(code("113722", "Dose Area Product Total"), dap, "Gy.m2"),
            num(code("113725", "Dose (RP) Total"), dose_rp, "Gy"),
        ]
        if fluoro is not None:
            items.append(num(code("113730", "Total Fluoro Time"), fluoro, "s"))
        containers.append(container(code("113702", "Accumulated X-Ray Dose Data"), items))
    content = [
        *_context(code("113704", "Projection X-Ray"), study_uid),
        *containers,
    ]
    return _document(
        sop_class=XRayRadiationDoseSRStorage,
        title=code("113701", "X-Ray Radiation Dose Report"),
        template="10001",
        content=content,
        patient_id=patient_id,
        patient_name=patient_name,
        accession=accession,
        study_uid=study_uid,
        study_date=study_date,
        description=description,
        station=station,
        manufacturer=manufacturer,
        serial=serial,
        procedure=procedure,
        sending_ae=sending_ae,
        birth_date=birth_date,
    )


def mammography_rdsr(
    *,
    patient_id: str,
    patient_name: str,
    accession: str,
    agd_by_breast: dict[str, float],
    study_date: date = date(2026, 11, 2),
    description: str = "MG SCREENING BILATERAL",
    station: str = "MG1",
    sending_ae: str | None = None,
) -> Dataset:
    """A Projection X-Ray Radiation Dose report for mammography (TID 10001 with TID 10005):
    accumulated AGD per breast, `{"R": 1.4, "L": 1.2}` in mGy."""
    study_uid = generate_uid()
    laterality = {"R": ("24028007", "Right breast"), "L": ("7771000", "Left breast")}
    per_breast = [
        num(
            code("111637", "Accumulated Average Glandular Dose"),
            agd,
            "mGy",
        )
        for _side, agd in sorted(agd_by_breast.items())
    ]
    for item, side in zip(per_breast, sorted(agd_by_breast), strict=True):
        item.ContentSequence = Sequence(
            [
                coded(
                    code("111027", "Laterality"),
                    code(laterality[side][0], laterality[side][1], "SCT"),
                    "HAS CONCEPT MOD",
                )
            ]
        )
    content = [
        *_context(code("71651007", "Mammography", "SCT"), study_uid),
        container(
            code("113702", "Accumulated X-Ray Dose Data"),
            [
                coded(code("113764", "Acquisition Plane"), code("113622", "Single Plane")),
                container(code("113704", "Projection X-Ray"), per_breast),
            ],
        ),
    ]
    return _document(
        sop_class=XRayRadiationDoseSRStorage,
        title=code("113701", "X-Ray Radiation Dose Report"),
        template="10001",
        content=content,
        patient_id=patient_id,
        patient_name=patient_name,
        accession=accession,
        study_uid=study_uid,
        study_date=study_date,
        description=description,
        station=station,
        manufacturer="ACME Medical",
        serial="SN-MG-0001",
        procedure=None,
        sending_ae=sending_ae,
        birth_date="19700101",
    )


def rrdsr(
    *,
    patient_id: str,
    patient_name: str,
    accession: str,
    activity_mbq: float,
    study_date: date = date(2026, 11, 2),
    description: str = "PET FDG WHOLE BODY",
) -> Dataset:
    """A Radiopharmaceutical Radiation Dose report (TID 10021) with one administration."""
    study_uid = generate_uid()
    content = [
        coded(
            code("121049", "Language of Content Item and Descendants"),
            code("en-US", "English (United States)", "RFC5646"),
            "HAS CONCEPT MOD",
        ),
        container(
            code("113502", "Radiopharmaceutical Administration"),
            [num(code("113507", "Administered activity"), activity_mbq, "MBq")],
        ),
    ]
    return _document(
        sop_class=RadiopharmaceuticalRadiationDoseSRStorage,
        title=code("113500", "Radiopharmaceutical Radiation Dose Report"),
        template="10021",
        content=content,
        patient_id=patient_id,
        patient_name=patient_name,
        accession=accession,
        study_uid=study_uid,
        study_date=study_date,
        description=description,
        station="HOTLAB",
        manufacturer="ACME Medical",
        serial="SN-NM-0001",
        procedure=None,
        sending_ae=None,
        birth_date="19700101",
    )


def write(folder: Path, ds: Dataset, name: str | None = None) -> Path:
    """`ds` as a Part 10 file in `folder` (created), named after its SOP Instance UID."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{ds.SOPInstanceUID}.dcm")
    ds.save_as(path, enforce_file_format=True)
    return path
