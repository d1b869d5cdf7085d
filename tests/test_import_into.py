"""`imgpolicy import ... --into ENV_DIR` (and `--dry-run`): the nodes of a deployment
merged into an existing environment, the regional example, one after another.

The deployment: two Orthancs that name each other in their DicomModalities, and a
dcmqrscp whose HostTable names one of them and a CT the environment already has. Every
test works on a copy of examples/regional-health and checks that no file the user wrote
changes, that what the environment has is matched rather than repeated, and that the
result loads (no YAML or SCHEMA finding).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from imgpolicy.importers import ImportFailed, ImportResult
from imgpolicy.importers import merge as merging
from imgpolicy.importers.common import Device, Integration
from imgpolicy.load import load_environment

from .conftest import EXAMPLES, assert_no_traceback, run

ORTHANC_A = """{
  // the SPMC research Orthanc
  "Name": "orthanc-a",
  "DicomAet": "ORTHANC_A",
  "DicomPort": 4242,
  "DicomModalities": {
    "ct2": ["CT_SPMC_2", "ct2.spmc.imaging.example.org", 104],
    "pacs": ["PACS_SPMC", "pacs.spmc.imaging.example.org", 11112],
    "orthanc-b": ["ORTHANC_B", "orthanc-b.spmc.imaging.example.org", 4242]
  }
}
"""

ORTHANC_B = """{
  "Name": "orthanc-b",
  "DicomAet": "ORTHANC_B",
  "DicomPort": 4242,
  "DicomModalities": {
    "a": ["ORTHANC_A", "orthanc-a.spmc.imaging.example.org", 4242],
    "us9": ["US_SPMC_9", "us9.spmc.imaging.example.org", 104]
  }
}
"""

DCMQRSCP = """NetworkTCPPort  = 11112
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
orthanca        = (ORTHANC_A, orthanc-a.spmc.imaging.example.org, 4242)
ct2             = (CT_SPMC_2, ct2.spmc.imaging.example.org, 104)
ws7             = (WS_SPMC_7, ws7.spmc.imaging.example.org, 11112)
peers           = orthanca, ct2, ws7
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
RESEARCH   /var/lib/dcmtk/db/RESEARCH   RW (200, 1024mb)  peers
AETable END
"""

CONFLICTING = """{
  "Name": "orthanc-c",
  "DicomAet": "ORTHANC_C",
  "DicomPort": 4242,
  "DicomModalities": {
    "vna": ["VNA_SPMC", "10.1.2.3", 104],
    "ghost": ["NEWAE", "router.spmc.imaging.example.org", 11112],
    "lower": ["pacs_spmc", "pacs.spmc.imaging.example.org", 11112],
    "port": ["EDGE_TMCH", "edge.tmch.imaging.example.org", 104],
    "pacs-spmc": ["PACS_OLD", "oldpacs.spmc.imaging.example.org", 104]
  }
}
"""


@pytest.fixture
def deployment(tmp_path):
    """A copy of the regional example, the three nodes' configurations, and a runner that
    imports one of them into the copy through the CLI."""
    env = tmp_path / "env"
    shutil.copytree(EXAMPLES / "regional-health", env)
    configs = tmp_path / "configs"
    configs.mkdir()
    for name, text in [("a.json", ORTHANC_A), ("b.json", ORTHANC_B), ("dcmqrscp.cfg", DCMQRSCP)]:
        (configs / name).write_text(text, encoding="utf-8")
    commands = {
        "a": ["orthanc", "configs/a.json", "--hostname", "orthanc-a.spmc.imaging.example.org"],
        "b": ["orthanc", "configs/b.json"],  # no --hostname: A's peer table names it
        "qr": ["dcmtk", "configs/dcmqrscp.cfg", "--hostname", "qr.spmc.imaging.example.org"],
    }

    def imports(node: str, *extra: str):
        result = run(
            "import", *commands[node], "--site", "SPMC", "--into", "env", *extra, cwd=tmp_path
        )
        assert_no_traceback(result)
        return result

    return env, imports


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` by its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def devices_of(path: Path) -> dict[str, object]:
    """The devices one file defines, by name (the file loads on its own)."""
    load = load_environment([str(path)])
    assert not load.findings, [f"{f.location}: {f.code} {f.message}" for f in load.findings]
    return {d.name: d for d in load.environment.devices}


def titles(device) -> list[str]:
    return [ae.ae_title for ae in device.application_entities]


def loads_clean(env: Path):
    load = load_environment([str(env)])
    problems = [f for f in load.findings if f.code.startswith(("YAML", "SCHEMA"))]
    assert not problems, [f"{f.location}: {f.code} {f.message}" for f in problems]
    return load.environment


def test_two_orthancs_and_a_dcmqrscp_one_after_another(deployment):
    env, imports = deployment
    before = snapshot(env)

    first = imports("a")
    assert first.exit_code == 0, first.stderr
    a_file = env / "imported-orthanc-a.yaml"
    assert "wrote env/imported-orthanc-a.yaml (2 devices added, 2 found in env" in first.stderr
    a = devices_of(a_file)
    assert sorted(a) == ["orthanc-a", "orthanc-b"]  # CT_SPMC_2 and PACS_SPMC are known
    assert re.search(r"spmc-modalities\.yaml:\d+:\d+: IMPORT028 AE title CT_SPMC_2", first.stderr)
    assert a["orthanc-b"].kind == "other"  # what A's peer table knows of B: a stub

    second = imports("b")
    assert second.exit_code == 0, second.stderr
    b = devices_of(env / "imported-orthanc-b.yaml")
    # B's own configuration replaces the stub A's peer table wrote, under the stub's name
    # and with the host the peer table gave (B's configuration does not name its host)
    assert sorted(b) == ["orthanc-b", "us9"]
    node = b["orthanc-b"]
    assert node.kind == "pacs" and titles(node) == ["ORTHANC_B"]
    assert node.connections[0].hostname == "orthanc-b.spmc.imaging.example.org"
    assert any(c.role == "SCP" for c in node.application_entities[0].transfer_capabilities)
    assert sorted(devices_of(a_file)) == ["orthanc-a"]
    assert "IMPORT028 AE ORTHANC_B was device 'orthanc-b' of imported-orthanc-a.yaml" in (
        second.stderr
    )
    assert "IMPORT028 AE title ORTHANC_A" in second.stderr  # B's peer A: A's node

    third = imports("qr")
    assert third.exit_code == 0, third.stderr
    qr = devices_of(env / "imported-dcmqrscp.yaml")
    assert sorted(qr) == ["dcmqrscp", "ws7"]  # ORTHANC_A and CT_SPMC_2 are known
    assert titles(qr["dcmqrscp"]) == ["RESEARCH"]

    # nothing the user wrote changed; the three files are new; all of it loads together
    after = snapshot(env)
    assert {k: v for k, v in after.items() if k in before} == before
    assert sorted(set(after) - set(before)) == [
        "imported-dcmqrscp.yaml",
        "imported-orthanc-a.yaml",
        "imported-orthanc-b.yaml",
    ]
    environment = loads_clean(env)
    aes = [ae.ae_title for _, ae in environment.application_entities()]
    assert len(aes) == len(set(aes))
    assert {"ORTHANC_A", "ORTHANC_B", "RESEARCH", "US_SPMC_9", "WS_SPMC_7"} <= set(aes)
    assert run("check", str(env)).exit_code in (0, 1)  # rule findings, never unusable


def test_reimport_is_idempotent(deployment):
    env, imports = deployment
    for node in ("a", "b", "qr"):
        imports(node)
    for node in ("a", "b", "qr"):  # A again: it now finds B's node, not its stub
        assert imports(node).exit_code == 0
    settled = snapshot(env)
    assert sorted(devices_of(env / "imported-orthanc-a.yaml")) == ["orthanc-a"]
    for node in ("a", "b", "qr"):
        again = imports(node)
        assert again.exit_code == 0
        assert "is up to date" in again.stderr
        assert again.stdout == ""
    assert snapshot(env) == settled
    loads_clean(env)


def test_conflicts_are_reported_and_left_out(deployment, tmp_path):
    env, _ = deployment
    (tmp_path / "configs" / "c.json").write_text(CONFLICTING, encoding="utf-8")
    result = run(
        "import", "orthanc", "configs/c.json", "--into", "env", cwd=tmp_path
    )  # default --site MAIN: not a site of the regional example
    assert_no_traceback(result)
    assert result.exit_code == 0  # findings are advice unless --fail-on
    err = result.stderr
    core = r"env/devices/core-systems\.yaml:\d+:\d+"
    expected = [
        rf"{core}: IMPORT026 AE title VNA_SPMC is on vna\.spmc\.imaging\.example\.org:11112.* "
        r"but on 10\.1\.2\.3:104 in the import",
        rf"{core}: IMPORT026 router\.spmc\.imaging\.example\.org:11112 is AE ROUTER_SPMC .* "
        r"but AE NEWAE in the import",
        rf"{core}: IMPORT026 AE title pacs_spmc .* differs only by case from PACS_SPMC",
        rf"{core}: IMPORT026 AE EDGE_TMCH listens on port 11112 in the environment, but on 104",
        rf"{core}: IMPORT027 device name 'pacs-spmc' .* written as 'pacs-spmc-2'",
        r"env: IMPORT026 site MAIN of the imported devices is not a site of the environment",
    ]
    for pattern in expected:
        assert re.search(pattern, err), (pattern, err)
    written = devices_of(env / "imported-orthanc-c.yaml")
    assert sorted(written) == ["orthanc-c", "pacs-spmc-2"]
    assert titles(written["pacs-spmc-2"]) == ["PACS_OLD"]
    text = (env / "imported-orthanc-c.yaml").read_text(encoding="utf-8")
    assert "devices/core-systems.yaml" in text and "IMPORT026" in text  # in the header too
    loads_clean(env)

    strict = run(
        "import",
        "orthanc",
        "configs/c.json",
        "--into",
        "env",
        "--fail-on",
        "warning",
        cwd=tmp_path,
    )
    assert strict.exit_code == 1 and "is up to date" in strict.stderr


def test_dry_run_prints_the_diff_and_writes_nothing(deployment, tmp_path):
    env, imports = deployment
    imports("a")
    before = snapshot(env)
    dry = imports("b", "--dry-run")
    assert dry.exit_code == 0
    assert snapshot(env) == before
    assert "would write env/imported-orthanc-b.yaml" in dry.stderr
    diff = dry.stdout
    assert "--- /dev/null\n+++ env/imported-orthanc-b.yaml\n" in diff
    # the stub in A's generated file would go: that file's diff is shown too
    assert "--- env/imported-orthanc-a.yaml\n+++ env/imported-orthanc-a.yaml\n" in diff
    assert re.search(r"^-  - name: orthanc-b$", diff, re.M)

    imports("b")
    new_file = (env / "imported-orthanc-b.yaml").read_text(encoding="utf-8")
    section = diff.split("+++ env/imported-orthanc-b.yaml\n", 1)[1].split("\n--- ", 1)[0]
    added = [line[1:] for line in section.splitlines() if line.startswith("+")]
    assert "\n".join(added) + "\n" == new_file


def test_files_the_user_wrote_or_edited_are_never_overwritten(deployment):
    env, imports = deployment
    mine = env / "imported-orthanc-a.yaml"
    mine.write_text("imgpolicy: 1\n# my own notes, not generated\n", encoding="utf-8")
    imports("a")
    assert mine.read_text(encoding="utf-8").startswith("imgpolicy: 1\n# my own notes")
    generated = env / "imported-orthanc-a-2.yaml"
    assert "orthanc-a" in devices_of(generated)

    # an edited generated file is the user's: kept, and the import writes nothing over it
    edited = generated.read_text(encoding="utf-8").replace("kind: other", "kind: pacs", 1)
    generated.write_text(edited, encoding="utf-8")
    again = imports("a")
    assert again.exit_code == 0
    assert "edited since: it is yours now" in again.stderr
    assert generated.read_text(encoding="utf-8") == edited
    assert "nothing to write" in again.stderr
    assert not (env / "imported-orthanc-a-3.yaml").exists()
    loads_clean(env)


def test_an_environment_that_does_not_load_is_refused(deployment):
    env, imports = deployment
    (env / "broken.yaml").write_text("imgpolicy: 1\ndevices: [\n", encoding="utf-8")
    before = snapshot(env)
    result = imports("a")
    assert result.exit_code == 2
    assert "does not load" in result.stderr
    assert re.search(r"env/broken\.yaml:\d+:\d+: YAML001", result.stderr)
    assert snapshot(env) == before


def test_a_generated_file_the_configuration_excludes_is_refused(deployment):
    env, imports = deployment
    (env / ".imgpolicy.yaml").write_text(
        (env / ".imgpolicy.yaml").read_text(encoding="utf-8") + "\nexclude: [imported-*]\n"
        if (env / ".imgpolicy.yaml").exists()
        else "exclude: [imported-*]\n",
        encoding="utf-8",
    )
    before = snapshot(env)
    result = imports("a")
    assert result.exit_code == 2
    assert "would not be part of the environment" in result.stderr
    assert snapshot(env) == before


def test_what_would_not_load_is_refused_with_its_findings(tmp_path):
    """The safety net: the environment is loaded with the new file before anything is
    written; a file that would not load is refused, its findings at the file to write."""
    env = tmp_path / "env"
    shutil.copytree(EXAMPLES / "regional-health", env)
    result = ImportResult(
        devices=[Device("lab", "SPMC", "pacs")],
        integrations=[Integration("feed", "telepathy", "lab", "ris-spmc", "https://x/")],
    )
    with pytest.raises(ImportFailed) as failed:
        merging.plan(result, str(env), "test lab")
    message = str(failed.value)
    assert "would not load together" in message
    assert re.search(rf"{re.escape(str(env))}/imported-lab\.yaml:\d+:\d+: SCHEMA004", message)
    assert not (env / "imported-lab.yaml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--into", "env", "-o", "x.yaml"], "give either -o FILE or --into ENV_DIR"),
        (["--dry-run"], "--dry-run shows what --into would change"),
        (["--into", "nowhere"], "nowhere: --into needs the environment's folder"),
    ],
)
def test_bad_into_options_exit_2(deployment, tmp_path, args, message):
    result = run("import", "dcmtk", "configs/dcmqrscp.cfg", *args, cwd=tmp_path)
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert message in result.stderr


def _node(name: str, title: str, host: str, port: int) -> Device:
    """An imported device with one acceptor AE at host:port (as an importer builds it)."""
    from imgpolicy.importers.common import AE, Capability, Connection

    capability = Capability("SCP", ["1.2.840.10008.1.1"], ["1.2.840.10008.1.2"])
    ae = AE(title, ["dicom"], capabilities=[capability])
    return Device(
        name,
        "SPMC",
        "router",
        connections=[Connection("dicom", host, port)],
        application_entities=[ae],
    )


def test_routes_and_integrations_follow_the_merge(tmp_path):
    """Routes the environment has are not repeated, names it uses get a suffix, routes to
    an AE left out for a conflict are left out too, and integrations name the devices as
    the environment does (the matched PACS by its name there)."""
    from imgpolicy.importers.common import Route

    env = tmp_path / "env"
    shutil.copytree(EXAMPLES / "regional-health", env)
    result = ImportResult(
        devices=[
            _node("fwd", "FWD_SPMC", "fwd.spmc.imaging.example.org", 104),
            _node("pacs", "PACS_SPMC", "pacs.spmc.imaging.example.org", 11112),  # known
            _node("vna", "VNA_SPMC", "10.9.9.9", 104),  # known on another host: conflict
        ],
        routes=[
            Route("ct-spmc-2.store", "CT_SPMC_2", "ROUTER_SPMC", purpose="reading"),  # has it
            Route("ct-spmc-ed.store", "FWD_SPMC", "PACS_SPMC", purpose="reading"),  # name taken
            Route("to-vna", "FWD_SPMC", "VNA_SPMC", purpose="archive"),  # conflicting AE
        ],
        integrations=[
            Integration("ehr-orders-to-ris", "dicomweb", "fwd", "pacs", "https://pacs/dicom-web"),
        ],
    )
    plan = merging.plan(result, str(env), "test fwd")
    codes = sorted((f.code, f.entity) for f in plan.findings)
    assert ("IMPORT026", "ae:VNA_SPMC") in codes and ("IMPORT026", "route:to-vna") in codes
    assert ("IMPORT027", "route:ct-spmc-ed.store") in codes
    assert ("IMPORT027", "integration:ehr-orders-to-ris") in codes
    assert ("IMPORT028", "ae:PACS_SPMC") in codes
    merging.write(plan)
    load = load_environment([str(env / "imported-fwd.yaml")])
    written = load.environment
    assert [d.name for d in written.devices] == ["fwd"]
    assert [(r.name, r.from_, r.to) for r in written.routes] == [
        ("ct-spmc-ed.store-2", "FWD_SPMC", "PACS_SPMC")
    ]
    [integration] = written.integrations
    assert (integration.name, integration.source, integration.target) == (
        "ehr-orders-to-ris-2",
        "fwd",
        "pacs-spmc",
    )
    loads_clean(env)


def test_the_source_is_recorded_without_credentials(tmp_path):
    """The generated file's first line names its source: a configuration's absolute path,
    or a URL without its user info (a file in git never holds the password)."""
    url = {"url": "https://admin:s3cret@pacs.example.org:8042/orthanc/"}
    assert merging.source_key("orthanc", None, url) == (
        "orthanc https://pacs.example.org:8042/orthanc"
    )
    path = tmp_path / "orthanc.json"
    assert merging.source_key("orthanc", str(path), {}) == f"orthanc {path}"
