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


def _uid(keyword: str) -> str:
    """The UID of a standard SOP class or transfer syntax keyword."""
    info = dicom.lookup(keyword)
    assert info is not None, keyword
    return info.uid


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
    tomo = _uid("BreastTomosynthesisImageStorage")
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


ULTRASOUND = {_uid(name) for name in ("UltrasoundImageStorage", "UltrasoundMultiFrameImageStorage")}


def test_lossy_only_where_the_original_is_acquired_lossy(env):
    """Lossless everywhere, except ultrasound kept as the scanner acquired it: every lossy
    syntax is on an ultrasound class, and every ultrasound scanner declares it acquires it."""
    lossy = {
        (ae.ae_title, cls, ts)
        for _, ae in env.application_entities()
        for cap in ae.transfer_capabilities
        for ts in cap.transfer_syntaxes
        for cls in cap.classes
        if dicom.is_lossy(ts)
    }
    assert lossy, "the echo and ultrasound cine originals are JPEG baseline"
    assert {cls for _, cls, _ in lossy} <= ULTRASOUND
    for route in env.routes:
        if route.transfer_syntax:
            assert not dicom.is_lossy(route.transfer_syntax), route.name
        for cls, ts in route.transfer_syntaxes.items():
            assert not dicom.is_lossy(ts) or _uid(cls) in ULTRASOUND, route.name
    acquired = {ts for d in env.devices for ts in d.acquisition_syntaxes}
    assert {ts for _, _, ts in lossy} <= acquired
    for device in env.devices:
        if device.kind == "modality" and "US" in device.modality:
            assert device.acquisition_syntaxes, device.name


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
    encounter_based = 0
    for device, ae in env.application_entities():
        if device.kind == "modality":
            assert ae.ae_title in senders, ae.ae_title
            if device.workflow == "encounter-based":  # ED POCUS: patient from the census
                encounter_based += 1
                assert ae.ae_title not in consumers, ae.ae_title
            else:
                assert ae.ae_title in consumers, ae.ae_title
    assert encounter_based == 1


def test_ai_products_are_cleared_and_run_on_an_ai_device(env):
    assert len(env.ai) >= 2
    ai_titles = {ae.ae_title for device, ae in env.application_entities() if device.kind == "ai"}
    for product in env.ai:
        assert product.fda and product.fda.pathway in ("510k", "de-novo") and product.fda.number
        assert product.version in product.fda.cleared_versions, product.name
        assert product.monitoring and product.monitoring.last_review, product.name
        assert product.runs_on in ai_titles
        assert product.results


def test_secrets_are_environment_references(env):
    for integration in env.integrations:
        creds = integration.credentials
        for value in (creds.password, creds.token, creds.api_key) if creds else ():
            if value is not None:
                assert value.startswith("${") and value.endswith("}"), integration.name


# --- what the clinical review found missing (issue 11): the example needs no fiction ------


def _devices(env, **where):
    return [d for d in env.devices if all(getattr(d, k) == v for k, v in where.items())]


def _titles(device) -> set[str]:
    return {ae.ae_title for ae in device.application_entities}


def test_organisation_and_identity_domains(env):
    assert env.organisation and env.organisation.name == "Sierra Pacific Regional Health"
    acquiring = {d.site for d in env.devices if d.kind == "modality"}
    for site in env.sites:
        if site.name in acquiring:
            assert site.patient_id_issuer, site.name


def test_every_image_store_hears_adt(env):
    """PACS, edge cache, VNA, cardiology PVS and the teleradiology PACS all get updates and
    merges (IHE PIR)."""
    fed = {
        i.target
        for i in env.integrations
        if i.kind == "hl7" and ("ADT" in i.messages or any(e.startswith("ADT^") for e in i.events))
    }
    stores = {d.name for d in env.devices if d.kind in ("pacs", "vna", "cardiology-pvs")}
    stores -= {"vna-dr"}  # the replica hears of updates from its primary
    assert {"pacs-spmc", "edge-tmch", "vna-spmc", "cvis-spmc", "pacs-nwr"} <= stores
    assert stores <= fed


def test_emergency_site_keeps_worklist_and_storage_local(env):
    """TMCH (24/7 ED) survives WAN loss: its modalities' worklist provider and store
    destination stand at TMCH, and they delete only what the edge has committed."""
    [tmch] = [s for s in env.sites if s.name == "TMCH"]
    assert tmch.emergency
    site_of = {ae.ae_title: d.site for d, ae in env.application_entities()}
    modalities = _devices(env, site="TMCH", kind="modality")
    assert len(modalities) >= 12
    for device in modalities:
        [title] = _titles(device)
        [entry] = [w for w in env.worklist if title in w.consumers]
        assert site_of[entry.provider] == "TMCH" == site_of[entry.mpps_destination], title
        stores = [r for r in env.routes if r.from_ == title and r.purpose == "reading"]
        assert stores and all(site_of[r.to] == "TMCH" and r.commitment for r in stores), title
        assert device.local_deletion and device.local_deletion.requires_commitment


def test_pacs_archives_with_commitment_and_its_cache_only_evicts(env):
    [archive] = [r for r in env.routes if r.name == "pacs.to-vna"]
    assert archive.commitment
    [cache] = [t for t in env.tiers if t.device == "pacs-spmc"]
    assert cache.role == "cache"
    steps = [s for lc in env.lifecycle if lc.tier == cache.name for s in lc.steps]
    assert steps and all(s.action == "evict" and s.kept_on == "vna-spmc-hot" for s in steps)


def test_no_modality_uses_dicom_tls_the_wan_is_encrypted(env):
    for device in _devices(env, kind="modality"):
        assert not any(c.tls for c in device.connections), device.name
    linked = {frozenset(link.sites) for link in env.site_links}
    assert {frozenset({"SPMC", "TMCH"}), frozenset({"SPMC", "RIC"})} <= linked


def test_priors_reach_teleradiology_and_it_is_licensed_where_studies_come_from(env):
    prefetch = [r for r in env.routes if r.to == "TELE_NWR" and r.purpose == "prefetch"]
    assert prefetch and prefetch[0].trigger
    [nwr] = [s for s in env.sites if s.name == "NWR"]
    acquiring = {d.site for d in env.devices if d.kind == "modality"}
    states = {s.jurisdiction for s in env.sites if s.name in acquiring}
    assert states == {"US-CA", "US-NV"}
    assert states <= set(nwr.teleradiology.licensed_in) and nwr.teleradiology.baa


def test_dose_reports_come_from_where_they_are_made(env):
    """No NM camera or CR reader 'builds' a dose SR: the hot lab sends the RRDSRs, CR readers
    send none; fluoroscopy rooms and C-arms send their RDSRs to the monitor."""
    rrdsr = _uid("RadiopharmaceuticalRadiationDoseSRStorage")
    rdsr = _uid("XRayRadiationDoseSRStorage")
    [hotlab] = _devices(env, kind="radiopharmacy")
    assert env.dose_rrdsr_source == hotlab.name
    for device in _devices(env, kind="modality"):
        sent = {
            c
            for ae in device.application_entities
            for cap in ae.transfer_capabilities
            if cap.role == "SCU"
            for c in cap.classes
        }
        if set(device.modality) & {"NM", "PT"}:
            assert rrdsr not in sent and "rrdsr" in device.dose_report, device.name
        if device.modality == ["CR"]:
            assert device.dose_report == "none" and rdsr not in sent, device.name
    dose_senders = {r.from_ for r in env.routes if r.to == env.dose_monitor}
    fluoro = [d for d in _devices(env, kind="modality") if set(d.modality) & {"RF", "XA"}]
    assert {"RF", "XA"} <= {m for d in fluoro for m in d.modality}
    assert any("C-arm" in (d.description or "") for d in fluoro)
    for device in fluoro:
        assert _titles(device) <= dose_senders, device.name


def test_non_radiology_imaging_and_realistic_counts(env):
    modalities = _devices(env, kind="modality")
    assert any("BMD" in d.modality for d in modalities)
    echo = [d for d in modalities if "echo" in d.name]
    [pvs] = _devices(env, kind="cardiology-pvs")
    assert len(echo) >= 2
    for device in echo:
        [title] = _titles(device)
        assert {r.to for r in env.routes if r.from_ == title} == _titles(pvs)
    spmc = [d for d in modalities if d.site == "SPMC"]
    assert sum("US" in d.modality for d in spmc) >= 8
    assert sum("port" in d.name and "DX" in d.modality for d in spmc) >= 4


def test_ai_routes_are_scoped_to_the_clearance(env):
    for product in env.ai:
        routes = [r for r in env.routes if r.to == product.runs_on]
        assert routes, product.name
        for route in routes:
            assert route.match and route.match.body_part, route.name
            assert set(route.match.body_part) >= set(product.cleared_for.body_parts) or (
                product.input_selection
            ), route.name
            if product.cleared_for.population and product.cleared_for.population.min_age:
                assert route.match.min_age == product.cleared_for.population.min_age
