"""The committed JSON Schema is current, valid, and agrees with the tool on the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from imgpolicy.load.yaml12 import load_documents
from imgpolicy.schema import schema_text

from .conftest import EXAMPLES, ROOT, run

COMMITTED = ROOT / "schemas" / "imgpolicy.schema.json"


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


def _clean_files() -> list[Path]:
    files = sorted((EXAMPLES / "regional-health").rglob("*.yaml"))
    files.append(ROOT / "imgpolicy" / "data" / "starter" / "environment.yaml")
    return [
        f
        for f in files
        if f.read_text(encoding="utf-8").startswith("imgpolicy: 1")
        or "\nimgpolicy: 1" in f.read_text(encoding="utf-8")
    ]


@pytest.mark.parametrize("path", _clean_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_clean_examples_validate_against_the_schema(path):
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    data = load_documents(path.read_text(encoding="utf-8"))[0].data  # YAML 1.2, as editors read it
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


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
