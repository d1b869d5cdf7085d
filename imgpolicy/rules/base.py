"""What a rule is: a code, a name, a severity, options, and a docstring that is its docs.

A rule's docstring has these sections, each introduced by its name and a colon on a line
of its own: a one-line summary, then `What:`, `Why:` (with the reference: the practice
guide's step, the DICOM part, the regulation), `Bad:` and `Good:` (YAML snippets, run as
tests: Bad must trigger the rule, Good must not), and optionally `Options:`.

Each option declares how a configured value is read and bounded (`Option`), so a wrong
type or an absurd value is refused when the configuration is read, naming the file, the
rule and the option, and never reaches a rule as a crash.
"""

from __future__ import annotations

import inspect
import math
import re
import textwrap
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..findings import Finding, Location, Related, Severity
from ..model.types import Duration, parse_duration

if TYPE_CHECKING:
    from ..analysis.index import Index

_SECTION = re.compile(r"^(What|Why|Bad|Good|Options):\s*$", re.MULTILINE)


class OptionError(ValueError):
    """A configured option value that the rule cannot use; `option` names it."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Option:
    """A rule option: its default, and `read`, which turns a configured value into what
    the rule uses or raises ValueError/TypeError saying what is expected."""

    default: Any
    read: Callable[[Any], Any]

    def __str__(self) -> str:
        value = self.default
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def duration_option(default: str, least: str, most: str) -> Option:
    """A duration such as `30d` or `7y`, between `least` and `most` inclusive."""
    low, high = parse_duration(least), parse_duration(most)

    def read(value: Any) -> Duration:
        if isinstance(value, Duration):
            parsed = value
        elif not isinstance(value, str):
            raise TypeError(f"expected a duration like 30d or 7y, not {value!r}")
        else:
            try:
                parsed = parse_duration(value)
            except Exception:  # the model's own error type; the message says the same
                raise ValueError(f"{value!r} is not a duration like 30d or 7y") from None
        if not (low <= parsed <= high):
            raise ValueError(f"{parsed} is out of range: give a duration from {least} to {most}")
        return parsed

    return Option(parse_duration(default), read)


def text_option(default: str, allowed: Callable[[str], bool], what: str) -> Option:
    """A string whose characters pass `allowed`; `what` says which ones."""

    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string of {what}, not {value!r}")
        bad = sorted({c for c in value if not allowed(c)})
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))} not allowed: give {what}")
        return value

    return Option(default, read)


def names_option(default: Collection[str], known: Collection[str], what: str) -> Option:
    """A list of names, each one of `known` (`what` says what they are: device kinds...)."""

    def read(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"expected a list of {what}, not {value!r}")
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(
                f"unknown {what} {', '.join(map(repr, unknown))} (known: "
                f"{', '.join(sorted(known))})"
            )
        return list(value)

    return Option(sorted(default), read)


def ranges_option(default: dict[str, list[float]]) -> Option:
    """A mapping of metric -> [lowest, highest] over the metrics of `default`; metrics not
    given keep their default range."""

    def read(value: Any) -> dict[str, tuple[float, float]]:
        if not isinstance(value, dict):
            raise TypeError("expected a mapping of metric -> [lowest, highest]")
        ranges = {metric: (float(low), float(high)) for metric, (low, high) in default.items()}
        for metric, bounds in value.items():
            if metric not in default:
                raise ValueError(f"unknown metric {metric!r} (known: {', '.join(default)})")
            if (
                not isinstance(bounds, list)
                or len(bounds) != 2
                or not all(
                    isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b)
                    for b in bounds
                )
                or bounds[0] > bounds[1]
            ):
                raise ValueError(
                    f"{metric}: expected [lowest, highest], two numbers in order, not {bounds!r}"
                )
            ranges[metric] = (float(bounds[0]), float(bounds[1]))
        return ranges

    return Option(read({}), read)


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    options: ClassVar[dict[str, Option]] = {}
    """Option name -> how it is read and its default; the config may set them per rule."""
    suppressible: ClassVar[bool] = True
    """Safety rules whose findings no inline comment or baseline may hide."""

    def __init__(self, severity: Severity | None = None, **options: Any):
        self.effective_severity = severity or self.severity
        self.settings = {name: option.default for name, option in self.options.items()}
        for name, value in options.items():
            self.settings[name] = self.read_option(name, value)

    @classmethod
    def read_option(cls, name: str, value: Any) -> Any:
        """`value` as the rule uses option `name`; OptionError when it cannot be used."""
        if name not in cls.options:
            allowed = ", ".join(["severity", *cls.options])
            raise OptionError(name, f"unknown option '{name}' (allowed: {allowed})")
        try:
            return cls.options[name].read(value)
        except (TypeError, ValueError) as err:
            raise OptionError(name, str(err)) from None

    def check(self, index: Index) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(
        self,
        message: str,
        location: Location | None,
        *,
        related: tuple[Related, ...] | list[Related] = (),
        entity: str = "",
        detail: str = "",
        suppressible: bool = True,
    ) -> Finding:
        """A finding of this rule. `entity` comes from `imgpolicy.identity`; `detail` tells
        two findings of this rule about one entity apart, in words that do not move with
        dates, counts or lines (a SOP class, a field, a modality). `suppressible=False`
        makes this one finding a safety finding, in a rule whose others may be suppressed."""
        return Finding(
            self.code,
            self.effective_severity,
            message,
            location,
            tuple(related),
            entity,
            detail=detail,
            suppressible=self.suppressible and suppressible,
        )

    # --- the docstring as documentation -------------------------------------------

    @classmethod
    def summary(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "").split("\n", 1)[0].strip()

    @classmethod
    def sections(cls) -> dict[str, str]:
        doc = inspect.cleandoc(cls.__doc__ or "")
        parts = _SECTION.split(doc)
        sections = {"Summary": parts[0].strip()}
        for title, body in zip(parts[1::2], parts[2::2], strict=False):
            sections[title] = textwrap.dedent(body).strip("\n")
        return sections

    @classmethod
    def example(cls, which: str) -> str:
        """The Bad or Good snippet as a whole environment file."""
        body = cls.sections()[which].rstrip() + "\n"
        return body if body.startswith("imgpolicy:") else "imgpolicy: 1\n" + body
