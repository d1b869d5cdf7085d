"""The model's field types and the schema errors they produce, positioned in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgpolicy.load import load_environment
from imgpolicy.model.types import parse_duration, parse_size

DEVICE = """\
imgpolicy: 1
devices:
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    connections:
      - {{name: dicom, hostname: ct-1.example.org}}
    application_entities:
      - ae_title: {ae}
        acceptor: false
        transfer_capabilities:
          - sop_class: {sop}
            role: SCU
            transfer_syntaxes: [{ts}]
"""


def findings_for(write_env, text: str):
    result = load_environment([str(write_env({"env.yaml": text}))])
    return [(f.code, f.location.line, f.location.column, f.message) for f in result.findings]


@pytest.mark.parametrize(
    "text,days",
    [
        ("30m", 30 / 1440),
        ("4h", 4 / 24),
        ("30d", 30),
        ("2w", 14),
        ("7y", 7 * 365.2425),
        ("P7Y", 7 * 365.2425),
        ("PT4H", 4 / 24),
        ("P1Y6M", 1.5 * 365.2425),
        ("1.5h", 1.5 / 24),
        ("6mo", 365.2425 / 2),
    ],
)
def test_durations_parse(text, days):
    assert parse_duration(text).days == pytest.approx(days)
    assert str(parse_duration(text)) == text


@pytest.mark.parametrize("text", ["7 years", "P", "PT", "7", "y7", "", "-3d"])
def test_bad_durations_are_rejected(text):
    with pytest.raises(Exception, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    "text,size",
    [
        ("250MB", 250_000_000),
        ("1.2TB", 1_200_000_000_000),
        ("4TiB", 4 * 1024**4),
        ("512 GB", 512_000_000_000),
        ("10B", 10),
    ],
)
def test_sizes_parse(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "ae,code",
    [
        ("CT_MAIN_1", None),
        ("NO", None),  # YAML 1.2: a string, a valid AE title
        ("'  PADDED  '", None),  # leading/trailing spaces are not significant
        ("ABCDEFGHIJKLMNOPQ", "SCHEMA007"),  # 17 characters
        ("'CT\\\\1'", "SCHEMA007"),  # backslash
        ("'   '", "SCHEMA007"),  # blank
        ("CTÄ1", "SCHEMA007"),  # not ASCII
        ("104", "SCHEMA003"),  # a number, not a string
    ],
)
def test_ae_titles_follow_ps3_5(write_env, ae, code):
    found = findings_for(
        write_env, DEVICE.format(ae=ae, sop="CTImageStorage", ts="ExplicitVRLittleEndian")
    )
    assert [f[0] for f in found] == ([code] if code else [])
    if code:
        assert found[0][1:3] == (10, 19)


@pytest.mark.parametrize(
    "sop,ts,code,hint",
    [
        ("CTImageStorage", "JPEG2000Lossless", None, None),
        ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.4.90", None, None),
        ("ModalityWorklistInformationFind", "ImplicitVRLittleEndian", None, None),  # pynetdicom
        ("CTImageStorag", "ImplicitVRLittleEndian", "SCHEMA005", "did you mean CTImageStorage"),
        ("CTImageStorage", "JPEG2000Losless", "SCHEMA005", "did you mean JPEG2000Lossless"),
        ("JPEG2000Lossless", "ImplicitVRLittleEndian", "SCHEMA006", "not a SOP class"),
        ("CTImageStorage", "CTImageStorage", "SCHEMA006", "not a transfer syntax"),
        ("1.2.3.4", "ImplicitVRLittleEndian", "SCHEMA005", "unknown SOP class"),
    ],
)
def test_uids_resolve_through_pydicoms_registry(write_env, sop, ts, code, hint):
    found = findings_for(write_env, DEVICE.format(ae="CT_1", sop=sop, ts=ts))
    assert [f[0] for f in found] == ([code] if code else [])
    if hint:
        assert hint in found[0][3]


def test_uids_are_stored_as_uids(write_env):
    env = load_environment(
        [
            str(
                write_env(
                    {
                        "env.yaml": DEVICE.format(
                            ae="CT_1", sop="CTImageStorage", ts="JPEG2000Lossless"
                        )
                    }
                )
            )
        ]
    ).environment
    cap = env.devices[0].application_entities[0].transfer_capabilities[0]
    assert cap.classes == ["1.2.840.10008.5.1.4.1.1.2"]
    assert cap.transfer_syntaxes == ["1.2.840.10008.1.2.4.90"]


def test_no_silent_coercion(write_env):
    found = findings_for(
        write_env,
        """\
imgpolicy: 1
devices:
  - name: pacs
    site: MAIN
    kind: pacs
    connections:
      - name: dicom
        hostname: pacs.example.org
        port: "104"
        tls: yes
""",
    )
    assert [(c, line, col) for c, line, col, _ in found] == [
        ("SCHEMA003", 9, 15),
        ("SCHEMA003", 10, 14),
    ]
    assert "remove the quotes" in found[0][3]
    assert "only true and false are booleans" in found[1][3]


def test_unknown_key_suggests_the_field(write_env):
    found = findings_for(
        write_env,
        """\
imgpolicy: 1
sites:
  - name: MAIN
    jurisdiction: US-CA
    regoin: us-west
""",
    )
    codes = sorted((c, line, col) for c, line, col, _ in found)
    assert codes == [("SCHEMA001", 5, 5), ("SCHEMA002", 3, 5)]
    unknown = next(m for c, *_, m in found if c == "SCHEMA001")
    assert "did you mean 'region'" in unknown


def test_dates_and_sizes_are_typed(write_env):
    env = load_environment(
        [
            str(
                write_env(
                    {
                        "env.yaml": """\
imgpolicy: 1
continuity:
  - {system: pacs, rpo: 15m, rto: PT4H, last_tested: 2026-05-14}
storage:
  tiers:
    - {name: hot, device: vna, tier: hot, capacity: 1.5PB}
  volumes:
    - {site: MAIN, modality: [PT, CT], tier: hot, annual_studies: 100, mean_study_size: 2GB, annual_growth: 7.5%}
"""
                    }
                )
            )
        ]
    ).environment
    plan = env.continuity[0]
    assert plan.last_tested.isoformat() == "2026-05-14"
    assert plan.rto.days == pytest.approx(4 / 24)
    assert env.tiers[0].capacity == 1_500_000_000_000_000
    assert env.volumes[0].annual_growth == pytest.approx(0.075)
    assert env.volumes[0].modality == ["PT", "CT"]


def test_model_level_rules_are_positioned_at_the_item(write_env):
    found = findings_for(
        write_env,
        """\
imgpolicy: 1
retention:
  - name: no-period
    jurisdiction: US-CA
""",
    )
    assert [(c, line, col) for c, line, col, _ in found] == [("SCHEMA004", 3, 5)]
    assert "keep" in found[0][3]


def test_duplicate_names_across_files_point_at_both(write_env):
    root = write_env(
        {
            "a.yaml": "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n",
            "b.yaml": "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-NV, region: east}\n",
        }
    )
    result = load_environment([str(root)])
    [finding] = result.findings
    assert finding.code == "SCHEMA009"
    assert finding.location.path.endswith("b.yaml") and finding.location.line == 3
    assert finding.related[0].location.path.endswith("a.yaml")


def test_yaml_without_the_marker_is_not_validated_against_the_model(write_env):
    """It is YAML010 (tests/test_membership.py), never a pile of SCHEMA findings."""
    root = write_env(
        {
            "ci.yml": "stages: [test]\nimgpolicyx: 1\n",
            "broken-but-not-ours.yaml": "key: [unclosed\n",
            "env.yaml": "imgpolicy: 1\n",
        }
    )
    result = load_environment([str(root)])
    assert sorted((Path(f.location.path).name, f.code) for f in result.findings) == [
        ("broken-but-not-ours.yaml", "YAML010"),
        ("ci.yml", "YAML010"),
    ]


def test_location_of_merged_items(write_env):
    root = write_env(
        {"x.yaml": DEVICE.format(ae="CT_1", sop="CTImageStorage", ts="ImplicitVRLittleEndian")}
    )
    result = load_environment([str(root)])
    device = result.environment.devices[0]
    assert result.location(device).line == 3
    assert result.location(device, "application_entities", 0, "ae_title").line == 10


# --- quantities that used to crash or slip through (issue 9 item 5) --------------------

TIER = "imgpolicy: 1\nstorage:\n  tiers:\n    - {{name: hot, device: vna, tier: hot, capacity: '{size}'}}\n"
KEEP = "imgpolicy: 1\nretention:\n  - {{name: r, jurisdiction: US, keep: '{keep}'}}\n"


@pytest.mark.parametrize(
    "size,hint",
    [
        ("1\u212aB", "is not a size"),  # KELVIN SIGN: re.IGNORECASE matched it as K: KeyError
        ("9" * 400 + "B", "at most 18 digits"),  # float('9'*400) is inf: OverflowError
        ("\u0664TB", "is not a size"),  # an Arabic-Indic 4: Python's \d matched it
        ("4\tTB", "is not a size"),  # spaces only, as the schema says
    ],
)
def test_sizes_are_ascii_and_bounded(write_env, size, hint):
    found = findings_for(write_env, TIER.format(size=size))
    assert [(c, line) for c, line, _, _ in found] == [("SCHEMA008", 4)]
    assert hint in found[0][3]


@pytest.mark.parametrize(
    "keep,hint",
    [
        ("9" * 400 + "y", "at most 18 digits"),  # int(inf) months: OverflowError
        ("P" + "9" * 400 + "Y", "at most 18 digits"),
        ("\u0667y", "is not a duration"),  # float('\u0667') == 7.0: silently 7 years
        ("7\ty", "is not a duration"),
    ],
    ids=["400-digits", "iso-400-digits", "arabic-indic-digit", "tab"],
)
def test_durations_are_ascii_and_bounded(write_env, keep, hint):
    found = findings_for(write_env, KEEP.format(keep=keep))
    assert [(c, line) for c, line, _, _ in found] == [("SCHEMA008", 3)]
    assert hint in found[0][3]


def test_the_largest_quantities_are_usable():
    assert parse_size("9" * 18 + "EiB") == int(float("9" * 18) * 1024**6)
    assert parse_duration("9" * 18 + "y").months == int(float("9" * 18) * 12)
    assert parse_duration(" 7y ").text == "7y"


def test_an_ipv6_zone_index_is_refused(write_env):
    text = "imgpolicy: 1\ndevices:\n  - {{name: d, site: S, kind: pacs, connections: [{{name: c, hostname: '{host}'}}]}}\n"
    assert findings_for(write_env, text.format(host="fe80::1")) == []
    [found] = findings_for(write_env, text.format(host="fe80::1%eth0"))
    assert found[0] == "SCHEMA004" and "without %eth0" in found[3]


def test_uids_are_looked_up_only_in_their_written_shape(write_env):
    """`\\tCTImageStorage` was stripped and accepted; the schema's pattern refuses it."""
    found = findings_for(
        write_env, DEVICE.format(ae="CT_1", sop='"\\tCTImageStorage"', ts="ImplicitVRLittleEndian")
    )
    assert [f[0] for f in found] == ["SCHEMA005"]
    padded = DEVICE.format(ae="CT_1", sop="' CTImageStorage '", ts="ImplicitVRLittleEndian")
    assert findings_for(write_env, padded) == []
