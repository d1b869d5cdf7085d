"""Record examples/audit/storescp.log: DCMTK storescp standing in for the TMCH edge cache
(EDGE_TMCH of examples/regional-health), fed by DCMTK storescu from the example's AE titles.

    python examples/audit/record.py examples/audit    # needs DCMTK (Debian dcmtk) and pydicom

Normal practice: every TMCH modality stores its study (routes *-tmch-*.store) and the VNA
sends priors to the edge (the C-STORE sub-association of the C-MOVE on
vna.prefetch-to-edge-tmch). Seeded faults, one of each kind:
- DX_TMCH_PORT2 sends nothing (a silent declared AE);
- CT_TMCH_3, a new scanner nobody declared, stores a study (an undeclared sender);
- US_TMCH_2 calls the edge by a mistyped AE title, EDGE_TMHC (an undeclared called AE);
- CT_SPMC_ED, a Sacramento scanner, stores to the edge instead of its router (undeclared flow);
- CT_TMCH_2, upgraded, sends Enhanced CT, which this edge was not configured to accept
  (a refused association on a declared route).
Patients, accessions and UIDs are synthetic (pydicom's test image, re-identified).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

LOGGER = """\
log4cplus.rootLogger = INFO, file
log4cplus.appender.file = log4cplus::FileAppender
log4cplus.appender.file.File = {log}
log4cplus.appender.file.Append = false
log4cplus.appender.file.ImmediateFlush = true
log4cplus.appender.file.layout = log4cplus::PatternLayout
log4cplus.appender.file.layout.ConversionPattern = %D{{%Y-%m-%d %H:%M:%S}} %5p: %m%n
"""
"""storescp's logger: dated lines (so `--since` can filter), written as they happen."""

PROFILE = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LocalEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[[PresentationContexts]]
[Edge]
PresentationContext1 = VerificationSOPClass\\Uncompressed
PresentationContext2 = CTImageStorage\\Uncompressed
PresentationContext3 = MRImageStorage\\Uncompressed
PresentationContext4 = DigitalXRayImageStorageForPresentation\\Uncompressed
PresentationContext5 = DigitalMammographyXRayImageStorageForPresentation\\Uncompressed
PresentationContext6 = UltrasoundImageStorage\\Uncompressed
PresentationContext7 = NuclearMedicineImageStorage\\Uncompressed
PresentationContext8 = XRayAngiographicImageStorage\\Uncompressed
PresentationContext9 = XRayRadiofluoroscopicImageStorage\\Uncompressed
[[Profiles]]
[Edge]
PresentationContexts = Edge
"""
"""What this edge accepts: every class its modalities send except Enhanced CT (the fault)."""

CT, ENHANCED_CT, MR = (
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.5.1.4.1.1.2.1",
    "1.2.840.10008.5.1.4.1.1.4",
)
DX, MG, US = (
    "1.2.840.10008.5.1.4.1.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.2",
    "1.2.840.10008.5.1.4.1.1.6.1",
)
NM, XA, RF = (
    "1.2.840.10008.5.1.4.1.1.20",
    "1.2.840.10008.5.1.4.1.1.12.1",
    "1.2.840.10008.5.1.4.1.1.12.2",
)

SENDS = [  # (calling AE, called AE, SOP Class UID of the study's object)
    ("CT_TMCH_ED", "EDGE_TMCH", CT),
    ("MR_TMCH_1", "EDGE_TMCH", MR),
    ("MG_TMCH_1", "EDGE_TMCH", MG),
    ("US_TMCH_1", "EDGE_TMCH", US),
    ("US_TMCH_ED", "EDGE_TMCH", US),
    ("NM_TMCH_1", "EDGE_TMCH", NM),
    ("XA_TMCH_1", "EDGE_TMCH", XA),
    ("XA_TMCH_CARM", "EDGE_TMCH", XA),
    ("RF_TMCH_1", "EDGE_TMCH", RF),
    ("DX_TMCH_ED", "EDGE_TMCH", DX),
    ("DX_TMCH_PORT", "EDGE_TMCH", DX),
    ("VNA_SPMC", "EDGE_TMCH", CT),  # priors: the C-STORE sub-operation of a C-MOVE
    ("CT_TMCH_3", "EDGE_TMCH", CT),  # fault: a scanner nobody declared
    ("US_TMCH_2", "EDGE_TMHC", US),  # fault: a mistyped called AE title
    ("CT_SPMC_ED", "EDGE_TMCH", CT),  # fault: a Sacramento scanner sending to the edge
    ("CT_TMCH_2", "EDGE_TMCH", ENHANCED_CT),  # fault: Enhanced CT, which the edge refuses
]


def dcmtk(tool: str) -> str:
    """DCMTK's own `tool` (pynetdicom installs namesakes that take other options)."""
    for folder in ("/usr/bin", "/usr/local/bin"):
        if os.access(f"{folder}/{tool}", os.X_OK) and shutil.which("dcmqrscp", path=folder):
            return f"{folder}/{tool}"
    sys.exit(f"record.py: DCMTK's {tool} is not installed (Debian: apt-get install dcmtk)")


def synthetic(folder: Path, number: int, sop_class: str) -> Path:
    """One object of a synthetic patient (pydicom's CT test image, re-identified)."""
    ds = dcmread(get_testdata_file("CT_small.dcm"))
    for keyword in ("PatientName", "PatientID", "OtherPatientIDs", "InstitutionName"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.PatientName, ds.PatientID = f"SYNTHETIC^PATIENT{number}", f"SYN{number:05d}"
    ds.PatientBirthDate, ds.AccessionNumber = "19700101", f"SYNACC{number:05d}"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = folder / f"{number}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int) -> None:
    """Until the port is in LISTEN state (read from /proc, not by connecting: a bare
    connection would be logged as an association); a 30 s hang guard."""
    deadline = time.monotonic() + 30
    while f":{port:04X} 00000000:0000 0A" not in Path("/proc/net/tcp").read_text():
        if time.monotonic() > deadline:
            sys.exit(f"record.py: storescp does not listen on port {port}")
        time.sleep(0.05)


def record(out: Path) -> Path:
    """Run storescp as EDGE_TMCH, send SENDS to it, return the log it wrote."""
    work = Path(tempfile.mkdtemp(prefix="imgpolicy-audit-"))
    try:
        log = (out / "storescp.log").resolve()
        (work / "logger.cfg").write_text(LOGGER.format(log=log))
        (work / "edge.cfg").write_text(PROFILE)
        port = free_port()
        command = [
            dcmtk("storescp"),
            "+v",
            "-lc",
            str(work / "logger.cfg"),
            "-aet",
            "EDGE_TMCH",
            "-xf",
            str(work / "edge.cfg"),
            "Edge",
            "--ignore",
            str(port),
        ]
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=work
        )
        try:
            wait_listening(port)
            for number, (calling, called, sop_class) in enumerate(SENDS, start=1):
                path = synthetic(work, number, sop_class)
                subprocess.run(
                    [
                        dcmtk("storescu"),
                        "-R",
                        "-aet",
                        calling,
                        "-aec",
                        called,
                        "127.0.0.1",
                        str(port),
                        str(path),
                    ],
                    capture_output=True,
                    timeout=60,
                    stdin=subprocess.DEVNULL,
                )
        finally:
            process.terminate()
            process.wait(timeout=30)
        return log
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    print(record(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
