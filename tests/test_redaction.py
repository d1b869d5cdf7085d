"""Secrets never leave the process (D3): planted in a copy of the regional example, they
appear in no output format, no baseline and neither document."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgpolicy.findings import Finding, Location, Related, Severity, Suppression
from imgpolicy.redact import (
    SECRET_FIELDS,
    Redactor,
    is_credential_key,
    is_credential_path,
    redact_urls,
)

from .conftest import EXAMPLES, run

FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")
IMGPOLICY = [sys.executable, "-c", "from imgpolicy.cli import run; run()"]

# secrets in an environment that passes the schema (rules run, documents are generated)
VALID_SECRETS = {
    "URLUSER-5150": "user info of an https endpoint",
    "URLPW-5151": "password in an https endpoint's user info",
    "QUERYTOK-8086": "?access_token= in an endpoint",
    "SIGVAL-2600": "&sig= in an endpoint",
    "MLLPPW-3131": "password in an mllp endpoint (also sent in the clear: INT/SEC findings)",
    "LITERALPW-4242": "a literal password (SEC002) also quoted in a description",
    "APIKEY-1984": "a literal api_key",
    "DESCPW-7007": "a URL with user info inside a description",
}
# secrets that make the environment unusable (schema error, tag error)
BROKEN_SECRETS = {
    "7777000111": "an unquoted numeric password (SCHEMA003)",
    "TAGPW-1234": "a tagged password (YAML003 '... is not a valid !!float')",
    "888999000111": "a numeric token in a flow mapping",
}


def _plant_valid(env: Path) -> None:
    path = env / "integrations.yaml"
    text = path.read_text(encoding="utf-8")
    replacements = {
        "endpoint: https://vna.phx-dr.imaging.example.org/dicomweb": (
            "endpoint: https://URLUSER-5150:URLPW-5151@vna.phx-dr.imaging.example.org/dicomweb"
            "?access_token=QUERYTOK-8086&sig=SIGVAL-2600"
        ),
        "endpoint: mllps://hl7.nwr.imaging.example.org:7100": (
            "endpoint: mllp://nwr:MLLPPW-3131@hl7.nwr.imaging.example.org:7100"
        ),
        'password: "${PACS_HL7_PASSWORD}"': "password: LITERALPW-4242",
        'api_key: "${VNA_AI_API_KEY}"': "api_key: 'APIKEY-1984'",
        "description: Read-only access for the downtime viewer.": (
            "description: Read-only access (break-glass password LITERALPW-4242, wiki "
            "https://ops:DESCPW-7007@wiki.example.org/dr)."
        ),
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def _plant_broken(env: Path) -> None:
    path = env / "integrations.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('password: "${PACS_HL7_PASSWORD}"', "password: 7777000111")
    text = text.replace('token: "${VNA_FHIR_TOKEN}"', "token: 888999000111")
    path.write_text(text, encoding="utf-8")
    (env / "extra-integrations.yaml").write_text(
        "imgpolicy: 1\n"
        "integrations:\n"
        "  - name: tagged\n"
        "    kind: fhir\n"
        "    source: ehr-sprh\n"
        "    target: vna-spmc\n"
        "    endpoint: https://vna.spmc.imaging.example.org/fhir/r4\n"
        "    credentials:\n"
        "      password: !!float TAGPW-1234\n",
        encoding="utf-8",
    )


def _copy(tmp_path: Path, name: str) -> Path:
    env = tmp_path / name
    shutil.copytree(EXAMPLES / "regional-health", env)
    return env


def _outputs(env: Path, out: Path, *, docs: bool) -> dict[str, str]:
    """Every way a finding leaves imgpolicy, through the real console entry point."""
    out.mkdir()
    outputs: dict[str, str] = {}
    args = [f"--output={fmt}={out / ('report.' + fmt)}" for fmt in FORMATS]
    for fmt in FORMATS:
        proc = subprocess.run(
            [*IMGPOLICY, "check", str(env), "--today", "2026-11-28", "--format", fmt, *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode in (1, 2), proc.stderr
        assert "Traceback" not in proc.stderr
        outputs[f"stdout {fmt}"] = proc.stdout + proc.stderr
    for fmt in FORMATS:
        outputs[f"--output {fmt}"] = (out / f"report.{fmt}").read_text(encoding="utf-8")
    baseline = out / "baseline.json"
    proc = subprocess.run(
        [*IMGPOLICY, "check", str(env), "--write-baseline", str(baseline)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs["baseline"] = baseline.read_text(encoding="utf-8") + proc.stdout + proc.stderr
    if docs:
        proc = subprocess.run(
            [*IMGPOLICY, "docs", str(env), "-o", str(out / "docs"), "--today", "2026-11-28"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        for name in ("architecture.md", "architecture.html"):
            outputs[name] = (out / "docs" / name).read_text(encoding="utf-8")
    return outputs


def _leaks(outputs: dict[str, str], secrets: dict[str, str]) -> list[str]:
    return [
        f"{secret} ({why}) in {where}"
        for where, text in outputs.items()
        for secret, why in secrets.items()
        if secret.lower() in text.lower()
    ]


def test_planted_secrets_in_a_valid_environment_appear_nowhere(tmp_path):
    env = _copy(tmp_path, "valid")
    _plant_valid(env)
    outputs = _outputs(env, tmp_path / "out", docs=True)
    assert _leaks(outputs, VALID_SECRETS) == []
    # the findings about them are still there, masked
    assert "SEC002" in outputs["stdout text"]
    html = outputs["architecture.html"]
    assert "https://***@vna.phx-dr.imaging.example.org/dicomweb?access_token=***" in html
    assert "mllp://***@hl7.nwr.imaging.example.org:7100" in outputs["architecture.md"]


def test_planted_secrets_in_a_broken_environment_appear_nowhere(tmp_path):
    env = _copy(tmp_path, "broken")
    _plant_broken(env)
    outputs = _outputs(env, tmp_path / "out", docs=False)
    assert _leaks(outputs, BROKEN_SECRETS) == []
    text = outputs["stdout text"]
    assert "credentials.password: expected a string, got a number (put the value in quotes)" in text
    assert "YAML003" in text


def test_the_findings_still_say_where_and_what(tmp_path):
    """Masking keeps the message useful: the path and the fix are still there."""
    env = _copy(tmp_path, "broken")
    _plant_broken(env)
    result = run("check", str(env), "--format", "text")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "SCHEMA003" in line]
    assert len(lines) == 2
    assert all("integrations.yaml:" in line and "the value" in line for line in lines)


@pytest.mark.parametrize(
    "key", ["password", "passwd", "client_secret", "private-key", "apiKey", "api_key", "token"]
)
def test_credential_keys(key):
    assert is_credential_key(key)


@pytest.mark.parametrize("key", ["username", "endpoint", "description", "name", "hostname"])
def test_not_credential_keys(key):
    assert not is_credential_key(key)


def test_the_models_secret_fields_are_credential_keys():
    assert all(is_credential_key(f) for f in SECRET_FIELDS)
    assert is_credential_path(("integrations", 0, "credentials", "username"))
    assert not is_credential_path(("integrations", 0, "endpoint"))


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://viewer:UrlPw@host/x", "https://***@host/x"),
        ("https://host/x?access_token=Tok&study=1", "https://host/x?access_token=***&study=1"),
        (
            "https://host/x?a=1&sig=abc&key=K&apikey=Z",
            "https://host/x?a=1&sig=***&key=***&apikey=***",
        ),
        ("mllps://user@host:6661", "mllps://***@host:6661"),
        ("https://host/wado?studyUID=1.2.3", "https://host/wado?studyUID=1.2.3"),
    ],
)
def test_urls_are_redacted(url, shown):
    assert redact_urls(f"endpoint {url} is used") == f"endpoint {shown} is used"


def test_redactor_masks_messages_related_and_reasons():
    redactor = Redactor(frozenset({"s3cr3t-value"}))
    finding = Finding(
        "YAML003",
        Severity.ERROR,
        "'s3cr3t-value' is not a valid !!float",
        Location("a.yaml", 1, 1),
        (Related(Location("a.yaml", 2, 1), "see s3cr3t-value"),),
        suppressed=Suppression("inline", "ok, s3cr3t-value was rotated"),
    )
    shown = redactor.finding(finding)
    assert "s3cr3t" not in repr(shown)
    assert shown.message == "'***' is not a valid !!float"


def test_escaped_credentials_are_found_though_files_are_screened_by_their_text(tmp_path):
    """The data walks (SEC002's URL scan, the redactor's credential values) skip files whose
    text cannot hold what they look for; an escape in a double-quoted scalar makes `@` and
    a credential key out of text that shows neither, and must still be found and masked."""
    env = tmp_path / "env"
    shutil.copytree(EXAMPLES / "regional-health", env)
    (env / "escaped.yaml").write_text(
        "imgpolicy: 1\n"
        "integrations:\n"
        "  - name: escaped-dicomweb\n"
        "    kind: dicomweb\n"
        "    source: viewer-dr\n"
        "    target: vna-dr\n"
        '    endpoint: "https://viewer:Escap3dPw\\x40vna.example.org/dicomweb"\n'
        "    services: [QIDO-RS]\n"
        '    credentials: {"tok\\x65n": "Escap3dSecret"}\n'
    )
    result = run("check", str(env), "--no-cache", "--format", "json")
    import json

    found = [
        f["message"]
        for f in json.loads(result.output)["findings"]
        if f["code"] == "SEC002" and "escaped.yaml" in f["location"]["path"]
    ]
    assert any("URL with a user info password" in m for m in found), found
    assert "Escap3dPw" not in result.output

    from imgpolicy.load import load_environment

    assert "Escap3dSecret" in Redactor.from_load(load_environment([str(env)])).secrets


@pytest.mark.parametrize(
    ("text", "may"),
    [
        ("kind: bypass\nsop: KeyObjectSelectionDocumentStorage\nmodel: SIGNA\n", False),
        ("credentials: {password: x}\n", True),
        ("apiKey: x\n", True),
        ('"pass\\x77ord": x\n', True),
    ],
)
def test_which_texts_may_hold_credential_keys(text, may):
    from imgpolicy.redact import may_hold_credential_keys

    assert may_hold_credential_keys(text) is may
