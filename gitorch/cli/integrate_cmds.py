"""``gitorch integrate``: build the integration branch from every team branch."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitorch.cli.base import Context, json_option, main, manifest_option, pass_context, print_json
from gitorch.errors import UsageError
from gitorch.manifest.pathnames import shown

if TYPE_CHECKING:
    from gitorch.records import IntegrationReport

FORMATS = ("md", "json", "junit", "html")
DEFAULT_REPORT = "gitorch-report.md"


@main.command()
@click.option("--fix", is_flag=True, default=None,
              help="Resolve conflicts for the higher-priority team; drop (and save) "
                   "changes outside a team's scope.")
@click.option("--test", "test_command", metavar="CMD",
              help="Test command run on the integrated tree (default: gates.test_command).")
@click.option("--report", "report_path", metavar="PATH",
              help="Report file; one file per format beside it "
                   "(default: .git/gitorch/report/gitorch-report.md).")
@click.option("--format", "formats", default="md,json", show_default=True, metavar="LIST",
              help="Report formats, comma-separated: md, json, junit, html.")
@click.option("--dry-run", is_flag=True, help="Merge in memory only: move no ref, keep no checkpoint.")
@click.option("--resume", is_flag=True, help="Finish the run that was interrupted.")
@click.option("--coverage-file", metavar="FILE",
              help="Cobertura XML or LCOV file the test command writes (non-Python tests).")
@click.option("--remote", default="origin", show_default=True,
              help="Remote whose team branches count where there is no local one.")
@click.option("--watch", is_flag=True,
              help="Continuous integration mode: integrate again whenever a team branch moves "
                   "(with --json: one document a line per run).")
@click.option("--interval", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              metavar="SECONDS", help="With --watch: how often to look at the team branches.")
@click.option("--fetch", is_flag=True, help="With --watch: fetch REMOTE before each look.")
@click.option("--keep-green", is_flag=True,
              help="When the tests fail, find the teams that broke them and leave them out "
                   "(with their dependents); publish only a chain whose tests pass.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="With --keep-green: test runs at once, each in its own worktree.")
@click.option("--retries", default=1, show_default=True, type=click.IntRange(min=0),
              metavar="K", help="With --keep-green: retries of a failing run before it counts "
                                "(a test that fails, then passes is flaky).")
@click.option("--junit-file", metavar="FILE",
              help="With --keep-green: JUnit XML the test command writes, to name failing "
                   "tests (pytest is asked for one itself).")
@click.option("--test-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Kill a test run after this long; it counts as failed "
                   "(default: gates.test_timeout, else none).")
@json_option
@manifest_option
@pass_context
def integrate(obj: Context, fix: bool | None, test_command: str | None, report_path: str | None,
              formats: str, dry_run: bool, resume: bool, coverage_file: str | None, remote: str,
              watch: bool, interval: float, fetch: bool, keep_green: bool, jobs: int,
              retries: int, junit_file: str | None, test_timeout: float | None,
              as_json: bool) -> None:
    """Merge every team branch, in order, into the integration branch."""
    from gitorch import integrate as engine
    from gitorch import report as reporting
    from gitorch.repo import git_common_dir
    from gitorch.verdicts import write_verdicts

    if (fetch or interval != 60.0) and not watch:
        raise UsageError("--interval and --fetch go with --watch",
                         hint="add --watch, or leave them out")
    if (jobs != 1 or retries != 1 or junit_file) and not keep_green:
        raise UsageError("--jobs, --retries and --junit-file go with --keep-green",
                         hint="add --keep-green, or leave them out")
    if keep_green and resume:
        raise UsageError("--keep-green and --resume do not go together",
                         hint="finish the interrupted run with --resume first")
    if watch and resume:
        raise UsageError("--watch and --resume do not go together",
                         hint="finish the interrupted run with --resume first")
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise UsageError(f"unknown report format {', '.join(unknown) or '(none)'}",
                         hint=f"choose from {', '.join(FORMATS)}")
    repo, manifest = obj.repo, obj.manifest
    if report_path:
        path = Path(report_path)
    else:
        path = git_common_dir(repo) / "gitorch" / "report" / DEFAULT_REPORT
        for old in (path.parent / "dropped").glob("*.patch"):  # our own folder: last run only
            old.unlink()
    try:    # before merging anything: a report folder that cannot exist is a usage error
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the report folder {path.parent}: "
                         f"{exc.strerror or exc}",
                         hint="pass --report PATH in a folder you can write") from None

    green = None
    if keep_green:
        from gitorch.integrate.keepgreen import Options

        green = Options(jobs=jobs, retries=retries, junit_file=junit_file)

    def run_once(target: Path) -> IntegrationReport:
        with _progress_bar(enabled=sys.stderr.isatty()) as progress:
            report = engine.integrate(
                repo, manifest, fix=fix, dry_run=dry_run, resume=resume, remote=remote,
                test_command=test_command, coverage_file=coverage_file,
                report_dir=target.parent, progress=progress, keep_green=green,
                test_timeout=test_timeout)
        written = reporting.write_reports(report, target, wanted)
        if not dry_run:
            write_verdicts(repo, report)
        if as_json and watch:   # a stream of runs: one compact document a line (JSON Lines)
            click.echo(json.dumps(report.to_dict(), default=str))
        elif as_json:
            print_json(report.to_dict())
        else:
            _print_summary(report, written)
        return report

    if watch:
        _watch(obj, run_once, path, interval=interval, remote=remote, fetch=fetch, quiet=as_json)
        return
    if not run_once(path).passed:
        raise SystemExit(1)


def _watch(obj: Context, run_once: Callable[[Path], IntegrationReport], path: Path, *,
           interval: float, remote: str, fetch: bool, quiet: bool) -> None:
    """Integrate on every move of a team branch, one numbered report per run, until Ctrl-C."""
    from datetime import datetime

    from gitorch import repo as git
    from gitorch.integrate.watch import watch
    from gitorch.process import long_running

    long_running()   # until Ctrl-C: collect cyclic garbage after all

    repo, manifest = obj.repo, obj.manifest

    def say(text: str) -> None:
        if not quiet:
            click.echo(text, err=True)

    def heads() -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for team in manifest.teams:
            commit = git.branch_commit(repo, manifest.branch(team), remote)
            out[team] = str(commit.id) if commit is not None else None
        return out

    def run(number: int, moved: tuple[str, ...]) -> int:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        say(f"[{stamp}] run {number}: {', '.join(moved)} moved")
        report = run_once(path.with_name(f"{path.stem}-run{number}{path.suffix}"))
        return 0 if report.passed else 1

    def fetch_remote() -> None:
        problem = git.fetch(repo, remote)
        if problem:
            say(f"fetch from {remote} failed: {problem}")

    say(f"watching {len(manifest.teams)} team branches every {interval:g} s; Ctrl-C stops")
    try:
        watch(poll=heads, integrate=run, interval=interval,
              fetch=fetch_remote if fetch else None)
    except KeyboardInterrupt:
        say("stopped")


@contextmanager
def _progress_bar(*, enabled: bool) -> Iterator[Callable[[int, int, str, str], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("integrate"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), console=Console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int, team: str, what: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{team}: {what}")
        yield update


def _print_summary(report: IntegrationReport, written: list[Path]) -> None:
    echo = click.echo
    echo(f"Merge order: {', '.join(report.order)}")
    reasons = {s.team: s for s in report.skipped}
    width = max((len(t.team) for t in report.teams), default=4)
    for t in report.teams:
        if t.status == "merged":
            detail = f"{t.commits} commit(s), merge {(t.merge_commit or '')[:8]}"
        elif t.team in reasons:
            skip = reasons[t.team]
            detail = skip.reason + (f": {', '.join(shown(p) for p in skip.paths)}"
                                    if skip.paths else "")
        else:
            detail = "no commits beyond the chain"
        echo(f"  {t.team:<{width}}  {t.status:<9}  {detail}")
    if report.conflicts:
        echo("Conflicts:")
        for c in report.conflicts:
            echo(f"  {shown(c.path)} ({c.kind}, {' vs '.join(c.teams)}): {c.resolution}")
    if report.dropped:
        echo("Dropped changes (saved, nothing is lost):")
        for d in report.dropped:
            echo(f"  {d.team}: {shown(d.path)} ({d.reason}) -> {d.saved_as}")
    if report.quality is not None and report.quality.command:
        verdict = {True: "passed", False: "FAILED", None: "not run"}[report.quality.passed]
        echo(f"Tests: {report.quality.command}: {verdict}")
    _print_keep_green(report)
    for failure in report.gate_failures:
        echo(f"Gate failed: {failure}")
    name = report.integration_ref.removeprefix("refs/heads/")
    if report.integration is None:
        echo(f"Integration: nothing merged; {name} not moved")
    elif report.dry_run:
        echo(f"Integration: {report.integration[:8]} (dry run: {name} not moved)")
    else:
        echo(f"Integration: {name} -> {report.integration[:8]}")
    for target in written:
        echo(f"Report: {target}")


@main.command()
@click.option("--keep", default=10, show_default=True, metavar="N",
              help="Runs whose dropped changes are kept (the newest).")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@json_option
@pass_context
def prune(obj: Context, keep: int, dry_run: bool, as_json: bool) -> None:
    """Remove refs/gitorch/dropped/<run>/ of all but the newest runs."""
    from gitorch.integrate.prune import prune_dropped

    result = prune_dropped(obj.repo, keep=keep, dry_run=dry_run)
    if as_json:
        print_json({**result.as_json(), "dry_run": dry_run})
        return
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} the dropped changes of {len(result.removed)} run"
               f"{'' if len(result.removed) == 1 else 's'} ({len(result.refs_removed)} refs); "
               f"kept {len(result.kept)}")


def _print_keep_green(report: IntegrationReport) -> None:
    kg = report.keep_green
    if kg is None:
        return
    echo = click.echo
    echo(f"Keep green: {len(kg.test_runs)} test run(s), "
         + ("green" if kg.green else "no green chain: nothing published"))
    for c in kg.culprits:
        kind = c.kind + (f" with {', '.join(c.with_)}" if c.with_ else "")
        echo(f"  {c.team} ({kind}) breaks {', '.join(c.failing_tests)}: "
             f"{c.left_out} left out ({c.decided_by})")
    if kg.flaky_tests:
        echo(f"  flaky, not blamed: {', '.join(kg.flaky_tests)}")
