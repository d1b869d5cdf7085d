"""The `imgpolicy` command line: click commands, nothing else."""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .findings import Severity

FORMATS = ("text", "json")


def _severity(ctx, param, value: str) -> Severity:
    return Severity.parse(value)


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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error",
              show_default=True, callback=_severity,
              help="Exit 1 when a finding is at least this severe.")
def check(paths: tuple[str, ...], fmt: str, fail_on: Severity) -> None:
    """Validate the environment under PATHS (directories or files).

    Every *.yaml / *.yml whose top level has `imgpolicy: 1` is part of it; other YAML is
    left alone. Exit status: 0 clean, 1 findings at or above --fail-on, 2 input that
    cannot be used (unreadable YAML, bad option).
    """
    from .load import load_environment
    from .report import Report, sorted_findings

    result = load_environment(paths)
    if not result.files:
        click.echo(f"imgpolicy: no environment files under {', '.join(paths)} (a file belongs "
                   "to the environment when its top level has 'imgpolicy: 1'; "
                   "`imgpolicy init DIR` writes a starter)", err=True)
        sys.exit(2)
    report = Report(sorted_findings(result.findings), result.files, fail_on)
    if fmt == "json":
        from .report import json as out
        click.echo(out.render(report), nl=False)
    else:
        from .report import text as out
        click.echo(out.render(report, color=_color()), nl=False)
    if result.unusable:
        sys.exit(2)
    sys.exit(1 if any(f.severity >= fail_on for f in report.findings) else 0)


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
