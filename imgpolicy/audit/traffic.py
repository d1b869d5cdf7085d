"""`imgpolicy audit traffic`: who talked to whom, against what the environment declares.

The practice guide's AE title audit ("identify orphaned AE titles (configured but no
traffic), misconfigured routing (studies going to wrong destinations), and missing
entries (new modalities not configured)") and its Quality Audit figures (routing error
rate, AE inventory), from the exchanges the sources observed.

What is declared, association by association (caller -> called), read like the RT rules
read routes (`Route.effective_method`):

- a c-store route declares `from -> to` for storage; a c-move route declares `from -> to`
  for storage (the C-STORE sub-association) and `to -> from` for the query and the move;
  a c-get route declares `to -> from` (the retriever's association); a route with
  `enabled: false` declares nothing (traffic over it is reported as such);
- a Query/Retrieve SCP's `move_destinations` declare `scp -> destination` for storage;
- an AE's `peers` declare who may associate with it for anything but storage (queries,
  verification): storing studies needs a route, or studies end up where nobody routed them;
- a worklist assignment declares `consumer -> provider` (Modality Worklist C-FIND) and
  `consumer -> mpps_destination` (MPPS N-CREATE/N-SET); a route with `commitment: true`
  declares `to -> from` (the storage commitment result, N-EVENT-REPORT, which PS3.4 J.3.3
  lets the SCP send on an association of its own); a dose monitor with `collection:
  query` declares `monitor -> collect_from` (its query and move request) and
  `collect_from -> monitor` for storage (the retrieved dose SRs).

What the sources "could have seen": a source observes the receivers whose inbound
associations it records (the archive's own records, a receiver's log). The receivers
are the declared AEs called in any observed exchange; the AEs the sources could have seen
are those receivers and every declared AE with a declared flow into one of them (a route,
a move destination, its `peers` entry). Only those can be silent; the others are listed in
a note as not judged (their traffic goes to receivers no source here covers). A source
that records only what was stored (an Orthanc: each instance's RemoteAET) cannot see a
query, a move request or an echo, so flows that store nothing (a prefetch's C-MOVE
request, a peer's queries) make a caller visible only at receivers that a source recording
every association (a DCMTK log, audit messages) covers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .. import identity as keys
from ..analysis.index import Index
from ..codes import CODES
from ..findings import Finding, Location, Related
from ..model.routes import Route
from .observed import Exchange, Source, Window
from .phi import Identity
from .result import AuditResult, Figure

SILENT, SENDER, CALLER, CALLED = "AUDIT001", "AUDIT002", "AUDIT003", "AUDIT004"
FLOW, ASSOCIATION, UNUSED, RATE, REFUSED = (
    "AUDIT005",
    "AUDIT006",
    "AUDIT007",
    "AUDIT008",
    "AUDIT009",
)


def audit(
    index: Index,
    sources: Sequence[Source],
    window: Window,
    *,
    identity: Identity,
    threshold: float = 0.001,
) -> AuditResult:
    """Judge the exchanges `sources` observed in `window` against `index`'s AEs and
    routes. `threshold` is the highest acceptable routing error rate (a fraction).
    Exchanges carry no patient identity, so `identity` has nothing to mask here."""
    del identity  # exchanges carry AE titles, hosts and counts only
    result = AuditResult("traffic")
    exchanges: list[Exchange] = []
    every_association: set[str] = set()
    for source in sources:
        seen = list(source.exchanges(window))
        exchanges.extend(seen)
        if source.records_every_association:
            every_association.update(e.called_ae.strip() for e in seen)
        result.notes.append(_read_note(source.name, seen))
        result.notes.extend(source.notes)
    Traffic(index, exchanges, threshold, every_association).judge(result)
    result.observed = len(exchanges)
    days = sorted(e.when.date() for e in exchanges if e.when)
    if days:
        result.window = (days[0].isoformat(), days[-1].isoformat())
    return result


def _read_note(name: str, seen: list[Exchange]) -> str:
    """What was read from one source, for the report's closing notes."""
    refused = sum(1 for e in seen if not e.accepted)
    objects = sum(e.objects for e in seen)
    days = sorted(e.when.date() for e in seen if e.when)
    period = f" between {days[0]} and {days[-1]}" if days else ""
    return (
        f"Read {len(seen):,} exchanges ({refused:,} refused, {objects:,} objects) from "
        f"{name}{period}"
    )


@dataclass(frozen=True)
class Declared:
    """Why a flow caller -> called is declared: a route, a move destination, a peer."""

    how: str
    route: Route | None = None


@dataclass
class _Flow:
    """The exchanges of one observed flow, caller -> called (AE titles as observed)."""

    caller: str
    called: str
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def stored(self) -> list[Exchange]:
        """The exchanges that carried objects (accepted, with objects or a study)."""
        return [e for e in self.exchanges if e.accepted and (e.objects or e.study_uid)]

    @property
    def accepted(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.accepted]

    @property
    def first(self) -> Exchange:
        return self.exchanges[0]


class Traffic:
    """The judgement, one method per kind of finding."""

    def __init__(
        self,
        index: Index,
        exchanges: Iterable[Exchange],
        threshold: float,
        every_association: set[str] | None = None,
    ) -> None:
        """`every_association`: the called AE titles (as observed) that a source recording
        every association covers; None: all of them (see the module's docstring)."""
        self.index = index
        self.threshold = threshold
        self.flows: dict[tuple[str, str], _Flow] = {}
        for exchange in exchanges:
            key = (exchange.calling_ae.strip(), exchange.called_ae.strip())
            self.flows.setdefault(key, _Flow(*key)).exchanges.append(exchange)
        self.storage, self.associations = declared_flows(index)
        self.receivers = sorted(
            {t for _, called in self.flows if (t := self.declared(called)) is not None}
        )
        self.query_receivers = (
            set(self.receivers)
            if every_association is None
            else {t for c in every_association if (t := self.declared(c)) is not None}
        )

    # --- what the environment declares ---------------------------------------------

    def declared(self, title: str) -> str | None:
        """The declared AE title `title` names: itself, or the one title it matches
        ignoring case (Orthanc compares AE titles so); None when undeclared."""
        if title in self.index.aes:
            return title
        folded = self.index.aes_folded.get(title.casefold(), [])
        return folded[0][1].ae_title if len(folded) == 1 else None

    def why_declared(self, flow: _Flow, storage: bool) -> Declared | None:
        """What declares `flow` (for storage, or for an association without objects)."""
        caller, called = self.declared(flow.caller), self.declared(flow.called)
        if caller is None or called is None:
            return None
        found = self.storage.get((caller, called))
        if found or storage:
            return found
        found = self.associations.get((caller, called))
        if found:
            return found
        _, ae = self.index.aes[called]
        if ae.peers == "any" or (isinstance(ae.peers, list) and caller in ae.peers):
            return Declared("peers")
        return None

    def visible(self) -> set[str]:
        """The declared AEs the sources could have seen (see the module's docstring): the
        receivers, their declared senders, and the declared callers that store nothing
        (queries, move requests, peers) of receivers a source records every association
        of."""
        seen = set(self.receivers)
        for caller, called in self.storage:
            if called in self.receivers:
                seen.add(caller)
        for caller, called in self.associations:
            if called in self.query_receivers:
                seen.add(caller)
        for receiver in self.query_receivers:
            _, ae = self.index.aes[receiver]
            if isinstance(ae.peers, list):
                seen.update(p for p in ae.peers if p in self.index.aes)
        return seen

    def active(self) -> set[str]:
        """Declared AEs in any observed exchange, refused ones included (they are up)."""
        found: set[str] = set()
        for caller, called in self.flows:
            found.update(t for t in (self.declared(caller), self.declared(called)) if t)
        return found

    # --- findings ------------------------------------------------------------------

    def judge(self, result: AuditResult) -> None:
        silent = self.silent(result)
        undeclared = [*self.undeclared_callers(result), *self.undeclared_called(result)]
        misrouted = self.undeclared_flows(result)
        self.unused_routes(result, silent)
        self.refusals(result)
        self.rate(result, misrouted)
        self.inventory(result, silent, undeclared)

    def finding(self, code: str, message: str, location: Location | None, **more) -> Finding:
        return Finding(code, CODES[code].severity, message, location, **more)

    def where_ae(self, title: str) -> Location:
        _, ae = self.index.aes[title]
        return self.index.where(ae, "ae_title")

    def silent(self, result: AuditResult) -> list[str]:
        """AUDIT001: declared AEs the sources could have seen with no traffic at all."""
        visible, active = self.visible(), self.active()
        silent = sorted(visible - active)
        receivers = ", ".join(self.receivers)
        for title in silent:
            device, _ = self.index.aes[title]
            result.findings.append(
                self.finding(
                    SILENT,
                    f"{title} ({device.name}, site {device.site}) is declared to talk to "
                    f"{receivers} but had no association with it in the window: if the "
                    "device is retired, remove it (and its routes); if not, check that it "
                    "still sends",
                    self.where_ae(title),
                    entity=keys.ae(title),
                )
            )
        unjudged = sorted(set(self.index.aes) - visible - self.active())
        if unjudged and self.flows:
            sites = sorted({self.index.aes[t][0].site for t in unjudged})
            shown = ", ".join(unjudged[:8]) + (
                f" and {len(unjudged) - 8} more" if len(unjudged) > 8 else ""
            )
            result.notes.append(
                f"{_n(len(unjudged), 'declared AE')} not judged for silence: no declared flow "
                f"of theirs reaches {receivers or 'a receiver'} the sources observed "
                f"({shown}; sites {', '.join(sites)})"
            )
        return silent

    def undeclared_callers(self, result: AuditResult) -> list[str]:
        """AUDIT002/003: callers the environment does not declare (missing entries)."""
        by_caller: dict[str, list[_Flow]] = defaultdict(list)
        for (caller, _), flow in sorted(self.flows.items()):
            if self.declared(caller) is None:
                by_caller[caller].append(flow)
        for caller, flows in by_caller.items():
            stored = [e for f in flows for e in f.stored]
            exchanges = [e for f in flows for e in f.exchanges]
            called = ", ".join(sorted({f.called for f in flows}))
            hosts = sorted({e.host for e in exchanges if e.host})
            origin = f" from {', '.join(hosts[:3])}" if hosts else ""
            if stored:
                message = (
                    f"{caller}{origin} stored {_objects(stored)} in {called}, but the "
                    f"environment declares no AE {caller}: add its device, AE and route (a "
                    "modality missing from the inventory), or stop it sending"
                )
            else:
                message = (
                    f"{caller}{origin} opened {len(exchanges)} associations with {called} "
                    f"({_refused(exchanges)}), but the environment declares no AE {caller}: "
                    "declare it if it belongs, or find the device misconfigured with it"
                )
            result.findings.append(
                self.finding(
                    SENDER if stored else CALLER,
                    message,
                    flows[0].first.location,
                    entity=keys.ae(caller),
                    detail="undeclared caller",
                )
            )
        return list(by_caller)

    def undeclared_called(self, result: AuditResult) -> list[str]:
        """AUDIT004: AE titles called that the environment does not declare."""
        by_called: dict[str, list[_Flow]] = defaultdict(list)
        for (_, called), flow in sorted(self.flows.items()):
            if self.declared(called) is None:
                by_called[called].append(flow)
        for called, flows in by_called.items():
            exchanges = [e for f in flows for e in f.exchanges]
            callers = ", ".join(sorted({f.caller for f in flows}))
            stored = [e for e in exchanges if e.accepted and (e.objects or e.study_uid)]
            outcome = f"stored {_objects(stored)}" if stored else _refused(exchanges)
            result.findings.append(
                self.finding(
                    CALLED,
                    f"{callers} called AE title {called} {_n(len(exchanges), 'time')} ({outcome}), "
                    f"but no device declares {called}: correct the destination AE title in "
                    f"{callers}'s configuration, or declare {called}",
                    flows[0].first.location,
                    entity=keys.ae(called),
                    detail="undeclared called AE",
                )
            )
        return list(by_called)

    def undeclared_flows(self, result: AuditResult) -> set[tuple[str, str]]:
        """AUDIT005/006: declared AEs talking over flows nothing declares. Returns every
        flow whose stored studies count as misrouted (undeclared AEs' included)."""
        misrouted = set()
        for key, flow in sorted(self.flows.items()):
            caller, called = self.declared(flow.caller), self.declared(flow.called)
            if caller is None or called is None:
                misrouted.add(key)
                continue
            if flow.stored and self.why_declared(flow, storage=True) is None:
                misrouted.add(key)
                result.findings.append(self._undeclared_storage(flow, caller, called))
            elif not flow.stored and flow.accepted and not self.why_declared(flow, False):
                result.findings.append(
                    self.finding(
                        ASSOCIATION,
                        f"{caller} opened {len(flow.accepted)} associations with {called} "
                        f"(queries or verification, no objects), but no route and no "
                        f"`peers` entry of {called} declares it: add {caller} to {called}'s "
                        "peers if it belongs",
                        self.where_ae(called),
                        entity=keys.entity("flow", f"{caller}>{called}"),
                        related=(Related(self.where_ae(caller), f"{caller} is declared here"),),
                    )
                )
        return misrouted

    def _undeclared_storage(self, flow: _Flow, caller: str, called: str) -> Finding:
        disabled = [
            r for r in self.index.routes_from.get(caller, []) if not r.enabled and r.to == called
        ]
        if disabled:
            why = (
                f"route '{disabled[0].name}' declares it with enabled: false: enable the "
                "route, or turn the forwarding off where it runs"
            )
        else:
            why = (
                f"no route declares {caller} -> {called}: declare the route if it is "
                f"intended, else correct {caller}'s destination"
            )
        return self.finding(
            FLOW,
            f"{caller} stored {_objects(flow.stored)} in {called}, but {why}",
            self.where_ae(caller),
            entity=keys.entity("flow", f"{caller}>{called}"),
            related=(Related(self.where_ae(called), f"{called} is declared here"),),
        )

    def unused_routes(self, result: AuditResult, silent: list[str]) -> None:
        """AUDIT007: declared storage routes into an observed receiver that carried
        nothing, while their sender did talk (a silent sender is reported once, as such;
        a flow whose associations were refused is reported as refused, AUDIT009)."""
        used = {
            (self.declared(f.caller), self.declared(f.called))
            for f in self.flows.values()
            if f.stored or len(f.accepted) < len(f.exchanges)
        }
        talked = self.active()
        for (caller, called), declared in sorted(self.storage.items()):
            route = declared.route
            if route is None or called not in self.receivers or (caller, called) in used:
                continue
            if caller in silent or caller not in talked:
                continue
            result.findings.append(
                self.finding(
                    UNUSED,
                    f"route '{route.name}' ({caller} -> {called}) carried no study in the "
                    f"window, though {caller} did talk: its studies go elsewhere, or the "
                    "route is stale (remove it, or set enabled: false)",
                    self.index.where(route),
                    entity=keys.route(route.name),
                )
            )

    def refusals(self, result: AuditResult) -> None:
        """AUDIT009: refused associations and failed transfers, one finding per caller,
        called AE and cause, with the count."""
        counted: dict[tuple[str, str, str], list[Exchange]] = defaultdict(list)
        for (caller, called), flow in self.flows.items():
            for exchange in flow.exchanges:
                if not exchange.accepted:
                    counted[(caller, called, exchange.cause or "no cause given")].append(exchange)
        for (caller, called, cause), exchanges in sorted(counted.items()):
            flow = self.flows[(caller, called)]
            declared = self.why_declared(flow, storage=False)
            if declared is not None and declared.route is not None:
                hint = (
                    f"route '{declared.route.name}' declares this flow: fix the receiver's "
                    "configuration (AE title, peers, accepted SOP classes and transfer "
                    "syntaxes) or the sender's, studies are not arriving"
                )
            elif declared is not None:
                hint = f"{called}'s {declared.how} declares this caller: fix the configuration"
            else:
                hint = "no route declares this flow, so the refusal may be right"
            known = self.declared(caller)
            result.findings.append(
                self.finding(
                    REFUSED,
                    f"{_n(len(exchanges), 'association')} from {caller} to {called} refused "
                    f"or failed: {cause}; {hint}",
                    self.where_ae(known) if known else exchanges[0].location,
                    entity=keys.entity("flow", f"{caller}>{called}"),
                    detail=cause,
                )
            )

    def rate(self, result: AuditResult, misrouted: set[tuple[str, str]]) -> None:
        """The routing error rate: studies that arrived over undeclared flows / studies
        observed (transfers when the sources name no study), against the threshold."""
        stored = [(key, e) for key, f in self.flows.items() for e in f.stored]
        named = [(key, e) for key, e in stored if e.study_uid]
        if named:
            unit = "studies"
            studies = {e.study_uid for _, e in named}
            wrong = {e.study_uid for key, e in named if key in misrouted}
            total, bad = len(studies), len(wrong)
            unnamed = len(stored) - len(named)
            if unnamed:
                result.notes.append(
                    f"{unnamed} transfers name no study and are not in the routing error rate"
                )
        else:
            unit = "transfers"
            total, bad = len(stored), sum(1 for key, _ in stored if key in misrouted)
            if total:
                result.notes.append(
                    "The sources name no study, so the routing error rate counts transfers "
                    "(associations that stored objects) instead of studies"
                )
        target = f"target at most {_percent(self.threshold)}"
        if not total:
            result.figures.append(
                Figure(
                    "routing-error-rate",
                    None,
                    f"Routing error rate not measured: no stored studies observed ({target})",
                )
            )
            return
        value = bad / total
        met = value <= self.threshold
        text = (
            f"Routing error rate {_percent(value)}: {bad:,} of {total:,} {unit} arrived over "
            f"flows no route declares ({target})"
        )
        result.figures.append(Figure("routing-error-rate", met, text, value))
        if not met:
            result.findings.append(
                self.finding(
                    RATE,
                    f"routing error rate {_percent(value)} ({bad:,} of {total:,} "
                    f"{unit}) is above {_percent(self.threshold)}: correct the "
                    "flows reported above, or declare them",
                    None,
                    entity=keys.entity("figure", "routing-error-rate"),
                )
            )

    def inventory(self, result: AuditResult, silent: list[str], undeclared: list[str]) -> None:
        """The AE inventory figure: met when the sources saw no undeclared AE and no
        declared AE they could have seen is silent."""
        if not self.flows:
            result.figures.append(
                Figure("ae-inventory", None, "AE inventory not compared: no traffic observed")
            )
            return
        visible = self.visible()
        parts = [f"{len(visible)} declared AEs the sources could see"]
        parts.append(f"{len(silent)} silent" + (f" ({', '.join(silent[:5])})" if silent else ""))
        names = sorted(set(undeclared))
        parts.append(
            f"{len(names)} AE titles in use but not declared"
            + (f" ({', '.join(names[:5])})" if names else "")
        )
        met = not silent and not names
        verdict = "matches" if met else "does not match"
        result.figures.append(
            Figure(
                "ae-inventory",
                met,
                f"AE inventory {verdict} the traffic: {'; '.join(parts)}",
                float(len(silent) + len(names)),
            )
        )


def declared_flows(index: Index) -> tuple[dict[tuple[str, str], Declared], dict]:
    """The flows the environment declares (caller -> called, declared AE titles): those
    that may store studies, and those that may only associate (query, move request)."""
    storage: dict[tuple[str, str], Declared] = {}
    associations: dict[tuple[str, str], Declared] = {}
    for route in index.env.routes:
        if not route.enabled:
            continue
        method = route.effective_method
        if method == "c-store":
            storage.setdefault((route.from_, route.to), Declared("route", route))
        elif method == "c-move":
            storage.setdefault((route.from_, route.to), Declared("route", route))
            associations.setdefault((route.to, route.from_), Declared("route", route))
        elif method == "c-get":
            associations.setdefault((route.to, route.from_), Declared("route", route))
        if route.commitment:
            associations.setdefault((route.to, route.from_), Declared("storage commitment"))
    for _, ae in index.env.application_entities():
        for destination in ae.move_destinations or []:
            storage.setdefault((ae.ae_title, destination), Declared("move destinations"))
    for assignment in index.env.worklist:
        for consumer in assignment.consumers:
            associations.setdefault((consumer, assignment.provider), Declared("worklist"))
            if assignment.mpps_destination:
                associations.setdefault(
                    (consumer, assignment.mpps_destination), Declared("MPPS destination")
                )
    monitor, archive = index.env.dose_monitor, index.env.dose_collect_from
    if index.env.dose_collection == "query" and monitor and archive:
        associations.setdefault((monitor, archive), Declared("dose collection"))
        storage.setdefault((archive, monitor), Declared("dose collection"))
    return storage, associations


def _n(count: int, noun: str, plural: str = "") -> str:
    """`1 object`, `12 objects`: counts read as the auditor writes them."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _objects(exchanges: list[Exchange]) -> str:
    """`12 objects of 3 studies` (studies when the source names them)."""
    objects = sum(e.objects for e in exchanges)
    studies = {e.study_uid for e in exchanges if e.study_uid}
    text = _n(objects, "object") if objects else _n(len(exchanges), "transfer")
    return f"{text} of {_n(len(studies), 'study', 'studies')}" if studies else text


def _refused(exchanges: list[Exchange]) -> str:
    refused = sum(1 for e in exchanges if not e.accepted)
    return f"{refused} refused" if refused else "none refused, no objects"


def _percent(fraction: float) -> str:
    """0.00123 -> `0.12 %`: two decimals, enough for a 0.1 % target."""
    return f"{fraction * 100:.2f} %"
