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
    devices = env / "devices" / "ric-modalities.yaml"
    text = devices.read_text()
    line = "    conformance_statement: conformance/canon/aquilion-prime-sp-v10.pdf\n"
    assert text.count(line) == 1
    devices.write_text(text.replace(line, ""))  # ct-ric-1 loses its conformance statement
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

    assert done.returncode == 0 and "Traceback" not in done.stderr  # warnings only
    by_code: dict[str, list[str]] = {}
    for f in json.loads(done.stdout)["findings"]:
        by_code.setdefault(f["code"], []).append(f["entity"])
    assert {code: sorted(entities) for code, entities in by_code.items()} == {
        "HOUSE002": ["device:ct-ric-1"],
        # the RIC and TMCH modalities whose studies the router sends to the SPMC AI
        "HOUSE003": [
            "ae:CT_RIC_1",
            "ae:CT_TMCH_2",
            "ae:CT_TMCH_ED",
            "ae:DX_RIC_1",
            "ae:DX_TMCH_ED",
            "ae:DX_TMCH_PORT",
            "ae:DX_TMCH_PORT2",
        ],
        "HOUSE004": ["route:router.to-teleradiology", "route:vna.prefetch-to-teleradiology"],
    }


@pytest.mark.parametrize(
    "rule, says, points_at",
    [
        ("{code: RT001, naming: {ae_title: x}}", "HOUSE001 to HOUSE999", "RT001"),
        ("{code: HOUSE001, naming: {ae_title: '{room}'}}", "unknown placeholder {room}", "'{room}'"),
        ("{code: HOUSE001, required: {fields: [serial_number]}}", "'serial_number' is no field", "serial_number"),
        ("{code: HOUSE001}", "exactly one of naming, required, flow", "{code"),
        ("{code: HOUSE001, flow: {to: [x]}}", "only_from_sites", "{to: [x]}"),
        ("{code: HOUSE001, naming: {ae_title: x}, bogus: 1}", "unknown key 'bogus'", "bogus"),
    ],
)  # fmt: skip
def test_bad_house_rule_is_a_config_error_at_file_line_col(env, rule, says, points_at):
    configure(env, f"house_rules:\n  - {rule}\n")
    done = imgpolicy("check", ".", cwd=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    # line 3 of the file (after today: and house_rules:), the column of what is wrong
    column = f"  - {rule}".index(points_at) + 1
    assert f".imgpolicy.yaml:3:{column}: house_rules[0]" in done.stderr, done.stderr
    assert says in done.stderr


def test_bad_house_rule_in_block_style_names_its_line(env):
    configure(
        env,
        """house_rules:
  - code: HOUSE001
    message: RIC device names
    naming: {device_name: "{modality}-{site}-{n}", site: RIC}
  - code: HOUSE002
    message: every modality has a manufacturer
    required:
      kind: modality
      fields:
        - manufacturer
        - serial_number
""",
    )
    done = imgpolicy("check", ".", cwd=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ".imgpolicy.yaml:12:11: house_rules[1].required.fields[1]: 'serial_number'" in (
        done.stderr
    )


def test_bad_house_rule_in_pyproject_names_the_key_path(env):
    (env / ".imgpolicy.yaml").unlink(missing_ok=True)  # it would win over pyproject.toml
    (env / "pyproject.toml").write_text(
        '[tool.imgpolicy]\nhouse_rules = [{code = "RT001", naming = {ae_title = "x"}}]\n'
    )
    done = imgpolicy("check", ".", cwd=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "pyproject.toml [tool.imgpolicy]: house_rules[0].code: give a code" in done.stderr


def test_rules_lists_house_rules_with_origin(env):
    configure(env, "house_rules:\n  - {code: HOUSE007, message: m, naming: {ae_title: '{site}'}}\n")
    done = imgpolicy("rules", cwd=env)
    line = next(line for line in done.stdout.splitlines() if line.startswith("HOUSE007"))
    assert line.split()[1:4] == ["house-naming", "warning", "house"]
    assert any(line.split()[3] == "imgpolicy" for line in done.stdout.splitlines()[:3])
