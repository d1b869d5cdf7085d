"""The `imgpolicy` command line: click commands, nothing else."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from . import __version__
from .findings import Severity
from .report import FORMATS

if TYPE_CHECKING:
    from datetime import date as date_type


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """-q/-v given after a command: add to what the group set (`progress.configure`)."""
    from . import progress

    if value:
        now = progress.settings()
        progress.configure(
            quiet=now.quiet or param.name == "quiet", verbose=now.verbose or param.name == "verbose"
        )
    return value


def _verbosity_options(*, exposed: bool = False):
    """-q/--quiet and -v/--verbose, accepted by the group and by every command (so both
    `imgpolicy -q check` and `imgpolicy check -q` work); README "Quiet and verbose" says
    what -q leaves out per command."""
    quiet_help = (
        "Quiet: no progress; only findings and results (no notes, summary or "
        "'wrote'/'unchanged' lines); the exit status is unchanged."
    )
    verbose_help = "Verbose: also print how long each phase took, on standard error."

    def attach(command):
        extra: dict = {} if exposed else {"expose_value": False, "callback": _set_verbosity}
        command = click.option("-v", "--verbose", is_flag=True, help=verbose_help, **extra)(command)
        return click.option("-q", "--quiet", is_flag=True, help=quiet_help, **extra)(command)

    return attach


def _quiet() -> bool:
    from . import progress

    return progress.settings().quiet


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="imgpolicy")
@_verbosity_options(exposed=True)
def main(quiet: bool = False, verbose: bool = False) -> None:
    """Policy-as-code for DICOM imaging environments.

    Keep devices, AEs, routes, retention and DR targets as YAML in git; imgpolicy
    validates them, cross-checks the whole environment and documents it. Progress is
    shown on standard error when it is a terminal (not under CI or -q).
    """
    from . import progress

    progress.configure(quiet=quiet, verbose=verbose)
    click.get_current_context().call_on_close(progress.configure)  # the next run starts clean


def _report_options(command):
    """--format and --output, the same for every command that reports findings."""
    command = click.option(
        "--output",
        "outputs",
        multiple=True,
        metavar="FORMAT=FILE",
        help="Also write FORMAT to FILE (repeatable), e.g. --output sarif=out.sarif.",
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format on standard output (default: text; github when GITHUB_ACTIONS=true).",
    )(command)


def _remember_cache(ctx: click.Context, param: click.Parameter, value: object) -> object:
    """Keep --no-cache/--cache-dir where `_parse_cache` finds them."""
    ctx.meta.setdefault("imgpolicy.cache", {})[param.name] = value
    return value


def _cache_options(command):
    """--no-cache and --cache-dir, for every command that loads an environment; read by
    `_parse_cache`, so the commands' own signatures stay as they are."""
    command = click.option(
        "--cache-dir",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_remember_cache,
        help="Keep parsed files here (default: $IMGPOLICY_CACHE_DIR, the configuration's "
        "cache_dir, else .imgpolicy_cache in the environment folder).",
    )(command)
    return click.option(
        "--no-cache",
        is_flag=True,
        envvar="IMGPOLICY_NO_CACHE",
        expose_value=False,
        callback=_remember_cache,
        help="Parse every file, neither reading nor writing the cache of parsed files.",
    )(command)


def _parse_cache(paths: tuple[str, ...], config):
    """This run's cache of parsed files (`load/cache.py`), None under --no-cache or when
    it cannot be used safely (-v says why)."""
    chosen = click.get_current_context().meta.get("imgpolicy.cache", {})
    if chosen.get("no_cache"):
        return None
    from .load.cache import ParseCache, cache_folder

    return ParseCache.open(cache_folder(paths, chosen.get("cache_dir"), config.cache_dir))


_WHOLE_PROCESS = {"result cache": True}
"""`run()` (the console script) passes this as the context's `obj`: only a process that
is the command line uses the result cache (`result_cache.py` says why)."""


def _result_cache(question):
    """This check's result cache (`result_cache.py`), None under --no-cache,
    IMGPOLICY_NO_RESULT_CACHE or when imgpolicy is driven from another program."""
    from .cachedir import cache_folder
    from .result_cache import NO_RESULT_CACHE, ResultCache

    ctx = click.get_current_context()
    chosen = ctx.meta.get("imgpolicy.cache", {})
    if ctx.find_root().obj is not _WHOLE_PROCESS or os.environ.get(NO_RESULT_CACHE):
        return None
    if chosen.get("no_cache"):
        return None
    return ResultCache.open(cache_folder(question.paths, chosen.get("cache_dir"), None), question)


def _replay(answer, stdout_view: str, targets: list[tuple[str, str]], baseline) -> None:
    """A stored answer, written as the check would have written it."""
    from .fsutil import write_atomic
    from .result_cache import view

    inputs = [*answer.inputs, *([baseline] if baseline else [])]
    for target_fmt, target_path in targets:
        try:
            _refuse_inputs(target_path, inputs)
            write_atomic(target_path, answer.views[view(target_fmt)])
        except OSError as err:
            _fail(f"cannot write {target_path}: {err.strerror or err}")
    click.echo(answer.views[stdout_view], nl=False)
    sys.exit(answer.status)


@main.command()
@_verbosity_options()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, readable=True)
)
@_report_options
@_cache_options
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default=None,
    help="Exit 1 when a finding is at least this severe (default: the config's "
    "fail_on, else error).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Use this .imgpolicy.yaml or pyproject.toml instead of the nearest one.",
)
@click.option("--select", multiple=True, help="Only these rule codes or families (repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rule codes or families (repeatable).")
@click.option("--today", help="The date time-based rules use, YYYY-MM-DD (default: today).")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    help="Accept the findings recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    help="Record the current findings as the baseline and exit 0.",
)
@click.option(
    "--down",
    "down",
    multiple=True,
    metavar="DEVICE[,DEVICE]",
    help="What-if: report the flows that stop or lose a destination while these devices "
    "are down, and the continuity plans covering them (text and json).",
)
def check(
    paths: tuple[str, ...],
    fmt: str | None,
    outputs: tuple[str, ...],
    fail_on: str | None,
    config_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    today: str | None,
    baseline: str | None,
    write_baseline: str | None,
    down: tuple[str, ...] = (),
) -> None:
    """Validate and cross-check the environment under PATHS (directories or files).

    Every *.yaml / *.yml under a folder in PATHS is part of the environment and must have
    `imgpolicy: 1` at its top level (YAML010 otherwise), unless the configuration's
    `exclude:` globs leave it out; hidden files and folders are skipped, and files named
    in PATHS are always checked. --output FORMAT=- (or /dev/stdout) writes FORMAT to
    standard output instead of --format. Exit status: 0 clean, 1 findings at or above
    --fail-on, 2 input that cannot be used (unreadable YAML, a file that is not an
    environment file, bad option, configuration or baseline, an output that cannot be
    written).
    """
    from .fsutil import names_stdout

    targets = [_output(spec) for spec in outputs]
    fmt = _stdout_format(fmt, targets)
    targets = [(target_fmt, path) for target_fmt, path in targets if not names_stdout(path)]
    results = None
    if not (write_baseline or down):
        from .result_cache import Question, view

        stdout_view = view(fmt, color=_color(), quiet=_quiet())
        question = Question(paths, config_path, select, ignore, fail_on, today, baseline)
        results = _result_cache(question)
        answer = results and results.answer([stdout_view, *(view(t) for t, _ in targets)])
        if answer:
            _replay(answer, stdout_view, targets, baseline)
    from .baseline import BaselineError
    from .config import ConfigError, resolve_config
    from .engine import RuleCrashed, exit_code
    from .engine import check as run_check
    from .progress import phase
    from .report import Report

    try:
        config = resolve_config(config_path, paths)
        if select:
            config.select = _codes(select, "--select")
        if ignore:
            config.ignore = [*config.ignore, *_codes(ignore, "--ignore")]
        _no_rule_left(config)
        when = _date(today) if today else None
        if results is not None:
            _expect(results, paths, config)
        with phase("checking the environment"):
            result = run_check(
                paths, config, baseline=baseline, today=when, cache=_parse_cache(paths, config)
            )
    except (ConfigError, BaselineError, RuleCrashed) as err:
        _fail(str(err))
    if not result.load.files:
        _fail(result.load.nothing_found(paths))
    threshold = Severity.parse(fail_on) if fail_on else config.fail_on
    inputs = [*result.load.files, *([config.source] if config.source else [])]
    if write_baseline:
        from . import baseline as baseline_file

        try:
            _refuse_inputs(write_baseline, inputs)
            written = baseline_file.write(write_baseline, result.findings, paths)
        except BaselineError as err:
            _fail(str(err))
        except OSError as err:
            _fail(f"cannot write {write_baseline}: {err.strerror or err}")
        if not _quiet():
            click.echo(written.summary(write_baseline))
        sys.exit(2 if result.load.unusable else 0)
    report = Report.of_check(result, threshold, paths)
    what_if = _what_if(result, down) if down else None
    read = [*inputs, *([baseline] if baseline else [])]
    shown, texts = _emit(report, fmt, targets, read, what_if)
    status = exit_code(result, threshold)
    if results is not None:
        views = {view(t): text for (t, _), text in zip(targets, texts, strict=True)}
        results.keep(status, inputs, {**views, stdout_view: shown})
    sys.exit(status)


def _expect(results, paths: tuple[str, ...], config) -> None:
    """Tell the result cache the files the check starts from, and what it must know of
    the configuration to decide whether the answer can be stored."""
    from .cachedir import ENV_VAR
    from .load.files import survey

    chosen = click.get_current_context().meta.get("imgpolicy.cache", {})
    moved = bool(config.cache_dir) and not (chosen.get("cache_dir") or os.environ.get(ENV_VAR))
    files = survey(paths, config.exclusions()).files
    results.expect(files, config.source, config.origins.values(), moved)


def _what_if(result, down: tuple[str, ...]):
    """`--down`: what stops while the named devices are down (`analysis.outage`); a name
    that is no device is a usage error."""
    from .analysis.outage import outage, unknown_devices

    names = [n.strip() for value in down for n in value.split(",") if n.strip()]
    if result.index is None:
        _fail("--down needs an environment the rules can run on: fix the errors above first")
    unknown = unknown_devices(result.index, names) if names else ["no device named"]
    if unknown:
        raise click.BadParameter(
            "; ".join(unknown) + ": give device names (`name:` in the device files), "
            "separated by commas",
            param_hint="--down",
        )
    return outage(result.index, names)


def _emit(
    report, fmt: str, targets: list[tuple[str, str]], inputs: list[str], what_if=None
) -> tuple[str, list[str]]:
    """Write each --output target (never over an input of the run), then standard output;
    a --down what-if joins the text and json formats. Returns what standard output got
    and what each target got (the result cache keeps them)."""
    from .analysis.outage import with_outage
    from .fsutil import write_atomic
    from .progress import phase
    from .report import render

    written = []
    with phase("writing the report"):
        for target_fmt, target_path in targets:
            try:
                _refuse_inputs(target_path, inputs)
                text = with_outage(target_fmt, render(target_fmt, report), what_if)
                write_atomic(target_path, text)
                written.append(text)
            except OSError as err:
                _fail(f"cannot write {target_path}: {err.strerror or err}")
        shown = _quiet_text(report) if fmt == "text" and _quiet() else None
        if shown is None:
            shown = render(fmt, report, color=fmt == "text" and _color())
    shown = with_outage(fmt, shown, what_if)
    click.echo(shown, nl=False)
    return shown, written


def _quiet_text(report) -> str:
    """-q on the text format: the findings only, without the notes and the closing
    summary line (a clean run prints nothing; the exit status still tells)."""
    from dataclasses import replace

    from .report import render
    from .report.text import summary

    bare = replace(report, notes=())
    return render("text", bare, color=_color()).removesuffix(summary(bare) + "\n")


def _stdout_format(fmt: str | None, targets: list[tuple[str, str]]) -> str:
    """The one format standard output gets: `--output FMT=-` (or `=/dev/stdout`), else
    --format, else the default; two formats there would interleave, so that is a usage
    error."""
    from .fsutil import names_stdout

    to_stdout = [(target_fmt, path) for target_fmt, path in targets if names_stdout(path)]
    if len(to_stdout) > 1:
        raise click.UsageError(
            f"--output {to_stdout[0][0]}={to_stdout[0][1]} and --output "
            f"{to_stdout[1][0]}={to_stdout[1][1]} both write to standard output: "
            "send one of them to a file"
        )
    if to_stdout:
        target_fmt, path = to_stdout[0]
        if fmt is not None and fmt != target_fmt:
            raise click.UsageError(
                f"--format {fmt} and --output {target_fmt}={path} both write to standard "
                "output: drop --format or send the other to a file"
            )
        return target_fmt
    if fmt is None:
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return fmt


def _refuse_inputs(path: str, inputs: list[str]) -> None:
    """Refuse to write an output over a file the run reads (an environment file, the
    configuration, the baseline): `OutputRefused`, an OSError."""
    from .fsutil import refuse_inputs

    refuse_inputs(path, inputs, "an input of this check")


def _output(spec: str) -> tuple[str, str]:
    fmt, sep, path = spec.partition("=")
    if not sep or fmt not in FORMATS or not path:
        raise click.BadParameter(
            f"{spec!r}: write FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}",
            param_hint="--output",
        )
    return fmt, path


def _codes(values: tuple[str, ...], option: str) -> list[str]:
    """`--select RT --select DR004` or `--select RT,DR004`; a code or family that is
    unknown or cannot be selected (the catalogue says why) is an error."""
    from .catalogue import selector_problem

    codes = [c.strip().upper() for value in values for c in value.split(",") if c.strip()]
    problems = [p for p in map(selector_problem, codes) if p]
    if problems:
        raise click.BadParameter("; ".join(problems), param_hint=option)
    return codes


def _no_rule_left(config) -> None:
    """`--select X --ignore X`, or options that empty the configuration's selection: a
    usage error, not a clean check of nothing."""
    from .catalogue import no_rule_left

    if no_rule_left(config.select, config.ignore):
        raise click.UsageError(
            f"--select/--ignore leave no rule to run (select: {', '.join(config.select)}; "
            f"ignore: {', '.join(config.ignore)}, with the configuration's): select a rule "
            "that is not ignored"
        )


def _fail(message: str) -> None:
    click.echo(f"imgpolicy: {message}", err=True)
    sys.exit(2)


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date like 2026-11-28", param_hint="--today"
        ) from None


@main.command("docs")
@_verbosity_options()
@_cache_options
@click.argument("env_dir", type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option(
    "-o",
    "--output-dir",
    "out_dir",
    default="docs/architecture",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for architecture.md and architecture.html.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 when the files in the output folder are missing or "
    "differ from what would be generated (for pre-commit and CI).",
)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of Jinja2 templates that override the shipped ones by name "
    "(architecture.md.j2, html/style.css.j2, ...); they run sandboxed.",
)
@click.option(
    "--today",
    help="The date the documents are as of, YYYY-MM-DD (default: the "
    "config's today; under --check, the date the existing documents "
    "record; else today).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Use this .imgpolicy.yaml or pyproject.toml instead of the nearest one.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    help="Accept the findings recorded in this baseline file (listed as suppressed).",
)
@click.option(
    "--evidence",
    "evidence_paths",
    multiple=True,
    metavar="FILE",
    help="What an audit measured (imgpolicy audit ... --evidence FILE); repeatable. The "
    "checklist items it establishes become met / not met with the figure and its date, "
    "and the dose section charts the measured doses against the DRLs.",
)
def docs_command(
    env_dir: str,
    out_dir: str,
    check_only: bool,
    templates: str | None,
    today: str | None,
    config_path: str | None,
    baseline: str | None,
    evidence_paths: tuple[str, ...],
) -> None:
    """Write audit-ready architecture documentation of the environment in ENV_DIR.

    architecture.md (GitHub/GitLab Markdown with Mermaid diagrams) and architecture.html
    (one self-contained file: inline CSS and SVG, no JavaScript, printable), both built
    from the environment files and the policy rules' results. The same files and date
    give byte-identical documents. Exit status: 0 written or up to date, 1 stale under
    --check, 2 input that cannot be used (the same load and schema errors as check) or a
    template that fails.
    """
    from datetime import date

    from . import docs as architecture
    from .baseline import BaselineError
    from .config import ConfigError, resolve_config
    from .docs.templating import TemplateProblem
    from .engine import RuleCrashed
    from .engine import check as run_check
    from .progress import phase
    from .report import Report, render

    try:
        config = resolve_config(config_path, (env_dir,))
        when = (
            _date(today)
            if today
            else config.today
            or (architecture.recorded_date(out_dir) if check_only else None)
            or date.today()
        )
        with phase("checking the environment"):
            result = run_check(
                (env_dir,),
                config,
                baseline=baseline,
                today=when,
                cache=_parse_cache((env_dir,), config),
            )
    except (ConfigError, BaselineError, RuleCrashed) as err:
        _fail(str(err))
    if not result.load.files:
        _fail(
            f"no environment files under {env_dir} (a file belongs to the environment when "
            "its top level has 'imgpolicy: 1')"
        )
    if result.load.unusable or not result.rules_ran:
        report = Report.of_check(result, config.fail_on, (env_dir,))
        click.echo(render("text", report, color=_color()), nl=False)
        _fail("architecture documents not generated: the environment must pass the schema")
    evidence = None
    if evidence_paths:
        from .audit.evidence import EvidenceError, read_evidence

        try:
            evidence = read_evidence(evidence_paths)
        except EvidenceError as err:
            _fail(str(err))
    try:
        files = architecture.generate(
            result,
            root=env_dir,
            today=when,
            config=config,
            templates=templates,
            evidence=evidence,
        )
    except TemplateProblem as err:
        _fail(str(err))
    if check_only:
        stale = architecture.stale(out_dir, files)
        for path in stale:
            state = "missing" if not os.path.exists(path) else "out of date"
            click.echo(f"{path}: {state}; regenerate with: imgpolicy docs {env_dir} -o {out_dir}")
        if stale:
            sys.exit(1)
        if not _quiet():
            click.echo(f"architecture documents in {out_dir} are up to date (as of {when})")
        return
    try:
        with phase("writing the documents"):
            done = architecture.write(out_dir, files, result.load.files)
        for path, written in done:
            if written or not _quiet():
                click.echo(f"{'wrote' if written else 'unchanged'} {path}")
    except architecture.WriteFailed as err:
        _fail(str(err))


@main.command("diff")
@_verbosity_options()
@click.argument("base")
@click.argument("head", required=False)
@click.option(
    "--env",
    "env",
    default=".",
    show_default=True,
    help="The environment's folder (inside the git repository for revisions).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown is written for a pull-request comment.",
)
@click.option(
    "--json-output",
    type=click.Path(dir_okay=False),
    help="Also write the full JSON here (the Markdown points to it when truncated).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Use this .imgpolicy.yaml or pyproject.toml on both sides.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default="error",
    show_default=True,
    help="The severity --fail-on-new counts.",
)
@click.option(
    "--fail-on-new",
    is_flag=True,
    help="Exit 1 when the change introduces a finding at or above --fail-on.",
)
@click.option(
    "--down",
    "down",
    multiple=True,
    metavar="DEVICE[,DEVICE]",
    help="What-if on both sides: what the change does to the outage of these devices "
    "(flows that newly stop or no longer stop, plan coverage gained or lost).",
)
def diff_command(
    base: str,
    head: str | None,
    env: str,
    fmt: str,
    json_output: str | None,
    config_path: str | None,
    fail_on: str,
    fail_on_new: bool,
    down: tuple[str, ...] = (),
) -> None:
    """What the change from BASE to HEAD does: entities added, removed and changed, the
    destinations each acquisition AE's studies gain and lose, transfer syntax changes on
    the way, retention and DR coverage gained or lost, findings introduced and resolved,
    and with --down what the change does to that outage.

    BASE and HEAD are git revisions of the repository holding --env, or directories;
    HEAD defaults to the working tree (--env). Exit status: 0, 1 with --fail-on-new when
    a new finding is at or above --fail-on, 2 when a side cannot be read or loaded.
    """
    from . import diff as semantic
    from .config import ConfigError
    from .engine import RuleCrashed
    from .fsutil import write_atomic

    try:
        with semantic.sides(base, head, env, config_path) as (old, new):
            names = [n.strip() for value in down for n in value.split(",") if n.strip()]
            if down and not names:
                raise semantic.DiffError("--down: give device names, separated by commas")
            result = semantic.compare(old, new, names)
    except (semantic.DiffError, ConfigError, RuleCrashed) as err:
        _fail(str(err))
    if json_output:
        try:
            write_atomic(json_output, semantic.render(result, "json"))
        except OSError as err:
            _fail(f"cannot write {json_output}: {err.strerror or err}")
    hint = f"in `{json_output}`" if json_output else ""
    click.echo(semantic.render(result, fmt, hint), nl=False)
    threshold = Severity.parse(fail_on)
    sys.exit(1 if fail_on_new and semantic.new_at_or_above(result, threshold) else 0)


@main.command("rules")
@_verbosity_options()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Configuration whose house rules and rules_path to list (default: the nearest one).",
)
def list_rules(config_path: str | None) -> None:
    """List every rule and problem code (code, name, severity, origin, what it finds):
    shipped (imgpolicy), house rules, plugins; then the families that --select, --ignore
    and suppressions accept."""
    from .catalogue import catalogue, families
    from .config import ConfigError, resolve_config

    try:
        resolve_config(config_path, (".",))
    except ConfigError as err:
        _fail(str(err))
    for code, entry in catalogue().items():
        click.echo(
            f"{code:<9} {entry.name:<40} {entry.severity.label:<8} {entry.origin:<12} "
            f"{entry.summary}"
        )
    click.echo("\nFamilies (for --select, --ignore, config select/ignore and suppressions):")
    for prefix, family in families().items():
        click.echo(f"{prefix:<9} {family.kind:<12} {family.description}")


@main.command("rule")
@_verbosity_options()
@click.argument("code")
def show_rule(code: str) -> None:
    """Explain one rule or problem code: what it finds, why it matters, a bad and a good
    example (or the message and the fix), options. A family lists its codes."""
    from .catalogue import catalogue, codes_of, families

    entries = catalogue()
    code = code.upper()
    if code in families():
        family = families()[code]
        click.echo(f"{code}: {family.description}\n")
        for member in codes_of(code):
            click.echo(f"{member:<9} {entries[member].name:<40} {entries[member].summary}")
        return
    if code not in entries:
        _fail(f"no rule or code {code}; `imgpolicy rules` lists them")
    entry = entries[code]
    sections = entry.sections
    lines = [
        f"{entry.code} {entry.name} ({entry.severity.label}"
        + ("" if entry.suppressible else ", cannot be suppressed")
        + ")",
        "",
        sections["Summary"],
    ]
    for title in ("What", "Why", "Bad", "Good", "Example", "Options"):
        if sections.get(title):
            body = sections[title]
            if title in ("Bad", "Good", "Example", "Options"):
                body = "\n".join("    " + line for line in body.splitlines())
            lines += ["", f"{title}:", body]
    click.echo("\n".join(lines))


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@main.command()
@_verbosity_options()
def schema() -> None:
    """Print the JSON Schema of environment files (for yaml-language-server and editors)."""
    from .schema import schema_text

    click.echo(schema_text(), nl=False)


@main.command()
@_verbosity_options()
@click.argument("directory", type=click.Path(file_okay=False))
def init(directory: str) -> None:
    """Write a small, commented starter environment into DIRECTORY."""
    from .starter import write_starter

    try:
        written = write_starter(directory)
    except FileExistsError as err:
        click.echo(
            f"imgpolicy: {err.filename} already exists; init never overwrites files "
            "(choose an empty directory)",
            err=True,
        )
        sys.exit(2)
    except OSError as err:  # a file where a folder is needed, no permission, a full disk
        _fail(f"cannot write the starter into {directory}: {err.strerror or err}")
    if _quiet():
        return
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: imgpolicy check {directory}")


@main.command()
@_verbosity_options()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, readable=True)
)
@click.option(
    "--site", "sites", multiple=True, help="Only AEs of devices at this site (repeatable)."
)
@click.option("--ae", "aes", multiple=True, help="Only this AE title (repeatable).")
@click.option(
    "--calling-ae",
    default="IMGPOLICY",
    show_default=True,
    help="The AE title imgpolicy calls from.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds for each step: connect, association answer, C-ECHO, release. Each "
    "probed connection gets at most 4 x this in all (a peer that stalls part-way is "
    "PROBE001), so a run takes at most ceil(connections / --jobs) x 4 x this.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=256),
    default=16,
    show_default=True,
    help="Connections probed at the same time.",
)
@click.option(
    "--tls-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="CA certificates (PEM) to verify `tls: true` peers (default: the system's).",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    help="Client certificate (PEM) for peers that require one.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False),
    help="Private key of --tls-cert (when not in the same file).",
)
@_report_options
@_cache_options
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
def probe(
    paths: tuple[str, ...],
    sites: tuple[str, ...],
    aes: tuple[str, ...],
    calling_ae: str,
    timeout: float,
    jobs: int,
    tls_ca: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    fmt: str | None,
    outputs: tuple[str, ...],
    fail_on: str,
) -> None:
    """Check the live network against the environment under PATHS.

    For each acceptor AE, on each of its connections with a port: associate as
    --calling-ae, send C-ECHO, and propose every declared (SOP class, transfer syntax) of
    its SCP capabilities; report what the peer rejects. Only declared hosts are contacted,
    and C-ECHO is the only DIMSE request sent (no C-STORE/FIND/MOVE, no patient data).
    `tls: true` connections use TLS (--tls-ca, --tls-cert, --tls-key). Exit status as
    `imgpolicy check`: 0 clean, 1 findings at or above --fail-on, 2 unusable input.
    """
    from . import probe as probing
    from .config import ConfigError, resolve_config
    from .fsutil import names_stdout
    from .load import load_environment
    from .progress import phase
    from .redact import Redactor
    from .report import Report

    targets_out = [_output(spec) for spec in outputs]
    fmt = _stdout_format(fmt, targets_out)
    targets_out = [(f, path) for f, path in targets_out if not names_stdout(path)]
    if why := probing.check_calling_ae(calling_ae):
        raise click.BadParameter(f"{calling_ae!r}: {why}", param_hint="--calling-ae")
    if tls_key and not tls_cert:
        raise click.BadParameter("give --tls-cert with --tls-key", param_hint="--tls-key")
    try:
        probing.require_pynetdicom()
    except probing.ProbeUnavailable as err:
        _fail(str(err))
    try:
        config = resolve_config(None, paths)
    except ConfigError as err:
        _fail(str(err))
    with phase("loading the environment"):
        load = load_environment(paths, config.exclusions(), _parse_cache(paths, config))
    if not load.files:
        _fail(load.nothing_found(paths))
    findings, notes = list(load.findings), []
    if load.schema_valid and not load.unusable:
        selection = probing.targets(load, sites, aes)
        for flag, unknown in (("--site", selection.unknown_sites), ("--ae", selection.unknown_aes)):
            if unknown:
                _fail(f"{flag} {', '.join(unknown)}: not in the environment")
        settings = probing.Settings(calling_ae, timeout, tls_ca, tls_cert, tls_key)
        try:
            with phase("probing"):
                findings += probing.probe(
                    load,
                    selection.targets,
                    settings,
                    jobs=jobs,
                    progress=probing.terminal_progress(sys.stderr),
                )
        except (probing.TLSSetupError, probing.ProbeCrashed) as err:
            _fail(str(err))
        count = len(selection.targets)
        notes = [
            *selection.notes,
            (f"Probed {count} connection{'s' if count != 1 else ''} as calling AE {calling_ae}."),
        ]
    else:
        notes.append("The network was not probed: fix the errors above first.")
    findings.sort(key=lambda finding: finding.sort_key())
    threshold = Severity.parse(fail_on)
    report = Report(
        findings,
        load.files,
        threshold,
        tuple(notes),
        tuple(paths),
        Redactor.from_load(load),
        tuple(load.excluded),
        load.exclusions.source,
    )
    _emit(report, fmt, targets_out, [*load.files, *([config.source] if config.source else [])])
    failed = any(f.severity >= threshold for f in report.active)
    sys.exit(2 if load.unusable else 1 if failed else 0)


@main.group("audit")
@_verbosity_options()
def audit() -> None:
    """Judge what actually happened against the environment: traffic between AEs, DICOM
    headers, radiation dose.

    Each audit reads the environment (ENV) and one or more SOURCES: a folder of DICOM
    files, orthanc+http://host:8042 (Orthanc's REST API), dicomweb+http://host/dicom-web
    (QIDO-RS/WADO-RS), a DCMTK storescp/dcmqrscp -v log, a file of DICOM audit messages
    (PS3.15 A.5). Audits only read: no C-STORE, no change to any archive. Patient identity
    is masked unless --show-phi (text and json only). Findings come out in every format
    `check` has; --evidence FILE keeps the measured figures for `imgpolicy docs --evidence`.
    Exit status: 0 clean, 1 findings at or above --fail-on, 2 unusable input or source.
    """


def _audit_options(command):
    """What every audit takes: ENV, SOURCES, the window, the report, evidence, identity,
    and how to reach network sources."""
    for option in reversed(
        [
            click.argument("env", type=click.Path(exists=True, dir_okay=True, readable=True)),
            click.argument("sources", nargs=-1, required=True),
            click.option(
                "--since",
                help="Only what happened from this date: YYYY-MM-DD, or a period back from "
                "--today such as 30d, 12w, 6m (default: everything the source holds).",
            ),
            click.option("--until", help="Only what happened up to this date, YYYY-MM-DD."),
            click.option("--today", help="The date --since counts back from (default: today)."),
            _report_options,
            click.option(
                "--fail-on",
                type=click.Choice(["error", "warning", "info"]),
                default="error",
                show_default=True,
                help="Exit 1 when a finding is at least this severe.",
            ),
            click.option(
                "--evidence",
                "evidence_path",
                type=click.Path(dir_okay=False),
                help="Also write what was measured to this file, for `imgpolicy docs "
                "--evidence` (no patient identity in it).",
            ),
            click.option(
                "--show-phi",
                is_flag=True,
                help="Show patient names and identifiers in findings (text and json only; "
                "never in formats that go to code hosts).",
            ),
            click.option(
                "--user",
                envvar="IMGPOLICY_SOURCE_USER",
                help="User for network sources (or IMGPOLICY_SOURCE_USER).",
            ),
            click.option(
                "--password",
                envvar="IMGPOLICY_SOURCE_PASSWORD",
                help="Its password (better: IMGPOLICY_SOURCE_PASSWORD, which `ps` does not show).",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                default=30.0,
                show_default=True,
                help="Seconds for each request to a network source.",
            ),
        ]
    ):
        command = option(command)
    return _verbosity_options()(command)


def _audit_window(since: str | None, until: str | None, now: date_type):
    """--since/--until as an `audit.observed.Window`, a period counted back from `now`."""
    import re
    from datetime import date, timedelta

    from .audit.observed import Window

    start = None
    if since:
        period = re.fullmatch(r"(\d+)([dwmy])", since.strip().lower())
        if period:
            days = int(period[1]) * {"d": 1, "w": 7, "m": 30, "y": 365}[period[2]]
            start = now - timedelta(days=days)
        else:
            try:
                start = date.fromisoformat(since)
            except ValueError:
                raise click.BadParameter(
                    f"{since!r}: give a date like 2026-11-01 or a period like 30d, 12w, 6m",
                    param_hint="--since",
                ) from None
    end = None
    if until:
        try:
            end = date.fromisoformat(until)
        except ValueError:
            raise click.BadParameter(
                f"{until!r} is not a date like 2026-11-28", param_hint="--until"
            ) from None
    if start and end and end < start:
        raise click.BadParameter(f"{until} is before --since {start}", param_hint="--until")
    return Window(start, end)


class _AuditRun:
    """What every audit does around its judgement: load the environment, open the
    sources, then report (`finish`)."""

    def __init__(self, env: str, specs: tuple[str, ...], fmt, outputs, options: dict) -> None:
        from .audit.phi import PHI_FORMATS, Identity
        from .audit.sources import Settings
        from .config import ConfigError, resolve_config
        from .fsutil import names_stdout
        from .load import load_environment
        from .progress import phase

        targets = [_output(spec) for spec in outputs]
        self.fmt = _stdout_format(fmt, targets)
        self.targets = [(f, path) for f, path in targets if not names_stdout(path)]
        self.show_phi = options["show_phi"]
        if self.show_phi:
            unsafe = sorted({self.fmt, *(f for f, _ in self.targets)} - PHI_FORMATS)
            if unsafe:
                raise click.UsageError(
                    f"--show-phi with {', '.join(unsafe)}: those formats end up on code hosts "
                    "and CI logs; use --format text or json for patient identity"
                )
        self.identity = Identity(show=self.show_phi)
        self.today = self._today(options["today"])
        self.window = _audit_window(options["since"], options["until"], self.today)
        self.fail_on = Severity.parse(options["fail_on"])
        self.evidence_path = options["evidence_path"]
        self.env = env
        try:
            self.config = resolve_config(None, (env,))
        except ConfigError as err:
            _fail(str(err))
        with phase("loading the environment"):
            self.load = load_environment((env,), self.config.exclusions())
        if not self.load.files:
            _fail(self.load.nothing_found((env,)))
        if not self.load.schema_valid or self.load.unusable:
            self._refuse_broken_environment()
        from .analysis.index import Index

        self.index = Index(self.load, self.today)
        self.settings = Settings(
            options["user"] or None, options["password"] or None, options["timeout"]
        )
        self.sources = [self._open(spec) for spec in specs]

    @staticmethod
    def _today(text: str | None):
        from datetime import date

        return _date(text) if text else date.today()

    def _open(self, spec: str):
        from .audit.observed import SourceFailed
        from .audit.sources import open_source

        try:
            return open_source(spec, self.settings)
        except SourceFailed as err:
            _fail(str(err))

    def _refuse_broken_environment(self) -> None:
        """An environment with YAML or schema errors cannot be audited against: show its
        errors as `check` would and exit 2."""
        from .redact import Redactor
        from .report import Report, render

        report = Report(
            sorted(self.load.findings, key=lambda f: f.sort_key()),
            self.load.files,
            Severity.ERROR,
            ("The audit did not run: fix the environment's errors first (imgpolicy check).",),
            (self.env,),
            Redactor.from_load(self.load),
        )
        click.echo(render("text", report, color=_color()), nl=False, err=True)
        sys.exit(2)

    def finish(self, result) -> None:
        """Report `result` (an `audit.result.AuditResult`) in every asked format, write its
        evidence, and exit with the status its findings call for."""
        from .audit.observed import SourceFailed
        from .redact import Redactor
        from .report import Report

        findings = sorted(result.findings, key=lambda f: f.sort_key())
        notes = [*result.notes, *(f"{figure.text}" for figure in result.figures)]
        report = Report(
            findings,
            self.load.files,
            self.fail_on,
            tuple(notes),
            (self.env,),
            Redactor.from_load(self.load),
        )
        inputs = [*self.load.files, *([self.config.source] if self.config.source else [])]
        if self.evidence_path:
            from .audit.evidence import write_evidence
            from .fsutil import write_atomic

            try:
                _refuse_inputs(self.evidence_path, inputs)
                write_atomic(self.evidence_path, write_evidence(result, self.today))
            except SourceFailed as err:
                _fail(str(err))
            except OSError as err:
                _fail(f"cannot write {self.evidence_path}: {err.strerror or err}")
        _emit(report, self.fmt, self.targets, inputs)
        failed = any(f.severity >= self.fail_on for f in report.active)
        sys.exit(1 if failed else 0)

    def judge(self, audit_function, **options) -> None:
        """Run `audit_function(index, sources, window, identity=..., **options)` and
        finish; a source that fails on the way is a message and exit 2."""
        from .audit.observed import SourceFailed, Unsupported
        from .progress import phase

        try:
            with phase(f"auditing {audit_function.__module__.rsplit('.', 1)[-1]}"):
                result = audit_function(
                    self.index, self.sources, self.window, identity=self.identity, **options
                )
        except (SourceFailed, Unsupported) as err:
            _fail(str(err))
        self.finish(result)


@audit.command("traffic")
@_audit_options
@click.option(
    "--threshold",
    type=click.FloatRange(min=0, max=100),
    default=0.1,
    show_default=True,
    help="The routing error rate, in percent of studies, above which the audit fails the "
    "Quality Audit item.",
)
def audit_traffic(env, sources, fmt, outputs, threshold, **options) -> None:
    """Who talked to whom, against what ENV declares: declared AEs with no traffic, callers
    and flows ENV does not declare, declared routes never used, the routing error rate,
    rejected associations by cause."""
    from .audit import traffic

    _AuditRun(env, sources, fmt, outputs, options).judge(traffic.audit, threshold=threshold / 100)


@audit.command("headers")
@_audit_options
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Studies sampled per modality (all when fewer).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="The sampling seed: the same seed gives the same sample.",
)
@click.option(
    "--orders",
    "orders_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The RIS orders to match against: a CSV export or a file of HL7 v2 ORM messages.",
)
def audit_headers(env, sources, fmt, outputs, sample, seed, orders_path, **options) -> None:
    """Sample studies and judge their headers against ENV (and the orders): patient ID and
    its issuer, name format, accession, study description, referring physician, modality
    and sending AE, character set, duplicates; the patient-ID accuracy with its
    confidence interval."""
    from .audit import headers
    from .audit.observed import SourceFailed

    orders = None
    if orders_path:
        from .audit.orders import read_orders

        try:
            orders = read_orders(orders_path)
        except SourceFailed as err:
            _fail(str(err))
    _AuditRun(env, sources, fmt, outputs, options).judge(
        headers.audit, sample=sample, seed=seed, orders=orders
    )


@audit.command("dose")
@_audit_options
def audit_dose(env, sources, fmt, outputs, **options) -> None:
    """Read Radiation Dose SRs and judge them against ENV's reference levels and CT Dose
    Check values: each exam's facility median (and 75th percentile) against its DRL,
    single studies above notification or alert values (dates and devices, never patients
    unless --show-phi)."""
    from .audit import dose

    _AuditRun(env, sources, fmt, outputs, options).judge(dose.audit)


@main.group("import")
@_verbosity_options()
def import_() -> None:
    """Write an environment file from a real system's configuration (Orthanc, DCMTK,
    dcm4chee-arc-light, mercure).

    The file goes to standard output, or to -o FILE (written atomically; an existing file
    only with --force), or with --into ENV_DIR is merged into an environment: what it has
    is matched, conflicts reported, the rest written to a new imported-<device>.yaml there
    (--dry-run: print the diff only). Each device and AE carries a comment saying where it came from;
    what the source does not say is marked "edit:". Settings that are a security or safety
    posture of the source are printed as IMPORT findings on standard error. Exit status:
    0 written (1 with --fail-on and a finding at least that severe), 2 input that cannot
    be used.
    """


def _import_options(command):
    options = [
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False),
            help="Write the environment file here instead of standard output.",
        ),
        click.option("--force", is_flag=True, help="Overwrite --output if it exists."),
        click.option(
            "--site",
            default="MAIN",
            show_default=True,
            help="The site the imported devices stand at.",
        ),
        click.option(
            "--hostname",
            help="The host the imported system runs on (its own configuration does not name it).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["error", "warning", "info"]),
            default=None,
            help="Exit 1 when a finding is at least this severe "
            "(default: findings never fail the import).",
        ),
        click.option(
            "--into",
            type=click.Path(file_okay=False),
            expose_value=False,
            callback=_remember,
            help="Merge into this environment folder: devices it already has are matched "
            "(AE title, host:port), conflicts reported, the rest written to a new "
            "imported-<device>.yaml there; no file you wrote is changed.",
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="With --into: print the unified diff of what would be written; write nothing.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return _verbosity_options()(command)


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> object:
    """Keep --into/--dry-run in the context, so every importer command gets them from
    `_import_options` without a parameter of its own (read by `_import_finish`)."""
    ctx.meta[f"imgpolicy.import.{param.name}"] = value
    return value


def _import_checks(
    output: str | None, force: bool, site: str, kind: str | None, hostname: str | None
) -> None:
    from typing import get_args

    from .importers.common import check_hostname, check_name
    from .model.devices import DeviceKind

    if output and os.path.lexists(output) and not force:
        _fail(f"{output} exists; pass --force to overwrite it")
    if check_name(site)[0] is None:
        raise click.BadParameter(f"{site!r}: {check_name(site)[1]}", param_hint="--site")
    if kind is not None and kind not in get_args(DeviceKind):
        raise click.BadParameter(
            f"{kind!r} is not a device kind: use one of {', '.join(get_args(DeviceKind))}",
            param_hint="--kind",
        )
    if hostname is not None and check_hostname(hostname)[0] is None:
        raise click.BadParameter(
            f"{hostname!r}: {check_hostname(hostname)[1]}", param_hint="--hostname"
        )


def _import_finish(run, output: str | None, fail_on: str | None, source: str | None = None) -> None:
    """Run the import, print its findings, write the file (never over the imported
    `source`: a configuration file, or a file of a configuration folder)."""
    from .importers import ImportFailed, format_finding, render, self_check
    from .progress import phase

    meta = click.get_current_context().meta
    into, dry_run = meta.get("imgpolicy.import.into"), meta.get("imgpolicy.import.dry_run")
    if into and output:
        raise click.UsageError("give either -o FILE or --into ENV_DIR")
    if dry_run and not into:
        raise click.UsageError("--dry-run shows what --into would change: give --into ENV_DIR")
    try:
        with phase("importing"):
            result = run()
    except ImportFailed as err:
        _fail(str(err))
    text = render(result)
    self_check(text)
    findings = result.sorted_findings()
    for finding in findings:
        click.echo(format_finding(finding), err=True)
    if into:
        findings += _import_into(result, into, bool(dry_run), source)
    elif output:
        from .fsutil import refuse_inputs, write_atomic

        sources = [source] if source and not os.path.isdir(source) else []
        if source and os.path.isdir(source):
            sources = [os.path.join(source, name) for name in sorted(os.listdir(source))]
        try:
            refuse_inputs(output, sources, "the imported configuration")
            write_atomic(output, text)
        except OSError as err:
            _fail(f"cannot write {output}: {err.strerror or err}")
        aes = sum(len(d.application_entities) for d in result.devices)
        if not _quiet():
            click.echo(
                f"wrote {output}: {len(result.devices)} device"
                f"{'s' if len(result.devices) != 1 else ''}, {aes} AE"
                f"{'s' if aes != 1 else ''}, {len(findings)} finding"
                f"{'s' if len(findings) != 1 else ''}",
                err=True,
            )
    else:
        click.echo(text, nl=False)
    threshold = Severity.parse(fail_on) if fail_on else None
    sys.exit(1 if threshold and any(f.severity >= threshold for f in findings) else 0)


def _import_into(result, env_dir: str, dry_run: bool, source: str | None) -> list:
    """--into: merge the import into ENV_DIR (or, with --dry-run, print the diff); print
    the merge's findings and what was done; return the findings."""
    from .importers import ImportFailed, format_finding
    from .importers import merge as merging

    ctx = click.get_current_context()
    try:
        plan = merging.plan(result, env_dir, merging.source_key(ctx.info_name, source, ctx.params))
    except ImportFailed as err:
        _fail(str(err))
    for finding in sorted(plan.findings, key=lambda f: f.sort_key()):
        click.echo(format_finding(finding), err=True)
    for note in [] if _quiet() else plan.notes:
        click.echo(f"imgpolicy: {note}", err=True)
    if dry_run:
        click.echo(plan.diff(), nl=False)
    else:
        try:
            merging.write(plan)
        except ImportFailed as err:
            _fail(str(err))
        except OSError as err:
            _fail(f"cannot write {plan.target}: {err.strerror or err}")
    if not plan.changed:
        done = f"{plan.target} is up to date" if plan.edits else "nothing to write"
    else:
        done = f"{'would write' if dry_run else 'wrote'} {plan.target}"
    if not _quiet():
        click.echo(f"{done} ({plan.summary()})", err=True)
    return plan.findings


@import_.command("orthanc")
@click.argument("config", required=False, type=click.Path(exists=True, readable=True))
@click.option(
    "--url",
    help="Read a running Orthanc's REST API instead, e.g. http://pacs:8042 "
    "(user info in it, http://user:password@host:8042, is used when --user/--password "
    "are not given, and never shown).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds the whole import over --url may take (each request at most 15 s).",
)
@click.option(
    "--user",
    envvar="IMGPOLICY_ORTHANC_USER",
    help="User for the REST API (HTTP basic auth; or IMGPOLICY_ORTHANC_USER).",
)
@click.option(
    "--password",
    envvar="IMGPOLICY_ORTHANC_PASSWORD",
    help="Its password (better: IMGPOLICY_ORTHANC_PASSWORD, which `ps` does not show).",
)
@click.option(
    "--kind",
    default="pacs",
    show_default=True,
    help="Device kind of the Orthanc node (pacs, vna, router, ...).",
)
@click.option(
    "--orthanc-version",
    metavar="VERSION",
    help="The Orthanc release (e.g. 1.10.1): what its DICOM server accepts depends on it "
    "(default: /system's over --url; for a file, see the header).",
)
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False),
    help="KEY=VALUE lines for the ${VAR} placeholders of the configuration (they win over "
    "this process's environment).",
)
@click.option(
    "--keep-placeholders",
    is_flag=True,
    help="Import a ${VAR} without a value as written (IMPORT010) instead of stopping.",
)
@_import_options
def import_orthanc(
    config: str | None,
    url: str | None,
    timeout: float,
    user: str | None,
    password: str | None,
    kind: str,
    orthanc_version: str | None,
    env_file: str | None,
    keep_placeholders: bool,
    output: str | None,
    force: bool,
    site: str,
    hostname: str | None,
    fail_on: str | None,
) -> None:
    """Orthanc: CONFIG (orthanc.json, or a folder of *.json) or --url (the REST API).

    The Orthanc node becomes a device with its AE (DicomAet, DicomPort), the storage SOP
    classes and transfer syntaxes it accepts; each DicomModalities entry becomes a device
    (kind other: edit it) whose Allow* flags are the roles it may use toward Orthanc. The
    REST API exposes less than the file (no DicomAlwaysAllow*, DicomCheckCalledAet...):
    import the file for the full posture.
    """
    from .importers import import_orthanc as run_import

    if (config is None) == (url is None):
        raise click.UsageError("give either CONFIG (a file or folder) or --url")
    _import_checks(output, force, site, kind, hostname)
    _import_finish(
        lambda: run_import(
            path=config,
            url=url,
            user=user,
            password=password,
            site=site,
            kind=kind,
            hostname=hostname,
            timeout=timeout,
            orthanc_version=orthanc_version,
            env_file=env_file,
            keep_placeholders=keep_placeholders,
        ),
        output,
        fail_on,
        config,
    )


@import_.command("dcmtk")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--type",
    "file_type",
    type=click.Choice(["dcmqrscp", "association"]),
    help="What CONFIG is (default: told from its content).",
)
@click.option(
    "--kind", default=None, help="Device kind (default: pacs for dcmqrscp, other for a profile)."
)
@click.option("--device-name", help="Name of the imported device (default: the file name).")
@click.option("--profile", help="Association profile to import (default: Default).")
@click.option(
    "--role",
    type=click.Choice(["SCU", "SCP"]),
    help="Whether the tool using the profile is an SCU or an SCP (default: from "
    "the file name, storescu/storescp).",
)
@click.option("--ae-title", help="The tool's AE title (default: from the file name).")
@click.option("--port", type=click.IntRange(1, 65535), help="The SCP's port.")
@_import_options
def import_dcmtk(
    config: str,
    file_type: str | None,
    kind: str | None,
    device_name: str | None,
    profile: str | None,
    role: str | None,
    ae_title: str | None,
    port: int | None,
    output: str | None,
    force: bool,
    site: str,
    hostname: str | None,
    fail_on: str | None,
) -> None:
    """DCMTK: a dcmqrscp.cfg, or an association profile (storescp.cfg, storescu.cfg).

    dcmqrscp.cfg: the AETable's AE titles (with their access) on one device at
    NetworkTCPPort, each HostTable peer as a device. A profile: one device whose AE has
    the presentation contexts of --profile as transfer capabilities. DCMTK's UID names
    (LittleEndianExplicit, ...) are translated; unknown ones are IMPORT008 findings.
    """
    from .importers import import_dcmtk as run_import

    _import_checks(output, force, site, kind, hostname)
    _import_finish(
        lambda: run_import(
            config,
            file_type=file_type,
            site=site,
            kind=kind,
            hostname=hostname,
            device_name=device_name,
            profile=profile,
            role=role,
            ae_title=ae_title,
            port=port,
        ),
        output,
        fail_on,
        config,
    )


@import_.command("dcm4chee")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--kind",
    default="pacs",
    show_default=True,
    help="Device kind of the archive (pacs, vna, ...); other devices get theirs from "
    "dicomPrimaryDeviceType.",
)
@_import_options
def import_dcm4chee(
    config: str,
    kind: str,
    output: str | None,
    force: bool,
    site: str,
    hostname: str | None,
    fail_on: str | None,
) -> None:
    """dcm4chee-arc-light: a device JSON export (GET /dcm4chee-arc/devices/{name}) or LDIF.

    Each dicomDevice with a DICOM AE becomes a device: its DICOM connections (TLS when
    dicomTLSCipherSuite is set), its AEs and their transfer capabilities. The archive's
    export rules with a dicom:AET exporter become routes (dcmProperty conditions as the
    match where they map, IMPORT032 where not); storage, retention, compression and
    coercion rules are comments; posture is reported (IMPORT001/002, IMPORT030-036).
    --hostname replaces the archive's own dicomHostname.
    """
    from .importers import import_dcm4chee as run_import

    _import_checks(output, force, site, kind, hostname)
    _import_finish(
        lambda: run_import(config, site=site, kind=kind, hostname=hostname),
        output,
        fail_on,
        config,
    )


@import_.command("mercure")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--kind", default="router", show_default=True, help="Device kind of the mercure node."
)
@click.option(
    "--ae-title",
    help="The AE title senders call mercure with (mercure answers any; default MERCURE).",
)
@_import_options
def import_mercure(
    config: str,
    kind: str,
    ae_title: str | None,
    output: str | None,
    force: bool,
    site: str,
    hostname: str | None,
    fail_on: str | None,
) -> None:
    """mercure: its mercure.json (the router's targets, rules and modules).

    The router becomes a device with one AE that receives (storescp --promiscuous on
    `port`) and forwards; each DICOM target a device (kind other: edit it); each rule a
    route per DICOM target, its condition as the route's match where it maps (IMPORT037
    where not); DICOMweb targets become integrations. Secrets are never written (IMPORT040).
    """
    from .importers import import_mercure as run_import

    _import_checks(output, force, site, kind, hostname)
    if ae_title is not None:
        from .importers.common import check_ae_title

        if check_ae_title(ae_title)[0] != ae_title:
            raise click.BadParameter(
                f"{ae_title!r}: {check_ae_title(ae_title)[1] or 'not as imgpolicy stores it'}",
                param_hint="--ae-title",
            )
    _import_finish(
        lambda: run_import(config, site=site, kind=kind, hostname=hostname, ae_title=ae_title),
        output,
        fail_on,
        config,
    )


def run() -> None:
    """The console script: `main`, then a hard exit.

    A check builds millions of small objects; the cyclic garbage collector would scan them
    again and again (none of them form cycles that matter), and tearing them down at exit
    costs as much as half the check. The output is flushed first, so nothing is lost.
    """
    import gc

    from .fsutil import guarded_stdout

    gc.disable()
    sink = None
    if sys.stdout is not None and _has_fd(sys.stdout):
        sys.stdout, sink = guarded_stdout(sys.stdout)
    try:
        main(obj=_WHOLE_PROCESS)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
    except BrokenPipeError:  # a reader gone before the sink was in place
        code = 1
    except OSError as err:
        if sink is not None and sink.failed is err:
            code = _stdout_failed(err)
            sink.reader_gone = True  # said once; the rest of the output is dropped
        else:  # a file system error no command caught: a message, never a traceback
            where = f"{err.filename}: " if err.filename else ""
            print(f"imgpolicy: {where}{err.strerror or err}", file=sys.stderr)
            code = 2
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except OSError as err:
        code = _stdout_failed(err)
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)


def _has_fd(stream) -> bool:
    try:
        stream.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    return True


def _stdout_failed(err: OSError) -> int:
    """Standard output cannot take the report (a full disk): say so; exit 2, since the
    report the caller relies on is incomplete."""
    try:
        sys.stderr.write(f"imgpolicy: cannot write to standard output: {err.strerror or err}\n")
        sys.stderr.flush()
    except OSError:
        pass
    return 2


if __name__ == "__main__":  # pragma: no cover
    run()
