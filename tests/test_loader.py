"""Unit tests of the YAML 1.2 loader (`load/yaml12.py`) and of reading files (`load/files.py`)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import traceback
import tracemalloc
from pathlib import Path

import pytest
import yaml

from imgpolicy.load.files import LoadFailed, locate, read_source
from imgpolicy.load.yaml12 import (
    MAX_DEPTH,
    MAX_NODES,
    MapPos,
    SeqPos,
    YAMLLoadError,
    load_documents,
    resolve_plain,
)

from .conftest import run


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
    try:
        err = error(BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.code == "YAML004"
    assert "alias" in err.message
    assert peak < 50 * 1024 * 1024  # stopped early: the whole expansion would be ~10**9 nodes


def test_many_aliases_within_the_node_limit_load():
    data = load(BILLION_LAUGHS, max_nodes=10**10)
    assert len(data["i"]) == 9 and data["i"][0] is data["h"]


def test_the_node_limit_counts_collections_at_their_full_size():
    text = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"
    assert load(text, max_nodes=20)
    assert error(text, max_nodes=15).code == "YAML004"


def test_the_node_limit_holds_for_plain_values_in_a_flow_list():
    # 1 key, then list items: item 1000 is node 1001, at column 5 + 2 * 999
    err = error("x: [" + "1," * 5000 + "1]\n", max_nodes=1000)
    assert (err.code, err.line, err.column) == ("YAML004", 1, 5 + 2 * 999)
    assert "more than 1,000 values" in err.message and "alias" not in err.message


def test_the_node_limit_holds_for_plain_keys_and_values_in_a_block_mapping():
    text = "".join(f"k{i}: {i}\n" for i in range(2000))
    err = error(text, max_nodes=1000)
    assert (err.code, err.line, err.column) == ("YAML004", 501, 1)  # key 501 is node 1001
    assert "split it into several files" in err.message


def test_a_file_of_too_many_values_stops_at_the_limit(tmp_path):
    """D8: a big flow list used to be built whole (8.4 M values: 22 s CPU, 1.4 GB) and then
    called an alias bomb. It stops at the 2,000,001st value, named as such."""
    values = MAX_NODES + 500_000
    (tmp_path / "big.yaml").write_text(
        "imgpolicy: 1\nx-list: [" + ",".join(["1"] * values) + "]\n", encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-c", "from imgpolicy.cli import run; run()", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard only
    )
    assert result.returncode == 2, result.stdout + result.stderr
    # nodes: imgpolicy, 1, x-list, then items; item MAX_NODES - 2 is node MAX_NODES + 1
    column = len("x-list: [") + 1 + 2 * (MAX_NODES - 3)
    assert f"big.yaml:2:{column}: YAML004 document has more than 2,000,000 values" in result.stdout
    assert "alias" not in result.stdout and "Traceback" not in result.stderr


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
    # deeper than Python's recursion limit allows, yet below libyaml's own cap (1000 levels
    # since PyYAML 6.0.4): lower the recursion limit rather than nest past libyaml's cap
    depth = 900
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(traceback.extract_stack()) + 60)
    try:
        assert load("[" * depth + "]" * depth, max_depth=depth) is not None
    finally:
        sys.setrecursionlimit(old_limit)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        # (text, line and column of the opening bracket at level MAX_DEPTH + 1)
        ("[" * 5000 + "]" * 5000, 1, MAX_DEPTH + 1),
        ("a: 1\nb: " + "[" * 5000, 2, 4 + (MAX_DEPTH - 1)),
        ("a: " + "{b: " * 3000 + "}" * 3000, 1, 4 + 4 * (MAX_DEPTH - 1)),
        ("a:\n  - " + "[" * 1500 + "]" * 1500 + "\n", 2, 5 + (MAX_DEPTH - 2)),
    ],
)
def test_depth_limit_is_ours_not_libyamls(text, line, column):
    """libyaml may meet its own cap (1000) while looking ahead, before the 101st level's
    event reaches the loader: the error is still YAML007 at imgpolicy's limit."""
    err = error(text)
    assert (err.code, err.line, err.column) == ("YAML007", line, column)
    assert f"deeper than {MAX_DEPTH} levels" in err.message


def test_an_earlier_error_wins_over_libyamls_depth_cap():
    err = error("a: 1\na: 2\nb: " + "[" * 5000)
    assert (err.code, err.line, err.column) == ("YAML002", 2, 1)


def _libyaml_caps_nesting() -> bool:
    """Whether the installed libyaml has its own nesting cap (PyYAML >= 6.0.4's does)."""
    try:
        for _ in yaml.parse("[" * 5000, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            pass
    except yaml.YAMLError as err:
        return "nesting depth" in str(err)
    return False


@pytest.mark.skipif(not _libyaml_caps_nesting(), reason="this libyaml has no nesting cap")
def test_depth_beyond_what_the_parser_allows():
    err = error("[" * 5000 + "]" * 5000, max_depth=10_000)
    assert err.code == "YAML007" and err.line == 1 and 100 < err.column < 5000
    assert "deeper than the YAML parser allows" in err.message


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


# --- messages that point at the cause ------------------------------------------------------------

STARTER_TEXT = (
    Path(__file__).resolve().parents[1] / "imgpolicy" / "data" / "starter" / "environment.yaml"
).read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    """1-based number of the first line holding `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _check_starter_with(tmp_path, old: str, new: str, status: int = 2) -> tuple[str, str]:
    """`imgpolicy check` on the starter with one edit; (its first output line, the text)."""
    assert old in STARTER_TEXT
    text = STARTER_TEXT.replace(old, new, 1)
    (tmp_path / "environment.yaml").write_text(text, encoding="utf-8")
    result = run("check", str(tmp_path), "--today", "2026-06-01")
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    return result.output.splitlines()[0].removeprefix(f"{tmp_path}{os.sep}"), text


def test_an_unclosed_quote_is_reported_where_it_opens(tmp_path):
    first, text = _check_starter_with(tmp_path, "keep: 7y", 'keep: "7y')
    line = _line_of(text, 'keep: "7y')
    assert first.startswith(f"environment.yaml:{line}:11: YAML001 invalid YAML: a quoted value ")
    assert 'its closing " is missing' in first and "close the quote on this line" in first


def test_an_unclosed_quote_at_the_end_of_the_file_is_reported_where_it_opens():
    err = error("a: 1\nb: 'open\nc: 3\n")
    assert (err.code, err.line, err.column) == ("YAML001", 2, 4)
    assert "closing quote is missing" in err.message


def test_a_quoted_value_over_several_lines_is_not_taken_for_an_unclosed_quote():
    assert load('a: "one\n  two"\nb: 2\n') == {"a": "one two", "b": 2}
    err = error('a: "one\n  two"\nb: 2\n  c: 3\n')
    assert "quoted value" not in err.message


def test_an_over_indented_key_gets_advice_about_indentation(tmp_path):
    first, text = _check_starter_with(tmp_path, "    keep: 7y\n", "      keep: 7y\n")
    line = _line_of(text, "      keep: 7y")
    assert first.startswith(
        f"environment.yaml:{line}:7: YAML001 invalid YAML: 'keep' is indented deeper than "
        f"'patient_category' on line {line - 1}"
    )
    assert "indent it by 4 spaces like 'patient_category'" in first
    assert "must be quoted" not in first


def test_a_colon_in_a_value_still_gets_the_quoting_advice():
    err = error("a:\n  name: ct: main\n")
    assert (err.code, err.line) == ("YAML001", 2)
    assert "must be quoted" in err.message and "indented" not in err.message


def test_thousands_separator_in_a_flow_mapping(tmp_path):
    first, text = _check_starter_with(
        tmp_path, "annual_studies: 30000", "annual_studies: 30,000", status=1
    )
    line = _line_of(text, "30,000")
    column = text.splitlines()[line - 1].index("30,000") + 1
    assert first == (
        f"environment.yaml:{line}:{column}: SCHEMA001 storage.volumes[0]: unknown key '000': "
        "inside {...} a comma ends an entry, so '30,000' reads as 30 and then a key '000' "
        "(write 30000: YAML numbers have no thousands separators)"
    )


def test_thousands_separator_in_a_block_mapping(tmp_path):
    old = "{site: MAIN, modality: CT, tier: vna-hot, annual_studies: 30000, mean_study_size: 300MB, annual_growth: 6%}"
    new = (
        "site: MAIN\n      modality: CT\n      tier: vna-hot\n      annual_studies: 30,000\n"
        "      mean_study_size: 300MB\n      annual_growth: 6%"
    )
    first, text = _check_starter_with(tmp_path, old, new, status=1)
    line = _line_of(text, "annual_studies: 30,000")
    assert first == (
        f"environment.yaml:{line}:23: SCHEMA003 storage.volumes[0].annual_studies: expected a "
        "whole number, got the text '30,000' (write 30000: YAML numbers have no thousands "
        "separators)"
    )


def test_a_number_where_a_duration_is_expected(tmp_path):
    first, text = _check_starter_with(tmp_path, "keep: 7y", "keep: 7", status=1)
    line = _line_of(text, "    keep: 7")
    assert first == (
        f"environment.yaml:{line}:11: SCHEMA003 retention[0].keep: a duration must be a "
        "string, not the number 7 (a duration has a unit: write 7y for years, or 7mo, 7w, "
        "7d, 7h, 7m)"
    )
