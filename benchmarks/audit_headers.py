"""How long does `imgpolicy audit headers` take to read a study's headers from Orthanc's
REST API and from DICOMweb?

    python benchmarks/audit_headers.py [--count 10000] [--keep DIR]

Starts a fresh Orthanc (Debian's `orthanc` and `orthanc-dicomweb`, as the tests do:
tests/audit_peers.py) on loopback, stores COUNT studies of one small instance each (a
re-identified CT header without pixel data) with DCMTK `storescu +sd`, then times, for
each source, listing the studies and reading every study's headers through the audit
sources (`OrthancSource`, `DicomWebSource`): the same requests an audit makes. Prints
seconds per study. Not a test: machines differ.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydicom.uid import generate_uid  # noqa: E402

from imgpolicy.audit.observed import Window  # noqa: E402
from imgpolicy.audit.sources import Settings  # noqa: E402
from imgpolicy.audit.sources.dicomweb import DicomWebSource  # noqa: E402
from imgpolicy.audit.sources.orthanc import OrthancSource  # noqa: E402
from tests.audit_data import instance  # noqa: E402
from tests.audit_peers import STORESCU, STORESCU_ENV, start_orthanc  # noqa: E402


def write_studies(folder: Path, count: int) -> None:
    """`count` one-instance studies of synthetic patients, written from one template."""
    folder.mkdir(parents=True, exist_ok=True)
    template = instance(patient_id="BENCH", patient_name="BENCH^MARK", accession="B", pixels=False)
    for n in range(count):
        template.PatientID = f"BENCH-{n:06d}"
        template.PatientName = f"BENCH^PATIENT{n}"
        template.AccessionNumber = f"ACC{n:08d}"
        template.StudyInstanceUID = generate_uid()
        template.SeriesInstanceUID = generate_uid()
        template.SOPInstanceUID = generate_uid()
        template.file_meta.MediaStorageSOPInstanceUID = template.SOPInstanceUID
        template.save_as(folder / f"{n:06d}.dcm", enforce_file_format=True)


def time_source(source, count: int) -> dict[str, float]:
    """List the studies, then read every study's headers; seconds for each part."""
    started = time.perf_counter()
    studies = source.studies(Window())
    listed = time.perf_counter()
    instances = sum(len(source.headers(study)) for study in studies)
    read = time.perf_counter()
    if len(studies) != count or instances != count:
        raise SystemExit(f"{source.name}: {len(studies)} studies, {instances} instances")
    return {
        "list_s": round(listed - started, 2),
        "headers_s": round(read - listed, 2),
        "s_per_study": round((read - started) / count, 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    # in memory when the machine has a tmpfs, storage not fsynced: the benchmark times
    # reading, not Orthanc's writes (its SQLite index syncs every stored instance)
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    work = args.keep or Path(tempfile.mkdtemp(prefix="audit-headers-", dir=shm))
    peer = start_orthanc(work / "orthanc", options={"SyncStorageArea": False})
    try:
        started = time.perf_counter()
        write_studies(work / "files", args.count)
        written = time.perf_counter()
        subprocess.run(
            [
                *(str(STORESCU), "-aet", "BENCH_CT", "-aec", peer.aet, "+sd", "+r", "-to", "60"),
                *("127.0.0.1", str(peer.dicom_port), str(work / "files")),
            ],
            check=True,
            capture_output=True,
            env=STORESCU_ENV,
        )
        stored = time.perf_counter()
        settings = Settings(peer.user, peer.password, timeout=120)
        results = {
            "count": args.count,
            "python": platform.python_version(),
            "write_s": round(written - started, 1),
            "store_s": round(stored - written, 1),
            "orthanc": time_source(OrthancSource(peer.url, settings), args.count),
            "dicomweb": time_source(DicomWebSource(peer.dicomweb, settings), args.count),
        }
        print(json.dumps(results, indent=2))
    finally:
        peer.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
