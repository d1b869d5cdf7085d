"""`imgpolicy import ... --into ENV_DIR`: add the nodes of a deployment to an environment.

A team imports several nodes one after another (two Orthancs, a dcmqrscp) into the
environment it already keeps. Each node's configuration names its peers, and the
environment already has many of them, so the import is merged, not appended:

- an imported AE whose title the environment knows, on the same host (or where the source
  does not name the host), is that device: it is left out and the environment's own
  definition is kept (IMPORT028);
- an AE title known on another host, a host:port known under another AE title, a title
  that differs only by case, or an AE the known device does not list are conflicts
  (IMPORT026): left out, with both places, for a person to decide;
- a new device whose name is taken gets a suffix (IMPORT027), and integrations that name
  it follow; routes and integrations the environment already has are not repeated.

Nothing the user wrote is ever rewritten: the additions go to a NEW file in ENV_DIR,
`imported-<device>.yaml`, whose first line carries the source and a SHA-256 of the rest.
A later import of the same source replaces that file only while the hash still matches;
once someone edits it, it is theirs, and the import writes another file. Before anything
is written, the environment is loaded together with the new file (in a private temporary
folder): if the two would not load together, nothing is written and the findings say why.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import identity
from ..codes import CODES
from ..findings import Finding, Location, Related, Severity
from ..load.files import Exclusions
from .common import (
    AE,
    Device,
    ImportFailed,
    ImportResult,
    Integration,
    Route,
    format_finding,
    render,
    safe_name,
)

MARKER = "# imgpolicy-import-into:"
"""The first line of a file `--into` wrote: `MARKER sha256=<hex> source=<source key>`."""

_MARKER_LINE = re.compile(r"# imgpolicy-import-into: sha256=([0-9a-f]{64}) source=(.+)")
_PLACEHOLDER_HOST = ".invalid"
"""`common.placeholder_hostname`: the source does not name the host (RFC 2606)."""


@dataclass
class Edit:
    """One file `--into` writes: its text now ('' when new) and its new text."""

    path: str
    old: str
    new: str

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=self.path if self.old else "/dev/null",
                tofile=self.path,
            )
        )


@dataclass
class Plan:
    """What `--into` will do: the files it writes (old and new text), and why."""

    env_dir: str
    target: str
    """This source's generated file: its own from an earlier import, or a new one."""
    edits: list[Edit] = field(default_factory=list)
    """The target first, then other generated files whose peer stub this import replaces;
    empty when there is nothing to write (nothing new, and no earlier file)."""
    findings: list[Finding] = field(default_factory=list)
    added: int = 0
    matched: int = 0
    conflicts: int = 0
    notes: list[str] = field(default_factory=list)
    """Sentences for standard error (an edited generated file kept as the user's...)."""

    @property
    def changed(self) -> bool:
        return any(edit.old != edit.new for edit in self.edits)

    def diff(self) -> str:
        """The unified diff of every file that changes, as `--dry-run` prints it."""
        return "".join(edit.diff() for edit in self.edits if edit.old != edit.new)

    def summary(self) -> str:
        def count(n: int, word: str) -> str:
            return f"{n} {word}{'s' if n != 1 else ''}"

        return (
            f"{count(self.added, 'device')} added, {self.matched} found in "
            f"{self.env_dir}, {count(self.conflicts, 'conflict')}"
        )


# --- the environment as the import sees it ---------------------------------------------


def _host(name: str) -> str:
    return name.lower().rstrip(".")


def _endpoints(device, ae) -> set[tuple[str, int | None]]:
    """(host, port) of each connection an AE uses (all of the device's when it names none);
    hosts the source does not name (`*.invalid`) are not endpoints."""
    wanted = set(ae.connections)
    return {
        (_host(c.hostname), c.port)
        for c in device.connections
        if (not wanted or c.name in wanted) and not _host(c.hostname).endswith(_PLACEHOLDER_HOST)
    }


class Known:
    """The devices, AEs, routes and integrations of the environment, minus this source's
    own generated file (which the import replaces), indexed as the matching needs them."""

    def __init__(self, load, own: str | None, superseded: Iterable[object] = ()) -> None:
        env = load.environment
        self.load = load
        self.own = own
        gone = {id(d) for d in superseded}
        self.devices = [d for d in env.devices if self._file(d) != own and id(d) not in gone]
        self.device_names = {d.name for d in self.devices}
        self.titles: dict[str, tuple] = {}
        self.folded: dict[str, tuple] = {}
        self.endpoints: dict[tuple[str, int], tuple] = {}
        for device in self.devices:
            for ae in device.application_entities:
                self.titles[ae.ae_title] = (device, ae)
                self.folded.setdefault(ae.ae_title.upper(), (device, ae))
                for host, port in _endpoints(device, ae):
                    if port is not None:
                        self.endpoints.setdefault((host, port), (device, ae))
        self.routes = [r for r in env.routes if self._file(r) != own]
        self.integrations = [i for i in env.integrations if self._file(i) != own]
        self.sites = {s.name for s in env.sites}

    def _file(self, item: object) -> str:
        return self.load.environment.origin(item)[0]

    def where(self, item: object, *path: str | int) -> Location:
        return self.load.location(item, *path)


# --- matching -----------------------------------------------------------------------------


def _origin_text(*items: AE | Device | Route | Integration) -> str:
    """Where the import found an item (its provenance comment), for messages."""
    for item in items:
        for line in item.above:
            if line:
                return line
    return "the import"


@dataclass
class _Outcome:
    """What the merge decided for one imported device."""

    keep: list[AE] = field(default_factory=list)
    matched_to: object = None
    """The environment's device this one is (by AE title and host)."""
    dropped: set[str] = field(default_factory=set)
    """AE titles left out for a conflict."""


class Merger:
    """Decides, device by device, what of an import the environment already has."""

    def __init__(self, known: Known, result: ImportResult, env_dir: str) -> None:
        self.known = known
        self.result = result
        self.env_dir = env_dir
        self.findings: list[Finding] = []
        self.renamed: dict[str, str | None] = {}
        """Imported device name -> its name in the environment (None: left out)."""
        self.dropped_titles: set[str] = set()
        self.matched = 0
        """Imported devices the environment already has."""

    def finding(
        self, code: str, message: str, where: Location, entity: str, detail: str = ""
    ) -> None:
        """A finding with the severity the code has in the catalogue."""
        severity = CODES[code].severity
        self.findings.append(Finding(code, severity, message, where, entity=entity, detail=detail))

    # --- one AE ---

    def _match_ae(self, device: Device, ae: AE, outcome: _Outcome) -> None:
        ends = _endpoints(device, ae)
        known = self.known.titles.get(ae.ae_title)
        source = _origin_text(ae, device)
        if known is not None:
            kdevice, kae = known
            there = self.known.where(kae, "ae_title")
            khosts = _endpoints(kdevice, kae)
            if ends and khosts and not {h for h, _ in ends} & {h for h, _ in khosts}:
                self._conflict(
                    ae,
                    f"AE title {ae.ae_title} is on {_show(khosts)} in the environment, but on "
                    f"{_show(ends)} in the import ({source}): one AE title, two hosts; left "
                    "out: correct whichever is wrong",
                    there,
                    outcome,
                    "other-host",
                )
                return
            self._same_port(ae, ends, khosts, there, source)
            outcome.matched_to = outcome.matched_to or kdevice
            how = (
                "by AE title and host"
                if ends and khosts
                else "by AE title (the source names no host)"
                if khosts
                else "by AE title (the environment names no host for it)"
            )
            self.finding(
                "IMPORT028",
                f"AE title {ae.ae_title} ({source}) is device '{kdevice.name}' of the "
                f"environment, matched {how}: its definition there is kept",
                there,
                identity.ae(ae.ae_title),
            )
            return
        folded = self.known.folded.get(ae.ae_title.upper())
        if folded is not None:
            self._conflict(
                ae,
                f"AE title {ae.ae_title} ({source}) differs only by case from "
                f"{folded[1].ae_title} of device '{folded[0].name}': DICOM AE titles are "
                "case-sensitive, but peers that compare them case-insensitively (Orthanc's "
                "default) take them for one AE; left out: use one spelling",
                self.known.where(folded[1], "ae_title"),
                outcome,
                "case",
            )
            return
        for end in sorted(e for e in ends if e[1] is not None):
            owner = self.known.endpoints.get(end)  # type: ignore[arg-type]
            if owner is None:
                continue
            kdevice, kae = owner
            self._conflict(
                ae,
                f"{end[0]}:{end[1]} is AE {kae.ae_title} of device '{kdevice.name}' in the "
                f"environment, but AE {ae.ae_title} in the import ({source}): a renamed AE, "
                f"or an AE of '{kdevice.name}' its definition does not list; left out: "
                f"add it to '{kdevice.name}' or correct the AE title",
                self.known.where(kae, "ae_title"),
                outcome,
                "other-title",
            )
            return
        outcome.keep.append(ae)

    def _same_port(self, ae: AE, ends, khosts, there: Location, source: str) -> None:
        """The same AE on the same host, on two ports (both stated): a C-MOVE or a route
        to one of them fails. Reported; the environment's definition is kept."""
        hosts = {h for h, _ in ends} & {h for h, _ in khosts}
        ports = {p for h, p in ends if h in hosts and p is not None}
        kports = {p for h, p in khosts if h in hosts and p is not None}
        if ports and kports and not ports & kports:
            self.finding(
                "IMPORT026",
                f"AE {ae.ae_title} listens on port {_ports(kports)} in the environment, but "
                f"on {_ports(ports)} in the import ({source}); the environment's definition "
                "is kept: correct whichever is wrong",
                there,
                identity.ae(ae.ae_title),
                detail="port",
            )

    def _conflict(
        self,
        ae: AE,
        message: str,
        there: Location,
        outcome: _Outcome,
        detail: str,
        drop: bool = True,
    ) -> None:
        self.finding("IMPORT026", message, there, identity.ae(ae.ae_title), detail=detail)
        if drop:
            outcome.dropped.add(ae.ae_title)
            self.dropped_titles.add(ae.ae_title)

    # --- one device ---

    def device(self, device: Device) -> Device | None:
        """The device as it goes into the generated file, or None when left out."""
        outcome = _Outcome()
        for ae in device.application_entities:
            self._match_ae(device, ae, outcome)
        if outcome.matched_to is not None:
            kdevice = outcome.matched_to
            self.matched += 1
            self.renamed[device.name] = kdevice.name  # type: ignore[attr-defined]
            for ae in outcome.keep:
                self._conflict(
                    ae,
                    f"AE {ae.ae_title} ({_origin_text(ae, device)}) is on device "
                    f"'{kdevice.name}' (matched by its other AEs), whose "  # type: ignore[attr-defined]
                    "definition does not list it; left out: add it there",
                    self.known.where(kdevice, "name"),
                    outcome,
                    "missing-ae",
                )
            return None
        if device.application_entities and not outcome.keep:
            self.renamed[device.name] = None
            return None
        new = dataclasses.replace(device, application_entities=outcome.keep)
        new.name = self._free_name(device)
        self.renamed[device.name] = new.name
        return new

    def _free_name(self, device: Device) -> str:
        taken = self.known.device_names | {n for n in self.renamed.values() if n}
        name, n = device.name, 1
        while name in taken:
            n += 1
            suffix = f"-{n}"
            name = device.name[: 64 - len(suffix)] + suffix
        if name != device.name:
            clash = next(d for d in self.known.devices if d.name == device.name)
            self.finding(
                "IMPORT027",
                f"device name '{device.name}' ({_origin_text(device)}) is taken by another "
                f"device of the environment: the imported one is written as '{name}'",
                self.known.where(clash, "name"),
                identity.device(device.name),
            )
        return name

    # --- what refers to devices and AEs ---

    def routes(self, routes: list[Route]) -> list[Route]:
        """Routes the environment lacks; none from or to an AE left out for a conflict."""
        have = {(r.from_, r.to, r.purpose) for r in self.known.routes}
        names = {r.name: r for r in self.known.routes}
        kept: list[Route] = []
        for route in routes:
            if {route.from_ae, route.to_ae} & self.dropped_titles:
                self.finding(
                    "IMPORT026",
                    f"route '{route.name}' ({_origin_text(route)}) joins "
                    f"{' and '.join(sorted({route.from_ae, route.to_ae} & self.dropped_titles))}, "
                    "left out for a conflict (above); left out too",
                    Location(self.env_dir, 0, 0),
                    identity.route(route.name),
                    detail="route",
                )
                continue
            if (route.from_ae, route.to_ae, route.purpose) in have:
                continue  # the environment already routes these studies
            name = self._free(route.name, names, "route")
            names[name] = route
            kept.append(dataclasses.replace(route, name=name))
        return kept

    def integrations(self, integrations: list[Integration]) -> list[Integration]:
        """Integrations the environment lacks, naming devices as the environment does."""
        have = {(i.kind, i.source, i.target, i.endpoint) for i in self.known.integrations}
        names = {i.name: i for i in self.known.integrations}
        kept: list[Integration] = []
        for item in integrations:
            source = self.renamed.get(item.source, item.source)
            target = self.renamed.get(item.target, item.target)
            if source is None or target is None:
                continue  # its device was left out for a conflict, reported above
            if (item.kind, source, target, item.endpoint) in have:
                continue
            name = self._free(item.name, names, "integration")
            names[name] = item
            kept.append(dataclasses.replace(item, name=name, source=source, target=target))
        return kept

    def _free(self, wanted: str, taken: dict[str, object], kind: str) -> str:
        """`wanted`, or `wanted-2`, `-3`... when the environment (or this import) has it."""
        name, n = wanted, 1
        while name in taken:
            n += 1
            name = f"{wanted[:60]}-{n}"
        if name != wanted:
            clash = taken[wanted]
            known = any(clash is item for item in [*self.known.routes, *self.known.integrations])
            self.finding(
                "IMPORT027",
                f"{kind} name '{wanted}' is taken in the environment: the imported one is "
                f"written as '{name}'",
                self.known.where(clash, "name") if known else Location(self.env_dir, 0, 0),
                identity.entity(kind, wanted),
            )
        return name

    def site(self, result: ImportResult) -> None:
        """The site the devices were imported at should be one of the environment's."""
        sites = sorted({d.site for d in result.devices} - self.known.sites)
        if sites and self.known.sites:
            self.finding(
                "IMPORT026",
                f"site {', '.join(sites)} of the imported devices is not a site of the "
                f"environment ({', '.join(sorted(self.known.sites))}): pass --site with one",
                Location(self.env_dir, 0, 0),
                identity.site(sites[0]),
                detail="site",
            )


def _show(ends: Iterable[tuple[str, int | None]]) -> str:
    return ", ".join(f"{h}:{p}" if p else h for h, p in sorted(ends, key=str)) or "no host"


def _ports(ports: set[int]) -> str:
    return "/".join(str(p) for p in sorted(ports))


def _rel(path: str, base: str) -> str:
    rel = os.path.relpath(path, base)
    return path if rel.startswith("..") else rel


# --- the generated file ------------------------------------------------------------------


def _hash(body: str) -> str:
    return hashlib.sha256(body.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def _generated(text: str) -> tuple[str, bool] | None:
    """(source key, still as written) of a file `--into` wrote; None for any other file."""
    first, _, body = text.partition("\n")
    match = _MARKER_LINE.fullmatch(first.rstrip("\r"))
    if not match:
        return None
    return match.group(2), match.group(1) == _hash(body)


def _own_file(load, source: str) -> tuple[str | None, list[str]]:
    """This source's generated file still as written (None if there is none), and the
    generated files of this source that someone has edited since (kept as theirs)."""
    own, edited = None, []
    for path, loaded in load.sources.items():
        found = _generated(loaded.text)
        if found and found[0] == source:
            if found[1] and own is None:
                own = path
            else:
                edited.append(path)
    return own, edited


def _target(env_dir: str, result: ImportResult, taken: Iterable[str]) -> str:
    """A new file in ENV_DIR named after the imported node, never an existing file."""
    first = result.devices[0].name if result.devices else "source"
    stem = "imported-" + safe_name(first, "source").lower()
    taken = set(taken)
    n = 1
    while True:
        path = os.path.join(env_dir, f"{stem}{'' if n == 1 else f'-{n}'}.yaml")
        if not os.path.lexists(path) and path not in taken:
            return path
        n += 1


def _document(result: ImportResult, merger: Merger, source: str, env_dir: str) -> str:
    """The generated file: marker (source, hash of the rest), header, devices..."""
    where = _where_shown(env_dir)
    lines = [
        "Written by `imgpolicy import --into`: importing the same source again replaces this",
        "file while the line above still matches it; edit it and it becomes yours (the next",
        "import then writes a new file beside it).",
    ]
    if merger.findings:
        # without line numbers: the lines of other generated files move when they are
        # imported again, and this file must stay the same when nothing else changed
        shown = [
            format_finding(dataclasses.replace(f, location=Location(where(f), 0, 0)))
            for f in merger.findings
        ]
        lines += ["", f"Merged into {os.path.basename(os.path.abspath(env_dir))}:"]
        lines += ["  " + line for line in sorted(shown)]
        lines.append("")
    result.header[:0] = [*lines]
    return _marked(render(result), source)


def _where_shown(env_dir: str):
    """A finding's file relative to ENV_DIR (the folder's own name for the folder)."""

    def where(finding: Finding) -> str:
        path = finding.location.path if finding.location else env_dir
        rel = _rel(path, env_dir)
        return os.path.basename(os.path.abspath(env_dir)) if rel == "." else rel

    return where


def _marked(body: str, source: str) -> str:
    return f"{MARKER} sha256={_hash(body)} source={source}\n{body}"


# --- a node's own definition replaces what a peer's configuration said of it -------------


@dataclass
class Stub:
    """A device another import wrote from its source's peer table (a DicomModalities or
    HostTable entry: kind other, no SCP capabilities known), that this import's own
    configuration of the node now describes."""

    path: str
    device: object
    """The environment's `Device`."""


def _stubs(load, own: str | None, node: Device | None) -> list[Stub]:
    """The peer stubs of `node` (the imported configuration's own device, which comes
    first) in other generated files still as written: devices after their file's first
    whose AE titles are all `node`'s."""
    if node is None:
        return []
    titles = {ae.ae_title for ae in node.application_entities}
    stubs = []
    for device in load.environment.devices:
        file, loc = load.environment.origin(device)
        found = _generated(load.sources[file].text)
        mine = {ae.ae_title for ae in device.application_entities}
        if file != own and found and found[1] and loc[1] > 0 and mine and mine <= titles:
            stubs.append(Stub(file, device))
    return stubs


def _adopt(node: Device, stubs: list[Stub], merger: Merger) -> None:
    """The node takes its stub's name (so what names that device keeps working) and, where
    its own configuration names no host, the host the peer table gave."""
    known = merger.known
    for stub in stubs:
        device = stub.device
        titles = ", ".join(ae.ae_title for ae in device.application_entities)  # type: ignore[attr-defined]
        merger.finding(
            "IMPORT028",
            f"AE {titles} was device '{device.name}' of {_rel(stub.path, merger.env_dir)}, "  # type: ignore[attr-defined]
            "written from another configuration's peer table; this import's definition "
            "of the node itself replaces it there (same name, so what refers to it holds)",
            known.where(device, "name"),
            identity.device(device.name),  # type: ignore[attr-defined]
        )
    first = stubs[0].device
    node.name = first.name  # type: ignore[attr-defined]
    hosts = {
        c.hostname
        for s in stubs
        for c in s.device.connections  # type: ignore[attr-defined]
        if not _host(c.hostname).endswith(_PLACEHOLDER_HOST)
    }
    if len(hosts) == 1:
        (host,) = hosts
        for conn in node.connections:
            if _host(conn.hostname).endswith(_PLACEHOLDER_HOST):
                conn.hostname = host
                conn.notes["hostname"] = (
                    f"from {_rel(stubs[0].path, merger.env_dir)} (the peer table that named it)"
                )


def _keep_hosts(devices: list[Device], load, own: str) -> None:
    """Hosts an earlier import of this source learned (from the peer table that named the
    node) stay where the configuration itself still names none: re-importing loses nothing."""
    earlier = {
        (d.name, c.name): c.hostname
        for d in load.environment.devices
        if load.environment.origin(d)[0] == own
        for c in d.connections
        if not _host(c.hostname).endswith(_PLACEHOLDER_HOST)
    }
    for device in devices:
        for conn in device.connections:
            host = earlier.get((device.name, conn.name))
            if host and _host(conn.hostname).endswith(_PLACEHOLDER_HOST):
                conn.hostname = host
                conn.notes["hostname"] = "kept from an earlier import of this source"


def _without_device(text: str, line: int, note: str) -> str:
    """A generated file's text without the device item whose `name` is on `line` (with the
    comments just above it), `note` in its place; the marker's hash made to match again."""
    lines = text.splitlines(keepends=True)
    start = line - 1
    while start > 1 and lines[start - 1].startswith("  #"):
        start -= 1
    end = line
    while end < len(lines):
        body = lines[end].rstrip("\r\n")
        if body.strip() and len(body) - len(body.lstrip(" ")) <= 2:
            break
        end += 1
    while end > line and not lines[end - 1].strip():
        end -= 1  # the blank line before the next item stays
    kept = [*lines[1:start], f"  # {note}\n", *lines[end:]]
    source = _MARKER_LINE.fullmatch(lines[0].rstrip("\r\n"))
    assert source is not None  # only generated files get here
    return _marked("".join(kept), source.group(2))


# --- the plan ----------------------------------------------------------------------------


def plan(result: ImportResult, env_dir: str, source: str) -> Plan:
    """Merge `result` into the environment under `env_dir` (not written yet). `source`
    identifies what was imported (`orthanc /etc/orthanc/orthanc.json`)."""
    from ..config import ConfigError, resolve_config
    from ..load import load_environment

    if not os.path.isdir(env_dir):
        raise ImportFailed(f"{env_dir}: --into needs the environment's folder")
    try:
        config = resolve_config(None, (env_dir,))
    except ConfigError as err:
        raise ImportFailed(str(err)) from None
    exclusions = config.exclusions()
    load = load_environment([env_dir], exclusions)
    if not load.files:
        raise ImportFailed(load.nothing_found([env_dir]))
    own, edited = _own_file(load, source)
    broken = [
        f
        for f in load.findings
        if f.severity is Severity.ERROR and (f.location is None or f.location.path != own)
    ]
    if broken:
        raise ImportFailed(
            f"{env_dir} does not load, so nothing can be merged into it: fix these first "
            f"(`imgpolicy check {env_dir}`):\n" + "\n".join(format_finding(f) for f in broken)
        )
    node = result.devices[0] if result.devices else None
    stubs = _stubs(load, own, node)
    merger = Merger(Known(load, own, [s.device for s in stubs]), result, env_dir)
    if node is not None and stubs:
        _adopt(node, stubs, merger)
    if own:
        _keep_hosts(result.devices, load, own)
    merger.site(result)
    merged = ImportResult(header=list(result.header), findings=list(result.findings))
    merged.devices = [d for d in map(merger.device, result.devices) if d is not None]
    merged.integrations = merger.integrations(result.integrations)
    merged.routes = merger.routes(result.routes)

    target = own or _target(env_dir, result, load.files)
    if exclusions.matches(target, env_dir, is_dir=False):
        raise ImportFailed(
            f"{target} would not be part of the environment: {exclusions.source} excludes it "
            "(exclude:); narrow that pattern, or import with -o into a folder it covers"
        )
    outcome = Plan(env_dir, target, findings=merger.findings)
    outcome.added = len(merged.devices)
    outcome.matched = merger.matched
    outcome.conflicts = sum(1 for f in merger.findings if f.code == "IMPORT026")
    for path in edited:
        outcome.notes.append(
            f"{path} was written by an earlier import of this source and edited since: it "
            "is yours now and stays as it is"
        )
    if not (merged.devices or merged.routes or merged.integrations or own):
        return outcome
    old = load.sources[own].text if own else ""
    outcome.edits.append(Edit(target, old, _document(merged, merger, source, env_dir)))
    texts = {stub.path: load.sources[stub.path].text for stub in stubs}
    for stub in sorted(stubs, key=lambda s: -load.location(s.device, "name").line):
        texts[stub.path] = _without_device(
            texts[stub.path],
            load.location(stub.device, "name").line,
            f"{stub.device.name}: defined by {os.path.basename(target)}, "  # type: ignore[attr-defined]
            "imported from the node's own configuration",
        )
    outcome.edits += [Edit(path, load.sources[path].text, text) for path, text in texts.items()]
    _loads_together(env_dir, exclusions, [own, *texts], outcome.edits)
    return outcome


def _loads_together(
    env_dir: str, exclusions: Exclusions, replaced: list[str | None], edits: list[Edit]
) -> None:
    """The environment, with `edits` in place of the files they replace, loads; else
    `ImportFailed` with the findings, placed in the files as they would be written."""
    from ..load import load_environment
    from ..load.files import survey

    files = [f for f in survey([env_dir], exclusions).files if f not in replaced]
    with tempfile.TemporaryDirectory(prefix="imgpolicy-into-") as folder:
        copies: dict[str, str] = {}
        for i, edit in enumerate(edits):
            copy = os.path.join(folder, str(i), os.path.basename(edit.path))
            os.makedirs(os.path.dirname(copy))
            with open(copy, "w", encoding="utf-8") as handle:
                handle.write(edit.new)
            copies[copy] = edit.path
        both = load_environment([*files, *copies], exclusions)
    problems = [_placed(f, copies) for f in both.findings if f.severity is Severity.ERROR]
    if problems:
        raise ImportFailed(
            f"the import would not load together with {env_dir}, so nothing was written:\n"
            + "\n".join(format_finding(f) for f in problems)
        )


def _placed(finding: Finding, copies: dict[str, str]) -> Finding:
    """A finding about a temporary copy, shown at the file as it would be written."""

    def move(loc: Location | None) -> Location | None:
        if loc is None or loc.path not in copies:
            return loc
        return dataclasses.replace(loc, path=copies[loc.path])

    related = tuple(Related(move(r.location) or r.location, r.message) for r in finding.related)
    return dataclasses.replace(finding, location=move(finding.location), related=related)


def write(outcome: Plan) -> None:
    """Write the plan's files (the stubs' files first: should a write fail, the environment
    lacks the node rather than defining it twice), unless one changed since it was read."""
    from ..fsutil import read_bounded, write_atomic

    for edit in outcome.edits:
        try:
            limit = len(edit.old.encode("utf-8")) + 1
            now = read_bounded(edit.path, limit).decode("utf-8") if edit.old else None
        except (OSError, UnicodeDecodeError):
            now = None
        if now != edit.old if edit.old else os.path.lexists(edit.path):
            raise ImportFailed(f"{edit.path} changed while importing; run the import again")
    for edit in reversed(outcome.edits):
        if edit.old != edit.new:
            write_atomic(edit.path, edit.new)


def source_key(importer: str | None, source: str | None, params: dict) -> str:
    """What identifies an import's source across runs: the importer and the configuration's
    absolute path, or the URL without user info (never a password in a file)."""
    import urllib.parse

    if source:
        where = os.path.abspath(source)
    else:
        url = urllib.parse.urlsplit(str(params.get("url") or ""))
        netloc = url.netloc.rpartition("@")[2]
        where = urllib.parse.urlunsplit((url.scheme, netloc, url.path.rstrip("/"), "", ""))
    return f"{importer or 'import'} {where}".replace("\n", " ")
