"""Unit tests of the YAML 1.2 loader (`load/yaml12.py`) and of reading files (`load/files.py`)."""

from __future__ import annotations

import math
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from imgpolicy.load.files import LoadFailed, locate, read_source
from imgpolicy.load.yaml12 import (
    MAX_DEPTH,
    MapPos,
    SeqPos,
    YAMLLoadError,
    load_documents,
    resolve_plain,
)


def load(text: str, **options):
    """The data of the single document in `text`."""
    documents = load_documents(text, **options)
    assert len(documents) == 1
    return documents[0].data


def error(text: str, **options) -> YAMLLoadError:
    with pytest.raises(YAMLLoadError) as caught:
        load_documents(text, **options)
    return caught.value


# --- YAML 1.2 core schema scalars --------------------------------------------------------


@pytest.mark.parametrize("text", ["NO", "no", "on", "On", "y", "Y", "n", "yes", "Off", "OFF"])
def test_yaml11_booleans_stay_strings(text):
    assert load(f"v: {text}") == {"v": text}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
    ],
)
def test_booleans(text, value):
    assert load(f"v: {text}")["v"] is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0104", 104),  # YAML 1.1 reads 68 (octal); a DICOM port must stay 104
        ("104", 104),
        ("-7", -7),
        ("+7", 7),
        ("0", 0),
        ("0o14", 12),
        ("0x1F", 31),
        ("0x1f", 31),
    ],
)
def test_integers(text, value):
    got = load(f"v: {text}")["v"]
    assert got == value and type(got) is int


@pytest.mark.parametrize(
    "text",
    [
        "1:30",  # YAML 1.1: 90 (base 60)
        "2026-05-14",
        "2026-05-14T10:00:00Z",  # YAML 1.1: a timestamp
        "1_000",
        "0b101",
        "0o18",
        "0xG",
        "0O14",
        "0X1F",
        "1e",
        "e3",
        "+.nan",
        ".NaN.",
        "inf",
        "nul",
        "Null!",
        "~x",
        "3.2.1",
        "--1",
    ],
)
def test_not_numbers_stay_strings(text):
    assert load(f"v: {text}") == {"v": text}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.5", 1.5),
        ("-1.5", -1.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e3", 1000.0),
        ("1.5E-3", 0.0015),
        ("3.20", 3.2),
        (".inf", math.inf),
        ("+.Inf", math.inf),
        ("-.INF", -math.inf),
    ],
)
def test_floats(text, value):
    got = load(f"v: {text}")["v"]
    assert got == value and type(got) is float


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN"])
def test_nan(text):
    assert math.isnan(load(f"v: {text}")["v"])


@pytest.mark.parametrize("text", ["v: ~", "v: null", "v: Null", "v: NULL", "v:", "v: ", "v: # c"])
def test_nulls(text):
    assert load(text) == {"v": None}


@pytest.mark.parametrize("text", ["'NO'", '"0104"', '"true"', "'~'", "''", "|\n  on\n"])
def test_quoted_and_block_scalars_are_strings(text):
    value = load(f"v: {text}")["v"]
    assert isinstance(value, str)


def test_keys_resolve_like_values():
    assert load("104: a\ntrue: b\n~: c\nNO: d\n") == {104: "a", True: "b", None: "c", "NO": "d"}


def test_resolve_plain_directly():
    assert resolve_plain("") is None
    assert resolve_plain("0104") == 104
    assert resolve_plain("on") == "on"


# --- duplicate keys, merges ---------------------------------------------------------------


def test_duplicate_key_names_both_lines():
    err = error("a: 1\nb: 2\na: 3\n")
    assert (err.code, err.line, err.column) == ("YAML002", 3, 1)
    assert "'a'" in err.message and "line 1" in err.message
    assert err.related == (("first definition", 1, 1),)


def test_duplicate_key_in_a_nested_flow_mapping():
    err = error("top:\n  - {x: 1, y: 2, x: 3}\n")
    assert (err.code, err.line, err.column) == ("YAML002", 2, 18)
    assert "line 2, column 6" in err.message


def test_explicit_key_after_a_merge_that_set_it():
    err = error("base: &base {port: 104}\nae:\n  <<: *base\n  port: 11112\n")
    assert (err.code, err.line, err.column) == ("YAML002", 4, 3)
    assert "'port'" in err.message and "line 3" in err.message  # the '<<' that set it
    assert err.related == (("the merged key is defined here", 1, 14),)


def test_merge_after_an_explicit_key():
    err = error("base: &base {port: 104}\nae:\n  port: 11112\n  <<: *base\n")
    assert (err.code, err.line, err.column) == ("YAML002", 4, 3)
    assert "line 3" in err.message  # the explicit key
    assert err.related == (("first definition", 3, 3), ("merged definition", 1, 14))


def test_two_merges_in_a_list_setting_the_same_key():
    err = error("a: &a {x: 1}\nb: &b {x: 2}\nm:\n  <<: [*a, *b]\n")
    assert (err.code, err.line) == ("YAML002", 4)
    assert err.related == (("first definition", 1, 8), ("merged definition", 2, 8))


def test_two_merge_keys_setting_the_same_key():
    err = error("a: &a {x: 1}\nb: &b {x: 2}\nm:\n  <<: *a\n  <<: *b\n")
    assert (err.code, err.line, err.column) == ("YAML002", 5, 3)


def test_merges_without_collision():
    data = load("a: &a {x: 1}\nb: &b {y: 2}\nm:\n  <<: [*a, *b]\n  z: 3\nn:\n  <<: *a\n  <<: *b\n")
    assert data["m"] == {"x": 1, "y": 2, "z": 3}
    assert data["n"] == {"x": 1, "y": 2}
    assert "<<" not in data["m"]


def test_merge_of_an_inline_mapping_and_positions():
    documents = load_documents("m:\n  <<: {x: 1}\n  y: 2\n")
    assert documents[0].data == {"m": {"x": 1, "y": 2}}
    _, inner = documents[0].pos.keys["m"]
    assert inner.keys["x"] == ((2, 8, 2, 9), (2, 11, 2, 12))


def test_quoted_merge_key_is_a_plain_key():
    assert load("'<<': 1\n") == {"<<": 1}


@pytest.mark.parametrize("text", ["<<: 1\n", "<<: [1]\n", "a: &a [1]\nb:\n  <<: *a\n"])
def test_merge_of_a_non_mapping(text):
    assert error(text).code == "YAML009"


# --- tags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "v: !!python/object/apply:os.system ['echo pwned']",
        "v: !!python/name:os.system",
        "v: !custom x",
        "v: !custom {a: 1}",
        "v: !custom [1]",
        "v: !<tag:example.com,2000:x> 1",
        "v: !!set {a, b}",
        "v: !!binary aGVsbG8=",
    ],
)
def test_tags_are_rejected(text):
    err = error(text)
    assert (err.code, err.line, err.column) == ("YAML003", 1, 4)
    assert "not supported" in err.message


def test_unknown_tags_can_be_ignored():
    assert load("v: !custom 104\nw: !custom {a: 1}\n", unknown_tags="ignore") == {
        "v": 104,
        "w": {"a": 1},
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!str 123", "123"),
        ("!!str true", "true"),
        ("!!str", ""),
        ('!!int "12"', 12),
        ("!!int 0x10", 16),
        ("!!float 1", 1.0),
        ('!!float "2.5"', 2.5),
        ("!!bool true", True),
        ("!!null ~", None),
        ("!!null", None),
        ("!!map {a: 1}", {"a": 1}),
        ("!!seq [1]", [1]),
        ("! 104", "104"),  # the non-specific tag: a string
    ],
)
def test_core_schema_tags(text, value):
    got = load(f"v: {text}")["v"]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "text",
    [
        '!!int "twelve"',
        "!!int 1.5",
        "!!int true",
        "!!bool yes",
        "!!bool 1",
        "!!float abc",
        "!!null 0",
        "!!float true",
    ],
)
def test_wrongly_tagged_values(text):
    err = error(f"v: {text}")
    assert (err.code, err.line, err.column) == ("YAML003", 1, 4)


# --- aliases --------------------------------------------------------------------------------


def test_aliases_share_the_anchored_value():
    data = load("a: &x [1, 2]\nb: *x\n")
    assert data == {"a": [1, 2], "b": [1, 2]}


BILLION_LAUGHS = (
    "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [
            f"{c}: &{c} [{', '.join(['*' + p] * 9)}]"
            for p, c in zip("abcdefgh", "bcdefghi", strict=False)
        ]
    )
    + "\n"
)


def test_billion_laughs_fails_fast_with_bounded_memory():
    tracemalloc.start()
    started = time.perf_counter()
    try:
        err = error(BILLION_LAUGHS)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.code == "YAML004"
    assert "alias" in err.message
    assert elapsed < 2
    assert peak < 50 * 1024 * 1024


def test_many_aliases_within_the_node_limit_load():
    data = load(BILLION_LAUGHS, max_nodes=10**10)
    assert len(data["i"]) == 9 and data["i"][0] is data["h"]


def test_the_node_limit_counts_collections_at_their_full_size():
    text = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"
    assert load(text, max_nodes=20)
    assert error(text, max_nodes=15).code == "YAML004"


def test_recursive_alias():
    err = error("a: &a\n  - 1\n  - *a\n")
    assert (err.code, err.line, err.column) == ("YAML004", 3, 5)
    assert "recursive" in err.message


def test_undefined_alias():
    err = error("a: 1\nb: *nowhere\n")
    assert (err.code, err.line, err.column) == ("YAML004", 2, 4)
    assert "'&nowhere'" in err.message


def test_anchors_do_not_cross_documents():
    assert error("a: &x 1\n---\nb: *x\n").code == "YAML004"


def test_alias_used_as_a_mapping_key():
    assert load("a: &k name\n*k : value\n") == {"a": "name", "name": "value"}
    assert error("a: &k {x: 1}\n? *k\n: value\n").code == "YAML009"


# --- depth ------------------------------------------------------------------------------------


def test_deep_flow_sequence():
    err = error("[" * 1000 + "]" * 1000)
    assert (err.code, err.line, err.column) == ("YAML007", 1, MAX_DEPTH + 1)


def test_deep_block_mapping():
    text = "".join("  " * level + "a:\n" for level in range(1000))
    err = error(text)
    assert (err.code, err.line, err.column) == ("YAML007", MAX_DEPTH + 1, 2 * MAX_DEPTH + 1)


def test_depth_limit_is_inclusive():
    assert load("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert error("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).code == "YAML007"


def test_depth_limit_is_not_recursion_limited():
    depth = sys.getrecursionlimit() + 100
    assert load("[" * depth + "]" * depth, max_depth=depth) is not None


# --- syntax errors ------------------------------------------------------------------------------


def test_tab_indentation_gets_a_hint():
    err = error("imgpolicy: 1\nsites:\n\t- name: MAIN\n")
    assert (err.code, err.line, err.column) == ("YAML001", 3, 1)
    assert "tab" in err.message


def test_tab_indentation_of_a_mapping():
    err = error("a:\n\tb: 1\n")
    assert (err.code, err.line) == ("YAML001", 2)
    assert "tabs" in err.message


def test_syntax_error_position():
    err = error("a: 1\nb: [1, 2\nc: 3\n")
    assert err.code == "YAML001" and err.line >= 2


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: x\x07y\n", 1, 5),
        ("a: 1\nb: x\x07\n", 2, 5),
        ("a: 1\r\nb: \x00\r\n", 2, 4),
        ("é😀: 1\nb: ok\nc: \x1b\n", 3, 4),  # multi-byte characters before it count once
    ],
)
def test_control_characters_are_placed(text, line, column):
    err = error(text)
    assert (err.code, err.line, err.column) == ("YAML001", line, column)
    assert "is not allowed" in err.message and "U+00" in err.message


def test_lone_surrogate_is_an_error_not_a_crash():
    err = error("a: 1\nb: x\ud800\n")
    assert (err.code, err.line, err.column) == ("YAML005", 2, 5)


def test_integer_too_long_for_int():
    err = error("a: 1\nb: " + "7" * 5000 + "\n")
    assert (err.code, err.line, err.column) == ("YAML001", 2, 4)
    assert "quote it" in err.message
    assert error('a: !!int "' + "7" * 5000 + '"').code == "YAML001"
    assert load('a: "' + "7" * 5000 + '"')["a"] == "7" * 5000
    assert load("a: 0x" + "f" * 5000)["a"] == 16**5000 - 1  # hex has no digit limit


def test_crlf_line_endings():
    documents = load_documents("a: 1\r\nb:\r\n  c: 2\r\n")
    assert documents[0].data == {"a": 1, "b": {"c": 2}}
    _, inner = documents[0].pos.keys["b"]
    assert inner.keys["c"][0] == (3, 3, 3, 4)
    err = error("a: 1\r\nb: 2\r\na: 3\r\n")
    assert (err.code, err.line) == ("YAML002", 3)


# --- documents ----------------------------------------------------------------------------------


def test_documents():
    assert load_documents("") == []
    assert load_documents("# only a comment\n") == []
    assert [d.data for d in load_documents("a: 1\n---\n- 2\n...\n")] == [{"a": 1}, [2]]
    assert [d.data for d in load_documents("--- x\n--- \n")] == ["x", None]


def test_positions_tree_types():
    pos = load_documents("a: [1, {b: 2}]\n")[0].pos
    assert isinstance(pos, MapPos)
    _, items = pos.keys["a"]
    assert isinstance(items, SeqPos) and isinstance(items.items[1], MapPos)
    assert items.items[0] == (1, 5, 1, 6)


# --- files --------------------------------------------------------------------------------------


def write(tmp_path: Path, content: bytes | str, name: str = "env.yaml") -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def failure(path: str, **options):
    with pytest.raises(LoadFailed) as caught:
        read_source(path, **options)
    return caught.value.finding


def test_reads_an_environment_file(tmp_path):
    source = read_source(write(tmp_path, "imgpolicy: 1\nsites: []\n"))
    assert source is not None
    assert source.data == {"imgpolicy": 1, "sites": []}
    assert source.pos.keys["sites"][0] == (2, 1, 2, 6)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "\n\n",
        "# just a comment\n# imgpolicy: 1\n",
        "other: yaml\n",
        "  imgpolicy: 1\n",
        "- imgpolicy: 1\n",
        "a: 1\n---\nimgpolicy: 1\n",
        "'imgpolicy: 1'\n",
    ],
)
def test_not_an_environment_file(tmp_path, content):
    assert read_source(write(tmp_path, content)) is None


def test_not_an_environment_file_when_broken_but_unmarked(tmp_path):
    assert read_source(write(tmp_path, "a: [\n\t\x07")) is None  # not ours: never parsed


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (b"imgpolicy: 1\nname: caf\xe9\n", 2, 10),
        (b"imgpolicy: 1\r\nname: caf\xe9\r\n", 2, 10),
        (b"imgpolicy: 1\nname: \xc3\xa9\xc3\xa9\xff\n", 2, 9),  # after two 2-byte characters
        (b"\xef\xbb\xbfimgpolicy: 1\nname: caf\xe9\n", 2, 10),
        (b"\xef\xbb\xbfname: caf\xe9\nimgpolicy: 1\n", 1, 10),  # the BOM is no column
    ],
)
def test_invalid_utf8(tmp_path, content, line, column):
    finding = failure(write(tmp_path, content))
    assert finding.code == "YAML005"
    assert (finding.location.line, finding.location.column) == (line, column)
    assert "UTF-8" in finding.message


def test_utf8_bom_is_accepted(tmp_path):
    source = read_source(write(tmp_path, b"\xef\xbb\xbfimgpolicy: 1\nsites: []\n"))
    assert source is not None and source.data == {"imgpolicy": 1, "sites": []}
    assert source.pos.keys["imgpolicy"][0] == (1, 1, 1, 10)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_are_rejected(tmp_path, codec):
    text = "imgpolicy: 1\nsites: []\n"
    raw = text.encode(codec)
    if not codec.endswith(("16", "32")):  # the explicit-endian codecs write no BOM
        raw = "\ufeff".encode(codec) + raw
    finding = failure(write(tmp_path, raw))
    assert finding.code == "YAML005"
    assert "UTF-16" in finding.message


def test_utf16_yaml_that_is_not_ours_is_left_alone(tmp_path):
    assert read_source(write(tmp_path, "other: yaml\n".encode("utf-16"))) is None


def test_crlf_file_lines(tmp_path):
    finding = failure(write(tmp_path, "imgpolicy: 1\r\nsites: []\r\nsites: []\r\n"))
    assert finding.code == "YAML002"
    assert (finding.location.line, finding.location.column) == (3, 1)
    assert [(r.location.line, r.location.column) for r in finding.related] == [(2, 1)]


def test_cr_only_line_endings(tmp_path):
    source = read_source(write(tmp_path, "# old Mac\rimgpolicy: 1\rsites: []\r"))
    assert source is not None and source.pos.keys["sites"][0] == (3, 1, 3, 6)


def test_size_cap(tmp_path):
    path = write(tmp_path, "imgpolicy: 1\n" + "# padding\n" * 20)
    assert read_source(path, max_bytes=1024) is not None
    finding = failure(path, max_bytes=100)
    assert finding.code == "YAML006"
    assert "larger than" in finding.message


def test_size_cap_is_inclusive(tmp_path):
    content = "imgpolicy: 1\n"
    path = write(tmp_path, content)
    assert read_source(path, max_bytes=len(content)) is not None
    assert failure(path, max_bytes=len(content) - 1).code == "YAML006"


def test_unreadable_file(tmp_path):
    finding = failure(str(tmp_path / "missing.yaml"))
    assert finding.code == "YAML006"


def test_second_document(tmp_path):
    finding = failure(write(tmp_path, "imgpolicy: 1\nsites: []\n---\nother: 1\n"))
    assert finding.code == "YAML008"
    assert finding.location.line == 4
    assert "---" in finding.message


@pytest.mark.parametrize("version", ["2", "0", "1.0", "true", '"1"', "~", "[1]", "{v: 1}"])
def test_unsupported_version(tmp_path, version):
    finding = failure(write(tmp_path, f"sites: []\nimgpolicy: {version}\n"))
    assert finding.code == "YAML008"
    assert (finding.location.line, finding.location.column) == (2, 12)


def test_first_document_not_a_mapping(tmp_path):
    assert read_source(write(tmp_path, "- 1\n---\nimgpolicy: 1\n")) is None


def test_non_scalar_key(tmp_path):
    finding = failure(write(tmp_path, "imgpolicy: 1\n? [a, b]\n: value\n"))
    assert finding.code == "YAML009"
    assert (finding.location.line, finding.location.column) == (2, 3)


def test_yaml_errors_become_findings_with_related(tmp_path):
    finding = failure(write(tmp_path, "imgpolicy: 1\nsites: []\nsites: []\n", "x.yml"))
    assert finding.code == "YAML002"
    assert finding.location.path.endswith("x.yml")
    assert finding.related[0].message == "first definition"


def test_tags_in_files(tmp_path):
    finding = failure(write(tmp_path, "imgpolicy: 1\nx: !!python/object/apply:os.system [id]\n"))
    assert (finding.code, finding.location.line, finding.location.column) == ("YAML003", 2, 4)


def test_locate(tmp_path):
    source = read_source(write(tmp_path, "imgpolicy: 1\nsites:\n  - name: MAIN\n"))
    span, key_span = locate(source.pos, ("sites", 0, "name"))
    assert (span, key_span) == ((3, 11, 3, 15), (3, 5, 3, 9))
    span, key_span = locate(source.pos, ("sites", 0, "missing"))
    assert span[:2] == (3, 5) and key_span is None
    span, _ = locate(source.pos, ("sites", 5))
    assert span[:2] == (3, 3)
