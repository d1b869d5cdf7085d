"""Read every file of an environment, validate each, and merge the sections.

A file with schema errors contributes nothing to the merged environment (its errors are
reported instead), so later checks never reason about half-understood data.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from .. import dicom
from ..findings import Finding, Location, Related, Severity
from ..model import Environment, EnvironmentFile
from ..model.uids import declared as private_uids
from .files import Exclusions, LoadFailed, SourceFile, locate, read_member, survey
from .schema_errors import schema_findings

if TYPE_CHECKING:
    from .cache import ParseCache


@dataclass
class LoadResult:
    environment: Environment
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """The environment files found (whether or not they loaded)."""
    unusable: bool = False
    """Some file could not be read as YAML at all."""
    sources: dict[str, SourceFile] = field(default_factory=dict, repr=False)
    excluded: list[str] = field(default_factory=list)
    """Files and folders left out by the configuration's `exclude:` globs."""
    exclusions: Exclusions = field(default_factory=Exclusions)
    unmarked: list[str] = field(default_factory=list)
    """YAML files without `imgpolicy: 1` (YAML010 when the environment has other files)."""
    empty: list[str] = field(default_factory=list)
    """YAML files holding no data (blank or comments only): skipped, named in a note."""

    @property
    def notes(self) -> list[str]:
        """What the report says about which files were read."""
        if not self.empty:
            return []
        count = len(self.empty)
        return [
            f"Skipped {count} empty YAML file{'s' if count != 1 else ''} (no data): "
            + ", ".join(self.empty)
        ]

    def nothing_found(self, paths: Iterable[str]) -> str:
        """Why no environment file was found under `paths`, for the error message."""
        where = ", ".join(paths)
        message = (
            f"no environment files under {where} (a file belongs to the environment when "
            "its top level has 'imgpolicy: 1'; `imgpolicy init DIR` writes a starter)"
        )
        if self.unmarked:
            shown = ", ".join(self.unmarked[:5]) + (", ..." if len(self.unmarked) > 5 else "")
            message += (
                f"; {len(self.unmarked)} YAML file{'s' if len(self.unmarked) != 1 else ''} "
                f"without it: {shown}"
            )
        for finding in self.findings:
            message += f"; {finding.location}: {finding.code} {finding.message}"
        return message

    @property
    def schema_valid(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def location(self, item: object, *path: str | int) -> Location:
        """file:line:col of a merged item (or of a node inside it)."""
        file, loc = self.environment.origin(item)
        span, _ = locate(self.sources[file].pos, loc + path)
        return Location(file, *span)

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
    "site_links": ("site link", "name"),
}
_STORAGE_LISTS: dict[str, str | None] = {
    "tiers": "storage tier",
    "lifecycle": "lifecycle",
    "volumes": None,
}


def load_environment(
    paths: Iterable[str], exclusions: Exclusions | None = None, cache: ParseCache | None = None
) -> LoadResult:
    """Read, validate and merge every file of the environment under `paths`, leaving out
    what `exclusions` (the configuration's `exclude:`) names; files whose bytes `cache`
    has seen are not parsed again."""
    paths = list(paths)
    result = LoadResult(Environment(), exclusions=exclusions or Exclusions())
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

    found = survey(paths, result.exclusions)
    result.excluded = found.excluded
    unmarked: list[Finding] = []
    for problem in found.problems:
        result.findings.append(problem.finding)
        result.unusable = True
    for path in found.files:
        try:
            source = read_member(
                path, hint=_exclude_hint(path, paths, result.exclusions), cache=cache
            )
        except LoadFailed as failed:
            if failed.finding.code == "YAML010":
                result.unmarked.append(path)
                unmarked.append(failed.finding)
                continue
            result.files.append(path)
            result.findings.append(failed.finding)
            result.unusable = True
            continue
        if source is None:
            result.empty.append(path)
            continue
        result.files.append(path)
        result.sources[path] = source
    _declare_private_uids(result.sources.values())
    if cache is not None and result.sources:
        cache.use_prebuilt_validator()
    for path, source in result.sources.items():
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
        for i, item in enumerate(parsed.private_uids):
            claim("private UID", item.uid, path, ("private_uids", i, "uid"))
            claim("private UID name", item.name, path, ("private_uids", i, "name"))
            keep(env.private_uids, item, path, ("private_uids", i))
        if parsed.storage:
            for section, label in _STORAGE_LISTS.items():
                for i, item in enumerate(getattr(parsed.storage, section)):
                    if label:
                        claim(label, item.name, path, ("storage", section, i, "name"))
                    keep(getattr(env, section), item, path, ("storage", section, i))
        if parsed.dose:
            if parsed.dose.monitor is not None:
                claim("setting", "dose.monitor", path, ("dose", "monitor"))
                env.dose_monitor = parsed.dose.monitor
                env.dose_monitor_origin = (path, ("dose", "monitor"))
            for i, item in enumerate(parsed.dose.reference_levels):
                keep(env.reference_levels, item, path, ("dose", "reference_levels", i))
            for i, value in enumerate(parsed.dose.notification_values):
                keep(env.notification_values, value, path, ("dose", "notification_values", i))
            for key in ("collection", "collect_from", "rrdsr_source", "alert_values"):
                if key in parsed.dose.model_fields_set:  # once per environment
                    claim("setting", f"dose.{key}", path, ("dose", key))
                    setattr(env, f"dose_{key}", getattr(parsed.dose, key))
                    setattr(env, f"dose_{key}_origin", (path, ("dose", key)))
        if parsed.reading:
            for i, item in enumerate(parsed.reading.turnaround):
                keep(env.turnaround, item, path, ("reading", "turnaround", i))
        for setting in ("organisation", "audit"):  # once per environment
            value = getattr(parsed, setting)
            if value is not None:
                claim("setting", setting, path, (setting,))
                setattr(env, setting, value)
                env.origins[id(value)] = (path, (setting,))
    if unmarked and (result.files or result.findings):
        # An environment with unmarked YAML: each one is an error, never a silent skip.
        # With no environment file at all, the path is probably not an environment, and
        # `nothing_found` says so (naming the files) instead.
        result.files.extend(result.unmarked)
        result.files.sort()
        result.findings.extend(unmarked)
        result.unusable = True
    if cache is not None:
        cache.keep_validator()
        cache.report()
    return result


def _declare_private_uids(sources: Iterable[SourceFile]) -> None:
    """Declare every file's `private_uids` before any file is validated, so a vendor UID
    declared in one file is known wherever another file uses it (by name or UID)."""
    entries = [
        entry
        for source in sources
        if isinstance(source.data, dict)
        for entry in private_uids(source.data.get("private_uids"))
    ]
    dicom.declare_private((entry.info(), entry.lossy) for entry in entries)


def _exclude_hint(path: str, roots: list[str], exclusions: Exclusions) -> str:
    """`path` as an `exclude:` glob would name it: relative to the configuration's folder,
    else to the environment root that holds it."""
    for base in ([exclusions.base] if exclusions.base else []) + roots:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
        if not rel.startswith(".."):
            return Path(rel).as_posix()
    return Path(path).as_posix()
