"""Generate an enterprise-scale imgpolicy environment, deterministically.

    python benchmarks/generate.py OUT_DIR [--sites 10] [--aes 1000] [--routes 4000] [--seed 2026]

The same arguments always give byte-identical files: every random choice comes from one
seeded `random.Random`, nothing reads the clock, and the YAML is written by the small
emitter below (not by a YAML library whose formatting could change between versions).

What it writes (every file starts with `imgpolicy: 1`):

    sites.yaml                one entry per site (S01, S02, ...), US states in three regions,
                              each with its own Issuer of Patient ID (its MRN domain)
    devices/site-XX.yaml      the site's devices: PACS, router, RIS, web viewer and its
                              modalities (CT, MR, US, DX, CR, MG, NM, PT, XA); site 1 also
                              holds the enterprise VNA and the dose monitor
    routes/site-XX.yaml       the routes whose traffic belongs to that site
    worklist.yaml             one RIS per site: Modality Worklist provider + MPPS destination,
                              and its HL7 feeds: orders and ADT to the site's PACS, ADT to
                              the VNA (patient updates and merges reach every image store)
    storage.yaml              PACS hot tiers, VNA tiers, lifecycle and per-modality volumes
    retention.yaml            adult, pediatric and mammography policies per jurisdiction
    continuity.yaml           RPO/RTO, cross-region replication and fallback per critical system,
                              and the viewers' DICOMweb access to the VNA (their data path)
    dose.yaml                 the dose monitor, diagnostic reference levels and the CT Dose
                              Check notification and alert values (NEMA XR 25)
    reading.yaml              report turnaround targets per priority and modality
    .imgpolicy.yaml           check configuration: `today: 2026-11-01`, the day the dates
                              in the files are relative to (no wall clock, so they stay clean)

`--aes` counts every Application Entity: 3 per site (PACS, router, RIS), the VNA and the
dose monitor; the rest are acquisition modalities. `--routes` is met exactly: the routes
the environment needs (modality -> router, router -> PACS and VNA, dose reports -> dose
monitor, prior prefetch VNA -> each PACS) come first, then realistic extras
(sub-specialty reading across sites, downtime bypasses, relevant-prior prefetch), a
seeded sample of the last kind that fits.

Capabilities are written out in full, one `sop_class` per transfer capability (as a
PS3.15 / dcm4chee export reads), with no YAML anchors: the benchmark is a big flat file.
The numbers (retention periods, dose reference levels, volumes) are realistic in kind and
size but illustrative: they are benchmark data, not advice.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

DEFAULT_SITES = 10
DEFAULT_AES = 1000
DEFAULT_ROUTES = 4000
DEFAULT_SEED = 2026

REFERENCE_DATE = date(2026, 11, 1)
"""Dates in the files (installation, last DR test) lie before this fixed day; the
`.imgpolicy.yaml` written beside them sets `today:` to it, so DR004 (test older than 12
months) judges them as of that day, not the wall clock."""

CONFIG_FILE = ".imgpolicy.yaml"

INFRA_AES_PER_SITE = 3  # PACS, router, RIS
ENTERPRISE_AES = 2  # VNA, dose monitor

# --- transfer syntaxes ------------------------------------------------------------------

NATIVE = ["ExplicitVRLittleEndian", "ImplicitVRLittleEndian"]
NON_IMAGE_TS = [
    "ExplicitVRLittleEndian",
    "DeflatedExplicitVRLittleEndian",
    "ImplicitVRLittleEndian",
]
SERVICE_TS = ["ExplicitVRLittleEndian", "ImplicitVRLittleEndian"]
LOSSLESS_COMPRESSED = ["JPEG2000Lossless", "JPEGLSLossless", "JPEGLosslessSV1", "RLELossless"]
LOSSY_COMPRESSED = ["JPEG2000", "JPEGBaseline8Bit", "JPEGExtended12Bit", "JPEGLSNearLossless"]
INFRA_IMAGE_TS = LOSSLESS_COMPRESSED + LOSSY_COMPRESSED + NATIVE
INFRA_LOSSLESS_TS = LOSSLESS_COMPRESSED + NATIVE
"""What PACS, routers and the VNA accept for mammography: lossless only (21 CFR 900.12)."""

# --- SOP classes ------------------------------------------------------------------------

XRAY_DOSE_SR = "XRayRadiationDoseSRStorage"
RP_DOSE_SR = "RadiopharmaceuticalRadiationDoseSRStorage"
DOSE_SR = (XRAY_DOSE_SR, RP_DOSE_SR)
NON_IMAGE = {  # stored objects that are not pixel data: no image compression applies
    XRAY_DOSE_SR,
    RP_DOSE_SR,
    "ComprehensiveSRStorage",
    "Comprehensive3DSRStorage",
    "EnhancedSRStorage",
    "BasicTextSRStorage",
    "KeyObjectSelectionDocumentStorage",
    "GrayscaleSoftcopyPresentationStateStorage",
    "ColorSoftcopyPresentationStateStorage",
    "EncapsulatedPDFStorage",
    "SpatialRegistrationStorage",
    "RawDataStorage",
    "SegmentationStorage",
    "ParametricMapStorage",
    "MRSpectroscopyStorage",
}
MAMMO_CLASSES = {
    "DigitalMammographyXRayImageStorageForPresentation",
    "DigitalMammographyXRayImageStorageForProcessing",
    "BreastTomosynthesisImageStorage",
    "BreastProjectionXRayImageStorageForPresentation",
}
ARCHIVE_EXTRAS = [  # what PACS/VNA/routers also store: results, key images, documents
    "KeyObjectSelectionDocumentStorage",
    "EncapsulatedPDFStorage",
    "BasicTextSRStorage",
    "EnhancedSRStorage",
    "ComprehensiveSRStorage",
    "Comprehensive3DSRStorage",
    "ColorSoftcopyPresentationStateStorage",
    "GrayscaleSoftcopyPresentationStateStorage",
    "SegmentationStorage",
    "ParametricMapStorage",
    "SpatialRegistrationStorage",
    "RawDataStorage",
    "VLPhotographicImageStorage",
    "SecondaryCaptureImageStorage",
    "MultiFrameGrayscaleByteSecondaryCaptureImageStorage",
    "MultiFrameGrayscaleWordSecondaryCaptureImageStorage",
    "MultiFrameTrueColorSecondaryCaptureImageStorage",
    "BreastProjectionXRayImageStorageForPresentation",
    "XRayRadiofluoroscopicImageStorage",
    "PatientRadiationDoseSRStorage",
]
QUERY_RETRIEVE = [
    "StudyRootQueryRetrieveInformationModelFind",
    "StudyRootQueryRetrieveInformationModelMove",
    "StudyRootQueryRetrieveInformationModelGet",
    "PatientRootQueryRetrieveInformationModelFind",
    "PatientRootQueryRetrieveInformationModelMove",
]

# Per modality: its weight in the fleet, the storage SOP classes it sends (dose SR last),
# compressed transfer syntaxes it may offer (in order of preference), vendors/models/
# versions, annual studies per device and mean study size, and body parts for prefetch.
MODALITIES: dict[str, dict] = {
    "CT": dict(
        weight=14,
        storage=[
            "CTImageStorage",
            "EnhancedCTImageStorage",
            "SecondaryCaptureImageStorage",
            "GrayscaleSoftcopyPresentationStateStorage",
            XRAY_DOSE_SR,
        ],
        compressed=["JPEG2000Lossless", "JPEGLosslessSV1", "RLELossless", "JPEGLSLossless"],
        vendors=[
            ("Siemens Healthineers", "SOMATOM Force", ["VB20A", "VA50A", "VB10A"]),
            ("GE HealthCare", "Revolution Apex", ["24MW11.4", "24MW22.1"]),
            ("Philips", "Spectral CT 7500", ["5.0.2", "5.1.0"]),
            ("Canon Medical Systems", "Aquilion ONE PRISM", ["10.6", "10.12"]),
        ],
        annual_studies=11000,
        study_mb=450,
        body_parts=["HEAD", "NECK", "CHEST", "ABDOMEN", "PELVIS", "SPINE", "EXTREMITY"],
    ),
    "MR": dict(
        weight=10,
        storage=[
            "MRImageStorage",
            "EnhancedMRImageStorage",
            "MRSpectroscopyStorage",
            "SecondaryCaptureImageStorage",
            "GrayscaleSoftcopyPresentationStateStorage",
        ],
        compressed=["JPEG2000Lossless", "JPEGLosslessSV1", "RLELossless"],
        vendors=[
            ("Siemens Healthineers", "MAGNETOM Vida", ["XA50", "XA60"]),
            ("GE HealthCare", "SIGNA Premier", ["MR30.1", "MR30.2"]),
            ("Philips", "Ingenia Ambition", ["5.7.1", "5.9.0"]),
            ("Canon Medical Systems", "Vantage Orian", ["7.0", "8.0"]),
        ],
        annual_studies=4500,
        study_mb=180,
        body_parts=["BRAIN", "SPINE", "KNEE", "SHOULDER", "ABDOMEN", "PELVIS", "BREAST"],
    ),
    "US": dict(
        weight=20,
        storage=[
            "UltrasoundImageStorage",
            "UltrasoundMultiFrameImageStorage",
            "EnhancedUSVolumeStorage",
            "ComprehensiveSRStorage",
            "SecondaryCaptureImageStorage",
        ],
        compressed=["JPEGBaseline8Bit", "JPEGLosslessSV1", "RLELossless"],
        vendors=[
            ("GE HealthCare", "LOGIQ E10s", ["R3.1", "R4.0"]),
            ("Philips", "EPIQ Elite", ["9.0", "10.0"]),
            ("Siemens Healthineers", "ACUSON Sequoia", ["VA30", "VB20"]),
            ("Canon Medical Systems", "Aplio i800", ["6.1", "7.0"]),
        ],
        annual_studies=5500,
        study_mb=40,
        body_parts=["ABDOMEN", "PELVIS", "THYROID", "BREAST", "HEART", "VASCULAR"],
    ),
    "DX": dict(
        weight=18,
        storage=[
            "DigitalXRayImageStorageForPresentation",
            "DigitalXRayImageStorageForProcessing",
            "GrayscaleSoftcopyPresentationStateStorage",
            XRAY_DOSE_SR,
        ],
        compressed=["JPEG2000Lossless", "JPEGLosslessSV1", "JPEGLSLossless"],
        vendors=[
            ("Carestream", "DRX-Evolution Plus", ["5.8", "6.0"]),
            ("Fujifilm", "FDR Visionary Suite", ["V7.1", "V8.0"]),
            ("Philips", "DigitalDiagnost C90", ["1.2", "1.3"]),
            ("Siemens Healthineers", "YSIO X.pree", ["VF10", "VF11"]),
        ],
        annual_studies=16000,
        study_mb=30,
        body_parts=["CHEST", "ABDOMEN", "SPINE", "HAND", "FOOT", "KNEE", "HIP"],
    ),
    "CR": dict(
        weight=6,
        storage=[
            "ComputedRadiographyImageStorage",
            "GrayscaleSoftcopyPresentationStateStorage",
            "SecondaryCaptureImageStorage",
            XRAY_DOSE_SR,
        ],
        compressed=["JPEGLosslessSV1", "JPEG2000Lossless", "RLELossless"],
        vendors=[
            ("Fujifilm", "FCR Capsula XLII", ["V4.2", "V5.0"]),
            ("Carestream", "Vita Flex CR", ["4.1", "5.2"]),
            ("Agfa", "CR 30-Xm", ["3.0", "3.2"]),
            ("Konica Minolta", "REGIUS Sigma2", ["1.30", "1.40"]),
        ],
        annual_studies=12000,
        study_mb=20,
        body_parts=["CHEST", "ABDOMEN", "EXTREMITY", "SKULL"],
    ),
    "MG": dict(
        weight=9,
        storage=[
            "DigitalMammographyXRayImageStorageForPresentation",
            "DigitalMammographyXRayImageStorageForProcessing",
            "BreastTomosynthesisImageStorage",
            XRAY_DOSE_SR,
        ],
        compressed=["JPEG2000Lossless", "JPEGLSLossless", "JPEGLosslessSV1", "RLELossless"],
        vendors=[
            ("Hologic", "3Dimensions", ["2.1", "2.3"]),
            ("GE HealthCare", "Senographe Pristina", ["1.9", "2.0"]),
            ("Siemens Healthineers", "MAMMOMAT Revelation", ["VC10", "VC20"]),
            ("Fujifilm", "ASPIRE Cristalle", ["5.1", "5.4"]),
        ],
        annual_studies=7000,
        study_mb=350,
        body_parts=["BREAST"],
    ),
    "NM": dict(
        weight=5,
        storage=[
            "NuclearMedicineImageStorage",
            "SecondaryCaptureImageStorage",
            "GrayscaleSoftcopyPresentationStateStorage",
            RP_DOSE_SR,
        ],
        compressed=["JPEGLosslessSV1", "RLELossless", "JPEG2000Lossless"],
        vendors=[
            ("GE HealthCare", "StarGuide", ["1.1", "1.3"]),
            ("Siemens Healthineers", "Symbia Pro.specta", ["VB20", "VB30"]),
            ("Spectrum Dynamics", "VERITON-CT", ["2.8", "3.0"]),
        ],
        annual_studies=1800,
        study_mb=25,
        body_parts=["WHOLEBODY", "HEART", "THYROID", "BRAIN"],
    ),
    "PT": dict(
        weight=3,
        storage=[
            "PositronEmissionTomographyImageStorage",
            "EnhancedPETImageStorage",
            "CTImageStorage",
            "SecondaryCaptureImageStorage",
            XRAY_DOSE_SR,
            RP_DOSE_SR,
        ],
        compressed=["JPEG2000Lossless", "JPEGLosslessSV1", "RLELossless"],
        vendors=[
            ("Siemens Healthineers", "Biograph Vision Quadra", ["VR20", "VR30"]),
            ("GE HealthCare", "Omni Legend", ["2.0", "2.1"]),
            ("United Imaging", "uMI Panorama", ["R002", "R003"]),
        ],
        annual_studies=2200,
        study_mb=300,
        body_parts=["WHOLEBODY", "BRAIN", "HEART"],
    ),
    "XA": dict(
        weight=6,
        storage=[
            "XRayAngiographicImageStorage",
            "EnhancedXAImageStorage",
            "XRay3DAngiographicImageStorage",
            "SecondaryCaptureImageStorage",
            XRAY_DOSE_SR,
        ],
        compressed=["JPEGLosslessSV1", "JPEGBaseline8Bit", "JPEG2000Lossless", "RLELossless"],
        vendors=[
            ("Siemens Healthineers", "ARTIS icono", ["VE20", "VE30"]),
            ("Philips", "Azurion 7", ["2.2", "3.0"]),
            ("GE HealthCare", "Allia IGS 7", ["3.1", "3.3"]),
            ("Canon Medical Systems", "Alphenix Biplane", ["9.2", "9.5"]),
        ],
        annual_studies=1600,
        study_mb=600,
        body_parts=["HEART", "HEAD", "ABDOMEN", "EXTREMITY"],
    ),
}
MODALITY_ORDER = list(MODALITIES)

SUBSPECIALTY = {  # modality -> (index of the site whose PACS reads it, which reading group)
    "MG": (0, "breast imaging"),
    "NM": (1, "nuclear medicine"),
    "PT": (1, "nuclear medicine"),
    "MR": (2, "neuroradiology and MSK"),
    "CT": (3, "body imaging"),
    "XA": (4, "cardiovascular imaging"),
    "US": (5, "ultrasound"),
    "DX": (6, "musculoskeletal radiology"),
    "CR": (6, "musculoskeletal radiology"),
}

# (jurisdiction, region, time zone, city)
SITE_POOL = [
    ("US-CA", "us-west", "America/Los_Angeles", "San Francisco"),
    ("US-NY", "us-east", "America/New_York", "Albany"),
    ("US-TX", "us-central", "America/Chicago", "Austin"),
    ("US-MA", "us-east", "America/New_York", "Worcester"),
    ("US-WA", "us-west", "America/Los_Angeles", "Spokane"),
    ("US-IL", "us-central", "America/Chicago", "Peoria"),
    ("US-AZ", "us-west", "America/Phoenix", "Tucson"),
    ("US-PA", "us-east", "America/New_York", "Harrisburg"),
    ("US-OH", "us-central", "America/New_York", "Columbus"),
    ("US-FL", "us-east", "America/New_York", "Tampa"),
]

# jurisdiction -> (adult keep, pediatric keep_until_age, pediatric plus, basis)
RETENTION = {
    "US-CA": ("7y", 18, "1y", "California Health and Safety Code 123145"),
    "US-NY": ("6y", 18, "3y", "10 NYCRR 405.10"),
    "US-TX": ("10y", 20, None, "Texas Health and Safety Code 241.103"),
    "US-MA": ("20y", 18, "2y", "Massachusetts General Laws c. 111 s. 70"),
    "US-WA": ("10y", 21, None, "RCW 70.41.190"),
    "US-IL": ("10y", 18, "3y", "Illinois hospital licensing rules"),
    "US-AZ": ("6y", 21, None, "Arizona Revised Statutes 12-2297"),
    "US-PA": ("7y", 18, "2y", "28 Pa. Code 115.23"),
    "US-OH": ("7y", 18, "3y", "Ohio hospital policy (no general statute)"),
    "US-FL": ("7y", 18, "3y", "Florida Administrative Code 59A-3.270"),
}


# --- a small, deterministic YAML emitter -------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_ ./()+-]*\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_WITH_UNIT = re.compile(r"\d+(\.\d+)?[A-Za-z%]+\Z")  # 450MB, 30m, 7y, 6%: never a number
_AMBIGUOUS = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"))
_FLOW_WIDTH = 100


def _scalar(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if _DATE.match(text) or _WITH_UNIT.match(text):
        return text  # dates, sizes and durations stay plain, as people write them
    if (
        _PLAIN.match(text)
        and text.lower() not in _AMBIGUOUS
        and not text.endswith(" ")
        and " #" not in text
    ):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(value) -> str | None:
    """`[a, b]` or `{k: v, k2: [a, b]}` when every part is a scalar (or a list of them)."""
    if isinstance(value, list):
        if any(isinstance(v, (list, dict)) for v in value):
            return None
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            inner = (
                _flow(v) if isinstance(v, list) else (None if isinstance(v, dict) else _scalar(v))
            )
            if inner is None:
                return None
            parts.append(f"{k}: {inner}")
        return "{" + ", ".join(parts) + "}"
    return None


class Flow(dict):
    """A mapping written on one line (`{name: dicom, hostname: ...}`) when it fits."""


class Block(list):
    """A list of scalars written one per line even when it would fit on one."""


def _inline(prefix: str, value) -> str | None:
    """`value` on the line of `prefix`, when it is a short list or a `Flow` that fits."""
    if isinstance(value, Block) or (isinstance(value, dict) and not isinstance(value, Flow)):
        return None
    text = _flow(value)
    if text is None or len(prefix) + 1 + len(text) > _FLOW_WIDTH:
        return None
    return text


def _emit(value, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            _emit_entry(f"{pad}{key}:", item, indent, out)
        return
    for item in value:
        if isinstance(item, dict):
            inline = _inline(f"{pad}-", item)
            if inline is not None:
                out.append(f"{pad}- {inline}")
                continue
            first = True
            for key, sub in item.items():
                prefix = f"{pad}- {key}:" if first else f"{pad}  {key}:"
                _emit_entry(prefix, sub, indent + 2, out)
                first = False
        elif isinstance(item, list):
            out.append(f"{pad}- {_flow(item)}")
        else:
            out.append(f"{pad}- {_scalar(item)}")


def _emit_entry(prefix: str, value, indent: int, out: list[str]) -> None:
    if isinstance(value, (list, dict)):
        if not value:
            out.append(f"{prefix} {'[]' if isinstance(value, list) else '{}'}")
            return
        inline = _inline(prefix, value)
        if inline is not None:
            out.append(f"{prefix} {inline}")
        else:
            out.append(prefix)
            _emit(value, indent + 2, out)
    else:
        out.append(f"{prefix} {_scalar(value)}")


def dump(sections: dict, header: str) -> str:
    """An environment file: a comment header, `imgpolicy: 1`, then the sections."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    out.append("imgpolicy: 1")
    for key, value in sections.items():
        out.append("")
        _emit_entry(f"{key}:", value, 0, out)
    return "\n".join(out) + "\n"


# --- the environment ----------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, largest remainder first (exact sum)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _size(megabytes: float) -> str:
    """A capacity, rounded up: whole TB, or PB with one decimal from 1 PB on."""
    terabytes = math.ceil(megabytes / 1_000_000)
    if terabytes >= 1000:
        return f"{math.ceil(terabytes / 100) / 10:.1f}PB"
    return f"{terabytes}TB"


def _capability(sop: str, role: str, syntaxes: list[str]) -> dict:
    return {"sop_class": sop, "role": role, "transfer_syntaxes": list(syntaxes)}


def _infra_syntaxes(sop: str, lossless: bool = False) -> list[str]:
    if sop in NON_IMAGE:
        return NON_IMAGE_TS
    if lossless or sop in MAMMO_CLASSES:
        return INFRA_LOSSLESS_TS
    return INFRA_IMAGE_TS


class _Env:
    def __init__(self, sites: int, aes: int, routes: int, seed: int):
        if sites < 2:
            raise ValueError("--sites must be at least 2 (the VNA replicates to another region)")
        infra = sites * INFRA_AES_PER_SITE + ENTERPRISE_AES
        if aes < infra + sites:
            raise ValueError(
                f"--aes must be at least {infra + sites} for {sites} sites "
                f"({infra} infrastructure AEs and one modality per site)"
            )
        self.rng = random.Random(seed)
        self.n_sites = sites
        self.n_aes = aes
        self.n_routes = routes
        self.seed = seed
        self.site_width = max(2, len(str(sites)))
        self.sites = [self._site(i) for i in range(sites)]
        self.storage_classes = sorted(
            {c for m in MODALITIES.values() for c in m["storage"]} | set(ARCHIVE_EXTRAS)
        )
        self.modalities: list[list[dict]] = []  # per site: modality AE records
        self._place_modalities(aes - infra)
        self.routes: list[list[dict]] = [[] for _ in range(sites)]  # per site file

    # sites ---------------------------------------------------------------------------
    def _site(self, i: int) -> dict:
        jurisdiction, region, tz, city = SITE_POOL[i % len(SITE_POOL)]
        lap = i // len(SITE_POOL)
        code = f"S{i + 1:0{self.site_width}d}"
        return {
            "index": i,
            "name": code,
            "lower": code.lower(),
            "jurisdiction": jurisdiction,
            "region": region,
            "timezone": tz,
            "city": city if not lap else f"{city} {lap + 1}",
            # what the site's RIS and modalities write: one set per site, so worklist
            # answers and MPPS need no conversion (PACS, routers and the VNA take both)
            "charset": "ISO_IR 192" if self.rng.random() < 0.3 else "ISO_IR 100",
        }

    def replication_target(self, i: int) -> dict:
        """The next site (cyclically) in another region."""
        for step in range(1, self.n_sites):
            other = self.sites[(i + step) % self.n_sites]
            if other["region"] != self.sites[i]["region"]:
                return other
        raise AssertionError("every site pool lap spans several regions")

    def pacs(self, site: dict) -> str:
        return f"PACS_{site['name']}"

    def router(self, site: dict) -> str:
        return f"ROUTER_{site['name']}"

    def ris(self, site: dict) -> str:
        return f"RIS_{site['name']}"

    VNA = "VNA_ENT"
    DOSE = "DOSE_MON"

    # modalities ------------------------------------------------------------------------
    def _place_modalities(self, count: int) -> None:
        rng = self.rng
        site_weights = [
            2.0 if i == 0 else round(rng.uniform(0.6, 1.6), 3) for i in range(self.n_sites)
        ]
        per_site = _split(count, site_weights)
        weights = [MODALITIES[m]["weight"] for m in MODALITY_ORDER]
        width = max(3, len(str(max(per_site))))
        for site, n in zip(self.sites, per_site, strict=False):
            kinds = _split(n, weights) if n >= len(weights) else [0] * len(weights)
            if n < len(weights):  # a tiny site: the commonest kinds first
                for k in sorted(range(len(weights)), key=lambda k: -weights[k])[:n]:
                    kinds[k] = 1
            records = []
            for kind, k in zip(MODALITY_ORDER, kinds, strict=False):
                for number in range(1, k + 1):
                    records.append(self._modality(site, kind, number, width))
            self.modalities.append(records)

    def _modality(self, site: dict, kind: str, number: int, width: int) -> dict:
        rng = self.rng
        spec = MODALITIES[kind]
        manufacturer, model, versions = rng.choice(spec["vendors"])
        extra = rng.randint(1, 3)
        compressed = spec["compressed"][:extra]
        if rng.random() < 0.3 and len(compressed) > 1:
            compressed = [compressed[1], compressed[0], *compressed[2:]]
        name = f"{kind.lower()}-{site['lower']}-{number:0{width}d}"
        return {
            "kind": kind,
            "site": site,
            "name": name,
            "title": f"{kind}_{site['name']}_{number:0{width}d}",
            "manufacturer": manufacturer,
            "model": model,
            "version": rng.choice(versions),
            "installed": REFERENCE_DATE - timedelta(days=rng.randint(200, 3650)),
            "image_ts": compressed + NATIVE,
            "storage": spec["storage"],
        }

    def all_modalities(self):
        for records in self.modalities:
            yield from records

    # devices ---------------------------------------------------------------------------
    def modality_device(self, m: dict) -> dict:
        site = m["site"]
        caps = []
        for sop in m["storage"]:
            caps.append(
                _capability(sop, "SCU", NON_IMAGE_TS if sop in NON_IMAGE else m["image_ts"])
            )
        caps.append(_capability("ModalityWorklistInformationModelFind", "SCU", SERVICE_TS))
        caps.append(_capability("ModalityPerformedProcedureStep", "SCU", SERVICE_TS))
        caps.append(_capability("Verification", "SCU", SERVICE_TS))
        vendor = _slug(m["manufacturer"].split()[0])
        host = f"{m['name']}.{site['lower']}.imaging.example.org"
        # outbound only (no port); TLS where it leaves the LAN of the data centre (site 1)
        connection = (
            Flow(name="dicom", hostname=host)
            if site["index"] == 0
            else Flow(name="dicom-tls", hostname=host, tls=True)
        )
        return {
            "name": m["name"],
            "site": site["name"],
            "kind": "modality",
            "modality": m["kind"],
            "manufacturer": m["manufacturer"],
            "model": m["model"],
            "software_version": m["version"],
            "installed": m["installed"],
            "conformance_statement": f"conformance/{vendor}-{_slug(m['model'])}-{_slug(m['version'])}.pdf",
            "connections": [connection],
            "application_entities": [
                {
                    "ae_title": m["title"],
                    "connections": [connection["name"]],
                    "initiator": True,
                    "acceptor": False,
                    "character_sets": [site["charset"]],
                    "transfer_capabilities": caps,
                }
            ],
        }

    def _infra_device(
        self,
        name: str,
        site: dict,
        kind: str,
        title: str,
        manufacturer: str,
        model: str,
        version: str,
        caps: list[dict],
        description: str,
        initiator: bool = True,
        charsets: list[str] | None = None,
    ) -> dict:
        host = f"{name}.{site['lower']}.imaging.example.org"
        return {
            "name": name,
            "site": site["name"],
            "kind": kind,
            "description": description,
            "manufacturer": manufacturer,
            "model": model,
            "software_version": version,
            "installed": REFERENCE_DATE - timedelta(days=self.rng.randint(365, 2500)),
            "conformance_statement": f"conformance/{_slug(manufacturer.split()[0])}-"
            f"{_slug(model)}-{_slug(version)}.pdf",
            "connections": [
                Flow(name="dicom", hostname=host, port=104),
                Flow(name="dicom-tls", hostname=host, port=2762, tls=True),
            ],
            "application_entities": [
                {
                    "ae_title": title,
                    "connections": ["dicom", "dicom-tls"],
                    "initiator": initiator,
                    "acceptor": True,
                    "character_sets": charsets or ["ISO_IR 192", "ISO_IR 100"],
                    "transfer_capabilities": caps,
                }
            ],
        }

    def _store_caps(self, lossless_scp: bool = False) -> list[dict]:
        """Storage SCP and SCU for every class; the archive of record accepts lossless only."""
        return [
            _capability(s, "SCP", _infra_syntaxes(s, lossless_scp)) for s in self.storage_classes
        ] + [_capability(s, "SCU", _infra_syntaxes(s)) for s in self.storage_classes]

    def site_devices(self, site: dict) -> list[dict]:
        i = site["index"]
        lower = site["lower"]
        service = [
            _capability("Verification", "SCP", SERVICE_TS),
            _capability("Verification", "SCU", SERVICE_TS),
        ]
        archive = [_capability(s, "SCP", SERVICE_TS) for s in QUERY_RETRIEVE] + [
            _capability("StorageCommitmentPushModel", "SCP", SERVICE_TS)
        ]
        pacs_vendor, pacs_model, pacs_version = [
            ("Sectra", "Sectra PACS", "27.1"),
            ("Philips", "Vue PACS", "12.2.8"),
            ("GE HealthCare", "Centricity Universal Viewer", "7.0 SP1"),
            ("Fujifilm", "Synapse PACS", "7.3"),
        ][i % 4]
        devices = [
            self._infra_device(
                f"pacs-{lower}",
                site,
                "pacs",
                self.pacs(site),
                pacs_vendor,
                pacs_model,
                pacs_version,
                self._store_caps() + archive + service,
                f"Diagnostic PACS of {site['city']}: short-term cache, reading worklists",
            ),
            self._infra_device(
                f"router-{lower}",
                site,
                "router",
                self.router(site),
                "Laurel Bridge",
                "Compass",
                "4.2",
                self._store_caps() + service,
                f"DICOM router of {site['city']}: every modality sends here; rules fan "
                "studies out to PACS, the VNA and reading hubs",
            ),
            self._infra_device(
                f"ris-{lower}",
                site,
                "ris",
                self.ris(site),
                "Epic",
                "Radiant",
                "2026.1",
                [
                    _capability("ModalityWorklistInformationModelFind", "SCP", SERVICE_TS),
                    _capability("ModalityPerformedProcedureStep", "SCP", SERVICE_TS),
                    *service,
                ],
                f"RIS of {site['city']}: Modality Worklist and MPPS",
                initiator=False,
                charsets=[site["charset"]],
            ),
            {
                "name": f"viewer-{lower}",
                "site": site["name"],
                "kind": "viewer",
                "description": f"Zero-footprint web viewer at {site['city']} on the VNA; "
                "read-only fallback during downtime",
                "manufacturer": "Hyland",
                "model": "NilRead",
                "software_version": "5.2",
            },
        ]
        if i == 0:
            devices.append(
                self._infra_device(
                    "vna-ent",
                    site,
                    "vna",
                    self.VNA,
                    "Hyland",
                    "Acuo VNA",
                    "7.1",
                    self._store_caps(lossless_scp=True) + archive + service,
                    "Enterprise vendor-neutral archive: the archive of record for every site",
                )
            )
            devices.append(
                self._infra_device(
                    "dose-monitor",
                    site,
                    "dose-monitor",
                    self.DOSE,
                    "Bayer",
                    "Radimetrics",
                    "3.4",
                    [
                        _capability(XRAY_DOSE_SR, "SCP", NON_IMAGE_TS),
                        _capability(RP_DOSE_SR, "SCP", NON_IMAGE_TS),
                        _capability("Verification", "SCP", SERVICE_TS),
                    ],
                    "Enterprise radiation dose monitoring",
                    initiator=False,
                )
            )
        devices.extend(self.modality_device(m) for m in self.modalities[i])
        return devices

    # routes ----------------------------------------------------------------------------
    def essential_routes(self) -> list[tuple[int, dict]]:
        """What the environment needs to check clean: (site index of the file, route)."""
        essential: list[tuple[int, dict]] = []
        for site in self.sites:
            i = site["index"]
            essential.append(
                (
                    i,
                    {
                        "name": f"router-{site['lower']}-to-pacs-{site['lower']}",
                        "description": f"Everything acquired at {site['city']} to its PACS for reading",
                        "from": self.router(site),
                        "to": self.pacs(site),
                        "purpose": "reading",
                        "priority": "high",
                    },
                )
            )
            essential.append(
                (
                    i,
                    {
                        "name": f"router-{site['lower']}-to-vna",
                        "description": "Everything to the archive of record",
                        "from": self.router(site),
                        "to": self.VNA,
                        "purpose": "archive",
                    },
                )
            )
            kinds = self.kinds_at(site)
            if kinds:
                essential.append(
                    (
                        i,
                        {
                            "name": f"vna-prefetch-{site['lower']}",
                            "description": f"Relevant priors for every exam scheduled at {site['city']}",
                            "from": self.VNA,
                            "to": self.pacs(site),
                            "match": Flow(modality=kinds),
                            "purpose": "prefetch",
                            "priority": "low",
                        },
                    )
                )
        for m in self.all_modalities():
            i = m["site"]["index"]
            essential.append(
                (
                    i,
                    {
                        "name": f"{m['name']}-to-router",
                        "from": m["title"],
                        "to": self.router(m["site"]),
                        "match": Flow(sop_classes=list(m["storage"])),
                        "purpose": "forward",
                        "priority": "high",
                    },
                )
            )
            dose = [s for s in m["storage"] if s in DOSE_SR]
            if dose:
                essential.append(
                    (
                        i,
                        {
                            "name": f"{m['name']}-dose",
                            "from": m["title"],
                            "to": self.DOSE,
                            "match": Flow(sop_classes=dose),
                            "transfer_syntax": "ExplicitVRLittleEndian",
                            "purpose": "dose",
                            "priority": "low",
                        },
                    )
                )
        return essential

    def extra_routes(self) -> list[list[tuple[int, dict]]]:
        """Realistic extras, in the order they are added: whole tiers while they fit, then
        a seeded sample of the next one."""
        return [
            self._subspecialty_routes(),
            self._bypass_routes("pacs"),
            self._prefetch_routes(),
            self._bypass_routes("vna"),
        ]

    def build_routes(self) -> None:
        essential = self.essential_routes()
        if self.n_routes < len(essential):
            raise ValueError(
                f"--routes must be at least {len(essential)} for this fleet "
                "(every modality needs its route to the router, dose-emitting "
                "ones a dose route; every router routes to PACS and VNA, and the "
                "VNA prefetches priors to every PACS)"
            )
        chosen = list(essential)
        for tier in self.extra_routes():
            room = self.n_routes - len(chosen)
            if room <= 0:
                break
            if len(tier) <= room:
                chosen.extend(tier)
            else:
                keep = sorted(self.rng.sample(range(len(tier)), room))
                chosen.extend(tier[k] for k in keep)
        if len(chosen) < self.n_routes:
            raise ValueError(
                f"--routes can be at most {len(chosen)} for {self.n_aes} AEs "
                f"and {self.n_sites} sites"
            )
        for i, route in chosen:
            self.routes[i].append(route)

    def _subspecialty_routes(self) -> list[tuple[int, dict]]:
        """Router rules by calling AE: a copy to the PACS of the site that reads that
        modality for the enterprise (breast imaging, nuclear medicine, ...)."""
        out = []
        for m in self.all_modalities():
            site = m["site"]
            hub_index, group = SUBSPECIALTY[m["kind"]]
            hub = self.sites[hub_index % self.n_sites]
            if hub is site:
                hub = self.sites[(hub_index + 1) % self.n_sites]
            images = [s for s in m["storage"] if s not in NON_IMAGE]
            route = {
                "name": f"router-{site['lower']}-{m['name']}-to-pacs-{hub['lower']}",
                "description": f"{group.capitalize()} reading at {hub['city']}",
                "from": self.router(site),
                "to": self.pacs(hub),
                "match": Flow(calling_ae=[m["title"]], sop_classes=images),
                "purpose": "reading",
            }
            if m["kind"] == "MG":
                route["transfer_syntax"] = "JPEG2000Lossless"
            out.append((site["index"], route))
        return out

    def _bypass_routes(self, target: str) -> list[tuple[int, dict]]:
        """Disabled direct routes that downtime procedures switch on when the router is down."""
        out = []
        for m in self.all_modalities():
            site = m["site"]
            to = self.pacs(site) if target == "pacs" else self.VNA
            out.append(
                (
                    site["index"],
                    {
                        "name": f"{m['name']}-bypass-to-{target}",
                        "description": f"Downtime bypass: enable while {self.router(site)} is down",
                        "from": m["title"],
                        "to": to,
                        "match": Flow(sop_classes=list(m["storage"])),
                        "purpose": "reading" if target == "pacs" else "archive",
                        "priority": "low",
                        "enabled": False,
                    },
                )
            )
        return out

    def kinds_at(self, site: dict) -> list[str]:
        return sorted({m["kind"] for m in self.modalities[site["index"]]}, key=MODALITY_ORDER.index)

    def _prefetch_routes(self) -> list[tuple[int, dict]]:
        """Prefetch rules per modality and body part (a study of the same body part first)."""
        out = []
        for site in self.sites:
            for kind in self.kinds_at(site):
                for part in MODALITIES[kind]["body_parts"]:
                    out.append(
                        (
                            site["index"],
                            {
                                "name": f"vna-prefetch-{site['lower']}-{kind.lower()}-{part.lower()}",
                                "description": f"{kind} {part.lower()} priors first for exams "
                                f"scheduled at {site['city']}",
                                "from": self.VNA,
                                "to": self.pacs(site),
                                "match": Flow(modality=kind, body_part=[part]),
                                "purpose": "prefetch",
                                "priority": "medium",
                            },
                        )
                    )
        return out

    # the policy sections ----------------------------------------------------------------
    def sites_section(self) -> list[dict]:
        return [
            {
                "name": s["name"],
                "description": f"{s['city']} medical center",
                "jurisdiction": s["jurisdiction"],
                "region": s["region"],
                "timezone": s["timezone"],
                # each medical center kept its own MRN when it joined the enterprise
                "patient_id_issuer": f"{s['name']}_MRN",
            }
            for s in self.sites
        ]

    def worklist_section(self) -> list[dict]:
        out = []
        for site, records in zip(self.sites, self.modalities, strict=False):
            if records:
                out.append(
                    {
                        "provider": self.ris(site),
                        "consumers": Block(m["title"] for m in records),
                        "mpps_destination": self.ris(site),
                        "description": f"Scheduled procedures for {site['city']}",
                    }
                )
        return out

    def ris_integrations(self) -> list[dict]:
        """Each site's RIS sends orders and patient updates (ADT) to its PACS, and ADT to
        the VNA, so a merge in the ED (IHE PIR) reaches every store that keeps studies."""
        out = []
        for site in self.sites:
            lower = site["lower"]
            out.append(
                {
                    "name": f"ris-{lower}-to-pacs",
                    "kind": "hl7",
                    "source": f"ris-{lower}",
                    "target": f"pacs-{lower}",
                    "endpoint": f"mllps://pacs-{lower}.example.org:2575",
                    "messages": ["ORM", "ADT"],
                    "events": ["ORM^O01", "ADT^A08", "ADT^A40"],
                }
            )
            out.append(
                {
                    "name": f"ris-{lower}-adt-to-vna",
                    "kind": "hl7",
                    "source": f"ris-{lower}",
                    "target": "vna-ent",
                    "endpoint": "mllps://vna-ent.example.org:2575",
                    "messages": ["ADT"],
                    "events": ["ADT^A08", "ADT^A40"],
                }
            )
        return out

    def storage_section(self) -> dict:
        tiers, lifecycle, volumes = [], [], []
        total_5y = 0.0
        for site, records in zip(self.sites, self.modalities, strict=False):
            counts: dict[str, int] = {}
            for m in records:
                counts[m["kind"]] = counts.get(m["kind"], 0) + 1
            three_years = 0.0
            tier = f"pacs-{site['lower']}-hot"
            for kind in MODALITY_ORDER:
                if kind not in counts:
                    continue
                spec = MODALITIES[kind]
                studies = spec["annual_studies"] * counts[kind]
                growth = self.rng.choice([3, 4, 5, 6, 8])
                yearly = [studies * spec["study_mb"] * (1 + growth / 100) ** k for k in range(5)]
                three_years += sum(yearly[:3])
                total_5y += sum(yearly)
                volumes.append(
                    {
                        "site": site["name"],
                        "modality": kind,
                        "tier": tier,
                        "annual_studies": studies,
                        "mean_study_size": f"{spec['study_mb']}MB",
                        "annual_growth": f"{growth}%",
                    }
                )
            tiers.append(
                Flow(
                    name=tier,
                    device=f"pacs-{site['lower']}",
                    tier="hot",
                    capacity=_size(max(three_years, 1) * 1.4),
                )
            )
            lifecycle.append(
                {
                    "name": f"pacs-{site['lower']}-cache",
                    "description": "PACS keeps two years online, then the VNA serves",
                    "tier": tier,
                    "site": site["name"],
                    "steps": [Flow(after="2y", action="move", to="vna-online")],
                }
            )
        tiers.append(
            Flow(name="vna-online", device="vna-ent", tier="warm", capacity=_size(total_5y * 1.3))
        )
        tiers.append(
            Flow(
                name="vna-deep-archive",
                device="vna-ent",
                tier="archive",
                capacity=_size(total_5y * 5),
            )
        )
        lifecycle.append(
            {
                "name": "vna-ilm",
                "description": "Older studies to the deep archive; nothing is purged",
                "tier": "vna-online",
                "steps": [Flow(after="5y", action="move", to="vna-deep-archive")],
            }
        )
        return {"tiers": tiers, "lifecycle": lifecycle, "volumes": volumes}

    def retention_section(self) -> list[dict]:
        out = []
        for jurisdiction in sorted({s["jurisdiction"] for s in self.sites}):
            adult, age, plus, basis = RETENTION[jurisdiction]
            slug = jurisdiction.lower()
            out.append(
                {
                    "name": f"{slug}-adult",
                    "jurisdiction": jurisdiction,
                    "patient_category": "adult",
                    "keep": adult,
                    "basis": f"{basis} (illustrative)",
                }
            )
            pediatric = {
                "name": f"{slug}-pediatric",
                "jurisdiction": jurisdiction,
                "patient_category": "pediatric",
                "keep": adult,
                "keep_until_age": age,
            }
            if plus:
                pediatric["plus"] = plus
            pediatric["basis"] = f"{basis}, minors (illustrative)"
            out.append(pediatric)
            out.append(
                {
                    "name": f"{slug}-mammography",
                    "jurisdiction": jurisdiction,
                    "modality": "MG",
                    "patient_category": "all",
                    "keep": "10y",
                    "lossless": True,
                    "basis": "21 CFR 900.12(c)(4) (MQSA): 5 years, 10 without a later "
                    "mammogram at the facility",
                }
            )
        return out

    def continuity_section(self) -> list[dict]:
        rng = self.rng
        out = []

        def plan(system, rpo, rto, site_index, window, fallback="viewer"):
            target = self.replication_target(site_index)
            replication = (
                Flow(target_site=target["name"], scope="full")
                if window == "full"
                else Flow(target_site=target["name"], window=window)
            )
            return {
                "system": system,
                "rpo": rpo,
                "rto": rto,
                "replication": replication,
                "read_only_fallback": f"{fallback}-{target['lower']}",
                "last_tested": REFERENCE_DATE - timedelta(days=rng.randint(14, 300)),
            }

        # the archive of record: a full copy; while it is down, the PACS of another
        # region (with its own cache) shows what it holds
        out.append(plan("vna-ent", "15m", "8h", 0, "full", fallback="pacs"))
        out.append(plan("dose-monitor", "24h", "72h", 0, "30d"))
        for site in self.sites:
            i = site["index"]
            out.append(plan(f"pacs-{site['lower']}", "15m", "4h", i, "30d"))
            out.append(plan(f"router-{site['lower']}", "5m", "1h", i, "30d"))
            out.append(plan(f"ris-{site['lower']}", "15m", "2h", i, "60d"))
        return out

    def viewer_integrations(self) -> list[dict]:
        """Each site's web viewer reads the VNA over DICOMweb: its data path as the PACS's
        read-only fallback."""
        return [
            {
                "name": f"viewer-{site['lower']}-wado",
                "kind": "dicomweb",
                "source": f"viewer-{site['lower']}",
                "target": "vna-ent",
                "endpoint": "https://vna-ent.example.org/dicom-web",
                "services": ["QIDO-RS", "WADO-RS"],
            }
            for site in self.sites
        ]

    def dose_section(self) -> dict:
        source = "Enterprise radiation safety committee (illustrative, after ACR-AAPM DRLs)"
        levels: list[tuple[str, str, str, dict[str, float]]] = [
            ("CT head without contrast", "CT", "adult", dict(ctdivol_mgy=57, dlp_mgy_cm=1011)),
            ("CT head without contrast", "CT", "pediatric", dict(ctdivol_mgy=35, dlp_mgy_cm=570)),
            ("CT chest", "CT", "adult", dict(ctdivol_mgy=12, dlp_mgy_cm=443)),
            ("CT abdomen and pelvis", "CT", "adult", dict(ctdivol_mgy=16, dlp_mgy_cm=781)),
            ("CT chest abdomen pelvis", "CT", "adult", dict(ctdivol_mgy=15, dlp_mgy_cm=1040)),
            ("CT lumbar spine", "CT", "adult", dict(ctdivol_mgy=30, dlp_mgy_cm=900)),
            ("Chest PA", "DX", "adult", dict(dap_gy_cm2=0.1, air_kerma_mgy=0.15)),
            ("Abdomen AP", "DX", "adult", dict(dap_gy_cm2=2.5, air_kerma_mgy=2.0)),
            ("Lumbar spine AP", "DX", "adult", dict(dap_gy_cm2=1.5, air_kerma_mgy=3.5)),
            ("Chest PA", "CR", "adult", dict(dap_gy_cm2=0.12, air_kerma_mgy=0.2)),
            ("Extremity", "CR", "adult", dict(dap_gy_cm2=0.05, air_kerma_mgy=0.1)),
            ("Screening mammogram, 2-view", "MG", "adult", dict(agd_mgy=2.4)),
            ("Digital breast tomosynthesis, per view", "MG", "adult", dict(agd_mgy=1.8)),
            (
                "Coronary angiography",
                "XA",
                "adult",
                dict(dap_gy_cm2=83, air_kerma_mgy=1000, fluoro_time_min=9),
            ),
            (
                "Percutaneous coronary intervention",
                "XA",
                "adult",
                dict(dap_gy_cm2=190, air_kerma_mgy=2300, fluoro_time_min=22),
            ),
            ("Bone scan, Tc-99m MDP", "NM", "adult", dict(activity_mbq=740)),
            (
                "Myocardial perfusion, Tc-99m sestamibi rest/stress",
                "NM",
                "adult",
                dict(activity_mbq=1110),
            ),
            (
                "Whole-body F-18 FDG PET/CT",
                "PT",
                "adult",
                dict(activity_mbq=370, ctdivol_mgy=6, dlp_mgy_cm=600),
            ),
        ]
        out = []
        for exam, modality, category, metrics in levels:
            out.append(
                {
                    "exam": exam,
                    "modality": modality,
                    "patient_category": category,
                    **metrics,
                    "source": source,
                    "edition": "2026-03",
                }
            )
        # CT Dose Check values configured on every scanner (AAPM Dose Check Guidelines)
        notification = [
            ("Adult head", 80),
            ("Adult torso", 50),
            ("Adult brain perfusion", 600),
            ("Pediatric head (under 2 years)", 50),
            ("Pediatric torso (under 10 years)", 25),
        ]
        return {
            "monitor": self.DOSE,
            "reference_levels": out,
            "notification_values": [
                Flow(exam=exam, ctdivol_mgy=value, source="AAPM Dose Check Guidelines")
                for exam, value in notification
            ],
            "alert_values": Flow(ctdivol_mgy=1000),
        }

    def reading_section(self) -> dict:
        targets = {  # priority -> hours, per modality
            "CT": {"stat": "1h", "urgent": "4h", "routine": "24h"},
            "MR": {"stat": "2h", "urgent": "8h", "routine": "48h"},
            "US": {"stat": "1h", "urgent": "4h", "routine": "24h"},
            "DX": {"stat": "1h", "urgent": "4h", "routine": "24h"},
            "CR": {"stat": "1h", "urgent": "4h", "routine": "24h"},
            "MG": {"stat": "4h", "urgent": "24h", "routine": "48h", "screening": "5d"},
            "NM": {"stat": "4h", "urgent": "8h", "routine": "48h"},
            "PT": {"stat": "4h", "urgent": "8h", "routine": "48h"},
            "XA": {"stat": "1h", "urgent": "4h", "routine": "24h"},
        }
        out = [
            Flow(priority=p, modality=m, target=t)
            for m, by_priority in targets.items()
            for p, t in by_priority.items()
        ]
        for site in self.sites[::3]:  # the trauma centres promise more for stat work
            for m in ("CT", "DX", "US"):
                out.append(Flow(priority="stat", modality=m, target="30m", site=site["name"]))
        return {"turnaround": out}


def route_bounds(
    sites: int = DEFAULT_SITES, aes: int = DEFAULT_AES, seed: int = DEFAULT_SEED
) -> tuple[int, int]:
    """The fewest and the most routes `generate` can write for this fleet."""
    env = _Env(sites, aes, 0, seed)
    essential = len(env.essential_routes())
    return essential, essential + sum(len(tier) for tier in env.extra_routes())


def generate(
    out_dir: str | os.PathLike,
    sites: int = DEFAULT_SITES,
    aes: int = DEFAULT_AES,
    routes: int = DEFAULT_ROUTES,
    seed: int = DEFAULT_SEED,
) -> dict:
    """Write the environment into `out_dir`; return counts (files, bytes, AEs, routes...).

    Files this generator wrote before (sites.yaml..., devices/site-*.yaml,
    routes/site-*.yaml) are replaced, so a smaller run over a bigger one leaves no stale
    site files behind; anything else in `out_dir` is left alone.
    """
    env = _Env(sites, aes, routes, seed)
    env.build_routes()
    out = Path(out_dir)
    for sub in ("devices", "routes"):
        folder = out / sub
        if folder.is_dir():
            for old in folder.glob("site-*.yaml"):
                old.unlink()
    header = (
        f"Generated by benchmarks/generate.py --sites {sites} --aes {aes} "
        f"--routes {routes} --seed {seed}\nBenchmark data: realistic in shape, "
        "illustrative in its numbers.\n"
    )
    files: dict[str, str] = {"sites.yaml": dump({"sites": env.sites_section()}, header)}
    for site in env.sites:
        suffix = site["lower"][1:]
        files[f"devices/site-{suffix}.yaml"] = dump(
            {"devices": env.site_devices(site)},
            header + f"Devices of {site['name']} ({site['city']}).\n",
        )
        files[f"routes/site-{suffix}.yaml"] = dump(
            {"routes": env.routes[site["index"]]},
            header + f"Routes of {site['name']} ({site['city']}).\n",
        )
    files["worklist.yaml"] = dump(
        {"worklist": env.worklist_section(), "integrations": env.ris_integrations()}, header
    )
    files["storage.yaml"] = dump({"storage": env.storage_section()}, header)
    files["retention.yaml"] = dump({"retention": env.retention_section()}, header)
    files["continuity.yaml"] = dump(
        {"continuity": env.continuity_section(), "integrations": env.viewer_integrations()},
        header,
    )
    files["dose.yaml"] = dump({"dose": env.dose_section()}, header)
    files["reading.yaml"] = dump({"reading": env.reading_section()}, header)

    total = 0
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    # not an environment file (no `imgpolicy: 1`): the check configuration, which pins the
    # day time-based rules compare the files' dates with, so the output stays clean later
    (out / CONFIG_FILE).write_text(
        f"# imgpolicy configuration of this generated benchmark environment.\n"
        f"# Its dates (installed, last_tested) lie before {REFERENCE_DATE}: time-based rules "
        f"use that day.\ntoday: {REFERENCE_DATE}\n",
        encoding="utf-8",
    )
    modalities = sum(len(r) for r in env.modalities)
    return {
        "files": len(files),
        "bytes": total,
        "sites": sites,
        "aes": modalities + sites * INFRA_AES_PER_SITE + ENTERPRISE_AES,
        "modalities": modalities,
        "routes": sum(len(r) for r in env.routes),
        "paths": sorted(str(out / f) for f in files),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="folder to write the environment into")
    parser.add_argument("--sites", type=int, default=DEFAULT_SITES)
    parser.add_argument(
        "--aes",
        type=int,
        default=DEFAULT_AES,
        help="Application Entities in all (infrastructure + modalities)",
    )
    parser.add_argument("--routes", type=int, default=DEFAULT_ROUTES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    try:
        summary = generate(args.out_dir, args.sites, args.aes, args.routes, args.seed)
    except ValueError as err:
        parser.error(str(err))
    print(
        f"wrote {summary['files']} files, {summary['bytes'] / 1e6:.2f} MB: "
        f"{summary['sites']} sites, {summary['aes']} AEs ({summary['modalities']} "
        f"modalities), {summary['routes']} routes -> {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
