"""The view model: everything the architecture documents show, as plain dicts and lists.

Built once from a `CheckResult` (the merged environment, the rule results) and the
`Index` (flow analysis: what each route carries), then handed to the Markdown and the
HTML templates alike, so both say the same thing. Values are strings, numbers, booleans,
lists and dicts, in a fixed order: the same environment and date give the same documents.
The two diagrams are pre-rendered strings (`Markup` SVG, escaped Mermaid).
"""

from __future__ import annotations

import calendar
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from .. import __version__, dicom, identity
from ..analysis import continuity, outage, worklist
from ..analysis.capacity import format_size, project
from ..analysis.index import Index, is_storage, keyword
from ..analysis.retention import requirement
from ..audit.evidence import Evidence, Measured
from ..catalogue import catalogue
from ..config import Config
from ..engine import CheckResult, configured_rule
from ..findings import Finding, Severity
from ..model.types import Duration
from ..redact import ENV_REFERENCE
from . import mermaid, svg
from .checklist import LISTS
from .checklist import Item as ChecklistItem
from .topology import OriginPaths, build_graph, origin_paths

PROJECTION_YEARS = 5
DETAIL_LIMIT = 2_000
"""The most routes, AEs or devices the documents list one row each. Above it that table is
collapsed into one row per group (routes by source, destination and purpose; AEs and
devices per site), naming the first few members and every one with an open finding: at
about 550 characters of HTML per route, 2,000 rows are already more than anyone reviews
line by line, while 400,000 would pass the documents' size bound (`MAX_DOCUMENT_CHARS`).
The one place the limit is set; the templates read it from the view model."""
NAMED_IN_GROUP = 3
"""How many members a collapsed row names, in file order, besides those with findings."""
BEYOND_CALENDAR = "beyond 9999"
"""What a date past 9999-12-31 (the last one Python has) is shown as."""
LOOKAHEAD_YEARS = 30
"""How far the projection looks for the point a tier fills, beyond the 5 years shown."""

KIND_LABELS = {
    "modality": "Acquisition modality",
    "pacs": "PACS",
    "vna": "VNA",
    "ris": "RIS",
    "router": "Router",
    "ai": "AI server",
    "viewer": "Viewer",
    "dose-monitor": "Dose monitor",
    "workstation": "Workstation",
    "reporting": "Reporting",
    "emr": "EHR / EMR",
    "interface-engine": "Interface engine",
    "mwl-broker": "Worklist broker",
    "audit-repository": "Audit record repository",
    "time-server": "Time server",
    "radiopharmacy": "Radiopharmacy",
    "deidentifier": "De-identifier",
    "image-exchange": "Image exchange gateway",
    "printer": "Printer",
    "cardiology-pvs": "Cardiology PVS",
    "other": "Other",
}
PRIORITIES = ("stat", "urgent", "routine", "screening")
METRICS = (
    ("ctdivol_mgy", "CTDIvol (mGy)"),
    ("dlp_mgy_cm", "DLP (mGy·cm)"),
    ("dap_gy_cm2", "DAP/KAP (Gy·cm²)"),
    ("air_kerma_mgy", "Air kerma (mGy)"),
    ("agd_mgy", "AGD (mGy)"),
    ("activity_mbq", "Activity (MBq)"),
    ("fluoro_time_min", "Fluoro time (min)"),
)
CHARSET_DEFAULT = "ISO_IR 6 (default)"
_METRIC_NAMES = {key: label.rsplit(" (", 1)[0] for key, label in METRICS}
"""A dose metric's name without its unit ("ctdivol_mgy" -> "CTDIvol"), as the dose audit's
evidence names metrics by the reference levels' keys."""


def build_view(
    result: CheckResult,
    *,
    root: str,
    today: date,
    config: Config | None = None,
    evidence: Evidence | None = None,
) -> dict[str, Any]:
    """The view model of `result` (a check of the environment at `root`) as of `today`;
    `config` says which rules were selected (default: all); `evidence` what audits
    measured (`imgpolicy docs --evidence`)."""
    return _Builder(result, root, today, config or Config(), evidence).build()


class _Builder:
    def __init__(
        self,
        result: CheckResult,
        root: str,
        today: date,
        config: Config,
        evidence: Evidence | None = None,
    ):
        from ..rules.registry import all_rules

        self.evidence = evidence
        self.selected = {code for code in all_rules() if config.selects(code)}
        self.config = config
        self.result = result
        self.env = result.load.environment
        self.today = today
        root = os.path.abspath(root)
        self.root = root if os.path.isdir(root) else os.path.dirname(root)
        index = result.index
        reusable = isinstance(index, Index) and index.today == today
        self.index: Index = (
            index if isinstance(index, Index) and reusable else Index(result.load, today)
        )
        self.by_entity: dict[str, list[Finding]] = defaultdict(list)
        for finding in result.active:
            if finding.entity:
                self.by_entity[finding.entity].append(finding)
        self.sites = {s.name: s for s in self.env.sites}

    # --- helpers --------------------------------------------------------------------

    def rel(self, path: str) -> str:
        """A file path relative to the environment folder, with `/`, whatever the cwd."""
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return rel.replace(os.sep, "/")

    def checks(self, *entities: str) -> list[str]:
        """Codes of the open findings about these entities, for a table's last column."""
        codes = sorted({f.code for e in entities for f in self.by_entity.get(e, ())})
        return codes

    def finding(self, f: Finding) -> dict[str, Any]:
        entry = catalogue().get(f.code)
        loc = f.location
        return {
            "code": f.code,
            "name": entry.name if entry else "",
            "severity": f.severity.label,
            "message": f.message,
            "location": f"{self.rel(loc.path)}:{loc.line}" if loc else "",
            "suppressed": f.suppressed is not None,
            "suppression_kind": f.suppressed.kind if f.suppressed else "",
            "reason": f.suppressed.reason if f.suppressed else "",
        }

    def year_end(self, years: int) -> date | None:
        """`today` moved on by `years` years (29 February -> 28); None past 9999-12-31,
        the last date there is, which a projection from a far-future `today` reaches."""
        day = self.today
        year = day.year + years
        if year > date.max.year:
            return None
        return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))

    def after(self, days: int) -> str:
        """The month `days` after today, `2031-04`; "beyond 9999" past the calendar."""
        try:
            return (self.today + timedelta(days=days)).isoformat()[:7]
        except OverflowError:
            return BEYOND_CALENDAR

    def ae_site(self, title: str) -> str:
        device = self.index.device_of(title)
        return device.site if device else ""

    # --- sections -----------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        graph = build_graph(self.index)
        collapsed = self.collapsed()
        view: dict[str, Any] = {
            "collapsed": collapsed,
            "meta": self.meta(),
            "summary": self.summary(),
            "inventory": self.inventory(),
            "aes": [] if collapsed["aes"] else self.aes(),
            "ae_groups": self.ae_groups() if collapsed["aes"] else [],
            "conformance": self.conformance(),
            "routes": [] if collapsed["routes"] else self.routes(),
            "route_groups": self.route_groups() if collapsed["routes"] else [],
            "paths": self.paths(),
            "topology": {
                "svg": svg.topology(graph),
                "mermaid": mermaid.topology(graph),
                "nodes": len(graph.nodes),
                "edges": len(graph.edges),
                "bundled_routes": sum(e.count for e in graph.edges),
            },
            "worklist": self.worklist(),
            "integrations": self.integrations(),
            "storage": self.storage(),
            "capacity": self.capacity(),
            "retention": self.retention(),
            "continuity": self.continuity(),
            "dose": self.dose(),
            "ai": self.ai(),
            "turnaround": self.turnaround(),
            "checklist": self.checklist(),
            "suppressions": [self.finding(f) for f in self.result.findings if f.suppressed],
            "findings": [self.finding(f) for f in self.result.active],
        }
        view["sections"] = SECTIONS
        return view

    def collapsed(self) -> dict[str, Any]:
        """Which per-entity tables are too long to list row by row (`DETAIL_LIMIT`)."""
        env = self.env
        return {
            "limit": DETAIL_LIMIT,
            "named": NAMED_IN_GROUP,
            "routes": len(env.routes) > DETAIL_LIMIT,
            "aes": len(env.application_entities()) > DETAIL_LIMIT,
            "devices": len(env.devices) > DETAIL_LIMIT,
        }

    def meta(self) -> dict[str, Any]:
        files = sorted(self.rel(p) for p in self.result.load.files)
        organisation = self.env.organisation
        return {
            "title": f"{organisation.name}: imaging architecture"
            if organisation
            else "Imaging architecture",
            "organisation": organisation.name
            if organisation
            else ", ".join(s.name for s in self.env.sites),
            "organisation_name": organisation.name if organisation else "",
            "sites": ", ".join(s.name for s in self.env.sites),
            "today": self.today.isoformat(),
            "tool": "imgpolicy",
            "version": __version__,
            "files": files,
            "file_count": len(files),
        }

    def summary(self) -> dict[str, Any]:
        env, index = self.env, self.index
        sites = []
        at_site: dict[str, list] = defaultdict(list)  # one pass, not one per site
        for device in env.devices:
            at_site[device.site].append(device)
        for site in env.sites:
            devices = at_site.get(site.name, [])
            sites.append(
                {
                    "name": site.name,
                    "description": site.description or "",
                    "jurisdiction": site.jurisdiction,
                    "region": site.region,
                    "timezone": site.timezone or "",
                    "teleradiology": site.teleradiology is not None,
                    "contract": _reading_contract(site.teleradiology),
                    "emergency": site.emergency,
                    "patient_id_issuer": site.patient_id_issuer or "",
                    "devices": len(devices),
                    "aes": sum(len(d.application_entities) for d in devices),
                    "modalities": sum(1 for d in devices if d.kind == "modality"),
                }
            )
        kinds: Counter[str] = Counter(d.kind for d in env.devices)
        kind_aes: Counter[str] = Counter(
            d.kind for d in env.devices for _ in d.application_entities
        )
        by_kind = [
            {"kind": k, "label": KIND_LABELS.get(k, k), "devices": kinds[k], "aes": kind_aes[k]}
            for k in KIND_LABELS
            if kinds[k]
        ]
        modalities: dict[str, Counter] = defaultdict(Counter)
        for device in env.devices:
            if device.kind != "modality":
                continue
            for code in device.modality or ["?"]:
                modalities[code][device.site] += 1
        site_order = {s.name: i for i, s in enumerate(env.sites)}
        by_modality = [
            {
                "modality": code,
                "devices": sum(counts.values()),
                "sites": [
                    {"site": s, "count": counts[s]}
                    for s in sorted(counts, key=lambda s: (site_order.get(s, 99), s))
                ],
            }
            for code, counts in sorted(modalities.items())
        ]
        active = self.result.active
        return {
            "sites": sites,
            "site_links": [
                {
                    "name": link.name,
                    "sites": list(link.sites),
                    "encryption": link.encryption,
                    "encrypts": link.encrypts,
                    "description": link.description or "",
                    "checks": self.checks(identity.entity("site-link", link.name)),
                }
                for link in env.site_links
            ],
            "counts": {
                "sites": len(env.sites),
                "devices": len(env.devices),
                "aes": len(env.application_entities()),
                "acquisition_aes": sum(
                    len(d.application_entities) for d in env.devices if d.kind == "modality"
                ),
                "routes": len(env.routes),
                "archive_of_record": sorted(index.archive_titles),
                "ai_products": len(env.ai),
                "integrations": len(env.integrations),
                "storage_tiers": len(env.tiers),
                "retention_policies": len(env.retention),
            },
            "by_kind": by_kind,
            "by_modality": by_modality,
            "results": {
                "error": sum(1 for f in active if f.severity is Severity.ERROR),
                "warning": sum(1 for f in active if f.severity is Severity.WARNING),
                "info": sum(1 for f in active if f.severity is Severity.INFO),
                "suppressed": sum(1 for f in self.result.findings if f.suppressed),
                "rules_ran": self.result.rules_ran,
            },
        }

    def inventory(self) -> list[dict[str, Any]]:
        env = self.env
        site_names = [s.name for s in env.sites]
        site_names += sorted({d.site for d in env.devices} - set(site_names))
        collapse = self.collapsed()["devices"]
        by_site = defaultdict(list)
        for device in env.devices:
            by_site[device.site].append(device)
        out = []
        for name in site_names:
            site = self.sites.get(name)
            rows = [self._device_row(d) for d in by_site[name]]
            out.append(
                {
                    "site": name,
                    "declared": site is not None,
                    "description": site.description if site and site.description else "",
                    "jurisdiction": site.jurisdiction if site else "",
                    "devices": [] if collapse else rows,
                    "device_count": len(rows),
                    "device_groups": _device_groups(rows) if collapse else [],
                }
            )
        return out

    def _device_row(self, d) -> dict[str, Any]:
        """One device as the inventory lists it."""
        return {
            "name": d.name,
            "kind": d.kind,
            "kind_label": KIND_LABELS.get(d.kind, d.kind),
            "modality": ", ".join(d.modality),
            "manufacturer": d.manufacturer or "",
            "model": d.model or "",
            "version": d.software_version or "",
            "installed": d.installed.isoformat() if d.installed else "",
            "conformance": d.conformance_statement or "",
            "description": d.description or "",
            "archive_of_record": d.is_archive_of_record,
            "aes": [ae.ae_title for ae in d.application_entities],
            "checks": self.checks(identity.device(d.name)),
        }

    def aes(self) -> list[dict[str, Any]]:
        rows = [self._ae_row(device, ae) for device, ae in self.env.application_entities()]
        rows.sort(key=lambda r: (r["title"].casefold(), r["title"], r["device"]))
        return rows

    def ae_groups(self) -> list[dict[str, Any]]:
        """The AE table collapsed: one row per site, device kind, role and TLS, in site
        order, folded from the rows the full table would have."""
        rows = (self._ae_row(device, ae) for device, ae in self.env.application_entities())
        groups = _collapse(
            rows,
            lambda r: (r["site"], r["kind"], r["roles"], r["tls"]),
            "title",
            lists=("character_sets",),
        )
        out = []
        for group in groups:
            first = group.first
            row = {k: first[k] for k in ("site", "kind", "roles", "tls")} | group.row()
            row["kind_label"] = KIND_LABELS.get(first["kind"], first["kind"])
            row["character_sets"] = sorted(group.listed("character_sets"))
            out.append(row)
        order = self._site_order()
        kinds = {kind: i for i, kind in enumerate(KIND_LABELS)}
        out.sort(key=lambda g: (order(g["site"]), kinds.get(g["kind"], len(kinds)), g["kind"]))
        return out

    def _site_order(self):
        """A sort key putting sites in their declared order, undeclared ones after."""
        declared = {s.name: i for i, s in enumerate(self.env.sites)}
        return lambda name: (declared.get(name, len(declared)), name)

    def _ae_row(self, device, ae) -> dict[str, Any]:
        """One AE as the AE table lists it."""
        by_name = {c.name: c for c in device.connections}
        names = ae.connections or [c.name for c in device.connections]
        conns = []
        for name in names:
            conn = by_name.get(name)
            if conn is None:
                conns.append(
                    {
                        "name": name,
                        "address": f"{name} (not declared)",
                        "tls": False,
                        "listens": True,
                    }
                )
                continue
            address = f"{conn.hostname}:{conn.port}" if conn.port else conn.hostname
            conns.append(
                {
                    "name": name,
                    "address": address,
                    "tls": conn.uses_tls,
                    "listens": conn.port is not None,
                }
            )
        tls = [c["tls"] for c in conns]
        return {
            "title": ae.ae_title,
            "device": device.name,
            "site": device.site,
            "kind": device.kind,
            "description": ae.description or "",
            "connections": conns,
            "initiator": ae.initiator,
            "acceptor": ae.acceptor,
            "roles": " / ".join(
                r for r, on in (("initiator", ae.initiator), ("acceptor", ae.acceptor)) if on
            )
            or "none",
            "tls": "yes" if tls and all(tls) else ("partly" if any(tls) else "no"),
            "character_sets": list(ae.character_sets) or [CHARSET_DEFAULT],
            "checks": self.checks(identity.ae(ae.ae_title)),
        }

    def conformance(self) -> dict[str, Any]:
        profiles: dict[tuple, list[str]] = {}
        used_ts: set[str] = set()
        for _, ae in self.env.application_entities():
            caps = self.index.capabilities.get(ae.ae_title, {})
            key = tuple(
                sorted(
                    (sop, role, tuple(ts))
                    for role, by_sop in caps.items()
                    for sop, ts in by_sop.items()
                )
            )
            if not key:
                continue
            profiles.setdefault(key, []).append(ae.ae_title)
        out: list[dict[str, Any]] = []
        for key, titles in profiles.items():
            titles = sorted(dict.fromkeys(titles), key=lambda t: (t.casefold(), t))
            rows: dict[str, dict[str, Any]] = {}
            for sop, role, ts in key:
                row = rows.setdefault(
                    sop,
                    {
                        "sop": keyword(sop),
                        "uid": sop,
                        "name": _uid_name(sop),
                        "storage": is_storage(sop),
                        "SCU": [],
                        "SCP": [],
                    },
                )
                row[role] = [keyword(t) for t in ts]
                used_ts.update(ts)
            ordered = sorted(rows.values(), key=lambda r: (not r["storage"], r["sop"]))
            out.append({"aes": titles, "rows": ordered})
        out.sort(key=lambda p: (p["aes"][0].casefold(), p["aes"][0]))
        for i, profile in enumerate(out, 1):
            profile["id"] = f"P{i}"
        syntaxes = [
            {
                "keyword": keyword(uid),
                "uid": uid,
                "name": _uid_name(uid),
                "lossy": dicom.is_lossy(uid),
            }
            for uid in sorted(used_ts, key=lambda u: (keyword(u), u))
        ]
        private = [
            {
                "name": u.name,
                "uid": u.uid,
                "kind": u.kind,
                "lossy": u.lossy,
                "description": u.description or "",
            }
            for u in sorted(self.env.private_uids, key=lambda u: (u.kind, u.name))
        ]
        return {
            "profiles": out,
            "private_uids": private,
            "transfer_syntaxes": syntaxes,
            "aes_without_capabilities": sorted(
                ae.ae_title
                for _, ae in self.env.application_entities()
                if not ae.transfer_capabilities
            ),
        }

    def routes(self) -> list[dict[str, Any]]:
        return [self._route_row(route) for route in self.env.routes]

    def route_groups(self) -> list[dict[str, Any]]:
        """The route table collapsed: one row per source (acquisition modalities grouped
        by site, as the topology draws them; any other source by its AE), destination
        and purpose, in file order, built from the rows the full table would have."""
        index = self.index

        def source(row: dict[str, Any]) -> tuple[str, str]:
            device = index.device_of(row["from"])
            if device is not None and device.kind == "modality":
                return ("site", device.site)
            return ("ae", row["from"])

        rows = (self._route_row(route) for route in self.env.routes)
        groups = _collapse(
            rows,
            lambda r: (*source(r), r["to"], r["purpose"]),
            "name",
            lists=("carries_modalities", "carries_classes", "transfer_syntax"),
            counted=(("cross_site", lambda r: r["cross_site"]), *ROUTE_NOTES),
        )
        out = []
        for group in groups:
            first = group.first
            from_kind, from_ = source(first)
            row = {"from_kind": from_kind, "from": from_} | group.row()
            row |= {k: first[k] for k in ("to", "purpose", "to_archive", "from_site", "to_site")}
            modalities = sorted(group.listed("carries_modalities"))
            if "derived" in modalities:
                modalities = [m for m in modalities if m != "derived"] + ["derived"]
            row["carries_modalities"] = modalities
            row["carries_classes"] = sorted(group.listed("carries_classes"))
            row["transfer_syntax"] = group.listed("transfer_syntax")
            row["cross_site"] = group.counts["cross_site"]
            row["notes"] = [
                f"{note}: {group.counts[note]}" for note, _ in ROUTE_NOTES if group.counts[note]
            ]
            out.append(row)
        return out

    def _route_row(self, route) -> dict[str, Any]:
        """One route as the route table lists it."""
        index, flow = self.index, self.index.flow
        carried = flow.carries(route)
        modalities = sorted({m for m, _ in carried if m})
        if any(not m for m, _ in carried):
            modalities.append("derived")
        classes = sorted({keyword(s) for _, s in carried})
        if route.match is None:
            match = f"everything that reaches {route.from_}"
        else:
            parts = []
            m = route.match
            if m.modality:
                parts.append("modality " + ", ".join(m.modality))
            if m.sop_classes:
                parts.append(", ".join(keyword(s) for s in m.sop_classes))
            if m.calling_ae:
                parts.append("from " + ", ".join(m.calling_ae))
            if m.body_part:
                parts.append("body part " + ", ".join(m.body_part))
            match = "; ".join(parts) or "everything that reaches " + route.from_
        if route.transfer_syntax:
            syntaxes = [route.transfer_syntax]
        else:
            syntaxes = []
            for sop in sorted(
                {s for _, s in carried} or set(route.match.sop_classes if route.match else ())
            ):
                for ts in index.route_syntaxes(route, sop):
                    if ts not in syntaxes:
                        syntaxes.append(ts)
        src_site, dst_site = self.ae_site(route.from_), self.ae_site(route.to)
        return {
            "name": route.name,
            "from": route.from_,
            "to": route.to,
            "from_device": (index.device_of(route.from_) or _NoDevice).name,
            "to_device": (index.device_of(route.to) or _NoDevice).name,
            "from_site": src_site,
            "to_site": dst_site,
            "cross_site": bool(src_site and dst_site and src_site != dst_site),
            "purpose": route.purpose,
            "priority": route.priority,
            "enabled": route.enabled,
            "match": match,
            "carries_modalities": modalities,
            "carries_classes": classes,
            "transfer_syntax": [keyword(t) for t in syntaxes],
            "declared_syntax": route.transfer_syntax is not None,
            "lossy": any(dicom.is_lossy(t) for t in syntaxes),
            "to_archive": route.to in index.archive_titles,
            "per_class": [
                f"{keyword(sop)}: {keyword(ts)}"
                for sop, ts in sorted(route.transfer_syntaxes.items(), key=lambda i: keyword(i[0]))
            ],
            "method": route.method or "",
            "commitment": route.commitment,
            "deidentify": route.deidentify.profile if route.deidentify else "",
            "lossy_approved": route.lossy_approved or "",
            "description": route.description or "",
            "checks": self.checks(identity.route(route.name)),
        }

    def paths(self) -> dict[str, Any]:
        index, env = self.index, self.env
        archive = index.archive_titles
        tele_sites = {s.name for s in env.sites if s.teleradiology}
        ai_hosts = {p.runs_on for p in env.ai}
        tele_targets = {r.to for r in env.routes if r.purpose == "teleradiology"}
        groups: dict[tuple[str, int], list[str]] = {}
        naming = _Naming(index)
        memo: dict[tuple, OriginPaths] = {}
        filters: dict = {}
        seen: set[str] = set()
        # what a walk reaches, worked out once per walk: each origin reaches an AE or
        # more per site, so doing it per origin cost origins x sites; the same
        # destinations (the same chains) are numbered once, and origins grouped by number
        destinations: dict[int, tuple[OriginPaths, int]] = {}
        numbered: dict[tuple, int] = {}
        chains: list[tuple] = []

        def number(found: OriginPaths) -> int:
            known = destinations.get(id(found))
            if known is None:
                chained = _destinations(index, found, archive, ai_hosts, tele_targets, tele_sites)
                if chained not in numbered:
                    numbered[chained] = len(chains)
                    chains.append(chained)
                known = destinations[id(found)] = (found, numbered[chained])
            return known[1]

        for device, ae in env.application_entities():
            title = ae.ae_title
            if not index.flow.origin(title) or title in seen:
                continue
            seen.add(title)
            # origins that send the same items over the same routes, are named as calling
            # AE by routes of the same shape and receive nothing take the same paths: walk
            # them once (a router with one rule per modality is walked once per kind)
            key = None
            if not index.routes_to.get(title):
                key = (
                    frozenset(index.flow.origin(title)),
                    naming.shape(title),
                    tuple(
                        (r.to, r.purpose, r.enabled, _match_key(r.match))
                        for r in index.routes_from.get(title, ())
                    ),
                )
            found = memo.get(key) if key else None
            if found is None:
                found = origin_paths(index, title, filters)
                if key:
                    memo[key] = found
            modality = "/".join(device.modality) or device.kind
            groups.setdefault((modality, number(found)), []).append(title)
        rows: list[dict[str, Any]] = []
        for (modality, chained), titles in groups.items():
            archived, ai, tele, dose = chains[chained]
            rows.append(
                {
                    "modality": modality,
                    "origins": sorted(titles, key=lambda t: (t.casefold(), t)),
                    "archive": [list(c) for c in archived],
                    "ai": [list(c) for c in ai],
                    "teleradiology": [list(c) for c in tele],
                    "dose": [list(c) for c in dose],
                    "archived": bool(archived),
                }
            )
        rows.sort(key=lambda r: (r["modality"], r["origins"][0]))
        return {
            "rows": rows,
            "archive_of_record": sorted(archive),
            "never_archived": sum(len(r["origins"]) for r in rows if not r["archived"]),
        }

    def worklist(self) -> dict[str, Any]:
        index = self.index
        entries = []
        for entry in self.env.worklist:
            provider = index.device_of(entry.provider)
            mpps = index.device_of(entry.mpps_destination) if entry.mpps_destination else None
            entries.append(
                {
                    "provider": entry.provider,
                    "provider_device": provider.name if provider else "",
                    "mpps": entry.mpps_destination or "",
                    "mpps_device": mpps.name if mpps else "",
                    "consumers": list(entry.consumers),
                    "count": len(entry.consumers),
                    "description": entry.description or "",
                    "checks": self.checks(identity.entity("worklist", entry.provider)),
                }
            )
        # the AEs WL001 reports, as it decides (encounter-based devices need none)
        unserved = sorted(ae.ae_title for _, ae in worklist.unserved(index))
        no_mpps = sorted(
            {c for e in self.env.worklist if not e.mpps_destination for c in e.consumers}
        )
        return {"entries": entries, "unserved": unserved, "without_mpps": no_mpps}

    def integrations(self) -> list[dict[str, Any]]:
        rows = []
        for item in self.env.integrations:
            scheme = item.endpoint.split("://", 1)[0].lower() if "://" in item.endpoint else ""
            credentials = []
            if item.credentials:
                for name in ("username", "password", "token", "api_key"):
                    value = getattr(item.credentials, name)
                    if value is None:
                        continue
                    if name == "username":
                        credentials.append("username")
                    elif ENV_REFERENCE.fullmatch(value.strip()):
                        credentials.append(f"{name} (reference)")
                    else:
                        credentials.append(f"{name} (literal value, not shown)")
            source, target = (
                self.index.devices.get(item.source),
                self.index.devices.get(item.target),
            )
            rows.append(
                {
                    "name": item.name,
                    "kind": item.kind,
                    "kind_label": {"hl7": "HL7 v2", "fhir": "FHIR", "dicomweb": "DICOMweb"}[
                        item.kind
                    ],
                    "source": item.source,
                    "target": item.target,
                    "source_site": source.site if source else "",
                    "target_site": target.site if target else "",
                    "endpoint": item.endpoint,
                    "scheme": scheme,
                    "secure": scheme in ("https", "mllps"),
                    "what": ", ".join(item.messages or item.services),
                    "credentials": credentials,
                    "description": item.description or "",
                    "checks": self.checks(identity.entity("integration", item.name)),
                }
            )
        return rows

    def storage(self) -> dict[str, Any]:
        env = self.env
        tiers = [
            {
                "name": t.name,
                "device": t.device,
                "tier": t.tier,
                "role": t.role,
                "replica_of": t.replica_of or "",
                "high_water": f"{t.high_water * 100:g}%" if t.high_water is not None else "",
                "capacity": format_size(t.capacity),
                "used": format_size(t.used) if t.used is not None else "",
                "used_percent": round(100 * t.used / t.capacity, 1)
                if t.used and t.capacity
                else 0.0,
                "description": t.description or "",
                "checks": self.checks(identity.entity("tier", t.name)),
            }
            for t in env.tiers
        ]
        lifecycle = []
        for lc in env.lifecycle:
            steps = []
            for step in sorted(lc.steps, key=lambda s: s.after.days):
                steps.append(
                    f"after {step.after}: move to {step.to}"
                    if step.action == "move"
                    else f"after {step.after}: purge"
                )
            if not any(s.action == "purge" for s in lc.steps):
                steps.append("never purged")
            lifecycle.append(
                {
                    "name": lc.name,
                    "tier": lc.tier,
                    "modality": ", ".join(lc.modality) or "all",
                    "site": lc.site or "all",
                    "steps": steps,
                    "description": lc.description or "",
                    "checks": self.checks(identity.entity("lifecycle", lc.name)),
                }
            )
        volumes = []
        for v in env.volumes:
            yearly = v.annual_studies * v.mean_study_size
            volumes.append(
                {
                    "site": v.site,
                    "modality": ", ".join(v.modality),
                    "tier": v.tier,
                    "annual_studies": f"{v.annual_studies:,}",
                    "mean_study_size": format_size(v.mean_study_size),
                    "annual_volume": format_size(yearly),
                    "growth": f"{v.annual_growth * 100:g}%",
                }
            )
        total = sum(v.annual_studies * v.mean_study_size for v in env.volumes)
        studies = sum(v.annual_studies for v in env.volumes)
        return {
            "tiers": tiers,
            "lifecycle": lifecycle,
            "volumes": volumes,
            "total_annual_volume": format_size(total) if env.volumes else "",
            "total_annual_studies": f"{studies:,}",
        }

    def capacity(self) -> dict[str, Any]:
        env = self.env
        years = PROJECTION_YEARS
        year_ends = [self.year_end(k) for k in range(1, years + 1)]
        labels = ["today"] + [e.isoformat()[:7] if e else BEYOND_CALENDAR for e in year_ends]
        ends = [e.isoformat() if e else BEYOND_CALENDAR for e in year_ends]
        if not env.tiers:
            return {
                "years": years,
                "labels": labels,
                "ends": ends,
                "rows": [],
                "chart": svg.capacity_chart([], labels),
                "fills_within": [],
                "lookahead": LOOKAHEAD_YEARS,
            }
        projected = project(env.tiers, env.lifecycle, env.volumes, LOOKAHEAD_YEARS)
        rows = []
        for name, p in projected.items():
            capacity = float(p.capacity) or 1.0
            held = [float(p.start)] + [float(h) for h in p.held[:years]]
            percents = [round(100 * h / capacity, 1) for h in held]
            full_at = p.full_at
            if full_at is None:
                label, year, when, within = f"not within {LOOKAHEAD_YEARS} years", None, "", False
            elif full_at <= 0:
                label, year, when, within = (
                    "over capacity today",
                    0,
                    self.today.isoformat()[:7],
                    True,
                )
            else:
                year = int(full_at) + 1 if full_at % 1 else int(full_at)
                when = self.after(round(full_at * 365.2425))
                within = full_at <= years
                label = f"year {year} ({when})" + (
                    "" if within else f", beyond the {years}-year projection"
                )
            rows.append(
                {
                    "name": name,
                    "device": p.tier.device,
                    "tier": p.tier.tier,
                    "capacity": format_size(p.capacity),
                    "start": format_size(p.start),
                    "held": [format_size(h) for h in held],
                    "percents": percents,
                    "full_at": round(full_at, 3) if full_at is not None else None,
                    "fill_year": year,
                    "fill_date": when,
                    "fill_label": label,
                    "fills_within": within,
                    "bar": _bar(percents[-1]),
                }
            )
        return {
            "years": years,
            "labels": labels,
            "ends": ends,
            "rows": rows,
            "chart": svg.capacity_chart(rows, labels),
            "fills_within": [r["name"] for r in rows if r["fills_within"]],
            "lookahead": LOOKAHEAD_YEARS,
        }

    def retention(self) -> list[dict[str, Any]]:
        env = self.env
        jurisdictions = list(dict.fromkeys(s.jurisdiction for s in env.sites))
        jurisdictions += sorted({p.jurisdiction for p in env.retention} - set(jurisdictions))
        out = []
        for jurisdiction in jurisdictions:
            country = jurisdiction.split("-", 1)[0]
            own = [p for p in env.retention if p.jurisdiction == jurisdiction]
            inherited = [
                p for p in env.retention if country != jurisdiction and p.jurisdiction == country
            ]
            applicable = own + inherited
            sites = [s.name for s in env.sites if s.jurisdiction == jurisdiction]
            modalities = sorted({m for d in env.devices if d.site in sites for m in d.modality})
            effective = []
            for modality in modalities:
                row = {"modality": modality}
                for category in ("adult", "pediatric"):
                    row[category] = _longest(applicable, modality, category)
                effective.append(row)
            out.append(
                {
                    "jurisdiction": jurisdiction,
                    "sites": sites,
                    "policies": [
                        _policy(p) | {"checks": self.checks(identity.entity("retention", p.name))}
                        for p in own
                    ],
                    "inherited": [_policy(p) for p in inherited],
                    "effective": effective,
                }
            )
        return out

    def continuity(self) -> dict[str, Any]:
        index = self.index
        rows = []
        # the plans DR004 found stale (suppressed or not), in one pass over the findings
        stale_plans = {f.entity for f in self.result.findings if f.code == "DR004"}
        for plan in self.env.continuity:
            device = index.devices.get(plan.system)
            site = self.sites.get(device.site) if device else None
            target = self.sites.get(plan.replication.target_site) if plan.replication else None
            fallback = (
                index.devices.get(plan.read_only_fallback) if plan.read_only_fallback else None
            )
            stale = identity.entity("continuity", plan.system) in stale_plans
            tested_on = plan.tested_on
            if tested_on is None:
                tested = "never tested"
            elif tested_on > self.today:
                tested = f"after {self.today}"
            else:
                months = _months_between(tested_on, self.today)
                tested = f"{months} month{'s' if months != 1 else ''} before {self.today}"
            rows.append(
                {
                    "system": plan.system,
                    "kind": device.kind if device else "",
                    "site": device.site if device else "",
                    "region": site.region if site else "",
                    "rpo": str(plan.rpo) if plan.rpo else "",
                    "rto": str(plan.rto) if plan.rto else "",
                    "target_site": plan.replication.target_site if plan.replication else "",
                    "target_region": target.region if target else "",
                    "window": str(plan.replication.window)
                    if plan.replication and plan.replication.window
                    else "",
                    "scope": plan.replication.scope if plan.replication else "",
                    "backups": [
                        f"{b.to_site} every {b.every}" + (" (immutable)" if b.immutable else "")
                        for b in plan.backups
                    ],
                    "fallback": plan.read_only_fallback or "",
                    "fallback_site": fallback.site if fallback else "",
                    "last_tested": tested_on.isoformat() if tested_on else "",
                    "tested": tested,
                    "test_outcome": plan.last_test.outcome if plan.last_test else "",
                    "test_scope": plan.last_test.scope if plan.last_test else "",
                    "tested_ok": tested_on is not None and not stale and "DR004" in self.selected,
                    "description": plan.description or "",
                    "checks": self.checks(
                        identity.entity("continuity", plan.system), identity.device(plan.system)
                    ),
                }
            )
        # the systems DR001, as configured (its critical_kinds), reports without a plan
        kinds = self._rule_option("DR001", "critical_kinds")
        missing = sorted(d.name for d in continuity.without_plan(self.env, kinds))
        critical = [d.name for d in continuity.critical_systems(self.env, kinds)]
        impact = outage.failure_impact(self.index, critical)
        return {"plans": rows, "critical_without_plan": missing, "impact": impact}

    def dose(self) -> dict[str, Any]:
        env = self.env
        levels = env.reference_levels
        metrics = [
            (key, label)
            for key, label in METRICS
            if any(getattr(level, key) is not None for level in levels)
        ]
        rows = []
        for level in levels:
            rows.append(
                {
                    "exam": level.exam,
                    "modality": level.modality,
                    "category": level.patient_category,
                    "site": level.site or "all",
                    "doses": [_number(getattr(level, key)) for key, _ in metrics],
                    "source": level.source or "",
                    "edition": level.edition or "",
                    "checks": self.checks(identity.entity("drl", f"{level.modality}:{level.exam}")),
                }
            )
        monitor = self.index.device_of(env.dose_monitor) if env.dose_monitor else None
        senders = (
            sorted({r.from_ for r in env.routes if r.to == env.dose_monitor})
            if env.dose_monitor
            else []
        )
        alert = env.dose_alert_values
        return {
            "monitor": env.dose_monitor or "",
            "monitor_device": monitor.name if monitor else "",
            "collection": env.dose_collection,
            "collect_from": env.dose_collect_from or "",
            "rrdsr_source": env.dose_rrdsr_source or "",
            "notification_values": [
                {
                    "exam": n.exam,
                    "modality": n.modality,
                    "ctdivol_mgy": _number(n.ctdivol_mgy),
                    "dlp_mgy_cm": _number(n.dlp_mgy_cm),
                    "source": n.source or "",
                }
                for n in env.notification_values
            ],
            "alert_values": {
                "ctdivol_mgy": _number(alert.ctdivol_mgy),
                "dlp_mgy_cm": _number(alert.dlp_mgy_cm),
            }
            if alert
            else {},
            "metrics": [label for _, label in metrics],
            "levels": rows,
            "senders": len(senders),
            "modalities": sorted({lv.modality for lv in levels}),
            "measured": self._dose_measured(),
        }

    def _dose_measured(self) -> list[dict[str, Any]]:
        """The facility's dose distributions a dose audit measured (`--evidence`), each
        with its median and 75th percentile against the DRL and its chart."""
        if self.evidence is None:
            return []
        rows = []
        for series in self.evidence.dose:
            above = (
                series.median is not None and series.drl is not None and series.median > series.drl
            )
            metric = _METRIC_NAMES.get(series.metric, series.metric)
            rows.append(
                {
                    "exam": series.exam,
                    "metric": metric,
                    "unit": series.unit,
                    "n": series.n,
                    "median": _number(series.median),
                    "p75": _number(series.p75),
                    "drl": _number(series.drl),
                    "verdict": "no DRL"
                    if series.drl is None or series.median is None
                    else "median above the DRL"
                    if above
                    else "median within the DRL",
                    "above": above,
                    "measured": series.measured.isoformat(),
                    "chart": svg.dose_chart(series, metric),
                }
            )
        return rows

    def ai(self) -> list[dict[str, Any]]:
        index = self.index
        rows = []
        for product in self.env.ai:
            device = index.device_of(product.runs_on)
            arriving = index.flow.arriving.get(product.runs_on, set())
            fda = product.fda
            rows.append(
                {
                    "name": product.name,
                    "vendor": product.vendor or "",
                    "version": product.version or "",
                    "pathway": {
                        "510k": "510(k)",
                        "de-novo": "De Novo",
                        "pma": "PMA",
                        "hde": "HDE",
                        "none": "none",
                    }.get(fda.pathway, fda.pathway)
                    if fda
                    else "",
                    "decision": _DECISIONS.get(fda.pathway, "") if fda else "",
                    "number": fda.number or "" if fda else "",
                    "cleared_on": fda.decided_on.isoformat() if fda and fda.decided_on else "",
                    "cleared_versions": list(fda.cleared_versions) if fda else [],
                    "deployment": product.deployment,
                    "population": _population(product.cleared_for.population),
                    "monitoring": _monitoring(product.monitoring),
                    "modalities": list(product.cleared_for.modalities),
                    "body_parts": list(product.cleared_for.body_parts),
                    "intended_use": product.cleared_for.intended_use or "",
                    "runs_on": product.runs_on,
                    "device": device.name if device else "",
                    "receives": sorted({m for m, _ in arriving if m}),
                    "results": [f"{r.object} → {', '.join(r.to)}" for r in product.results],
                    "description": product.description or "",
                    "checks": self.checks(identity.entity("ai", product.name)),
                }
            )
        return rows

    def turnaround(self) -> dict[str, Any]:
        table: dict[tuple[str, str], dict[str, str]] = {}
        for target in self.env.turnaround:
            for modality in target.modality:
                row = table.setdefault((modality, target.site or ""), {})
                row[target.priority] = str(target.target)
        used = [p for p in PRIORITIES if any(p in row for row in table.values())]
        rows = [
            {"modality": m, "site": s or "all", "targets": [row.get(p, "") for p in used]}
            for (m, s), row in sorted(table.items())
        ]
        in_use = sorted({m for d in self.env.devices if d.kind == "modality" for m in d.modality})
        covered = {m for m, _ in table}
        return {
            "priorities": used,
            "rows": rows,
            "without_targets": [m for m in in_use if m not in covered],
        }

    def checklist(self) -> dict[str, Any]:
        """The guide's review lists, each item with its status: "met" only where the rules
        establish the item and found nothing open; "partly: ..." where they establish part
        of it; "not checked here" where no rule can (see `checklist.Item`)."""
        result = self.result
        from ..rules.registry import all_rules

        rules = all_rules()
        lists = []
        for title, items in LISTS:
            rows = []
            for item in items:
                open_ = [f for f in result.active if f.code in item.codes]
                hidden = [f for f in result.findings if f.suppressed and f.code in item.codes]
                skipped = [c for c in item.codes if c not in self.selected]
                status, state, detail = self._checklist_status(item, open_, skipped)
                measured = self._measured(item)
                if measured is not None:
                    status, state, detail = _with_evidence(item, measured, status, state, detail)
                rows.append(
                    {
                        "text": item.text,
                        "status": status,
                        "state": state,
                        "detail": detail,
                        "label": f"{state}: {detail}" if detail else state,
                        "codes": [
                            {"code": c, "name": rules[c].name if c in rules else ""}
                            for c in item.codes
                        ],
                        "outside": item.outside,
                        "not_selected": skipped if status != "not-run" else [],
                        "findings": [self.finding(f) for f in open_],
                        "suppressed": [self.finding(f) for f in hidden],
                        "evidence": _evidence_row(measured) if measured else None,
                    }
                )
            counts = Counter(r["status"] for r in rows)
            lists.append(
                {
                    "title": title,
                    "entries": rows,
                    "counts": {s: counts[s] for s in STATUS_LABELS if counts[s]},
                }
            )
        families = []
        for family in (
            "AE",
            "CF",
            "RT",
            "WL",
            "ST",
            "RET",
            "DR",
            "DOSE",
            "AI",
            "TAT",
            "INT",
            "SEC",
        ):
            codes = [c for c in rules if c.rstrip("0123456789") == family]
            found = [f for f in result.findings if f.code in codes]
            families.append(
                {
                    "family": family,
                    "rules": len(codes),
                    "selected": sum(1 for c in codes if c in self.selected),
                    "error": sum(
                        1 for f in found if not f.suppressed and f.severity is Severity.ERROR
                    ),
                    "warning": sum(
                        1 for f in found if not f.suppressed and f.severity is Severity.WARNING
                    ),
                    "info": sum(
                        1 for f in found if not f.suppressed and f.severity is Severity.INFO
                    ),
                    "suppressed": sum(1 for f in found if f.suppressed),
                }
            )
        return {"lists": lists, "families": families}

    def _checklist_status(
        self, item: ChecklistItem, open_: list[Finding], skipped: list[str]
    ) -> tuple[str, str, str]:
        """An item's status, its label and what the rules established (for "met" and
        "partly"). Open findings make it "not met" whatever its coverage; a fully covered
        item whose rules were partly deselected or configured looser than its wording
        (`Bound`) is only partly established."""
        if item.coverage == "document":
            return "met", "met (this document)", ""
        if item.coverage == "none":
            return "not-checked-here", STATUS_LABELS["not-checked-here"], ""
        if not self.result.rules_ran or len(skipped) == len(item.codes):
            return "not-run", STATUS_LABELS["not-run"], ""
        if open_:
            return "not-met", STATUS_LABELS["not-met"], ""
        loose = [b for b in item.bounds if not b.holds(self._rule_option(b.code, b.option))]
        if item.coverage == "full" and not skipped and not loose:
            return "met", STATUS_LABELS["met"], item.checked
        caveats = [
            f"{b.code} configured with {b.option} {self._rule_option(b.code, b.option)}"
            for b in loose
        ]
        checked = item.checked + (f" ({'; '.join(caveats)})" if caveats else "")
        return "partly", STATUS_LABELS["partly"], checked

    def _measured(self, item: ChecklistItem) -> Measured | None:
        """The audit figure that establishes `item`, when evidence was given for it."""
        if self.evidence is None or not item.evidence:
            return None
        return self.evidence.figure(item.evidence)

    def _rule_option(self, code: str, option: str) -> Any:
        """A rule option as this run's configuration sets it (default included)."""
        from ..rules.registry import all_rules

        return configured_rule(self.config, all_rules()[code]).settings[option]


Counted = tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...]
"""(what, test) pairs: a collapsed row counts the members each test holds for."""


class _Group:
    """One row of a collapsed table, folded from the rows the full table would have, one
    at a time (400,000 routes are never held at once): how many, the names (its `name`
    field) of the first `NAMED_IN_GROUP` and of every member with an open finding, the
    codes of those findings, the distinct values of list fields in order of appearance,
    and how many members each `Counted` test holds for."""

    def __init__(self, first: dict[str, Any], name: str):
        self.first, self.name = first, name
        self.count = 0
        self.named: list[str] = []
        self.with_findings: list[str] = []
        self.checks: set[str] = set()
        self.values: dict[str, dict[Any, None]] = defaultdict(dict)
        self.counts: Counter[str] = Counter()

    def add(self, row: dict[str, Any], lists: tuple[str, ...], counted: Counted) -> None:
        self.count += 1
        if len(self.named) < NAMED_IN_GROUP:
            self.named.append(row[self.name])
        if row["checks"]:
            self.with_findings.append(row[self.name])
            self.checks.update(row["checks"])
        for field in lists:
            self.values[field].update(dict.fromkeys(row[field]))
        for what, holds in counted:
            if holds(row):
                self.counts[what] += 1

    def listed(self, field: str) -> list[Any]:
        return list(self.values[field])

    def row(self) -> dict[str, Any]:
        """What every collapsed row shows, whatever the table."""
        return {
            "count": self.count,
            "named": self.named,
            "more": self.count - len(self.named),
            "with_findings": self.with_findings,
            "checks": sorted(self.checks),
        }


def _collapse(
    rows, key, name: str, lists: tuple[str, ...] = (), counted: Counted = ()
) -> list[_Group]:
    """`rows` gathered by `key` into `_Group`s, in order of first appearance."""
    groups: dict[Any, _Group] = {}
    for row in rows:
        k = key(row)
        group = groups.get(k)
        if group is None:
            group = groups[k] = _Group(row, name)
        group.add(row, lists, counted)
    return list(groups.values())


ROUTE_NOTES: Counted = (
    ("disabled", lambda r: not r["enabled"]),
    ("lossy", lambda r: r["lossy"]),
    ("lossy approved", lambda r: r["lossy_approved"]),
    ("de-identified", lambda r: r["deidentify"]),
    ("storage commitment", lambda r: r["commitment"]),
)
"""What an auditor looks for among collapsed routes, counted per row of the route table."""


def _device_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A site's devices collapsed: one row per kind, modality, manufacturer, model,
    version and archive-of-record role, with how many have no conformance statement on
    file and the range of their installation dates."""
    fields = ("kind", "modality", "manufacturer", "model", "version", "archive_of_record")

    def key(row: dict[str, Any]) -> tuple:
        return tuple(row[f] for f in fields)

    by_key: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_key[key(r)].append(r)
    out = []
    for group in _collapse(rows, key, "name"):
        members = by_key[key(group.first)]
        installed = sorted(r["installed"] for r in members if r["installed"])
        if not installed:
            when = ""
        elif installed[0] == installed[-1]:
            when = installed[0]
        else:
            when = f"{installed[0]} to {installed[-1]}"
        row = {f: group.first[f] for f in (*fields, "kind_label")} | group.row()
        row["without_conformance"] = sum(1 for r in members if not r["conformance"])
        row["aes"] = sum(len(r["aes"]) for r in members)
        row["installed"] = when
        out.append(row)
    return out


def _with_evidence(
    item: ChecklistItem, measured: Measured, status: str, state: str, detail: str
) -> tuple[str, str, str]:
    """An item's status once an audit measured it: a figure that misses its target makes
    the item "not met"; one that meets it turns "not checked here" and "partly" into
    "met" (what the rules established stays in the detail). Open findings, unselected
    rules and a figure without a verdict leave the status as the rules had it."""
    if measured.met is False:
        return "not-met", STATUS_LABELS["not-met"], ""
    if measured.met is True and status in ("not-checked-here", "partly"):
        return "met", STATUS_LABELS["met"], item.checked
    return status, state, detail


def _evidence_row(measured: Measured) -> dict[str, Any]:
    """The figure as the checklist shows it, with the date it was measured."""
    return {
        "text": measured.text,
        "measured": measured.measured.isoformat(),
        "audit": measured.audit,
        "verdict": {True: "met", False: "not met", None: "no verdict"}[measured.met],
    }


_DECISIONS = {"510k": "cleared", "de-novo": "granted", "pma": "approved", "hde": "approved"}
"""The FDA's word for each decision: a 510(k) is cleared, a De Novo granted, a PMA or HDE
approved."""


def _reading_contract(contract) -> list[str]:
    """A teleradiology site's contract as short phrases (licensure, credentialing, window,
    BAA), empty for a facility of ours or a contract with nothing recorded."""
    if contract is None:
        return []
    parts = []
    if contract.licensed_in:
        parts.append("licensed in " + ", ".join(contract.licensed_in))
    if contract.credentialing_until:
        parts.append(f"credentialed until {contract.credentialing_until.isoformat()}")
    if contract.coverage:
        parts.append(f"reads {contract.coverage.from_}-{contract.coverage.to}")
    parts.append("BAA" if contract.baa else "no BAA")
    return parts


def _population(population) -> str:
    """The ages a clearance covers, e.g. `age 18+` or `age 2-21`."""
    if population is None or (population.min_age is None and population.max_age is None):
        return ""
    if population.max_age is None:
        return f"age {population.min_age}+"
    return f"age {population.min_age or 0}-{population.max_age}"


def _monitoring(monitoring) -> str:
    """When the product's performance was last reviewed, and how often it is."""
    if monitoring is None:
        return ""
    parts = []
    if monitoring.last_review:
        parts.append(f"reviewed {monitoring.last_review.isoformat()}")
    if monitoring.every:
        parts.append(f"every {monitoring.every}")
    return ", ".join(parts)


STATUS_LABELS = {
    "met": "met",
    "partly": "partly",
    "not-met": "not met",
    "not-checked-here": "not checked here",
    "not-run": "not run (rules not selected)",
}

SECTIONS = (
    ("summary", "Environment summary"),
    ("inventory", "System inventory"),
    ("aes", "Application entities"),
    ("conformance", "Conformance matrix"),
    ("flow", "Study flow"),
    ("worklist", "Worklist and MPPS"),
    ("integrations", "Integrations"),
    ("storage", "Storage tiers and lifecycle"),
    ("capacity", "Capacity projection"),
    ("retention", "Retention"),
    ("continuity", "Disaster recovery"),
    ("dose", "Dose reference levels"),
    ("ai", "Imaging AI"),
    ("turnaround", "Report turnaround"),
    ("checklist", "Compliance checklist"),
    ("suppressions", "Suppressions"),
    ("findings", "Open findings"),
)


def _match_key(match) -> tuple | None:
    if match is None:
        return None
    return (
        tuple(match.modality),
        tuple(match.sop_classes),
        tuple(match.calling_ae),
        tuple(match.body_part),
    )


class _Naming:
    """Which routes name each AE as the calling AE, in a shape that leaves out the AE
    itself, so that origins named by "their own" rule of a router (one rule per modality)
    share one walk of their paths.

    A walk from an origin that receives nothing meets, at a source, the routes without a
    calling-AE filter, those naming a sender on its way, and its own; the routes naming
    another such origin never. So a route naming exactly one AE that receives nothing
    counts as "its own" for that AE; its shape is the source, how many of the other routes
    of the source come before it (the walk's order), where it goes and what it lets
    through. An AE named together with others keeps the exact routes as its key."""

    def __init__(self, index: Index):
        self._own: dict[str, list[tuple]] = defaultdict(list)
        self._shared: dict[str, list[int]] = defaultdict(list)
        for i, route in enumerate(index.env.routes):
            for sender in route.match.calling_ae if route.match else ():
                self._shared[sender].append(i)
        for source, routes in index.routes_from.items():
            others_before = 0
            for route in routes:
                m = route.match
                named = set(m.calling_ae) if m is not None else set()
                if m is not None and len(named) == 1 and not index.routes_to.get(min(named)):
                    match = (tuple(m.modality), tuple(m.sop_classes), tuple(m.body_part))
                    self._own[min(named)].append(
                        (source, others_before, route.to, route.purpose, route.enabled, match)
                    )
                else:
                    others_before += 1

    def shape(self, title: str) -> tuple:
        """The key part for the routes that name `title` (an AE that receives nothing)
        as calling AE: their shapes when each names it alone, else the routes."""
        every, own = self._shared.get(title, []), self._own.get(title, [])
        if len(every) == len(own):
            return ("own", tuple(own))
        return ("exact", tuple(every))


def _destinations(
    index: Index,
    found: OriginPaths,
    archive: frozenset[str] | set[str],
    ai_hosts: set[str],
    tele_targets: set[str],
    tele_sites: set[str],
) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The chains of hops (origin left out) by which a walk's studies reach the archive,
    AI, teleradiology and the dose monitor, each list sorted by destination."""
    env = index.env
    reached = [t for t in found.reached if t != found.origin]

    def chain(target: str) -> tuple[str, ...]:
        return tuple(found.chain(target)[1:])

    archived = sorted(t for t in reached if t in archive)
    ai = sorted(t for t in reached if t in ai_hosts or _kind_of(index, t) == "ai")
    tele = sorted(t for t in reached if t in tele_targets or _site_of(index, t) in tele_sites)
    dose = sorted(t for t in reached if t == env.dose_monitor)
    return tuple(tuple(chain(t) for t in targets) for targets in (archived, ai, tele, dose))


class _NoDevice:
    name = ""


def _kind_of(index: Index, title: str) -> str | None:
    """The kind of the device that holds AE `title` (None for an unknown title)."""
    device = index.device_of(title)
    return device.kind if device else None


def _site_of(index: Index, title: str) -> str | None:
    device = index.device_of(title)
    return device.site if device else None


def _uid_name(uid: str) -> str:
    info = dicom.lookup(uid)
    return info.name if info else uid


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _bar(percent: float, width: int = 20) -> str:
    filled = max(0, min(width, round(percent / 100 * width)))
    return "█" * filled + "░" * (width - filled) + (" ▲" if percent > 100 else "")


def _years(period: Duration) -> str:
    years = period.years
    return f"{years:.0f}y" if abs(years - round(years)) < 0.01 else f"{years:.1f}y"


def _policy(p) -> dict[str, Any]:
    if p.keep_until_age is not None:
        period = f"until age {p.keep_until_age}" + (f" + {p.plus}" if p.plus else "")
        if p.keep is not None:
            period += f", at least {p.keep}"
    else:
        period = str(p.keep)
    return {
        "name": p.name,
        "jurisdiction": p.jurisdiction,
        "modality": ", ".join(p.modality) or "all",
        "category": p.patient_category,
        "period": period,
        "lossless": p.lossless,
        "basis": p.basis or "",
    }


def _longest(policies, modality: str, category: str) -> dict[str, str]:
    best = None
    for policy in policies:
        if policy.modality and modality not in policy.modality:
            continue
        period = requirement(policy, category)
        if period is None:
            continue
        if (
            best is None
            or best[1] < period
            or (not period < best[1] and policy.modality and not best[0].modality)
        ):
            best = (policy, period)
    if best is None:
        return {"period": "", "policy": "", "text": "no policy"}
    policy, period = best
    text = _years(period)
    if (
        category == "pediatric"
        and policy.keep_until_age is not None
        and (policy.keep is None or policy.keep < period)
    ):
        text = (
            f"until age {policy.keep_until_age}"
            + (f" + {policy.plus}" if policy.plus else "")
            + f" ({_years(period)} from birth)"
        )
    return {"period": _years(period), "policy": policy.name, "text": text}


def _months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (negative when it lies ahead)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)
