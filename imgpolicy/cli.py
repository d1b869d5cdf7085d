"""The `imgpolicy` command line: click commands, nothing else."""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .findings import Severity

from .report import FORMATS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="imgpolicy")
def main() -> None:
    """Policy-as-code for DICOM imaging environments.

    Keep devices, AEs, routes, retention and DR targets as YAML in git; imgpolicy
    validates them, cross-checks the whole environment and documents it.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format on standard output (default: text; github when "
                   "GITHUB_ACTIONS=true).")
@click.option("--output", "outputs", multiple=True, metavar="FORMAT=FILE",
              help="Also write FORMAT to FILE (repeatable), e.g. --output sarif=out.sarif.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Exit 1 when a finding is at least this severe (default: the config's "
                   "fail_on, else error).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use this .imgpolicy.yaml or pyproject.toml instead of the nearest one.")
@click.option("--select", multiple=True, help="Only these rule codes or families (repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rule codes or families (repeatable).")
@click.option("--today", help="The date time-based rules use, YYYY-MM-DD (default: today).")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help="Accept the findings recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False),
              help="Record the current findings as the baseline and exit 0.")
def check(paths: tuple[str, ...], fmt: str | None, outputs: tuple[str, ...], fail_on: str | None, config_path: str | None,
          select: tuple[str, ...], ignore: tuple[str, ...], today: str | None,
          baseline: str | None, write_baseline: str | None) -> None:
    """Validate and cross-check the environment under PATHS (directories or files).

    Every *.yaml / *.yml whose top level has `imgpolicy: 1` is part of it; other YAML is
    left alone. Exit status: 0 clean, 1 findings at or above --fail-on, 2 input that
    cannot be used (unreadable YAML, bad option or configuration).
    """
    from .baseline import BaselineError
    from .config import ConfigError, resolve_config
    from .engine import RuleCrashed, check as run_check, exit_code
    from .report import Report, render

    targets = [_output(spec) for spec in outputs]
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    try:
        config = resolve_config(config_path, paths)
        if select:
            config.select = _codes(select, "--select")
        if ignore:
            config.ignore = [*config.ignore, *_codes(ignore, "--ignore")]
        when = _date(today) if today else None
        result = run_check(paths, config, baseline=baseline, today=when)
    except (ConfigError, BaselineError, RuleCrashed) as err:
        _fail(str(err))
    if not result.load.files:
        _fail(f"no environment files under {', '.join(paths)} (a file belongs to the "
              "environment when its top level has 'imgpolicy: 1'; `imgpolicy init DIR` "
              "writes a starter)")
    threshold = Severity.parse(fail_on) if fail_on else config.fail_on
    if write_baseline:
        from . import baseline as baseline_file

        count = baseline_file.write(write_baseline, result.findings)
        click.echo(f"wrote {write_baseline} with {count} finding{'s' if count != 1 else ''}")
        sys.exit(2 if result.load.unusable else 0)
    report = Report(result.findings, result.load.files, threshold, tuple(result.notes))
    for target_fmt, target_path in targets:
        from .fsutil import write_atomic

        try:
            write_atomic(target_path, render(target_fmt, report))
        except OSError as err:
            _fail(f"cannot write {target_path}: {err.strerror}")
    click.echo(render(fmt, report, color=fmt == "text" and _color()), nl=False)
    sys.exit(exit_code(result, threshold))


def _output(spec: str) -> tuple[str, str]:
    fmt, sep, path = spec.partition("=")
    if not sep or fmt not in FORMATS or not path:
        raise click.BadParameter(f"{spec!r}: write FORMAT=FILE with FORMAT one of "
                                 f"{', '.join(FORMATS)}", param_hint="--output")
    return fmt, path


def _codes(values: tuple[str, ...], option: str) -> list[str]:
    """`--select RT --select DR004` or `--select RT,DR004`; unknown codes are an error."""
    from .codes import CODES
    from .rules.registry import FAMILIES, all_rules

    codes = [c.strip().upper() for value in values for c in value.split(",") if c.strip()]
    known = set(all_rules()) | set(CODES) | set(FAMILIES)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: no such rule code or family (see "
                                 "`imgpolicy rules`)", param_hint=option)
    return codes


def _fail(message: str) -> None:
    click.echo(f"imgpolicy: {message}", err=True)
    sys.exit(2)


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2026-11-28",
                                 param_hint="--today") from None


@main.command("rules")
def list_rules() -> None:
    """List every rule and problem code: code, name, severity, what it finds."""
    from .codes import CODES
    from .rules.registry import all_rules

    for code, rule in all_rules().items():
        click.echo(f"{code:<9} {rule.name:<40} {rule.severity.label:<8} {rule.summary()}")
    for code, info in CODES.items():
        severity = "error" if not code.startswith("SUP") else "-"
        click.echo(f"{code:<9} {info.name:<40} {severity:<8} {info.summary}")


@main.command("rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Explain one rule: what it finds, why it matters, bad and good examples, options."""
    from .codes import CODES
    from .rules.registry import all_rules

    rules = all_rules()
    code = code.upper()
    if code in CODES:
        info = CODES[code]
        click.echo(f"{code} {info.name}\n\n{info.summary}")
        return
    if code not in rules:
        _fail(f"no rule {code}; `imgpolicy rules` lists them")
    rule = rules[code]
    sections = rule.sections()
    lines = [f"{rule.code} {rule.name} ({rule.severity.label}"
             + ("" if rule.suppressible else ", cannot be suppressed") + ")", "",
             sections["Summary"]]
    for title in ("What", "Why", "Bad", "Good", "Options"):
        if title in sections:
            body = sections[title]
            if title in ("Bad", "Good"):
                body = "\n".join("    " + line for line in body.splitlines())
            lines += ["", f"{title}:", body]
    if rule.options and "Options" not in sections:
        lines += ["", "Options:"] + [f"    {k}: {v}" for k, v in rule.options.items()]
    click.echo("\n".join(lines))


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@main.command()
def schema() -> None:
    """Print the JSON Schema of environment files (for yaml-language-server and editors)."""
    from .schema import schema_text

    click.echo(schema_text(), nl=False)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def init(directory: str) -> None:
    """Write a small, commented starter environment into DIRECTORY."""
    from .starter import write_starter

    try:
        written = write_starter(directory)
    except FileExistsError as err:
        click.echo(f"imgpolicy: {err.filename} already exists; init never overwrites files "
                   "(choose an empty directory)", err=True)
        sys.exit(2)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: imgpolicy check {directory}")


if __name__ == "__main__":  # pragma: no cover
    main()
