"""Slice 1: lossy compression (RT006 split, CF001), per-class route syntaxes (RT003/RT004,
CF002) and vendors' private UIDs, on small multi-file environments as sites write them."""

from __future__ import annotations

import json
from datetime import date

from imgpolicy import baseline, dicom
from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.findings import Severity
from imgpolicy.load import load_environment

from ..conftest import run as cli

TODAY = date(2026, 11, 28)
LOSSY_OR_NOT = (
    "[JPEGBaseline8Bit, JPEG2000Lossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian]"
)


def sites(jurisdiction: str = "US-CA") -> str:
    return f"""\
imgpolicy: 1
sites:
  - {{name: MAIN, jurisdiction: {jurisdiction}, region: west}}
  - {{name: NIGHTHAWK, jurisdiction: US-AZ, region: south, teleradiology: true}}
"""


def device(name: str, title: str, kind: str, caps: list[str], site: str = "MAIN", **extra) -> str:
    """One device with one AE whose capabilities are flow-style YAML mappings."""
    lines = [f"  - name: {name}", f"    site: {site}", f"    kind: {kind}"]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    lines += ["    application_entities:", f"      - ae_title: {title}"]
    if kind == "modality":
        lines.append("        acceptor: false")
    lines.append("        transfer_capabilities:")
    lines += [f"          - {cap}" for cap in caps]
    return "\n".join(lines) + "\n"


def cap(classes: str, role: str, syntaxes: str) -> str:
    return f"{{sop_classes: [{classes}], role: {role}, transfer_syntaxes: {syntaxes}}}"


def devices(*parts: str) -> str:
    return "imgpolicy: 1\ndevices:\n" + "".join(parts)


def findings(write_env, files: dict[str, str], *select: str, jurisdiction: str = "US-CA"):
    root = write_env({"sites.yaml": sites(jurisdiction), **files})
    result = check([str(root)], Config(select=list(select)), today=TODAY)
    assert list(result.load.findings) == []
    return result.findings


# --- RT006: mammography ------------------------------------------------------------

MG_CLASS = "DigitalMammographyXRayImageStorageForPresentation"
MG_ENV = devices(
    device("mg-1", "MG_1", "modality", [cap(MG_CLASS, "SCU", LOSSY_OR_NOT)], modality="MG"),
    device("pacs", "PACS", "pacs", [cap(MG_CLASS, "SCP", LOSSY_OR_NOT)]),
)
MG_ROUTE = (
    "imgpolicy: 1\nroutes:\n"
    '  # imgpolicy: ignore[RT006] reason="the reading room accepts it"\n'
    "  - {name: mg-to-pacs, from: MG_1, to: PACS, purpose: reading}\n"
)


def test_lossy_mammography_in_the_us_is_a_safety_finding(write_env, tmp_path):
    """21 CFR 900 binds US facilities: neither a comment nor a baseline may hide it."""
    found = findings(write_env, {"devices.yaml": MG_ENV, "routes.yaml": MG_ROUTE}, "RT006", "SUP")
    rt006 = [f for f in found if f.code == "RT006"]
    assert len(rt006) == 1 and rt006[0].suppressed is None and not rt006[0].suppressible
    assert "mammography" in rt006[0].message and "cannot be suppressed" in rt006[0].message
    assert "MQSA" in rt006[0].message and "JPEGBaseline8Bit" in rt006[0].message
    sup = [f for f in found if f.code == "SUP003"]
    assert len(sup) == 1 and "safety finding" in sup[0].message
    written = baseline.write(str(tmp_path / "b.json"), found, unsuppressible=set())
    assert written.left_out == {"RT006": 1}


def test_lossy_mammography_outside_the_us_may_be_suppressed_with_a_reason(write_env):
    """MQSA is US law; elsewhere the site's regulator decides, so a reasoned suppression holds."""
    files = {"devices.yaml": MG_ENV, "routes.yaml": MG_ROUTE}
    found = findings(write_env, files, "RT006", "SUP", jurisdiction="NO")
    assert [(f.code, f.severity, f.suppressed.reason if f.suppressed else None) for f in found] == [
        ("RT006", Severity.ERROR, "the reading room accepts it")
    ]
    assert "regulator" in found[0].message


# --- RT006: originals acquired lossy ------------------------------------------------

US_CLASSES = "UltrasoundMultiFrameImageStorage, UltrasoundImageStorage"


def us_device(name: str, title: str, acquired: str | None) -> str:
    extra = {"modality": "US"}
    if acquired:
        extra["acquisition_syntaxes"] = f"[{acquired}]"
    return device(name, title, "modality", [cap(US_CLASSES, "SCU", LOSSY_OR_NOT)], **extra)


VNA = device("vna", "VNA", "vna", [cap(US_CLASSES, "SCP", LOSSY_OR_NOT)])


def test_ultrasound_acquired_as_jpeg_is_archived_as_its_original(write_env):
    routes = "imgpolicy: 1\nroutes:\n  - {name: us-to-vna, from: US_1, to: VNA, purpose: archive}\n"
    acquired = devices(us_device("us-1", "US_1", "JPEGBaseline8Bit"), VNA)
    assert findings(write_env, {"d.yaml": acquired, "r.yaml": routes}, "RT006") == []

    native = devices(us_device("us-1", "US_1", None), VNA)
    (found,) = findings(write_env, {"d.yaml": native, "r.yaml": routes}, "RT006")
    assert found.suppressible and found.detail == "archive of record"
    assert "UltrasoundImageStorage (JPEGBaseline8Bit)" in found.message
    assert "acquisition_syntaxes" in found.message


def test_a_lossy_original_does_not_excuse_recompressing_it_into_another_lossy_syntax(write_env):
    routes = (
        "imgpolicy: 1\nroutes:\n"
        "  - {name: us-to-vna, from: US_1, to: VNA, purpose: archive, transfer_syntax: JPEG2000}\n"
    )
    jpeg2000 = "[JPEG2000, JPEGBaseline8Bit, ExplicitVRLittleEndian, ImplicitVRLittleEndian]"
    env = devices(
        device(
            "us-1",
            "US_1",
            "modality",
            [cap(US_CLASSES, "SCU", jpeg2000)],
            modality="US",
            acquisition_syntaxes="[JPEGBaseline8Bit]",
        ),
        device("vna", "VNA", "vna", [cap(US_CLASSES, "SCP", jpeg2000)]),
    )
    (found,) = findings(write_env, {"d.yaml": env, "r.yaml": routes}, "RT006")
    assert "(JPEG2000)" in found.message and found.location.line == 3


def test_the_exemption_holds_only_when_every_device_behind_the_route_acquires_lossy(write_env):
    """Two carts through the PACS: one encodes JPEG itself, the other sends native images
    that the PACS could recompress on the way to the archive."""
    pacs_caps = [cap(US_CLASSES, "SCP", LOSSY_OR_NOT), cap(US_CLASSES, "SCU", LOSSY_OR_NOT)]
    env = devices(
        us_device("us-1", "US_1", "JPEGBaseline8Bit"),
        us_device("us-2", "US_2", None),
        device("pacs", "PACS", "pacs", pacs_caps),
        VNA,
    )
    through_pacs = (
        "imgpolicy: 1\nroutes:\n"
        "  - {name: us1-to-pacs, from: US_1, to: PACS, purpose: reading}\n"
        "  - {name: us2-to-pacs, from: US_2, to: PACS, purpose: reading}\n"
        "  - {name: pacs-to-vna, from: PACS, to: VNA, purpose: archive}\n"
    )
    found = findings(write_env, {"d.yaml": env, "r.yaml": through_pacs}, "RT006")
    assert [f.message.split(" may")[0] for f in found] == ["route 'pacs-to-vna'"]

    direct = (
        "imgpolicy: 1\nroutes:\n"
        "  - {name: us1-to-vna, from: US_1, to: VNA, purpose: archive}\n"
        "  - {name: us2-to-vna, from: US_2, to: VNA, purpose: archive}\n"
    )
    found = findings(write_env, {"d.yaml": env, "r.yaml": direct}, "RT006")
    assert [f.message.split(" may")[0] for f in found] == ["route 'us2-to-vna'"]


def test_video_exists_only_lossy_so_archiving_it_is_no_lossy_copy(write_env):
    mpeg = "[MPEG4HP41, MPEG2MPML]"
    env = devices(
        device(
            "endo-1",
            "ENDO_1",
            "modality",
            [cap("VideoEndoscopicImageStorage", "SCU", mpeg)],
            modality="ES",
        ),
        device("vna", "VNA", "vna", [cap("VideoEndoscopicImageStorage", "SCP", mpeg)]),
    )
    routes = (
        "imgpolicy: 1\nroutes:\n  - {name: es-to-vna, from: ENDO_1, to: VNA, purpose: archive}\n"
    )
    assert findings(write_env, {"d.yaml": env, "r.yaml": routes}, "RT006", "CF001") == []


# --- RT006: teleradiology -----------------------------------------------------------

CT_AND_MG = f"CTImageStorage, {MG_CLASS}"


def tele_env() -> str:
    return devices(
        device(
            "router",
            "ROUTER",
            "router",
            [cap(CT_AND_MG, "SCP", LOSSY_OR_NOT), cap(CT_AND_MG, "SCU", LOSSY_OR_NOT)],
        ),
        device("nh", "NH_PACS", "pacs", [cap(CT_AND_MG, "SCP", LOSSY_OR_NOT)], site="NIGHTHAWK"),
        device(
            "ct-1", "CT_1", "modality", [cap("CTImageStorage", "SCU", LOSSY_OR_NOT)], modality="CT"
        ),
        device("mg-1", "MG_1", "modality", [cap(MG_CLASS, "SCU", LOSSY_OR_NOT)], modality="MG"),
    )


def test_approved_lossy_teleradiology_passes_but_never_for_mammography(write_env):
    inbound = (
        "imgpolicy: 1\nroutes:\n"
        "  - {name: ct-in, from: CT_1, to: ROUTER, purpose: forward, transfer_syntax: "
        "JPEG2000Lossless}\n"
        "  - {name: mg-in, from: MG_1, to: ROUTER, purpose: forward, transfer_syntax: "
        "JPEG2000Lossless}\n"
    )
    base = "  - {name: tele, from: ROUTER, to: NH_PACS, purpose: teleradiology"
    without = inbound + base + "}\n"
    found = findings(write_env, {"d.yaml": tele_env(), "r.yaml": without}, "RT006")
    assert sorted(f.detail for f in found) == ["mammography", "teleradiology"]
    tele = next(f for f in found if f.detail == "teleradiology")
    assert "CTImageStorage" in tele.message and MG_CLASS not in tele.message
    assert "lossy_approved" in tele.message and tele.suppressible

    approved = inbound + base + ', lossy_approved: "Dr. Rivera, chair of radiology, 2026-03-02"}\n'
    found = findings(write_env, {"d.yaml": tele_env(), "r.yaml": approved}, "RT006")
    assert [f.detail for f in found] == ["mammography"]


def test_a_teleradiology_finding_may_be_suppressed_with_a_reason(write_env):
    routes = (
        "imgpolicy: 1\nroutes:\n"
        '  # imgpolicy: ignore[RT006] reason="lossless link upgrade planned for Q3"\n'
        "  - {name: tele, from: CT_1, to: NH_PACS, purpose: teleradiology, "
        "match: {sop_classes: [CTImageStorage]}}\n"
    )
    found = findings(write_env, {"d.yaml": tele_env(), "r.yaml": routes}, "RT006", "SUP")
    assert [(f.code, bool(f.suppressed)) for f in found] == [("RT006", True)]


# --- per-class route syntaxes: RT003, RT004, RT006, CF002 ----------------------------

MIXED = devices(
    device(
        "pacs",
        "PACS",
        "pacs",
        [
            cap("CTImageStorage", "SCP", "[JPEG2000Lossless, ImplicitVRLittleEndian]"),
            cap("VideoEndoscopicImageStorage", "SCP", "[MPEG4HP41]"),
            cap("CTImageStorage", "SCU", "[JPEG2000Lossless, ImplicitVRLittleEndian]"),
            cap("VideoEndoscopicImageStorage", "SCU", "[MPEG4HP41]"),
        ],
    ),
    device(
        "vna",
        "VNA",
        "vna",
        [
            cap("CTImageStorage", "SCP", "[JPEG2000Lossless, ImplicitVRLittleEndian]"),
            cap("VideoEndoscopicImageStorage", "SCP", "[MPEG4HP41, MPEG2MPML]"),
        ],
    ),
    device(
        "mix",
        "MIXED_SOURCE",
        "workstation",
        [
            cap(
                "CTImageStorage, VideoEndoscopicImageStorage",
                "SCU",
                "[MPEG4HP41, JPEG2000Lossless]",
            )
        ],
    ),
)


def test_a_per_class_syntax_applies_to_its_class_and_the_route_syntax_to_the_others(write_env):
    """An archive route that sends CT as JPEG 2000 lossless and video as its MPEG-4 original."""
    routes = """\
imgpolicy: 1
routes:
  - name: pacs-to-vna
    from: PACS
    to: VNA
    purpose: archive
    transfer_syntax: JPEG2000Lossless
    transfer_syntaxes: {VideoEndoscopicImageStorage: MPEG4HP41}
  - {name: mix-to-pacs, from: MIXED_SOURCE, to: PACS, purpose: forward}
"""
    files = {"d.yaml": MIXED, "r.yaml": routes}
    assert findings(write_env, files, "RT003", "RT004", "RT006") == []

    # before: one route syntax for both classes cannot be right for video
    single = routes.replace("    transfer_syntaxes: {VideoEndoscopicImageStorage: MPEG4HP41}\n", "")
    (found,) = findings(write_env, {"d.yaml": MIXED, "r.yaml": single}, "RT004")
    assert "VideoEndoscopicImageStorage" in found.message and "transfer_syntaxes" in found.message


def test_an_unsupported_per_class_syntax_is_reported_at_its_entry(write_env):
    routes = """\
imgpolicy: 1
routes:
  - name: pacs-to-vna
    from: PACS
    to: VNA
    purpose: archive
    transfer_syntaxes:
      1.2.840.10008.5.1.4.1.1.2: ExplicitVRLittleEndian
      VideoEndoscopicImageStorage: MPEG4HP41
  - {name: mix-to-pacs, from: MIXED_SOURCE, to: PACS, purpose: forward}
"""
    (found,) = findings(write_env, {"d.yaml": MIXED, "r.yaml": routes}, "RT003", "RT004")
    assert found.code == "RT004" and found.detail == "CTImageStorage"
    assert (found.location.path.rsplit("/", 1)[-1], found.location.line) == ("r.yaml", 8)
    assert "PACS and VNA do not list" in found.message


def test_a_lossy_per_class_syntax_for_mammography_is_caught(write_env):
    routes = f"""\
imgpolicy: 1
routes:
  - name: mg-to-pacs
    from: MG_1
    to: PACS
    purpose: reading
    transfer_syntax: ExplicitVRLittleEndian
    transfer_syntaxes: {{{MG_CLASS}: JPEGBaseline8Bit}}
"""
    (found,) = findings(write_env, {"d.yaml": MG_ENV, "r.yaml": routes}, "RT006")
    assert found.location.line == 8 and "JPEGBaseline8Bit" in found.message


def test_a_retired_syntax_in_a_per_class_entry_is_reported_there(write_env):
    env = devices(
        device(
            "ct",
            "CT_1",
            "modality",
            [cap("CTImageStorage", "SCU", "[ExplicitVRBigEndian, ImplicitVRLittleEndian]")],
            modality="CT",
        ),
        device(
            "pacs",
            "PACS",
            "pacs",
            [cap("CTImageStorage", "SCP", "[ExplicitVRBigEndian, ImplicitVRLittleEndian]")],
        ),
    )
    routes = (
        "imgpolicy: 1\nroutes:\n  - name: ct-to-pacs\n    from: CT_1\n    to: PACS\n"
        "    purpose: reading\n    transfer_syntaxes:\n      CTImageStorage: ExplicitVRBigEndian\n"
    )
    found = findings(write_env, {"d.yaml": env, "r.yaml": routes}, "CF002")
    in_routes = [f for f in found if f.location.path.endswith("r.yaml")]
    assert [(f.location.line, f.detail) for f in in_routes] == [
        (8, "ExplicitVRBigEndian transfer_syntaxes CTImageStorage")
    ]


def test_two_spellings_of_one_class_in_transfer_syntaxes_are_refused(write_env):
    routes = (
        "imgpolicy: 1\nroutes:\n  - name: r\n    from: A\n    to: B\n    purpose: reading\n"
        "    transfer_syntaxes: {CTImageStorage: ExplicitVRLittleEndian, "
        "1.2.840.10008.5.1.4.1.1.2: ImplicitVRLittleEndian}\n"
    )
    root = write_env({"r.yaml": routes})
    (problem,) = load_environment([str(root)]).findings
    assert problem.code == "SCHEMA004" and "name the same SOP class" in problem.message


# --- CF001 --------------------------------------------------------------------------


def test_cf001_is_a_warning_and_spares_classes_never_sent_natively(write_env):
    env = devices(
        device(
            "vna",
            "VNA",
            "vna",
            [
                cap(
                    "VideoEndoscopicImageStorage, VideoPhotographicImageStorage",
                    "SCP",
                    "[MPEG4HP41]",
                ),
                cap(
                    "VLWholeSlideMicroscopyImageStorage",
                    "SCP",
                    "[JPEGBaseline8Bit, JPEG2000Lossless]",
                ),
                cap("VideoEndoscopicImageStorage, CTImageStorage", "SCP", "[JPEG2000Lossless]"),
            ],
        )
    )
    (found,) = findings(write_env, {"d.yaml": env}, "CF001")
    assert found.severity is Severity.WARNING and "CTImageStorage" in found.message
    assert found.location.line == 11


# --- private UIDs ------------------------------------------------------------------

PRIVATE = """\
imgpolicy: 1
private_uids:
  - uid: 1.3.12.2.1107.5.9.1
    name: SiemensCSANonImageStorage
    kind: sop-class
    description: Siemens CSA Non-Image Storage (syngo)
  - {uid: 1.2.826.0.1.3680043.9.9999.1, name: AcmeWaveletLossy, kind: transfer-syntax, lossy: true}
"""
CSA_CT = devices(
    device(
        "ct",
        "CT_1",
        "modality",
        [
            cap(
                "CTImageStorage, SiemensCSANonImageStorage",
                "SCU",
                "[ExplicitVRLittleEndian, ImplicitVRLittleEndian]",
            )
        ],
        modality="CT",
    ),
)
CSA_PACS = devices(
    device(
        "pacs",
        "PACS",
        "pacs",
        [
            cap(
                "CTImageStorage, 1.3.12.2.1107.5.9.1",
                "SCP",
                "[ExplicitVRLittleEndian, ImplicitVRLittleEndian]",
            )
        ],
    ),
)
CT_ROUTE = "imgpolicy: 1\nroutes:\n  - {name: ct-to-pacs, from: CT_1, to: PACS, purpose: reading}\n"


def test_a_private_uid_declared_in_one_file_is_usable_by_name_or_uid_in_others(write_env):
    files = {
        "a-ct.yaml": CSA_CT,
        "b-pacs.yaml": CSA_PACS,
        "c-routes.yaml": CT_ROUTE,
        "z-private.yaml": PRIVATE,
    }
    assert findings(write_env, files, "RT002", "RT003", "RT005", "RT006", "CF") == []

    # it really flows: a PACS that does not accept it is told so, by its name
    files["b-pacs.yaml"] = CSA_PACS.replace(", 1.3.12.2.1107.5.9.1", "")
    (found,) = findings(write_env, files, "RT002")
    assert "SiemensCSANonImageStorage to PACS" in found.message


def test_an_undeclared_private_uid_stays_unknown_and_says_how_to_declare_it(write_env):
    root = write_env({"a-ct.yaml": CSA_CT})
    (problem,) = load_environment([str(root)]).findings
    assert problem.code == "SCHEMA005" and "private_uids" in problem.message


def test_declarations_hold_for_their_environment_only(write_env, tmp_path_factory):
    """Loading another environment forgets the first one's private UIDs."""
    declared = write_env({"a-ct.yaml": CSA_CT, "private.yaml": PRIVATE})
    assert load_environment([str(declared)]).findings == []
    other = tmp_path_factory.mktemp("other")
    (other / "ct.yaml").write_text(CSA_CT)
    (problem,) = load_environment([str(other)]).findings
    assert problem.code == "SCHEMA005"
    assert dicom.lookup("SiemensCSANonImageStorage") is None


def test_bad_private_declarations_are_refused_with_what_to_do(write_env):
    bad = """\
imgpolicy: 1
private_uids:
  - {uid: 1.3.12.2.1107.5.9.1, name: SiemensCSANonImageStorage, kind: sop-class}
  - {uid: 1.3.12.2.1107.5.9.1, name: SiemensCSAAgain, kind: sop-class}
  - {uid: 1.2.3.4, name: CTImageStorage, kind: sop-class}
  - {uid: 1.2.840.10008.5.1.4.1.1.2, name: MyCT, kind: sop-class}
  - {uid: 1.2.3.5, name: Lossy, kind: sop-class, lossy: true}
  - {uid: 1.02.3, name: Bad, kind: sop-class}
"""
    root = write_env({"private.yaml": bad})
    problems = sorted(
        (f.location.line, f.code, f.message) for f in load_environment([str(root)]).findings
    )
    assert [(line, code) for line, code, _ in problems] == [
        (5, "SCHEMA004"),
        (6, "SCHEMA004"),
        (7, "SCHEMA004"),
        (8, "SCHEMA004"),
    ]
    messages = " | ".join(m for *_, m in problems)
    assert "already the name of the standard" in messages
    assert "standard UID of CT Image Storage" in messages
    assert "transfer syntaxes only" in messages and "PS3.5 9.1" in messages
    root = write_env({"private.yaml": bad.split("  - {uid: 1.2.3.4")[0]})
    (twice,) = load_environment([str(root)]).findings
    assert twice.code == "SCHEMA009" and "1.3.12.2.1107.5.9.1" in twice.message


def test_a_private_syntax_is_lossy_only_when_declared_so(write_env):
    syntaxes = "[AcmeWaveletLossy, ExplicitVRLittleEndian, ImplicitVRLittleEndian]"
    env = devices(
        device("mg-1", "MG_1", "modality", [cap(MG_CLASS, "SCU", syntaxes)], modality="MG"),
        device("pacs", "PACS", "pacs", [cap(MG_CLASS, "SCP", syntaxes)]),
    )
    routes = (
        "imgpolicy: 1\nroutes:\n  - {name: mg-to-pacs, from: MG_1, to: PACS, purpose: reading}\n"
    )
    files = {"d.yaml": env, "r.yaml": routes, "private.yaml": PRIVATE}
    (found,) = findings(write_env, files, "RT006")
    assert "AcmeWaveletLossy" in found.message
    files["private.yaml"] = PRIVATE.replace("lossy: true", "lossy: false")
    assert findings(write_env, files, "RT006") == []


def test_the_cli_reports_a_private_uid_in_json_by_name(write_env):
    files = {
        "a.yaml": CSA_CT,
        "b.yaml": CSA_PACS.replace(", 1.3.12.2.1107.5.9.1", ""),
        "p.yaml": PRIVATE,
    }
    root = write_env({"sites.yaml": sites(), "r.yaml": CT_ROUTE, **files})
    result = cli(
        "check", str(root), "--select", "RT002", "--format", "json", "--today", "2026-11-28"
    )
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert ["SiemensCSANonImageStorage" in f["message"] for f in report["findings"]] == [True]
