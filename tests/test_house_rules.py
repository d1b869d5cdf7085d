"""House rules declared in `.imgpolicy.yaml` (issue 14 item 4)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "regional-health"


def imgpolicy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imgpolicy.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path):
    target = tmp_path / "env"
    shutil.copytree(EXAMPLE, target)
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    return target


def configure(env: Path, text: str) -> None:
    (env / ".imgpolicy.yaml").write_text("today: 2026-11-28\n" + text, encoding="utf-8")


def codes(output: str, code: str) -> list[str]:
    return sorted(line for line in output.splitlines() if f" {code} " in line)


def test_naming_scheme_reports_exactly_the_devices_off_the_scheme(env):
    configure(
        env,
        """house_rules:
  - code: HOUSE001
    message: RIC device names are modality-site-number
    severity: error
    naming: {device_name: "{modality}-{site}-{n}", site: RIC}
""",
    )
    done = imgpolicy("check", ".", "--select", "HOUSE", cwd=env)
    found = codes(done.stdout, "HOUSE001")
    assert len(found) == 1, done.stdout + done.stderr
    # every RIC modality follows ct-ric-1; the mammography workstation does not
    assert found[0].startswith("devices/viewers-workstations.yaml:49:11: HOUSE001 ")
    assert "device 'ws-ric-mammo' does not follow the naming scheme" in found[0]
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_required_fields_and_flows(env):
    configure(
        env,
        """house_rules:
  - code: HOUSE002
    message: every RIC modality has a conformance statement
    required: {fields: [conformance_statement], kind: modality, site: RIC}
  - code: HOUSE003
    message: only SPMC sends to the SPMC AI
    flow: {to: [ai-spmc], only_from_sites: [SPMC]}
  - code: HOUSE004
    message: nothing leaves without de-identification
    flow: {leaving_organisation: deidentified}
""",
    )
    done = imgpolicy("check", ".", "--select", "HOUSE", "--format", "json", cwd=env)
    import json

    findings = json.loads(done.stdout)["findings"]
    by_code: dict[str, list[str]] = {}
    for f in findings:
        by_code.setdefault(f["code"], []).append(f["message"])
    assert "Traceback" not in done.stderr
    # every finding says which rule and which thing; exact sets come from the example
    for code in by_code:
        assert code in {"HOUSE002", "HOUSE003", "HOUSE004"}
    for message in by_code.get("HOUSE004", []):
        assert "without de-identification" in message


@pytest.mark.parametrize(
    "rule, says",
    [
        ("{code: RT001, naming: {ae_title: x}}", "HOUSE001 to HOUSE999"),
        ("{code: HOUSE001, naming: {ae_title: '{room}'}}", "unknown placeholder {room}"),
        ("{code: HOUSE001, required: {fields: [serial_number]}}", "'serial_number' is no field"),
        ("{code: HOUSE001}", "exactly one of naming, required, flow"),
        ("{code: HOUSE001, flow: {to: [x]}}", "only_from_sites"),
    ],
)
def test_bad_house_rule_is_a_config_error_naming_file_and_key(env, rule, says):
    configure(env, f"house_rules:\n  - {rule}\n")
    done = imgpolicy("check", ".", cwd=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ".imgpolicy.yaml" in done.stderr and "house_rules[0]" in done.stderr
    assert says in done.stderr


def test_rules_lists_house_rules_with_origin(env):
    configure(env, "house_rules:\n  - {code: HOUSE007, message: m, naming: {ae_title: '{site}'}}\n")
    done = imgpolicy("rules", cwd=env)
    line = next(line for line in done.stdout.splitlines() if line.startswith("HOUSE007"))
    assert line.split()[1:4] == ["house-naming", "warning", "house"]
    assert any(line.split()[3] == "imgpolicy" for line in done.stdout.splitlines()[:3])
