"""A thin layer over pydicom's UID registry, and the few DICOM tables pydicom lacks.

pydicom's registry is the source of truth for SOP classes and transfer syntaxes, but
`import pydicom` costs ~0.2 s (it pulls numpy in), too much for a pre-commit hook. Its
registry is a plain dict literal in `pydicom/_uid_dict.py`, so we execute that one file
on its own: same data, about a millisecond.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True, slots=True)
class UidInfo:
    uid: str
    name: str
    kind: str  # pydicom's type: "SOP Class", "Transfer Syntax", ...
    keyword: str
    retired: bool
    private: bool = False
    """Declared by the environment (`private_uids`), not in the standard."""

    @property
    def is_transfer_syntax(self) -> bool:
        return self.kind == "Transfer Syntax"

    @property
    def is_sop_class(self) -> bool:
        return self.kind in ("SOP Class", "Meta SOP Class")


# pynetdicom spells a few SOP classes differently from pydicom; users copy both.
PYNETDICOM_ALIASES = {
    "ModalityWorklistInformationFind": "1.2.840.10008.5.1.4.31",
    "ColorPaletteInformationModelFind": "1.2.840.10008.5.1.4.39.2",
    "ColorPaletteInformationModelMove": "1.2.840.10008.5.1.4.39.3",
    "ColorPaletteInformationModelGet": "1.2.840.10008.5.1.4.39.4",
    "OphthlamicOpticalCoherenceTomographyBscanVolumeAnalysisStorage": "1.2.840.10008.5.1.4.1.1.77.1.5.8",
    "PseudoColorSoftcopyPresentationStageStorage": "1.2.840.10008.5.1.4.1.1.11.3",
    "RTBrachyApplicationSetupDeliveryInstructionsStorage": "1.2.840.10008.5.1.4.34.10",
    "RoboticArmRadiationRecordStorage": "1.2.840.10008.5.1.4.1.1.481.20",
    "VariableModalityLUTSoftcopyPresentationStageStorage": "1.2.840.10008.5.1.4.1.1.11.12",
}


def _pydicom_uid_dictionary() -> dict[str, tuple[str, str, str, str, str]]:
    spec = importlib.util.find_spec("pydicom")
    folders = spec.submodule_search_locations if spec else None
    path = os.path.join(folders[0], "_uid_dict.py") if folders else ""
    file_spec = (
        importlib.util.spec_from_file_location("_imgpolicy_pydicom_uids", path)
        if os.path.isfile(path)
        else None
    )
    if file_spec is not None and file_spec.loader is not None:
        module = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(module)
        return module.UID_dictionary
    from pydicom.uid import UID_dictionary  # pragma: no cover - a pydicom with another layout

    return UID_dictionary  # pragma: no cover


@cache
def registry() -> dict[str, UidInfo]:
    """UID -> info, and keyword -> info, for every UID pydicom knows."""
    table: dict[str, UidInfo] = {}
    for uid, (name, kind, _info, retired, keyword) in _pydicom_uid_dictionary().items():
        info = UidInfo(uid, name, kind, keyword, retired == "Retired")
        table[uid] = info
        if keyword:
            table.setdefault(keyword, info)
    for alias, uid in PYNETDICOM_ALIASES.items():
        if uid in table:
            table.setdefault(alias, table[uid])
    return table


# --- private UIDs: what the environment declares beside the standard -------------------


@dataclass(frozen=True, slots=True)
class PrivateUids:
    """The vendor UIDs an environment declares (`private_uids`): by UID and by name, and
    which of its transfer syntaxes are lossy."""

    by_text: dict[str, UidInfo]
    lossy: frozenset[str]
    answers: dict[str, UidInfo | None] = field(default_factory=dict, compare=False, repr=False)
    """`lookup`'s answers under these declarations: rules ask about the same few UIDs
    thousands of times."""


_NO_PRIVATE_UIDS = PrivateUids({}, frozenset())
_private: ContextVar[PrivateUids] = ContextVar("imgpolicy_private_uids", default=_NO_PRIVATE_UIDS)


def declare_private(declared: Iterable[tuple[UidInfo, bool]]) -> None:
    """Make `declared` ((info, lossy) pairs) the private UIDs that `lookup` knows.

    Loading an environment calls this before validating any of its files, so a private
    UID declared in one file may be used in every other; the declaration then holds for
    the rules and documents of that environment, until the next environment is loaded.
    """
    by_text: dict[str, UidInfo] = {}
    lossy: set[str] = set()
    for info, is_lossy_syntax in declared:
        by_text.setdefault(info.uid, info)
        by_text.setdefault(info.keyword, info)
        if is_lossy_syntax:
            lossy.add(info.uid)
    _private.set(PrivateUids(by_text, frozenset(lossy)))


def declared_private() -> list[UidInfo]:
    """The private UIDs in effect, each once, in UID order."""
    return sorted({i.uid: i for i in _private.get().by_text.values()}.values(), key=lambda i: i.uid)


def lookup(text: str) -> UidInfo | None:
    """A UID or keyword: the standard's (pydicom's registry), else a declared private one."""
    private = _private.get()
    answers = private.answers
    if text in answers:
        return answers[text]
    stripped = text.strip()
    info = registry().get(stripped) or private.by_text.get(stripped)
    if len(answers) < _MOST_ANSWERS:  # bounded: a long-lived process sees many texts
        answers[text] = info
    return info


_MOST_ANSWERS = 100_000


def suggest(text: str, want_transfer_syntax: bool) -> list[str]:
    """Keywords of the wanted kind that look like `text` (for "did you mean")."""
    candidates = sorted(
        {
            i.keyword
            for i in [*registry().values(), *_private.get().by_text.values()]
            if i.keyword
            and i.is_transfer_syntax == want_transfer_syntax
            and (want_transfer_syntax or i.is_sop_class)
        }
    )
    folded = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(text.lower(), list(folded), n=3, cutoff=0.75)
    return [folded[h] for h in hits]


# --- transfer syntaxes: lossy or lossless (pydicom does not say) ---------------------

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"

LOSSLESS_TRANSFER_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2",  # Implicit VR Little Endian
        "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
        "1.2.840.10008.1.2.1.98",  # Encapsulated Uncompressed Explicit VR Little Endian
        "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
        "1.2.840.10008.1.2.2",  # Explicit VR Big Endian (retired)
        "1.2.840.10008.1.2.4.57",  # JPEG Lossless (Process 14)
        "1.2.840.10008.1.2.4.58",  # JPEG Lossless (Process 15, retired)
        "1.2.840.10008.1.2.4.65",  # JPEG Lossless Hierarchical (Process 28, retired)
        "1.2.840.10008.1.2.4.66",  # JPEG Lossless Hierarchical (Process 29, retired)
        "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1
        "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
        "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless Only
        "1.2.840.10008.1.2.4.92",  # JPEG 2000 Part 2 Multi-component Lossless Only
        "1.2.840.10008.1.2.4.201",  # HTJ2K Lossless
        "1.2.840.10008.1.2.4.202",  # HTJ2K Lossless RPCL
        "1.2.840.10008.1.2.4.110",  # JPEG XL Lossless
        "1.2.840.10008.1.2.5",  # RLE Lossless
        "1.2.840.10008.1.2.7.1",  # SMPTE ST 2110-20 uncompressed progressive video
        "1.2.840.10008.1.2.7.2",  # SMPTE ST 2110-20 uncompressed interlaced video
        "1.2.840.10008.1.2.7.3",  # SMPTE ST 2110-30 PCM audio
        "1.2.840.10008.1.2.8.1",  # Deflated Image Frame Compression
    }
)
"""Some of these are newer than the installed pydicom; that is fine. Everything else (JPEG baseline/extended, JPEG-LS near-lossless, JPEG 2000 that is not
lossless-only, HTJ2K, MPEG, HEVC, JPIP references) is lossy or may be."""


def is_lossy(transfer_syntax_uid: str) -> bool:
    """Whether images in this syntax may have lost information; a declared private syntax
    is lossy only when its declaration says so."""
    if transfer_syntax_uid in LOSSLESS_TRANSFER_SYNTAXES:
        return False
    private = _private.get()
    if transfer_syntax_uid in private.by_text:
        return transfer_syntax_uid in private.lossy
    return True


# --- Modality (0008,0060) defined terms, PS3.3 C.7.3.1.1.1 --------------------------

MODALITIES = frozenset(
    {
        "ANN",
        "AR",
        "ASMT",
        "AU",
        "BDUS",
        "BI",
        "BMD",
        "CFM",
        "CR",
        "CT",
        "CTPROTOCOL",
        "DMS",
        "DG",
        "DOC",
        "DX",
        "ECG",
        "EEG",
        "EMG",
        "EOG",
        "EPS",
        "ES",
        "FID",
        "GM",
        "HC",
        "HD",
        "IO",
        "IOL",
        "IVOCT",
        "IVUS",
        "KER",
        "KO",
        "LEN",
        "LS",
        "MG",
        "MR",
        "M3D",
        "NM",
        "OAM",
        "OCT",
        "OP",
        "OPM",
        "OPT",
        "OPTBSV",
        "OPTENF",
        "OPV",
        "OSS",
        "OT",
        "PA",
        "PLAN",
        "POS",
        "PR",
        "PT",
        "PX",
        "REG",
        "RESP",
        "RF",
        "RG",
        "RTDOSE",
        "RTIMAGE",
        "RTINTENT",
        "RTPLAN",
        "RTRAD",
        "RTRECORD",
        "RTSEGANN",
        "RTSTRUCT",
        "RWV",
        "SEG",
        "SM",
        "SMR",
        "SR",
        "SRF",
        "STAIN",
        "TEXTUREMAP",
        "TG",
        "US",
        "VA",
        "XA",
        "XAPROTOCOL",
        "XC",
    }
)

# --- Specific Character Set (0008,0005) defined terms, PS3.3 C.12.1.1.2 ------------

SINGLE_BYTE_CHARACTER_SETS = frozenset(
    {
        "ISO_IR 6",
        "ISO_IR 100",
        "ISO_IR 101",
        "ISO_IR 109",
        "ISO_IR 110",
        "ISO_IR 144",
        "ISO_IR 127",
        "ISO_IR 126",
        "ISO_IR 138",
        "ISO_IR 148",
        "ISO_IR 203",
        "ISO_IR 13",
        "ISO_IR 166",
    }
)
EXTENSION_CHARACTER_SETS = frozenset(
    {
        "ISO 2022 IR 6",
        "ISO 2022 IR 100",
        "ISO 2022 IR 101",
        "ISO 2022 IR 109",
        "ISO 2022 IR 110",
        "ISO 2022 IR 144",
        "ISO 2022 IR 127",
        "ISO 2022 IR 126",
        "ISO 2022 IR 138",
        "ISO 2022 IR 148",
        "ISO 2022 IR 203",
        "ISO 2022 IR 13",
        "ISO 2022 IR 166",
        "ISO 2022 IR 87",
        "ISO 2022 IR 159",
        "ISO 2022 IR 149",
        "ISO 2022 IR 58",
    }
)
STANDALONE_CHARACTER_SETS = frozenset({"ISO_IR 192", "GB18030", "GBK"})
"""Multi-byte sets without code extensions: they cannot be combined with another."""
CHARACTER_SETS = SINGLE_BYTE_CHARACTER_SETS | EXTENSION_CHARACTER_SETS | STANDALONE_CHARACTER_SETS

# --- groups of SOP classes the rules reason about -------------------------------


def _uids(*keywords: str) -> frozenset[str]:
    return frozenset(registry()[k].uid for k in keywords)


MAMMOGRAPHY_SOP_CLASSES = _uids(
    "DigitalMammographyXRayImageStorageForPresentation",
    "DigitalMammographyXRayImageStorageForProcessing",
    "BreastTomosynthesisImageStorage",
    "BreastProjectionXRayImageStorageForPresentation",
    "BreastProjectionXRayImageStorageForProcessing",
)
DOSE_SR_SOP_CLASSES = _uids(
    "XRayRadiationDoseSRStorage",
    "EnhancedXRayRadiationDoseSRStorage",
    "RadiopharmaceuticalRadiationDoseSRStorage",
    "PatientRadiationDoseSRStorage",
)
MODALITY_WORKLIST_FIND = registry()["ModalityWorklistInformationModelFind"].uid
MPPS = registry()["ModalityPerformedProcedureStep"].uid
RESULT_SOP_CLASSES = {
    "SR": _uids(
        "ComprehensiveSRStorage",
        "Comprehensive3DSRStorage",
        "EnhancedSRStorage",
        "BasicTextSRStorage",
    ),
    "SC": _uids(
        "SecondaryCaptureImageStorage",
        "MultiFrameGrayscaleByteSecondaryCaptureImageStorage",
        "MultiFrameGrayscaleWordSecondaryCaptureImageStorage",
        "MultiFrameTrueColorSecondaryCaptureImageStorage",
    ),
    "GSPS": _uids("GrayscaleSoftcopyPresentationStateStorage"),
    "SEG": _uids("SegmentationStorage"),
    "KO": _uids("KeyObjectSelectionDocumentStorage"),
}
"""What an AI result object may be stored as; a destination must accept one of them."""
VIDEO_SOP_CLASSES = _uids(
    "VideoEndoscopicImageStorage",
    "VideoMicroscopicImageStorage",
    "VideoPhotographicImageStorage",
)
"""Video IODs (PS3.3 A.32.5-A.32.7): acquired and stored as MPEG-2, MPEG-4 or HEVC streams,
which are lossy; the encapsulated video is the original (PS3.5 8.2.5-8.2.8)."""
NATIVE_IMPRACTICAL_SOP_CLASSES = VIDEO_SOP_CLASSES | _uids("VLWholeSlideMicroscopyImageStorage")
"""Classes whose objects are not sent in the native default transfer syntax in practice:
video streams, and whole slide images (gigapixel tiles, often beyond the 4 GB a native
Pixel Data element can hold), which scanners encode as JPEG, JPEG 2000 or JPEG-LS."""
DOSE_EMITTING_MODALITIES = frozenset({"CT", "XA", "RF", "MG", "NM", "PT", "DX", "CR"})
