"""`imgpolicy docs` on an estate too big to list row by row (issue 15): above
`render.DETAIL_LIMIT` the per-route, per-AE and per-device tables collapse into one row per
group that says so, with counts that add up to what the environment declares and the name
of every member with an open finding; at or below it nothing changes. And `docs --check`
compares a document of any legal length exactly (the read bound follows the text).

The limit is monkeypatched down so that small environments cross it; every count is
taken from the loaded environment, never written down.
"""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import pytest

from imgpolicy import identity
from imgpolicy.config import Config
from imgpolicy.docs import recorded_date, stale, write
from imgpolicy.docs import render as render_module
from imgpolicy.docs.templating import render_documents
from imgpolicy.engine import check

from .conftest import EXAMPLES, generated

TODAY = datetime.date(2026, 11, 28)
SEEDED = EXAMPLES / "seeded-faults"


def _view(result, folder, limit=None, monkeypatch=None):
    if limit is not None:
        monkeypatch.setattr(render_module, "DETAIL_LIMIT", limit)
    return render_module.build_view(result, root=str(folder), today=TODAY)


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """The benchmark generator's environment, small: 3 sites, 60 AEs, 240 routes."""
    folder = generated(tmp_path_factory, "collapse", sites=3, aes=60, routes=240)
    result = check((str(folder),), Config(), today=TODAY)
    return folder, result


@pytest.fixture(scope="module")
def seeded():
    result = check((str(SEEDED),), Config(), today=TODAY)
    assert result.active, "the seeded-faults example has open findings"
    return result


def test_collapsed_tables_count_every_route_ae_and_device(estate, monkeypatch):
    folder, result = estate
    env = result.load.environment
    view = _view(result, folder, 10, monkeypatch)
    assert view["collapsed"] == {
        "limit": 10,
        "named": render_module.NAMED_IN_GROUP,
        "routes": True,
        "aes": True,
        "devices": True,
    }
    assert view["routes"] == [] and view["aes"] == []

    groups = view["route_groups"]
    assert sum(g["count"] for g in groups) == len(env.routes)
    assert 1 < len(groups) < len(env.routes) // 4
    by_name = {r.name: r for r in env.routes}
    for g in groups:
        named = [by_name[n] for n in g["named"]]
        assert len(named) == min(g["count"], render_module.NAMED_IN_GROUP)
        assert g["more"] == g["count"] - len(named)
        assert {(r.to, r.purpose) for r in named} == {(g["to"], g["purpose"])}
    # each route falls in the row of its source (modalities by site), destination, purpose
    expected: Counter = Counter()
    for route in env.routes:
        device = result.index.device_of(route.from_)
        source = device.site if device and device.kind == "modality" else route.from_
        expected[(source, route.to, route.purpose)] += 1
    assert Counter({(g["from"], g["to"], g["purpose"]): g["count"] for g in groups}) == expected

    aes = view["ae_groups"]
    assert sum(g["count"] for g in aes) == len(env.application_entities())
    per_site = Counter(d.site for d, _ in env.application_entities())
    assert (
        Counter({s: sum(g["count"] for g in aes if g["site"] == s) for s in per_site}) == per_site
    )

    for site in view["inventory"]:
        declared = [d for d in env.devices if d.site == site["site"]]
        assert site["devices"] == [] and site["device_count"] == len(declared)
        assert sum(g["count"] for g in site["device_groups"]) == len(declared)
        assert sum(g["aes"] for g in site["device_groups"]) == sum(
            len(d.application_entities) for d in declared
        )


def test_collapsed_documents_say_so_and_shrink(estate, monkeypatch):
    folder, result = estate
    env = result.load.environment
    full = render_documents(_view(result, folder))
    small = render_documents(_view(result, folder, 10, monkeypatch))
    for name in ("architecture.md", "architecture.html"):
        text = small[name]
        assert text.count("Collapsed:") == 3, name  # routes, AEs, devices
        assert f"{len(env.routes)} routes are more than the 10 " in text
        assert f"{len(env.application_entities())} AE titles are more than the 10 " in text
        assert f"{len(env.devices)} devices are more than the 10 " in text
        assert "Collapsed:" not in full[name]
        assert len(text) < len(full[name]), name
        # a route named by no row appears nowhere any more; a named one does
        named = {
            n for g in _view(result, folder, 10, monkeypatch)["route_groups"] for n in g["named"]
        }
        unnamed = [r.name for r in env.routes if r.name not in named]
        routes = _part(
            text,
            "Routes</h3>" if "<h3" in text else "\n### Routes\n",
            "</section>" if "<h3" in text else "\n## ",
        )
        assert unnamed and not any(n in routes for n in unnamed)
        assert all(n in routes for n in named)


def _part(text: str, start: str, end: str) -> str:
    """The text from `start` to the next `end` after it."""
    at = text.index(start)
    return text[at : text.index(end, at + len(start))]


def _table_rows(text: str, start: str, end: str) -> int:
    """Body rows of the first table after `start` (up to `end`), in either format."""
    part = _part(text, start, end)
    if "<table>" in part:
        return part.count("<tr") - 1
    return sum(1 for line in part.splitlines() if line.startswith("| ")) - 1


def test_collapsed_tables_render_one_row_per_group(estate, monkeypatch):
    folder, result = estate
    view = _view(result, folder, 10, monkeypatch)
    documents = render_documents(view)
    sections = {
        "route_groups": ("\n### Routes\n", '<h3 id="routes">', "\n## ", "</section>"),
        "ae_groups": (
            "\n## Application entities\n",
            '<section id="application-entities">',
            "\n## ",
            "</section>",
        ),
    }
    for key, (md_start, html_start, md_end, html_end) in sections.items():
        assert _table_rows(documents["architecture.md"], md_start, md_end) == len(view[key])
        assert _table_rows(documents["architecture.html"], html_start, html_end) == len(view[key])
    first = view["inventory"][0]
    assert _table_rows(documents["architecture.md"], f"\n### Site {first['site']}\n", "\n#") == len(
        first["device_groups"]
    )


def test_at_the_limit_nothing_changes(estate, monkeypatch):
    """A limit equal to the number of routes, AEs and devices keeps every table whole,
    and the documents are the very ones the shipped limit gives."""
    folder, result = estate
    env = result.load.environment
    full = render_documents(_view(result, folder))
    assert len(env.routes) <= render_module.DETAIL_LIMIT
    for limit in (len(env.routes), len(env.application_entities()), len(env.devices)):
        view = _view(result, folder, max(limit, len(env.routes)), monkeypatch)
        assert not view["collapsed"]["routes"]
    view = _view(
        result,
        folder,
        max(len(env.routes), len(env.application_entities()), len(env.devices)),
        monkeypatch,
    )
    assert not any(view["collapsed"][k] for k in ("routes", "aes", "devices"))
    assert len(view["routes"]) == len(env.routes) and view["route_groups"] == []
    assert render_documents(view) == full


def test_every_finding_entity_checklist_and_impact_survive_collapse(seeded, monkeypatch):
    """Collapsed to the extreme (a limit of 1), each route, AE and device with an open
    finding is still named in its table, with the finding's code; the checklist, the
    failure impact and the findings list are exactly as in the full documents."""
    full = _view(seeded, SEEDED)
    view = _view(seeded, SEEDED, 1, monkeypatch)
    env = seeded.load.environment
    entities = {f.entity for f in seeded.active if f.entity}
    routes = {r.name for r in env.routes if identity.route(r.name) in entities}
    aes = {
        ae.ae_title for _, ae in env.application_entities() if identity.ae(ae.ae_title) in entities
    }
    devices = {d.name for d in env.devices if identity.device(d.name) in entities}
    assert routes and aes and devices, (routes, aes, devices)
    listed = {n for g in view["route_groups"] for n in g["with_findings"]}
    assert listed == routes
    assert {n for g in view["ae_groups"] for n in g["with_findings"]} == aes
    assert {
        n for s in view["inventory"] for g in s["device_groups"] for n in g["with_findings"]
    } == devices
    for g in view["route_groups"]:
        codes = {
            f.code
            for f in seeded.active
            if f.entity in {identity.route(n) for n in g["with_findings"]}
        }
        assert set(g["checks"]) == codes
    for key in ("checklist", "continuity", "findings", "suppressions", "paths", "summary"):
        assert view[key] == full[key], key
    documents = render_documents(view)
    for text in documents.values():
        for name in routes | aes | devices:
            assert name in text


# --- docs --check: the read bound follows the text ---------------------------------------


def test_a_document_longer_in_utf8_than_64_mib_is_compared_exactly(tmp_path):
    """33 Mi characters of non-ASCII text: a legal document (the render bound is 64 Mi
    characters) but 66 MiB in UTF-8. Before, it was read bounded at 64 MiB, read as
    missing, and so always "stale" and rewritten on every run."""
    text = "<!-- imgpolicy-docs as-of=2026-11-28 -->\n" + "é" * (33 * 1024 * 1024)
    assert len(text.encode("utf-8")) > 64 * 1024 * 1024
    files = {"architecture.md": text}
    assert [written for _, written in write(str(tmp_path), files)] == [True]
    assert stale(str(tmp_path), files) == []
    assert [written for _, written in write(str(tmp_path), files)] == [False]
    assert recorded_date(str(tmp_path)) == datetime.date(2026, 11, 28)


def test_a_file_one_byte_longer_or_shorter_is_stale(tmp_path):
    text = "# Imaging architecture\nété\n"
    path = tmp_path / "architecture.md"
    for content in (text + "x", text[:-1], text.replace("é", "e")):
        path.write_text(content, encoding="utf-8")
        assert stale(str(tmp_path), {"architecture.md": text}) == [str(path)]
    path.write_text(text, encoding="utf-8")
    assert stale(str(tmp_path), {"architecture.md": text}) == []


def test_shipped_limit_is_one_number(monkeypatch):
    """The templates say the limit the view model carries, not one of their own."""
    shipped = Path(render_module.__file__).parents[1] / "templates" / "docs"
    text = "".join(p.read_text(encoding="utf-8") for p in shipped.rglob("*.j2"))
    assert str(render_module.DETAIL_LIMIT) not in text.replace(",", "")
    assert "doc.collapsed.limit" in text


@pytest.mark.parametrize("which", ["estate", "seeded", "regional"])
def test_collapsed_rows_agree_with_the_full_table(which, request, monkeypatch):
    """Each collapsed route row counts, from the rows of the full table it stands for,
    the disabled, lossy and de-identified routes, and carries their modalities and
    transfer syntaxes; each AE row the character sets of its AEs."""
    if which == "estate":
        folder, result = request.getfixturevalue("estate")
    elif which == "seeded":
        folder, result = SEEDED, request.getfixturevalue("seeded")
    else:
        folder = EXAMPLES / "regional-health"
        result = check((str(folder),), Config(), today=TODAY)
    full = _view(result, folder)
    view = _view(result, folder, 1, monkeypatch)
    members: dict = {}
    for group in view["route_groups"]:
        rows = [r for r in full["routes"] if r["to"] == group["to"]]
        rows = [r for r in rows if r["purpose"] == group["purpose"]]
        rows = [
            r for r in rows if _source(result, r["from"]) == (group["from_kind"], group["from"])
        ]
        members[id(group)] = rows
        assert len(rows) == group["count"]
        expected = {
            "disabled": sum(not r["enabled"] for r in rows),
            "lossy": sum(bool(r["lossy"]) for r in rows),
            "de-identified": sum(bool(r["deidentify"]) for r in rows),
            "storage commitment": sum(bool(r["commitment"]) for r in rows),
        }
        for note, n in expected.items():
            assert (f"{note}: {n}" in group["notes"]) == (n > 0), (note, group)
        assert set(group["carries_modalities"]) == {
            m for r in rows for m in r["carries_modalities"]
        }
        assert set(group["transfer_syntax"]) == {t for r in rows for t in r["transfer_syntax"]}
    assert sum(len(rows) for rows in members.values()) == len(full["routes"])
    if which == "regional":  # lossy routes and storage commitment are there to count
        notes = " ".join(n for g in view["route_groups"] for n in g["notes"])
        assert "lossy: " in notes and "storage commitment: " in notes
    for group in view["ae_groups"]:
        rows = [
            a
            for a in full["aes"]
            if (a["site"], a["kind"], a["roles"], a["tls"])
            == (group["site"], group["kind"], group["roles"], group["tls"])
        ]
        assert len(rows) == group["count"]
        assert group["character_sets"] == sorted({c for a in rows for c in a["character_sets"]})


def _source(result, title: str) -> tuple[str, str]:
    device = result.index.device_of(title)
    if device is not None and device.kind == "modality":
        return ("site", device.site)
    return ("ae", title)
