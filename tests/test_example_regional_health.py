"""The shipped multi-site example (examples/regional-health) checks clean and stays complete.

It is the reference for what a realistic, clean environment looks like, so it must pass
every rule, and it must keep covering what the example promises: several sites including a
teleradiology provider, 40+ devices, every common modality, and each core system kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpolicy import dicom
from imgpolicy.cli import main
from imgpolicy.load import load_environment

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "regional-health"
TODAY = "2026-11-28"
"""The example's DR test dates are kept within 12 months of this date."""


@pytest.fixture(scope="module")
def loaded():
    return load_environment([str(EXAMPLE)])


@pytest.fixture(scope="module")
def env(loaded):
    return loaded.environment


def test_example_checks_clean_via_cli():
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--today", TODAY])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output, result.output


def test_example_checks_clean_as_json():
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--today", TODAY, "--format", "json"])
    assert result.exit_code == 0, result.output


def test_every_yaml_file_is_part_of_the_environment(loaded):
    on_disk = sorted(p.as_posix() for p in EXAMPLE.rglob("*.yaml") if p.name != ".imgpolicy.yaml")
    assert len(on_disk) >= 10
    assert sorted(Path(f).resolve().as_posix() for f in loaded.files) == sorted(
        Path(p).resolve().as_posix() for p in on_disk
    )
    assert not loaded.findings
    assert loaded.environment.files == loaded.files  # every file loaded without schema errors


def test_sites(env):
    assert len(env.sites) >= 3
    assert any(site.teleradiology for site in env.sites)
    # DR needs a site in another region than the main hospital
    assert len({site.region for site in env.sites}) >= 2
    jurisdictions = {site.jurisdiction for site in env.sites}
    covered = {p.jurisdiction for p in env.retention}
    assert jurisdictions <= covered


def test_device_counts_and_kinds(env):
    assert len(env.devices) >= 40
    kinds = {device.kind for device in env.devices}
    assert {
        "pacs",
        "vna",
        "ris",
        "router",
        "ai",
        "dose-monitor",
        "viewer",
        "workstation",
        "modality",
    } <= kinds


def test_modalities_present(env):
    modalities = {m for device in env.devices if device.kind == "modality" for m in device.modality}
    assert {"CT", "MR", "MG", "US", "NM", "PT", "DX", "CR", "XA"} <= modalities
    # a PET/CT is one device with both modalities
    assert any(set(device.modality) == {"PT", "CT"} for device in env.devices)


def test_breast_tomosynthesis_capability(env):
    tomo = dicom.lookup("BreastTomosynthesisImageStorage").uid
    senders = [
        ae.ae_title
        for _, ae in env.application_entities()
        for cap in ae.transfer_capabilities
        if tomo in cap.classes and cap.role == "SCU"
    ]
    receivers = [
        ae.ae_title
        for _, ae in env.application_entities()
        for cap in ae.transfer_capabilities
        if tomo in cap.classes and cap.role == "SCP"
    ]
    assert senders and receivers


def test_no_lossy_transfer_syntax_anywhere(env):
    lossy = {
        (ae.ae_title, ts)
        for _, ae in env.application_entities()
        for cap in ae.transfer_capabilities
        for ts in cap.transfer_syntaxes
        if dicom.is_lossy(ts)
    }
    lossy |= {
        (r.name, r.transfer_syntax)
        for r in env.routes
        if r.transfer_syntax and dicom.is_lossy(r.transfer_syntax)
    }
    assert not lossy


def test_every_acceptor_has_a_port_and_every_modality_only_initiates(env):
    for device, ae in env.application_entities():
        ports = [c.port for c in device.connections if c.name in ae.connections and c.port]
        if device.kind == "modality":
            assert not ae.acceptor and not ports, ae.ae_title
        elif ae.acceptor:
            assert ports, ae.ae_title


def test_every_modality_has_worklist_and_a_route(env):
    consumers = {c for w in env.worklist for c in w.consumers}
    senders = {r.from_ for r in env.routes}
    for device, ae in env.application_entities():
        if device.kind == "modality":
            assert ae.ae_title in consumers, ae.ae_title
            assert ae.ae_title in senders, ae.ae_title


def test_ai_products_are_cleared_and_run_on_an_ai_device(env):
    assert len(env.ai) >= 2
    ai_titles = {ae.ae_title for device, ae in env.application_entities() if device.kind == "ai"}
    for product in env.ai:
        assert product.fda and product.fda.pathway in ("510k", "de-novo") and product.fda.number
        assert product.runs_on in ai_titles
        assert product.results


def test_secrets_are_environment_references(env):
    for integration in env.integrations:
        creds = integration.credentials
        for value in (creds.password, creds.token, creds.api_key) if creds else ():
            if value is not None:
                assert value.startswith("${") and value.endswith("}"), integration.name
