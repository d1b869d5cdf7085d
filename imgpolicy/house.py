"""House rules: the checks a team declares in `.imgpolicy.yaml` under `house_rules:`.

Teams have conventions no shipped rule can know: how AE titles and device names are
spelled, which fields every modality must fill in, which sites may send to an AI product,
that nothing leaves the organisation without de-identification. Each house rule has a
code in the reserved range HOUSE001-HOUSE999 (no shipped rule or plugin may use it), a
message, a severity, and exactly one of `naming`, `required` or `flow`:

    house_rules:
      - code: HOUSE001
        message: modality AE titles are MODALITY_SITE_N
        severity: warning                     # error, warning (default) or info
        naming: {ae_title: "{modality}_{site}_{n}", kind: modality}
      - code: HOUSE002
        required: {fields: [conformance_statement, manufacturer], kind: modality}
      - code: HOUSE003
        flow: {to: [ai-spmc], only_from_sites: [SPMC]}
      - code: HOUSE004
        flow: {leaving_organisation: deidentified, external_sites: [NWR]}

A house rule is a `Rule` like the shipped ones (the engine, selection, suppressions,
baselines and every output format treat it the same way); only its code, name and
settings come from the configuration instead of a class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from . import identity
from .findings import Finding, Severity
from .model.devices import Device
from .rules.base import Rule

HOUSE_CODE = re.compile(r"^HOUSE\d{3}$")
PLACEHOLDERS = ("site", "modality", "kind", "n")
_FILTERS = ("kind", "site", "modality")
_SHAPES = ("naming", "required", "flow")


Loc = tuple[str | int, ...]
"""A key path into the configuration, e.g. ("house_rules", 0, "naming", "ae_title")."""


class HouseRuleError(ValueError):
    """A house rule that cannot be used. `loc` is the key path of what is wrong, so the
    configuration can name its file:line:col; the message names the key path too (a
    pyproject.toml table has no positions)."""

    def __init__(self, loc: Loc, message: str, on_key: bool = False):
        super().__init__(f"{key_path(loc)}: {message}")
        self.loc = loc
        self.message = message
        self.on_key = on_key
        """The key itself is wrong (an unknown key): point at the key, not its value."""


def key_path(loc: Loc) -> str:
    """("house_rules", 0, "naming") -> house_rules[0].naming"""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class HouseRule(Rule):
    """A rule declared in the configuration (the subclasses say which kind)."""

    code = "HOUSE000"
    name = "house-rule"
    severity = Severity.WARNING

    def __init__(
        self,
        code: str,
        message: str,
        severity: Severity,
        where: dict[str, list[str]],
    ):
        super().__init__(severity)
        self.code = code  # type: ignore[misc]  # an instance's own code, not the class's
        self.name = f"house-{type(self).shape}"  # type: ignore[misc]
        self.message = message
        self.where = where

    shape = ""

    def summary_line(self) -> str:
        """What `imgpolicy rules` says the rule finds."""
        return self.message

    def devices(self, index: Any) -> Iterator[Device]:
        """The devices the rule's `kind`/`site`/`modality` filters select."""
        for device in index.env.devices:
            if self._selects(device):
                yield device

    def _selects(self, device: Device) -> bool:
        kinds, sites, modalities = (self.where.get(k) for k in _FILTERS)
        return (
            (not kinds or device.kind in kinds)
            and (not sites or device.site in sites)
            and (not modalities or bool(set(device.modality) & set(modalities)))
        )


class NamingScheme(HouseRule):
    """AE titles or device names must follow a pattern with placeholders."""

    shape = "naming"

    def __init__(self, *args: Any, field: str, pattern: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.field = field
        self.pattern = pattern

    def matches(self, device: Device, name: str) -> bool:
        """Whether `name` follows the pattern for `device`: `{site}`, `{modality}` and
        `{kind}` stand for the device's own values (any of its modalities), in any case,
        `{n}` for a number; the rest of the pattern is literal."""
        values = {
            "site": [device.site],
            "modality": list(device.modality) or [""],
            "kind": [device.kind],
        }
        regex = ""
        for literal, placeholder in _split(self.pattern):
            regex += re.escape(literal)
            if placeholder == "n":
                regex += r"\d+"
            elif placeholder:
                choices = "|".join(re.escape(v) for v in values[placeholder])
                regex += f"(?i:{choices})"
        return re.fullmatch(regex, name) is not None

    def check(self, index: Any) -> Iterator[Finding]:
        for device in self.devices(index):
            if self.field == "device_name":
                if not self.matches(device, device.name):
                    yield self.finding(
                        f"device '{device.name}' does not follow the naming scheme "
                        f"{self.pattern}: {self.message}",
                        index.where(device, "name"),
                        entity=identity.device(device.name),
                        detail="device_name",
                    )
                continue
            for i, ae in enumerate(device.application_entities):
                if not self.matches(device, ae.ae_title):
                    yield self.finding(
                        f"AE title '{ae.ae_title}' of device '{device.name}' does not follow "
                        f"the naming scheme {self.pattern}: {self.message}",
                        index.where(device, "application_entities", i, "ae_title"),
                        entity=identity.ae(ae.ae_title),
                        detail="ae_title",
                    )


class RequiredFields(HouseRule):
    """Every selected device fills in these model fields."""

    shape = "required"

    def __init__(self, *args: Any, fields: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields = fields

    def check(self, index: Any) -> Iterator[Finding]:
        for device in self.devices(index):
            for name in self.fields:
                if getattr(device, name) in (None, "", []):
                    yield self.finding(
                        f"device '{device.name}' has no {name}: {self.message}",
                        index.where(device),
                        entity=identity.device(device.name),
                        detail=name,
                    )


class AllowedSenders(HouseRule):
    """Only devices at these sites may have their studies reach these devices."""

    shape = "flow"

    def __init__(self, *args: Any, to: list[str], sites: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.to = to
        self.sites = sites

    def check(self, index: Any) -> Iterator[Finding]:
        from .analysis.reach import Reach

        targets = frozenset(
            ae.ae_title for d, ae in index.env.application_entities() if d.name in self.to
        )
        for title in sorted(Reach.of(index).origins_reaching(targets)):
            device = index.device_of(title)
            if device is None or device.site in self.sites or not self._selects(device):
                continue
            reached = sorted(Reach.of(index).reached(title) & targets)
            yield self.finding(
                f"studies of '{title}' (site {device.site}) reach {', '.join(reached)}; "
                f"only sites {', '.join(self.sites)} may send there: {self.message}",
                index.where(device),
                entity=identity.ae(title),
                detail="to " + ",".join(self.to),
            )


class DeidentifiedExit(HouseRule):
    """Every enabled route that carries studies out of the organisation de-identifies."""

    shape = "flow"

    def __init__(self, *args: Any, external_sites: list[str] | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.external_sites = external_sites

    def check(self, index: Any) -> Iterator[Finding]:
        external = set(
            self.external_sites
            if self.external_sites is not None
            else [s.name for s in index.env.sites if s.teleradiology]
        )
        for route in index.env.routes:
            sender, receiver = index.device_of(route.from_), index.device_of(route.to)
            if not route.enabled or route.deidentify is not None or receiver is None:
                continue
            if sender is None or receiver.site not in external or sender.site in external:
                continue
            if sender.kind == "deidentifier":
                continue  # what it sends was already de-identified
            yield self.finding(
                f"route '{route.name}' sends studies out of the organisation (to site "
                f"{receiver.site}) without de-identification: {self.message}",
                index.where(route),
                entity=identity.route(route.name),
                detail="deidentify",
            )


def _split(pattern: str) -> list[tuple[str, str]]:
    """The pattern as (literal text, placeholder or '') pairs."""
    parts = re.split(r"\{([^{}]*)\}", pattern)
    pairs = []
    for i in range(0, len(parts), 2):
        placeholder = parts[i + 1] if i + 1 < len(parts) else ""
        pairs.append((parts[i], placeholder))
    return pairs


def parse_house_rules(raw: Any, known_codes: set[str]) -> list[HouseRule]:
    """The `house_rules:` list as rules; HouseRuleError names the entry and key."""
    if not isinstance(raw, list):
        raise HouseRuleError(
            ("house_rules",),
            "must be a list of rules (each with code and one of naming, required, flow)",
        )
    rules: list[HouseRule] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        loc: Loc = ("house_rules", i)
        if not isinstance(entry, dict):
            raise HouseRuleError(
                loc, f"must be a mapping with code, message and one of {', '.join(_SHAPES)}"
            )
        rule = _one(entry, loc)
        if rule.code in seen or rule.code in known_codes:
            raise HouseRuleError(
                (*loc, "code"), f"{rule.code} is used twice: give each rule its own code"
            )
        seen.add(rule.code)
        rules.append(rule)
    return rules


def _one(entry: dict, loc: Loc) -> HouseRule:
    """One house rule from its mapping."""
    allowed = {"code", "message", "severity", *_SHAPES}
    _refuse_unknown(entry, allowed, loc)
    code = entry.get("code")
    if not isinstance(code, str) or not HOUSE_CODE.match(code):
        raise HouseRuleError(
            (*loc, "code"), f"give a code in the house range HOUSE001 to HOUSE999, not {code!r}"
        )
    shapes = [s for s in _SHAPES if s in entry]
    if len(shapes) != 1:
        raise HouseRuleError(
            (*loc, shapes[1]) if shapes else loc, f"give exactly one of {', '.join(_SHAPES)}"
        )
    shape = shapes[0]
    message = entry.get("message", f"house rule {code}")
    if not isinstance(message, str) or not message.strip():
        raise HouseRuleError((*loc, "message"), "must be a sentence")
    try:
        severity = Severity.parse(str(entry.get("severity", "warning")))
    except ValueError:
        raise HouseRuleError((*loc, "severity"), "must be error, warning or info") from None
    body = entry[shape]
    if not isinstance(body, dict):
        raise HouseRuleError((*loc, shape), "must be a mapping")
    common = {"code": code, "message": message, "severity": severity}
    return _BUILDERS[shape](body, (*loc, shape), common)


def _names(body: dict, key: str, loc: Loc) -> list[str] | None:
    """A list of names (a single name is a list of one), or None when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise HouseRuleError((*loc, key), "must be a name or a list of names")
    return value


def _filters(body: dict, loc: Loc) -> dict[str, list[str]]:
    return {k: v for k in _FILTERS if (v := _names(body, k, loc)) is not None}


def _refuse_unknown(body: dict, allowed: set[str], loc: Loc) -> None:
    unknown = sorted(set(body) - allowed, key=str)
    if unknown:
        raise HouseRuleError(
            (*loc, unknown[0]),
            f"unknown key '{unknown[0]}' (known: {', '.join(sorted(allowed))})",
            on_key=True,
        )


def _naming(body: dict, loc: Loc, common: dict) -> HouseRule:
    _refuse_unknown(body, {"ae_title", "device_name", *_FILTERS}, loc)
    fields = [f for f in ("ae_title", "device_name") if f in body]
    if len(fields) != 1:
        raise HouseRuleError(loc, "give exactly one of ae_title, device_name")
    at = (*loc, fields[0])
    pattern = body[fields[0]]
    if not isinstance(pattern, str) or not pattern:
        raise HouseRuleError(at, 'must be a pattern like "{modality}_{site}_{n}"')
    for _, placeholder in _split(pattern):
        if placeholder and placeholder not in PLACEHOLDERS:
            raise HouseRuleError(
                at,
                f"unknown placeholder {{{placeholder}}} (known: "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                + ")",
            )
    if "{" in pattern.replace("{" + "}", "") and re.search(r"\{[^}]*$", pattern):
        raise HouseRuleError(at, f"unclosed placeholder in {pattern!r}")
    return NamingScheme(**common, where=_filters(body, loc), field=fields[0], pattern=pattern)


def _required(body: dict, loc: Loc, common: dict) -> HouseRule:
    _refuse_unknown(body, {"fields", *_FILTERS}, loc)
    fields = _names(body, "fields", loc)
    if not fields:
        raise HouseRuleError((*loc, "fields"), "name the device fields every device must fill in")
    known = set(Device.model_fields)
    for i, name in enumerate(fields):
        if name not in known:
            raise HouseRuleError(
                (*loc, "fields", i) if isinstance(body["fields"], list) else (*loc, "fields"),
                f"'{name}' is no field of a device; required fields must be "
                f"fields of the model (known: {', '.join(sorted(known))})",
            )
    return RequiredFields(**common, where=_filters(body, loc), fields=fields)


def _flow(body: dict, loc: Loc, common: dict) -> HouseRule:
    if "leaving_organisation" in body:
        _refuse_unknown(body, {"leaving_organisation", "external_sites"}, loc)
        if body["leaving_organisation"] != "deidentified":
            raise HouseRuleError((*loc, "leaving_organisation"), "the one value is 'deidentified'")
        return DeidentifiedExit(
            **common, where={}, external_sites=_names(body, "external_sites", loc)
        )
    _refuse_unknown(body, {"to", "only_from_sites", *_FILTERS}, loc)
    to, sites = _names(body, "to", loc), _names(body, "only_from_sites", loc)
    if not to or not sites:
        raise HouseRuleError(
            loc,
            "give `to` (device names) and `only_from_sites`, or "
            "`leaving_organisation: deidentified`",
        )
    return AllowedSenders(**common, where=_filters(body, loc), to=to, sites=sites)


_BUILDERS: dict[str, Callable[[dict, Loc, dict], HouseRule]] = {
    "naming": _naming,
    "required": _required,
    "flow": _flow,
}
