"""The loader against the official YAML test suite (yaml/yaml-test-suite, data branch).

The suite lives next to the repository (`../shared/yaml-test-suite`, where CI clones it
too); without it these tests skip locally and fail in CI (CI=true).

What is checked, per case:

- (a) where libyaml parses the input and `in.json` exists, the data built with
  `unknown_tags="ignore"` is exactly `in.json` (types included: `1` is no `1.0`, `true`
  no `1`), except for a short, pinned list of inputs that libyaml itself misparses;
- (b) with the default `unknown_tags="error"` every one of the 402 cases loads or raises
  `YAMLLoadError`; on input libyaml parses, a rejection is YAML003 (a tag) or YAML009 (a
  complex key) and the rejected cases are pinned below, so any change shows up by name;
- (c) in either mode nothing but `YAMLLoadError` ever escapes;
- (d) spans of keys, values and collections in a few hand-written documents.

"libyaml accepts" is read at the event level (`yaml.parse` with libyaml's parser): every
input `yaml.load_all(..., Loader=yaml.CSafeLoader)` accepts is among them (checked), and
the event level also covers the inputs PyYAML's constructor refuses for reasons of its own
(local tags, complex keys, a re-defined anchor), which this loader handles.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from imgpolicy.codes import CODES
from imgpolicy.load.yaml12 import MapPos, SeqPos, YAMLLoadError, load_documents

SUITE = Path(__file__).resolve().parents[2] / "shared" / "yaml-test-suite"
SUITE_SIZE = 402
IN_CI = os.environ.get("CI", "").lower() == "true"

# Inputs libyaml's own scanner/parser reads differently from the YAML 1.2 spec. The loader
# builds on libyaml's events, so it can only agree with libyaml here (checked below: the
# data differs from in.json and equals what PyYAML's libyaml loader gives). When libyaml is
# fixed, the test says so and the case leaves this list.
LIBYAML_MISPARSES = {
    "652Z": "libyaml reads the plain flow key '?foo' as an explicit key 'foo'",
    "DK95/01": "invalid YAML (tab-indented continuation of a quoted scalar) that libyaml "
    "accepts, folding the lines; its in.json keeps only the first",
    "HM87/01": "libyaml reads '[?x]' as the single-pair mapping {x: null}, not the scalar '?x'",
    "JEF9/02": "libyaml drops the trailing space-only line a keep-chomped '|+' scalar keeps",
    "L24T/01": "libyaml drops the trailing space-only line of a literal block scalar",
    "Y2GN": "libyaml ends the anchor '&an:chor' at the ':' (reads '&an' + ':chor value')",
}

# Cases libyaml parses that the default loader rejects, by code. YAML003: a tag (local,
# or a YAML 1.1 type like !!set / !!omap / !!binary no imgpolicy field takes); YAML009: a
# mapping or sequence used as a mapping key. The ones PyYAML's safe loader itself accepts
# (so "libyaml accepts" in the narrow sense) are 2XXW, 565N and J7PZ.
REJECTED_BY_DEFAULT = {
    "2XXW": "YAML003",
    "565N": "YAML003",
    "5TYM": "YAML003",
    "6CK3": "YAML003",
    "6WLZ": "YAML003",
    "7FWL": "YAML003",
    "9HCY": "YAML003",
    "9WXW": "YAML003",
    "C4HZ": "YAML003",
    "CC74": "YAML003",
    "CUP7": "YAML003",
    "J7PZ": "YAML003",
    "M5C3": "YAML003",
    "P76L": "YAML003",
    "UGM3": "YAML003",
    "Z67P": "YAML003",
    "Z9M4": "YAML003",
    "4FJ6": "YAML009",
    "6BFJ": "YAML009",
    "6PBE": "YAML009",
    "9MMW": "YAML009",
    "KK5P": "YAML009",
    "LX3P": "YAML009",
    "M2N8/01": "YAML009",
    "M5DY": "YAML009",
    "Q9WF": "YAML009",
    "RZP5": "YAML009",
    "SBG9": "YAML009",
    "V9D5": "YAML009",
    "X38W": "YAML009",
    "XW4D": "YAML009",
}


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    text: str
    invalid: bool
    expected: list[Any] | None  # the documents of in.json, None without in.json
    lib_parses: bool  # libyaml's parser gives a full event stream
    lib_loads: bool  # yaml.load_all(..., Loader=yaml.CSafeLoader) succeeds

    def __str__(self) -> str:
        return f"{self.id} ({self.title}; {'invalid' if self.invalid else 'valid'} YAML)"


def json_documents(text: str) -> list[Any]:
    """Consecutive JSON values, as in.json holds one per YAML document."""
    decoder = json.JSONDecoder()
    values, index = [], 0
    while True:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        if index == len(text):
            return values
        value, index = decoder.raw_decode(text, index)
        values.append(value)


def _succeeds(action) -> bool:
    try:
        action()
    except yaml.YAMLError:
        return False
    return True


def _read_case(folder: Path) -> Case:
    text = (folder / "in.yaml").read_bytes().decode("utf-8")  # bytes: keep \r as written
    json_file = folder / "in.json"
    title_file = folder / "===" if (folder / "===").exists() else folder.parent / "==="
    return Case(
        id=folder.relative_to(SUITE).as_posix(),
        title=title_file.read_text(encoding="utf-8").strip() if title_file.exists() else "",
        text=text,
        invalid=(folder / "error").exists(),
        expected=json_documents(json_file.read_text(encoding="utf-8"))
        if json_file.exists()
        else None,
        lib_parses=_succeeds(lambda: list(yaml.parse(text, Loader=yaml.CSafeLoader))),
        lib_loads=_succeeds(lambda: list(yaml.load_all(text, Loader=yaml.CSafeLoader))),
    )


def _read_suite() -> dict[str, Case]:
    if not SUITE.is_dir():
        return {}
    cases = (_read_case(p.parent) for p in sorted(SUITE.glob("**/in.yaml")))
    return {case.id: case for case in cases}


CASES = _read_suite()
WITH_JSON = [c for c in CASES.values() if c.lib_parses and c.expected is not None]


def _params(cases):
    return [pytest.param(case, id=case.id) for case in cases]


def difference(expected: Any, got: Any, path: str = "$") -> str | None:
    """Where `got` differs from `expected`, strictly: types too (a bool is no number),
    NaN equal to NaN. JSON has one number type and in.json writes `450.00` as `450`, so an
    int expected may come as an integral float; a float expected must be a float."""
    if type(expected) is int and type(got) is float and got.is_integer():
        expected = float(expected)
    if type(expected) is not type(got):
        return (
            f"{path}: expected {expected!r} ({type(expected).__name__}), "
            f"got {got!r} ({type(got).__name__})"
        )
    if isinstance(expected, float):
        same = (math.isnan(expected) and math.isnan(got)) or expected == got
        return None if same else f"{path}: expected {expected!r}, got {got!r}"
    if isinstance(expected, dict):
        if set(expected) != set(got):
            return f"{path}: expected keys {list(expected)!r}, got {list(got)!r}"
        for key in expected:
            found = difference(expected[key], got[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if len(expected) != len(got):
            return f"{path}: expected {len(expected)} items, got {len(got)}: {got!r}"
        for index, (want, have) in enumerate(zip(expected, got, strict=False)):
            found = difference(want, have, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if expected == got else f"{path}: expected {expected!r}, got {got!r}"


def _data(text: str, unknown_tags: str = "error") -> list[Any]:
    return [document.data for document in load_documents(text, unknown_tags=unknown_tags)]


# --- the suite is there, and whole ------------------------------------------------------


def test_suite_is_present():
    if not SUITE.is_dir():
        message = f"the YAML test suite is missing: expected it at {SUITE}"
        if IN_CI:
            pytest.fail(message + " (CI clones it next to the repository)")
        pytest.skip(message)
    assert len(CASES) == SUITE_SIZE, f"expected {SUITE_SIZE} cases, found {len(CASES)}"


def test_pinned_lists_name_real_cases():
    if not CASES:
        pytest.skip("YAML test suite missing (see test_suite_is_present)")
    assert set(LIBYAML_MISPARSES) <= set(CASES)
    assert set(REJECTED_BY_DEFAULT) <= set(CASES)


def test_event_level_acceptance_covers_pyyaml_acceptance():
    """Everything PyYAML's libyaml loader accepts, libyaml's parser accepts (so the checks
    below, made over the parser's acceptance, cover the loader's)."""
    widened = [c.id for c in CASES.values() if c.lib_loads and not c.lib_parses]
    assert widened == []


# --- (a) data equals in.json ------------------------------------------------------------


@pytest.mark.parametrize("case", _params(WITH_JSON))
def test_data_matches_in_json(case: Case):
    got = _data(case.text, unknown_tags="ignore")
    if case.id in LIBYAML_MISPARSES:
        assert difference(case.expected, got) is not None, (
            f"{case}: now matches in.json, so libyaml no longer misparses it: remove it from "
            "LIBYAML_MISPARSES"
        )
        libyaml = list(yaml.load_all(case.text, Loader=yaml.CSafeLoader))
        assert got == libyaml, f"{case}: differs from libyaml's own reading too"
        return
    found = difference(case.expected, got)
    assert found is None, f"{case}: {found}\ninput:\n{case.text}"


# --- (b) + (c) nothing but YAMLLoadError; the rejections are the known ones ------------


def _outcome(case: Case, unknown_tags: str) -> str | None:
    """None when the case loads, else the YAMLLoadError code (anything else propagates)."""
    try:
        load_documents(case.text, unknown_tags=unknown_tags)
    except YAMLLoadError as err:
        assert err.code in CODES, f"{case}: unknown code {err.code}"
        assert err.message and err.line >= 1 and err.column >= 1, f"{case}: {err!r}"
        return err.code
    return None


@pytest.mark.parametrize("case", _params(CASES.values()))
def test_default_loads_or_rejects_cleanly(case: Case):
    code = _outcome(case, "error")
    if not case.lib_parses:
        assert code is not None, f"{case}: libyaml rejects it, the loader accepted it"
        return
    assert code == REJECTED_BY_DEFAULT.get(case.id), (
        f"{case}: expected {REJECTED_BY_DEFAULT.get(case.id) or 'to load'}, got "
        f"{code or 'loaded'}\ninput:\n{case.text}"
    )
    assert code in (None, "YAML003", "YAML009")


@pytest.mark.parametrize("case", _params(CASES.values()))
def test_ignoring_tags_loads_or_rejects_cleanly(case: Case):
    code = _outcome(case, "ignore")
    if not case.lib_parses:
        assert code is not None, f"{case}: libyaml rejects it, the loader accepted it"
    elif code is not None:  # only a complex key is left to refuse
        assert code == "YAML009" == REJECTED_BY_DEFAULT.get(case.id), f"{case}: {code}"


def test_summary_of_the_suite():
    """The numbers the report quotes; they hold as long as the suite and libyaml do."""
    if not CASES:
        pytest.skip("YAML test suite missing (see test_suite_is_present)")
    cases = list(CASES.values())
    codes: dict[str, int] = {}
    for case in cases:
        code = _outcome(case, "error")
        if code and not case.lib_parses:
            codes[code] = codes.get(code, 0) + 1
    summary = {
        "valid": sum(not c.invalid for c in cases),
        "invalid": sum(c.invalid for c in cases),
        "valid, rejected by PyYAML on libyaml": sum(
            not c.invalid and not c.lib_loads for c in cases
        ),
        "invalid, rejected by PyYAML on libyaml": sum(c.invalid and not c.lib_loads for c in cases),
        "valid, rejected by libyaml's parser": sum(
            not c.invalid and not c.lib_parses for c in cases
        ),
        "invalid, rejected by libyaml's parser": sum(c.invalid and not c.lib_parses for c in cases),
        "compared with in.json": len(WITH_JSON),
        "matched in.json": len(WITH_JSON) - len(LIBYAML_MISPARSES),
        "invalid, loaded": sum(c.invalid and _outcome(c, "error") is None for c in cases),
        "parsed by libyaml, rejected by the loader": len(REJECTED_BY_DEFAULT),
        "codes on input libyaml's parser rejects": codes,
    }
    assert summary == {
        "valid": 308,
        "invalid": 94,
        "valid, rejected by PyYAML on libyaml": 80,
        "invalid, rejected by PyYAML on libyaml": 79,
        "valid, rejected by libyaml's parser": 51,
        "invalid, rejected by libyaml's parser": 78,
        "compared with in.json": 240,
        "matched in.json": 234,
        "invalid, loaded": 15,
        "parsed by libyaml, rejected by the loader": 31,
        # the builder sees events before libyaml reaches the error further on
        "codes on input libyaml's parser rejects": {"YAML001": 126, "YAML003": 1, "YAML009": 2},
    }


# --- (d) positions -----------------------------------------------------------------------

ENV = """\
imgpolicy: 1
sites:
  - name: MAIN
    region: "us-west"
  - {name: DR, ports: [104, 11112]}
note: |
  two
  lines
last: ~
"""


def _key(pos: MapPos, key: str):
    return pos.keys[key]


def test_spans_of_a_block_document():
    pos = load_documents(ENV)[0].pos
    assert isinstance(pos, MapPos)
    # block collections end where libyaml's next token starts (end exclusive)
    assert pos.span == (1, 1, 10, 1)
    assert _key(pos, "imgpolicy") == ((1, 1, 1, 10), (1, 12, 1, 13))
    key_span, sites = _key(pos, "sites")
    assert key_span == (2, 1, 2, 6)
    assert isinstance(sites, SeqPos) and sites.span == (3, 3, 6, 1)
    first, second = sites.items
    assert isinstance(first, MapPos) and first.span == (3, 5, 5, 3)
    assert _key(first, "name") == ((3, 5, 3, 9), (3, 11, 3, 15))
    assert _key(first, "region") == ((4, 5, 4, 11), (4, 13, 4, 22))  # quotes included
    assert isinstance(second, MapPos) and second.span == (5, 5, 5, 36)
    assert _key(second, "name") == ((5, 6, 5, 10), (5, 12, 5, 14))
    ports_key, ports = _key(second, "ports")
    assert ports_key == (5, 16, 5, 21)
    assert isinstance(ports, SeqPos) and ports.span == (5, 23, 5, 35)
    assert ports.items == [(5, 24, 5, 27), (5, 29, 5, 34)]
    assert _key(pos, "note") == ((6, 1, 6, 5), (6, 7, 9, 1))  # a block scalar's lines
    assert _key(pos, "last") == ((9, 1, 9, 5), (9, 7, 9, 8))


def test_spans_of_flow_collections_over_lines_and_empty_values():
    pos = load_documents("a:\n  b: 1\nc: [x,\n    y]\nd:\n")[0].pos
    _, inner = _key(pos, "a")
    assert isinstance(inner, MapPos) and inner.span == (2, 3, 3, 1)
    assert _key(inner, "b") == ((2, 3, 2, 4), (2, 6, 2, 7))
    _, flow = _key(pos, "c")
    assert isinstance(flow, SeqPos) and flow.span == (3, 4, 4, 7)
    assert flow.items == [(3, 5, 3, 6), (4, 5, 4, 6)]
    assert _key(pos, "d") == ((5, 1, 5, 2), (5, 3, 5, 3))  # an empty value: zero width


def test_spans_count_code_points_and_crlf_lines():
    pos = load_documents("a: 1\r\nb:\r\n  - x\r\n  - é😀z\r\n")[0].pos
    assert _key(pos, "a") == ((1, 1, 1, 2), (1, 4, 1, 5))
    _, items = _key(pos, "b")
    assert isinstance(items, SeqPos) and items.span == (3, 3, 5, 1)
    assert items.items == [(3, 5, 3, 6), (4, 5, 4, 8)]


def test_merged_keys_point_at_their_definition():
    pos = load_documents("k: &x {p: 1}\nm:\n  <<: *x\n  q: 2\n")[0].pos
    _, merged = _key(pos, "m")
    assert isinstance(merged, MapPos) and merged.span == (3, 3, 5, 1)
    assert _key(merged, "p") == ((1, 8, 1, 9), (1, 11, 1, 12))
    assert _key(merged, "q") == ((4, 3, 4, 4), (4, 6, 4, 7))


def test_positions_of_the_second_document():
    _first, second = load_documents("a: 1\n---\n- x\n- y\n")
    assert isinstance(second.pos, SeqPos) and second.pos.span == (3, 1, 5, 1)
    assert second.pos.items == [(3, 3, 3, 4), (4, 3, 4, 4)]
