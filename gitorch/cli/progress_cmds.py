"""Commands of the progress stage: signal, status, monitor, expand."""

from __future__ import annotations

from pathlib import Path

import click

from gitorch.cli.base import (
    Context,
    json_option,
    main,
    manifest_option,
    pass_context,
    print_json,
    stdout_is_terminal,
)
from gitorch.errors import CheckFailed

remote_option = click.option("--remote", default="origin", show_default=True, metavar="NAME",
                             help="Remote whose branches stand in for missing local ones.")


@main.command()
@click.argument("state", type=click.Choice(["ready", "blocked", "working"]))
@click.option("--reason", metavar="TEXT", help="Why (required for blocked).")
@click.option("--team", metavar="TEAM", help="Team (default: the checked-out team branch).")
@click.option("--on", "on", metavar="TEAM", multiple=True,
              help="With blocked: a team this team waits for (repeat for several).")
@remote_option
@manifest_option
@json_option
@pass_context
def signal(obj: Context, state: str, reason: str | None, team: str | None, on: tuple[str, ...],
           remote: str, as_json: bool) -> None:
    """Record the team's state as an empty commit on its branch; push to share it."""
    from gitorch.signals import record_signal

    recorded = record_signal(obj.repo, obj.manifest, state=state, reason=reason, team=team,
                             remote=remote, on=on)
    if as_json:
        doc: dict[str, object] = {"team": recorded.team, "branch": recorded.branch,
               "state": recorded.state,
               "reason": recorded.reason, "waits_on": list(recorded.waits_on),
               "commit": recorded.commit}
        if recorded.uncommitted:
            doc["uncommitted"] = list(recorded.uncommitted)
        print_json(doc)
        return
    why = f" ({recorded.reason})" if recorded.reason else ""
    if recorded.waits_on:
        why += f" waiting on {', '.join(recorded.waits_on)}"
    click.echo(f"{recorded.team}: {recorded.state}{why} recorded as {recorded.commit[:8]} on "
               f"{recorded.branch}; push it with 'git push origin {recorded.branch}'")
    if recorded.uncommitted:
        count = len(recorded.uncommitted)
        click.echo(f"warning: {count} uncommitted change{'s' if count != 1 else ''} "
                   f"({', '.join(recorded.uncommitted[:5])}{', ...' if count > 5 else ''}) "
                   "are not part of the signal: commit them, then signal again", err=True)


@main.command()
@remote_option
@manifest_option
@json_option
@pass_context
def status(obj: Context, remote: str, as_json: bool) -> None:
    """Per team: state, commits, lines added against target, violations."""
    from gitorch.status import compute_status, render_plain

    report = compute_status(obj.repo, obj.manifest, remote=remote)
    if as_json:
        print_json(report.to_json())
    elif stdout_is_terminal():
        from rich.console import Console

        from gitorch.monitor import rich_status

        Console().print(rich_status(report))
    else:
        click.echo(render_plain(report), nl=False)


@main.command()
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between refreshes.")
@click.option("--fetch", is_flag=True, help="Run 'git fetch REMOTE' before each refresh.")
@click.option("--once", is_flag=True, help="Print the table once and exit.")
@remote_option
@manifest_option
@json_option
@pass_context
def monitor(obj: Context, interval: float, fetch: bool, once: bool, remote: str,
            as_json: bool) -> None:
    """A live dashboard of 'gitorch status', refreshed in place until Ctrl-C.

    With --json it reports once, as 'gitorch status --json' does (one JSON document).
    """
    from rich.console import Console

    from gitorch import monitor as dashboard
    from gitorch.repo import fetch as git_fetch
    from gitorch.status import compute_status

    obj.remote = remote or None
    repo, manifest = obj.repo, obj.manifest
    if once or as_json:
        problem = git_fetch(repo, remote) if fetch else None
        if problem:
            click.echo(f"gitorch: git fetch {remote}: {problem}", err=True)
        report = compute_status(repo, manifest, remote=remote)
        if as_json:
            print_json(report.to_json())
        elif stdout_is_terminal():
            Console().print(dashboard.rich_status(report))
        else:
            click.echo(dashboard.once_plain(report), nl=False)
        return

    from gitorch.process import long_running

    long_running()   # until Ctrl-C: collect cyclic garbage after all
    dashboard.run_monitor(repo, manifest, interval=interval, fetch=fetch, remote=remote,
                          console=Console(), policy=obj.policy_reader())


@main.command()
@click.argument("megafile_path", metavar="MEGAFILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="List the files and their line counts; write none.")
@click.option("--force", is_flag=True, help="Overwrite existing files with other content.")
@manifest_option
@json_option
@pass_context
def expand(obj: Context, megafile_path: Path, dry_run: bool, force: bool, as_json: bool) -> None:
    """Expand a mega-file into files inside the team's scope: all of them or none."""
    from gitorch.errors import UsageError
    from gitorch.manifest import TeamName
    from gitorch.megafile import expand as run_expand
    from gitorch.megafile import load_megafile
    from gitorch.repo import workdir
    from gitorch.signals import current_team

    megafile = load_megafile(megafile_path)
    root = workdir(obj.repo)
    if root is None:
        raise UsageError("a bare repository has no working tree to expand into",
                         hint="run 'gitorch expand' in a clone or worktree")
    manifest = obj.manifest
    team = megafile.team or current_team(obj.repo, manifest)
    result = run_expand(megafile, manifest, root, team=TeamName(team), force=force,
                        dry_run=dry_run)
    if as_json:
        print_json(result.to_json(dry_run=dry_run))
    if result.problems:
        for problem in result.problems:
            click.echo(f"gitorch: {megafile_path}: {problem}", err=True)
        raise CheckFailed(f"nothing written: {len(result.problems)} problem(s) in {megafile_path}",
                          hint="fix the mega-file (or pass --force for existing files)")
    if as_json:
        return
    width = max((len(f.path) for f in result.files), default=0)
    for f in result.files:
        click.echo(f"{f.path.ljust(width)}  {f.lines:5d} lines  {f.status}")
    total = sum(f.lines for f in result.files)
    verb = "would write" if dry_run else "wrote"
    unchanged = sum(1 for f in result.files if f.status == "unchanged")
    click.echo(f"{result.megafile} ({result.team}): {verb} {len(result.files) - unchanged} "
               f"files, {unchanged} unchanged, {total} lines in all")
