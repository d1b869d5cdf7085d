"""Our fast view of pydicom's registry agrees with pydicom itself."""

from __future__ import annotations

import pydicom.uid

from imgpolicy import dicom


def test_registry_is_pydicoms():
    table = dicom.registry()
    uids = {info.uid for info in table.values()}
    assert uids == set(pydicom.uid.UID_dictionary)
    for uid in uids:
        ours, theirs = table[uid], pydicom.uid.UID(uid)
        assert (ours.name, ours.keyword, ours.is_transfer_syntax) == (
            theirs.name,
            theirs.keyword,
            theirs.is_transfer_syntax,
        )


def test_keywords_resolve():
    assert dicom.lookup("CTImageStorage").uid == "1.2.840.10008.5.1.4.1.1.2"
    assert dicom.lookup("ExplicitVRBigEndian").retired


def test_pynetdicom_aliases_are_current():
    """Every pynetdicom SOP class name that pydicom spells differently is accepted."""
    import pynetdicom.sop_class as sop_class

    keywords = {v[4] for v in pydicom.uid.UID_dictionary.values()}
    expected = {}
    for name in dir(sop_class):
        value = getattr(sop_class, name)
        if (
            isinstance(value, str)
            and value in pydicom.uid.UID_dictionary
            and name not in keywords
            and name[0].isupper()
        ):
            expected[name] = str(value)
    assert expected == dicom.PYNETDICOM_ALIASES


def test_lossless_table_names_only_transfer_syntaxes():
    for uid in dicom.LOSSLESS_TRANSFER_SYNTAXES:
        assert uid.startswith("1.2.840.10008.1.2"), uid
        if uid in pydicom.uid.UID_dictionary:
            assert pydicom.uid.UID_dictionary[uid][1] == "Transfer Syntax", uid
    assert dicom.is_lossy(pydicom.uid.JPEGBaseline8Bit)
    assert dicom.is_lossy(pydicom.uid.JPEG2000)
    assert not dicom.is_lossy(pydicom.uid.JPEG2000Lossless)
    assert not dicom.is_lossy(pydicom.uid.RLELossless)


def test_every_compressed_transfer_syntax_is_classified_deliberately():
    """A new pydicom transfer syntax must be added to the lossless table or judged lossy."""
    known_lossy = {
        "JPEGBaseline8Bit",
        "JPEGExtended12Bit",
        "JPEGLSNearLossless",
        "JPEG2000",
        "JPEG2000MC",
        "HTJ2K",
        "MPEG2MPML",
        "MPEG2MPMLF",
        "MPEG2MPHL",
        "MPEG2MPHLF",
        "MPEG4HP41",
        "MPEG4HP41F",
        "MPEG4HP41BD",
        "MPEG4HP41BDF",
        "MPEG4HP422D",
        "MPEG4HP422DF",
        "MPEG4HP423D",
        "MPEG4HP423DF",
        "MPEG4HP42STEREO",
        "MPEG4HP42STEREOF",
        "HEVCMP51",
        "HEVCM10P51",
        "JPIPReferenced",
        "JPIPReferencedDeflate",
        "JPIPHTJ2KReferenced",
        "JPIPHTJ2KReferencedDeflate",
        "JPEGXLJPEGRecompression",
        "JPEGXL",
    }
    for uid, (name, kind, _i, retired, keyword) in pydicom.uid.UID_dictionary.items():
        if kind != "Transfer Syntax" or retired or uid in dicom.LOSSLESS_TRANSFER_SYNTAXES:
            continue
        assert keyword in known_lossy, f"classify {keyword} ({name}) as lossy or lossless"
