"""benchmarks/generate.py: deterministic, clean, and exactly the size asked for.

No timing here: benchmarks/run.py measures, the tests only guard what it measures on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from imgpolicy import dicom
from imgpolicy.load import load_environment

from .conftest import benchmark

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "benchmarks" / "generate.py"

SMALL = dict(sites=2, aes=20, routes=40)


@pytest.fixture(scope="module")
def generator():
    return benchmark("generate")


def _info(sop_class: str | None) -> dicom.UidInfo:
    """The registry entry of a capability's SOP class (the generator writes only known ones)."""
    assert sop_class is not None
    info = dicom.lookup(sop_class)
    assert info is not None, sop_class
    return info


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_arguments_give_byte_identical_files(generator, tmp_path):
    generator.generate(tmp_path / "one", **SMALL)
    generator.generate(tmp_path / "two", **SMALL)
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert one == two
    assert {
        "sites.yaml",
        "worklist.yaml",
        "storage.yaml",
        "retention.yaml",
        "continuity.yaml",
        "dose.yaml",
        "reading.yaml",
        "devices/site-01.yaml",
        "devices/site-02.yaml",
        "routes/site-01.yaml",
        "routes/site-02.yaml",
        ".imgpolicy.yaml",
    } == set(one)


def test_the_command_checks_it_clean(generator, tmp_path):
    """`imgpolicy check DIR` exits 0: schema and, where this imgpolicy has them, every rule."""
    from click.testing import CliRunner

    from imgpolicy.cli import main

    generator.generate(tmp_path, sites=3, aes=60, routes=200)
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output[-3000:]
    assert "No problems found" in result.output


def test_another_seed_gives_other_files(generator, tmp_path):
    generator.generate(tmp_path / "one", **SMALL)
    generator.generate(tmp_path / "two", **SMALL, seed=7)
    assert _tree(tmp_path / "one") != _tree(tmp_path / "two")


@pytest.mark.parametrize(
    "size",
    [
        SMALL,
        dict(sites=3, aes=60, routes=200),
        dict(sites=2, aes=20, routes="fewest"),
        dict(sites=2, aes=20, routes="most"),
    ],
)
def test_output_checks_clean_with_the_requested_counts(generator, tmp_path, size):
    if isinstance(size["routes"], str):
        fewest, most = generator.route_bounds(size["sites"], size["aes"])
        assert fewest < SMALL["routes"] < most
        size = {**size, "routes": fewest if size["routes"] == "fewest" else most}
    summary = generator.generate(tmp_path, **size)
    result = load_environment([str(tmp_path)])
    assert result.findings == []
    assert not result.unusable
    env = result.environment
    assert len(env.files) == summary["files"]
    assert len(env.sites) == size["sites"]
    assert len(env.application_entities()) == size["aes"] == summary["aes"]
    assert len(env.routes) == size["routes"] == summary["routes"]


def test_fleet_is_mostly_modalities_with_the_infrastructure(generator, tmp_path):
    generator.generate(tmp_path, sites=3, aes=80, routes=250)
    env = load_environment([str(tmp_path)]).environment
    kinds = [device.kind for device, _ in env.application_entities()]
    assert kinds.count("modality") == 80 - 3 * 3 - 2
    assert kinds.count("pacs") == kinds.count("router") == kinds.count("ris") == 3
    assert kinds.count("vna") == kinds.count("dose-monitor") == 1
    titles = {ae.ae_title for _, ae in env.application_entities()}
    assert all(r.from_ in titles and r.to in titles for r in env.routes)
    for device, ae in env.application_entities():
        if device.kind == "modality":
            storage = [c for c in ae.transfer_capabilities if "Storage" in _info(c.sop_class).name]
            assert storage and all(3 <= len(c.transfer_syntaxes) <= 5 for c in storage)
            assert {"ModalityWorklistInformationModelFind", "ModalityPerformedProcedureStep"} <= {
                _info(c.sop_class).keyword for c in ae.transfer_capabilities
            }


def test_a_smaller_run_replaces_a_bigger_one(generator, tmp_path):
    generator.generate(tmp_path, sites=3, aes=60, routes=200)
    generator.generate(tmp_path, **SMALL)
    assert not (tmp_path / "devices" / "site-03.yaml").exists()
    result = load_environment([str(tmp_path)])
    assert result.findings == [] and len(result.environment.routes) == SMALL["routes"]


def test_files_are_written_out_in_full_without_anchors(generator, tmp_path):
    generator.generate(tmp_path, **SMALL)
    for path in tmp_path.rglob("*.yaml"):
        if path.name == ".imgpolicy.yaml":  # the check configuration, not an environment file
            continue
        text = path.read_text(encoding="utf-8")
        assert text.count("\nimgpolicy: 1\n") == 1
        assert "&" not in text and "*" not in text and "<<" not in text


def test_impossible_sizes_are_refused(generator, tmp_path):
    fewest, most = generator.route_bounds(2, 20)
    with pytest.raises(ValueError, match=f"--routes must be at least {fewest} "):
        generator.generate(tmp_path, sites=2, aes=20, routes=fewest - 1)
    with pytest.raises(ValueError, match=f"--routes can be at most {most} "):
        generator.generate(tmp_path, sites=2, aes=20, routes=most + 1)
    with pytest.raises(ValueError, match="--aes must be at least"):
        generator.generate(tmp_path, sites=2, aes=5, routes=40)


def test_command_line(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            str(tmp_path / "env"),
            "--sites",
            "2",
            "--aes",
            "20",
            "--routes",
            "40",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "20 AEs" in done.stdout and "40 routes" in done.stdout
    assert (tmp_path / "env" / "devices" / "site-02.yaml").is_file()
