"""Read every file of an environment, validate each, and merge the sections.

A file with schema errors contributes nothing to the merged environment (its errors are
reported instead), so later checks never reason about half-understood data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from ..findings import Finding, Location, Related, Severity
from ..model import Environment, EnvironmentFile
from .files import LoadFailed, SourceFile, discover, locate, read_source
from .schema_errors import schema_findings


@dataclass
class LoadResult:
    environment: Environment
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """The environment files found (whether or not they loaded)."""
    unusable: bool = False
    """Some file could not be read as YAML at all."""
    sources: dict[str, SourceFile] = field(default_factory=dict, repr=False)

    @property
    def schema_valid(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def location(self, item: object, *path: str | int) -> Location:
        """file:line:col of a merged item (or of a node inside it)."""
        return self.location_of(self.environment.origin(item), *path)

    def location_of(self, origin: tuple[str, tuple] | None, *path: str | int) -> Location | None:
        if origin is None:
            return None
        file, loc = origin
        span, _ = locate(self.sources[file].pos, loc + path)
        return Location(file, *span)


# section -> how its items are named, for the duplicate check
_NAMED_LISTS = {
    "sites": ("site", "name"),
    "devices": ("device", "name"),
    "routes": ("route", "name"),
    "retention": ("retention policy", "name"),
    "continuity": ("continuity plan for system", "system"),
    "ai": ("AI product", "name"),
    "integrations": ("integration", "name"),
}
_STORAGE_LISTS = {"tiers": "storage tier", "lifecycle": "lifecycle", "volumes": None}


def load_environment(paths: Iterable[str]) -> LoadResult:
    result = LoadResult(Environment())
    env = result.environment
    seen: dict[tuple[str, object], tuple[str, tuple]] = {}

    def claim(kind: str, name: object, file: str, loc: tuple) -> None:
        """Record a definition; a second one is a SCHEMA009 pointing at both."""
        key = (kind, name)
        if key not in seen:
            seen[key] = (file, loc)
            return
        first_file, first_loc = seen[key]
        here = Location(file, *locate(result.sources[file].pos, loc)[0])
        first = Location(first_file, *locate(result.sources[first_file].pos, first_loc)[0])
        result.findings.append(
            Finding(
                "SCHEMA009",
                Severity.ERROR,
                f"{kind} '{name}' is defined twice: names must be unique across the environment "
                "(rename or remove one)",
                here,
                (Related(first, "first definition"),),
            )
        )

    def keep(section: list, item: object, file: str, loc: tuple) -> None:
        section.append(item)
        env.origins[id(item)] = (file, loc)

    for path in discover(paths):
        try:
            source = read_source(path)
        except LoadFailed as failed:
            result.files.append(path)
            result.findings.append(failed.finding)
            result.unusable = True
            continue
        if source is None:
            continue
        result.files.append(path)
        result.sources[path] = source
        try:
            parsed = EnvironmentFile.model_validate(source.data)
        except ValidationError as err:
            result.findings.extend(schema_findings(source, err, EnvironmentFile))
            continue
        env.files.append(path)

        for section, (kind, attr) in _NAMED_LISTS.items():
            for i, item in enumerate(getattr(parsed, section)):
                claim(kind, getattr(item, attr), path, (section, i, attr))
                keep(getattr(env, section), item, path, (section, i))
        for i, device in enumerate(parsed.devices):
            for j, ae in enumerate(device.application_entities):
                claim(
                    "AE title",
                    ae.ae_title,
                    path,
                    ("devices", i, "application_entities", j, "ae_title"),
                )
                env.origins[id(ae)] = (path, ("devices", i, "application_entities", j))
        for i, item in enumerate(parsed.worklist):
            keep(env.worklist, item, path, ("worklist", i))
        if parsed.storage:
            for section, kind in _STORAGE_LISTS.items():
                for i, item in enumerate(getattr(parsed.storage, section)):
                    if kind:
                        claim(kind, item.name, path, ("storage", section, i, "name"))
                    keep(getattr(env, section), item, path, ("storage", section, i))
        if parsed.dose:
            if parsed.dose.monitor is not None:
                claim("setting", "dose.monitor", path, ("dose", "monitor"))
                env.dose_monitor = parsed.dose.monitor
                env.dose_monitor_origin = (path, ("dose", "monitor"))
            for i, item in enumerate(parsed.dose.reference_levels):
                keep(env.reference_levels, item, path, ("dose", "reference_levels", i))
        if parsed.reading:
            for i, item in enumerate(parsed.reading.turnaround):
                keep(env.turnaround, item, path, ("reading", "turnaround", i))
    return result
