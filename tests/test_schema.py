"""The published JSON Schema is current, valid, described, and agrees with `imgpolicy check`.

Agreement is tested with the real `check-jsonschema` CLI (ECMA-262 regular expressions,
formats asserted, YAML 1.2), the way a CI job or pre-commit hook would use the schema:
schema-level broken examples are rejected at the place `check` reports, clean examples are
accepted, and each field type accepts exactly what its validator accepts.
"""

from __future__ import annotations

import json
import re
import subprocess
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regress
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from imgpolicy import dicom
from imgpolicy.load import load_environment
from imgpolicy.load.yaml12 import load_documents
from imgpolicy.model import types
from imgpolicy.schema import schema_text

from .conftest import EXAMPLES, ROOT, run
from .test_broken_examples import FOLDERS, expected

COMMITTED = ROOT / "schemas" / "imgpolicy.schema.json"
SCHEMA_TIMEOUT = 120
"""A hang guard for the check-jsonschema subprocess, not a timing assertion."""


def test_committed_schema_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "schemas/imgpolicy.schema.json is stale: run `imgpolicy schema > "
        "schemas/imgpolicy.schema.json`"
    )


def test_schema_command_prints_it():
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(COMMITTED.read_text()))


# --- descriptions an editor shows on hover ----------------------------------------------


def _objects(node: Any, where: str = "#"):
    """Every object schema in the document, with a JSON pointer-ish name for messages."""
    if isinstance(node, dict):
        if "properties" in node:
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{where}/{i}")


def test_every_property_has_a_description():
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    objects = list(_objects(schema))
    assert len(objects) > 20  # the walk finds the models, not just the top level
    undescribed = [
        f"{where}/properties/{name}"
        for where, obj in objects
        for name, prop in obj["properties"].items()
        if "$ref" not in prop
        and not str(prop.get("description", "")).strip()
        # the `properties` of an anyOf/if branch restate a constraint, not a field
        and "/anyOf/" not in where
        and "/oneOf/" not in where
        and "/allOf/" not in where
        and not where.endswith(("/if", "/then"))
    ]
    assert undescribed == []


def test_every_model_has_a_description():
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert [name for name, d in schema["$defs"].items() if not d.get("description")] == []


# --- the real check-jsonschema CLI ------------------------------------------------------


def check_jsonschema(files: list[Path], schema: Path = COMMITTED) -> dict[str, list[dict]]:
    """{file: its schema errors}, from one run of check-jsonschema over all the files."""
    result = subprocess.run(
        ["check-jsonschema", "-o", "json", "--schemafile", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=SCHEMA_TIMEOUT,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report.get("parse_errors", []) == [], report["parse_errors"]
    errors: dict[str, list[dict]] = {str(f): [] for f in files}
    for error in report["errors"]:
        errors[error["filename"]].append(error)
    return errors


def _is_environment_file(path: Path) -> bool:
    data = load_documents(path.read_text(encoding="utf-8"))[0].data  # YAML 1.2, as editors
    return isinstance(data, dict) and "imgpolicy" in data


def _clean_files(starter: Path | None = None) -> list[Path]:
    files = [
        f
        for folder in ("regional-health", "seeded-faults")
        for f in sorted((EXAMPLES / folder).rglob("*.y*ml"))
    ]
    files.append(ROOT / "imgpolicy" / "data" / "starter" / "environment.yaml")
    if starter is not None:
        files += sorted(starter.rglob("*.y*ml"))
    return [f for f in files if _is_environment_file(f)]


def test_clean_examples_and_the_init_starter_are_accepted(tmp_path):
    """What `check` loads without a schema error, check-jsonschema accepts too."""
    starter = tmp_path / "starter"
    init = subprocess.run(
        ["imgpolicy", "init", str(starter)], capture_output=True, text=True, timeout=120
    )
    assert init.returncode == 0, init.stderr
    files = _clean_files(starter)
    assert any(f.is_relative_to(starter) for f in files)
    assert len(files) > 15
    for environment in (EXAMPLES / "regional-health", EXAMPLES / "seeded-faults", starter):
        loaded = load_environment([str(environment)])
        assert [f.message for f in loaded.findings if f.code.startswith("SCHEMA")] == []
    assert {f: e for f, e in check_jsonschema(files).items() if e} == {}


@pytest.mark.parametrize("path", _clean_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_clean_examples_validate_with_the_python_jsonschema_library(path):
    validator = jsonschema.Draft202012Validator(
        json.loads(COMMITTED.read_text()), format_checker=jsonschema.FormatChecker()
    )
    data = load_documents(path.read_text(encoding="utf-8"))[0].data
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


SCHEMA_LEVEL = {"SCHEMA001", "SCHEMA002", "SCHEMA003", "SCHEMA004", "SCHEMA007", "SCHEMA008"}
"""Codes about one value or one mapping, which a JSON Schema can state."""
BEYOND_THE_SCHEMA = {
    "SCHEMA005": "a UID or keyword of the right shape that pydicom's registry does not know: "
    "the schema checks the shape only (publishing pydicom's ~970 UIDs and keywords would tie "
    "the schema to one pydicom release)",
    "SCHEMA006": "a transfer syntax where a SOP class belongs, or the other way round: telling "
    "them apart needs pydicom's registry, as for SCHEMA005",
    "SCHEMA009": "a name defined twice, in one file or across files: JSON Schema validates one "
    "document and cannot say that a property is unique across array items",
    "YAML": "not readable as imgpolicy's strict YAML 1.2 (tabs, duplicate or merge keys, tags, "
    "aliases, encodings, symlinks, depth, versions, documents): decided by the loader before "
    "any schema applies; check-jsonschema's YAML parser is not imgpolicy's",
}
"""Broken examples the schema cannot reject, and why."""


def _codes(folder: Path) -> set[str]:
    return {code for *_, code in expected(folder)}


def _schema_level(folder: Path) -> bool:
    return _codes(folder) <= SCHEMA_LEVEL


def test_every_broken_example_is_classified():
    for folder in FOLDERS:
        for code in _codes(folder):
            assert (
                code in SCHEMA_LEVEL
                or code in BEYOND_THE_SCHEMA
                or re.match(r"[A-Z]+", code).group() in BEYOND_THE_SCHEMA
            ), f"{folder.name}: say whether the JSON Schema can reject {code}, and why not"


@cache
def _broken_example_errors() -> dict[str, list[dict]]:
    """check-jsonschema's errors for every SCHEMA example (YAML ones do not parse), one run."""
    folders = [f for f in FOLDERS if f.name.startswith("schema")]
    return check_jsonschema(sorted(f for folder in folders for f in folder.rglob("*.yaml")))


def _data_path(text: str) -> tuple:
    """`devices[0].modality[0]` or check-jsonschema's `$.devices[0].modality` as a tuple."""
    text = text.removeprefix("$").removeprefix(".")
    return tuple(
        int(part[1:-1]) if part.startswith("[") else part
        for part in re.findall(r"\[\d+\]|[^.\[\]]+", text)
    )


def _reported_paths(folder: Path) -> list[tuple[str, tuple]]:
    """(file, data path) of each finding of `imgpolicy check` on the folder."""
    result = run("check", "--format", "json", str(folder))
    findings = json.loads(result.output)["findings"]
    return [
        (Path(f["location"]["path"]).name, _data_path(f["message"].split(": ", 1)[0]))
        for f in findings
    ]


@pytest.mark.parametrize("folder", [f for f in FOLDERS if _schema_level(f)], ids=lambda p: p.name)
def test_schema_level_broken_example_is_rejected_by_check_jsonschema(folder):
    errors = {
        (Path(name).name, _data_path(e.get("best_deep_match", e)["path"]))
        for name, found in _broken_example_errors().items()
        if Path(name).is_relative_to(folder)
        for e in found
    }
    reported = _reported_paths(folder)
    assert reported, folder.name
    for file, path in reported:
        # `modality: MRI` is a one-item list to check, a string to the schema
        same_place = {(file, path), (file, path[:-1])} if isinstance(path[-1], int) else set()
        assert (file, path) in errors or same_place & errors, (
            f"{folder.name}: check reports {path} in {file}; check-jsonschema reports {errors}"
        )


@pytest.mark.parametrize(
    "folder",
    [f for f in FOLDERS if _codes(f) <= set(BEYOND_THE_SCHEMA) and f.name.startswith("schema")],
    ids=lambda p: p.name,
)
def test_what_the_schema_cannot_reject_is_accepted(folder):
    """If the schema learns to reject one of these, move it to SCHEMA_LEVEL."""
    found = {
        name: e
        for name, e in _broken_example_errors().items()
        if Path(name).is_relative_to(folder) and e
    }
    assert found == {}


# --- the model's own rules, stated in the schema -----------------------------------------

DEVICE = "devices: [{name: d, site: S, kind: pacs, %s}]"
CAPABILITY = DEVICE % "application_entities: [{ae_title: A, transfer_capabilities: [%s]}]"
STEP = "storage: {lifecycle: [{name: l, tier: t, steps: [%s]}]}"
VOLUME = "storage: {volumes: [{site: S, tier: t, annual_studies: 1, mean_study_size: 1MB, annual_growth: 1%%, %s}]}"
DRL = "dose: {reference_levels: [{exam: CT head, modality: CT, %s}]}"
CONTINUITY = "continuity: [{system: s, %s}]"

AGREEMENT = [
    # (snippet, accepted by both?, what it shows)
    (
        CAPABILITY
        % "{sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [1.2.840.10008.1.2]}",
        True,
        "one SOP class",
    ),
    (
        CAPABILITY
        % "{sop_class: null, sop_classes: [CTImageStorage], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}",
        True,
        "null sop_class, sop_classes",
    ),
    (
        CAPABILITY
        % "{sop_class: CTImageStorage, sop_classes: [MRImageStorage], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}",
        False,
        "both sop_class and sop_classes",
    ),
    (
        CAPABILITY % "{role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}",
        False,
        "no SOP class",
    ),
    (
        CAPABILITY % "{sop_classes: [], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}",
        False,
        "empty sop_classes",
    ),
    (
        CAPABILITY
        % "{sop_class: 'CT Image Storage', role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}",
        False,
        "a UID name is no keyword",
    ),
    (
        CAPABILITY
        % "{sop_class: 1.2.840.010008.1, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}",
        False,
        "UID component with a leading zero",
    ),
    (STEP % "{after: 30d, action: move, to: cold}", True, "move with to"),
    (STEP % "{after: 30d, action: move}", False, "move without to"),
    (STEP % "{after: 7y, action: purge, to: cold}", False, "purge with to"),
    (STEP % "{after: 7y, action: purge}", True, "purge"),
    ("retention: [{name: r, jurisdiction: US}]", False, "retention without a period"),
    (
        "retention: [{name: r, jurisdiction: US, keep: 7y, plus: 3y}]",
        False,
        "plus without keep_until_age",
    ),
    ("retention: [{name: r, jurisdiction: US, keep_until_age: 21, plus: 3y}]", True, "minors"),
    (DRL % "source: ACR", False, "a reference level without a metric"),
    (DRL % "ctdivol_mgy: 75", True, "a reference level"),
    (DRL % "ctdivol_mgy: 0", False, "a metric of zero"),
    (VOLUME % "modality: []", False, "volume of no modality"),
    (VOLUME % "modality: CT", True, "one modality as a string"),
    (
        "ai: [{name: a, cleared_for: {modalities: CT}, runs_on: AI, results: [{object: SR, to: []}]}]",
        False,
        "results to nobody",
    ),
    (
        "sites: [{name: 'ct 1', jurisdiction: US, region: w}]",
        False,
        "a name with a space (the pattern is anchored)",
    ),
    ("sites: [{name: '-ct', jurisdiction: US, region: w}]", False, "a name starting with '-'"),
    (
        "sites: [{name: S, jurisdiction: XUS, region: w}]",
        False,
        "jurisdiction with a prefix (anchored)",
    ),
    (
        "sites: [{name: S, jurisdiction: US, region: w, timezone: America/Los_Angeles}]",
        True,
        "a time zone",
    ),
    (
        "sites: [{name: S, jurisdiction: US, region: w, timezone: 'Los Angeles'}]",
        False,
        "a time zone with a space",
    ),
    (
        DEVICE % "application_entities: [{ae_title: '  PACS_MAIN_ARCH  '}]",
        True,
        "AE title padded beyond 16 characters",
    ),
    (
        DEVICE % "application_entities: [{ae_title: 'PACS MAIN'}]",
        True,
        "AE title with an inner space",
    ),
    (DEVICE % 'application_entities: [{ae_title: "PACS\\tMAIN"}]', False, "AE title with a tab"),
    (DEVICE % "connections: [{name: c, hostname: '::1', port: 104}]", True, "IPv6 loopback"),
    (
        DEVICE % "connections: [{name: c, hostname: 'fe80::1%eth0'}]",
        False,
        "IPv6 with a zone index",
    ),
    (
        DEVICE % "connections: [{name: c, hostname: 'pacs_main.example.org'}]",
        False,
        "underscore in a host name",
    ),
    (
        DEVICE % "connections: [{name: c, hostname: 'pacs.example.org.'}]",
        True,
        "fully qualified host name",
    ),
    (
        DEVICE % "connections: [{name: c, hostname: '-pacs.example.org'}]",
        False,
        "label starting with '-'",
    ),
    (DEVICE % "installed: 2026-02-30", False, "no such day"),
    (DEVICE % "installed: 2024-02-29", True, "a leap day"),
    ("retention: [{name: r, jurisdiction: US, keep: ' 7y '}]", True, "spaces around a duration"),
    ("retention: [{name: r, jurisdiction: US, keep: P1Y6M}]", True, "ISO 8601 duration"),
    ("retention: [{name: r, jurisdiction: US, keep: PT}]", False, "ISO 8601 without a component"),
    ("retention: [{name: r, jurisdiction: US, keep: P1YT}]", False, "ISO 8601 T without a time"),
    ("retention: [{name: r, jurisdiction: US, keep: '\u0667y'}]", False, "an Arabic-Indic digit"),
    (
        "storage: {tiers: [{name: t, device: v, tier: hot, capacity: 4tib}]}",
        True,
        "a size in lower case",
    ),
    (
        "storage: {tiers: [{name: t, device: v, tier: hot, capacity: '1\u212aB'}]}",
        False,
        "a Kelvin sign",
    ),
    (
        "storage: {tiers: [{name: t, device: v, tier: hot, capacity: '%sB'}]}" % ("9" * 19),
        False,
        "19 digits",
    ),
    (DEVICE % "connections: [{name: c, hostname: h, tls: {}}]", True, "an empty TLS profile"),
    (
        DEVICE % "connections: [{name: c, hostname: h, tls: {min_version: 1.2, mutual: true}}]",
        True,
        "TLS min_version as a YAML number",
    ),
    (
        DEVICE % "connections: [{name: c, hostname: h, tls: {min_version: '1.0'}}]",
        True,
        "TLS 1.0 is valid (SEC004 reports it)",
    ),
    (
        DEVICE % "connections: [{name: c, hostname: h, tls: {min_version: 1.4}}]",
        False,
        "no TLS 1.4",
    ),
    (
        DEVICE % "connections: [{name: c, hostname: h, tls: {min_version: true}}]",
        False,
        "TLS min_version true",
    ),
    (DEVICE % "connections: [{name: c, hostname: h, tls: yes}]", False, "tls: yes"),
    (
        "site_links: [{name: l, sites: [A, B], encryption: ipsec}]",
        True,
        "a site link",
    ),
    (
        "site_links: [{name: l, sites: [A, A], encryption: ipsec}]",
        False,
        "a site link joining a site to itself",
    ),
    (
        "site_links: [{name: l, sites: [A, B, C], encryption: ipsec}]",
        False,
        "a site link of three sites",
    ),
    (
        "site_links: [{name: l, sites: [A, B], encryption: vpn}]",
        False,
        "an unknown link encryption",
    ),
    # copies and retrieval (slice 4)
    (STEP % "{after: 2y, action: evict, kept_on: vna-hot}", True, "an evict step"),
    (STEP % "{after: 2y, action: evict}", False, "an evict step without kept_on"),
    (STEP % "{after: 2y, action: purge, kept_on: vna-hot}", False, "kept_on on a purge"),
    (STEP % "{after: 2y, action: evict, kept_on: v, to: w}", False, "an evict step with to"),
    (CONTINUITY % "replication: {target_site: DR, scope: full}", True, "full replication"),
    (CONTINUITY % "replication: {target_site: DR}", False, "window replication, no window"),
    (
        CONTINUITY % "last_tested: 2026-01-01, last_test: {date: 2026-01-01, outcome: passed}",
        False,
        "two records of the last test",
    ),
    (CONTINUITY % "last_test: {date: 2026-01-01, outcome: failed}", True, "a failed test"),
    (DEVICE % "application_entities: [{ae_title: A, peers: any}]", True, "peers: any"),
    (DEVICE % "application_entities: [{ae_title: A, peers: [B, C]}]", True, "a peer table"),
    (DEVICE % "application_entities: [{ae_title: A, peers: all}]", False, "peers: all"),
]


@pytest.fixture(scope="module")
def agreement_errors(tmp_path_factory) -> dict[str, list[dict]]:
    """check-jsonschema's errors for every AGREEMENT case, from one run."""
    folder = tmp_path_factory.mktemp("agreement")
    files = []
    for i, (snippet, *_) in enumerate(AGREEMENT):
        files.append(folder / f"case{i:02}.yaml")
        files[-1].write_text(f"imgpolicy: 1\n{snippet}\n", encoding="utf-8")
    return check_jsonschema(files)


@pytest.mark.parametrize(
    "i,snippet,accepted",
    [(i, s, a) for i, (s, a, _) in enumerate(AGREEMENT)],
    ids=[why for *_, why in AGREEMENT],
)
def test_check_and_the_schema_agree(agreement_errors, i, snippet, accepted):
    [(name, errors)] = [
        (n, e) for n, e in agreement_errors.items() if n.endswith(f"case{i:02}.yaml")
    ]
    schema_errors = [f for f in load_environment([name]).findings if f.code.startswith("SCHEMA")]
    assert (schema_errors == []) is accepted, [f.message for f in schema_errors]
    assert (errors == []) is accepted, errors


# --- each field type accepts what its validator accepts ------------------------------------


def _ecma_pattern(validator, pattern, instance, schema):
    """`pattern` as JSON Schema means it: an ECMA-262 search, as editors and check-jsonschema do."""
    if validator.is_type(instance, "string") and regress.Regex(pattern, "u").find(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}
)


_ADAPTERS: dict[int, tuple[TypeAdapter, Any]] = {}


def _adapter(annotation: Any) -> tuple[TypeAdapter, Any]:
    """The type's validator and its schema's validator, built once per type."""
    if id(annotation) not in _ADAPTERS:
        adapter = TypeAdapter(annotation)
        schema = EcmaValidator(adapter.json_schema(), format_checker=jsonschema.FormatChecker())
        _ADAPTERS[id(annotation)] = adapter, schema
    return _ADAPTERS[id(annotation)]


def _schema_accepts(annotation: Any, value: Any) -> bool:
    return _adapter(annotation)[1].is_valid(value)


def _model_accepts(annotation: Any, value: Any) -> bool:
    try:
        _adapter(annotation)[0].validate_python(value, strict=True)
    except ValidationError:
        return False
    return True


def _near(seeds: list[str], alphabet: str) -> st.SearchStrategy[str]:
    """Valid values, and values one or two edits away from them, and noise."""
    char = st.sampled_from(alphabet)

    @st.composite
    def edited(draw) -> str:
        text = draw(st.sampled_from(seeds))
        for _ in range(draw(st.integers(1, 2))):
            i = draw(st.integers(0, len(text)))
            edit = draw(st.sampled_from(["insert", "delete", "replace"]))
            if edit == "insert" or not text:
                text = text[:i] + draw(char) + text[i:]
            elif edit == "delete":
                text = text[:i] + text[i + 1 :]
            else:
                text = text[:i] + draw(char) + text[i + 1 :]
        return text

    return st.one_of(st.sampled_from(seeds), edited(), st.text(alphabet, max_size=20))


EXACT = {
    "Name": (types.Name, ["ct-main-1", "MAIN", "a", "x" * 64], "aZ09_.-/ \n\u00e9"),
    "AETitle": (
        types.AETitle,
        ["CT_MAIN_1", " PADDED ", "A" * 16, "A B", "~!"],
        "AZ _\\\t\x7f\u00c4~",
    ),
    "Duration": (
        types.DurationField,
        ["30m", "4h", "7y", "6mo", "1.5h", "2 w", " 90d ", "P7Y", "PT4H", "P1Y6M2W3DT4H5M6.5S"],
        "0123456789.PYMWDTHSsminohdwy \t\u0667-",
    ),
    "Size": (
        types.Size,
        ["250MB", "1.2TB", "4TiB", "10B", "512 gb"],
        "0123456789.KMGTPEiBb \u212a",
    ),
    "Percent": (types.Percent, ["6%", "-2.5%", "0 %", " 7.5% "], "0123456789.-% \t"),
    "Date": (types.IsoDate, ["2026-05-14", "2024-02-29", "1999-12-31"], "0123456789-/ "),
    "Jurisdiction": (types.Jurisdiction, ["US", "US-CA", "DE-BY", "GB-ENG"], "USCAdeBY09-"),
    "Hostname": (
        types.Hostname,
        ["pacs.example.org", "ct-1", "10.1.2.3", "::1", "fe80::1", "2001:db8::8:800:200c:417a"],
        "az09.-:%_ ",
    ),
    "Modality": (types.Modality, ["CT", "MR", "MG", "PT"], "CTMRGPX"),
    "HL7Event": (types.HL7Event, ["ADT^A08", "ADT^A40", "ORM^O01"], "ADTORM^a0148 "),
    "ClockTime": (types.ClockTime, ["22:00", "07:30", "23:59"], "0123459: "),
}
"""Types whose schema says exactly what the validator accepts."""
SHAPE_ONLY = {
    "SopClass": (types.SopClass, ["CTImageStorage", "1.2.840.10008.5.1.4.1.1.2"], "C.120Ia_ "),
    "TransferSyntax": (types.TransferSyntax, ["JPEG2000Lossless", "1.2.840.10008.1.2"], "J.120a "),
    "Timezone": (types.Timezone, ["America/Los_Angeles", "UTC", "Etc/GMT+5"], "Aa/_+-5 ."),
}
"""Types whose schema checks the shape; `check` also looks the value up in a registry."""


@pytest.mark.parametrize("name", EXACT)
@given(data=st.data())
def test_a_field_type_and_its_schema_accept_the_same_values(name, data):
    annotation, seeds, alphabet = EXACT[name]
    value = data.draw(_near(seeds, alphabet))
    assert _schema_accepts(annotation, value) == _model_accepts(annotation, value), value


@pytest.mark.parametrize("name", SHAPE_ONLY)
@given(data=st.data())
def test_the_schema_accepts_every_value_a_registry_type_accepts(name, data):
    annotation, seeds, alphabet = SHAPE_ONLY[name]
    value = data.draw(_near(seeds, alphabet))
    if _model_accepts(annotation, value):
        assert _schema_accepts(annotation, value), value


def test_the_schema_accepts_every_uid_keyword_and_time_zone_check_accepts():
    for key, info in dicom.registry().items():
        if info.is_sop_class or info.is_transfer_syntax:
            assert _schema_accepts(types.SopClass, key), key
    for key in zoneinfo.available_timezones():
        assert _schema_accepts(types.Timezone, key), key


@pytest.mark.parametrize(
    "snippet,pointer",
    [
        ("sites: [{name: MAIN, jurisdiction: US-CA, regoin: west}]", "unknown key"),
        (
            "devices: [{name: d, site: S, kind: pacs, connections: [{name: c, hostname: h, port: '104'}]}]",
            "quoted port",
        ),
        ("devices: [{name: d, site: S, kind: scanner}]", "unknown device kind"),
        ("retention: [{name: r, jurisdiction: California, keep: 7y}]", "bad jurisdiction"),
    ],
)
def test_schema_rejects_what_the_tool_rejects(tmp_path, snippet, pointer):
    text = "imgpolicy: 1\n" + snippet + "\n"
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    assert list(validator.iter_errors(yaml.safe_load(text))), pointer
    (tmp_path / "env.yaml").write_text(text)
    assert run("check", str(tmp_path)).exit_code == 1, pointer
