"""The status table in colour, and the live dashboard that refreshes it in place (rich)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from gitorch import repo as git
from gitorch.errors import GitorchError
from gitorch.manifest import Manifest
from gitorch.status import (
    BLOCKED,
    NOT_STARTED,
    READY,
    STALE,
    WAITING,
    WORKING,
    StatusCache,
    StatusReport,
    compute_status,
    deadlock_lines,
    integrated,
    note,
    percent,
    render_plain,
    target_text,
)

STATE_STYLES = {
    NOT_STARTED: "dim",
    WORKING: "cyan",
    BLOCKED: "bold red",
    READY: "bold green",
    WAITING: "yellow",
    STALE: "magenta",
}


def rich_table(report: StatusReport) -> Table:
    """One row per team: state in colour, a bar against the lower target."""
    table = Table(title=f"{report.project}: teams against {report.base} "
                        f"@ {git.short(report.base_commit)}",
                  title_justify="left", expand=False)
    for name, justify in (("Team", "left"), ("State", "left"), ("Progress", "left"),
                          ("", "right"), ("LOC", "right"), ("Commits", "right"),
                          ("Violations", "right"), ("Last activity", "left"),
                          *((("Last integration", "left"),) if integrated(report) else ()),
                          ("Note", "left")):
        table.add_column(name, justify=justify,
                         no_wrap=name not in ("Note", "Last integration"))
    for s in report.teams:
        progress: RenderableType = (
            ProgressBar(total=1.0, completed=min(1.0, s.progress), width=20)
            if s.progress is not None else Text(" " * 20))
        table.add_row(
            s.team, Text(s.state, style=STATE_STYLES.get(s.state, "")), progress,
            percent(s.progress), target_text(s), str(s.commits),
            Text(str(s.violations), style="bold red" if s.violations else ""),
            s.last_activity or "-",
            *((s.last_integration or "-",) if integrated(report) else ()), note(s),
        )
    return table


def rich_status(report: StatusReport) -> RenderableType:
    """The table and, under it, any deadlock in red."""
    lines = deadlock_lines(report)
    if not lines:
        return rich_table(report)
    return Group(rich_table(report), *(Text(line, style="bold red") for line in lines))


def header(report: StatusReport) -> str:
    return f"gitorch monitor: {report.project} (base {report.base} @ {git.short(report.base_commit)})"


def once_plain(report: StatusReport) -> str:
    """What ``monitor --once`` prints when stdout is no terminal."""
    return header(report) + "\n" + render_plain(report)


def _footer(seconds: float, interval: float, problem: str | None) -> Text:
    now = datetime.now(UTC).strftime("%H:%M:%S")
    text = Text(f"refreshed {now} UTC in {seconds:.2f} s; every {interval:g} s; Ctrl-C quits",
                style="dim")
    if problem:
        text.append(f"\n{problem}", style="bold red")
    return text


def run_monitor(repo: git.Repository, manifest: Manifest, *, interval: float, fetch: bool,
                remote: str, console: Console,
                sleep: Callable[[float], None] = time.sleep,
                policy: Callable[[], Manifest] | None = None) -> None:
    """Refresh the table in place every ``interval`` seconds until Ctrl-C (then return).

    ``policy``, asked each round after the fetch, gives the manifest in force: the policy
    on the base branch changes while the monitor runs (a lead gives a path to another
    team), and the next round shows the new ownership. The first round's failure is
    raised (nothing to show yet); later failures, of the fetch or of reading the
    repository, are shown under the last good table.
    """
    rounds = _Rounds(repo, manifest, remote, policy)
    last: list[RenderableType] = []

    def frame(first: bool) -> RenderableType:
        started = time.perf_counter()
        problem = git.fetch(repo, remote) if fetch else None
        if problem:
            problem = f"git fetch {remote}: {problem}"
        try:
            report = rounds.status()
        except GitorchError as exc:
            if first:
                raise
            return Group(*last, _footer(time.perf_counter() - started, interval, str(exc)))
        last[:] = [rich_status(report)]
        return Group(*last, _footer(time.perf_counter() - started, interval, problem))

    if not console.is_terminal:
        _run_plain(rounds, interval=interval, fetch=fetch, remote=remote, console=console,
                   sleep=sleep)
        return
    try:
        with Live(frame(True), console=console, auto_refresh=False, transient=False) as live:
            while True:
                sleep(interval)
                live.update(frame(False), refresh=True)
    except KeyboardInterrupt:
        return


class _Rounds:
    """One status per round, by the policy in force that round (a new policy: a new cache)."""

    def __init__(self, repo: git.Repository, manifest: Manifest, remote: str,
                 policy: Callable[[], Manifest] | None):
        self.repo = repo
        self.manifest = manifest
        self.remote = remote
        self.policy = policy
        self.cache = StatusCache()

    def status(self) -> StatusReport:
        if self.policy is not None:
            current = self.policy()
            if current is not self.manifest:
                self.manifest, self.cache = current, StatusCache()
        return compute_status(self.repo, self.manifest, remote=self.remote, cache=self.cache)


def _run_plain(rounds: _Rounds, *, interval: float, fetch: bool, remote: str, console: Console,
               sleep: Callable[[float], None]) -> None:
    """Not a terminal (a log, a pipe): append one plain frame per round instead of redrawing."""
    first = True
    try:
        while True:
            if not first:
                sleep(interval)
            problem = git.fetch(rounds.repo, remote) if fetch else None
            try:
                report = rounds.status()
            except GitorchError as exc:
                if first:
                    raise
                console.out(f"gitorch: {exc}", highlight=False)
                continue
            finally:
                first = False
            text = once_plain(report) + (f"git fetch {remote}: {problem}\n" if problem else "")
            console.out(text, end="\n", highlight=False)
            console.file.flush()
    except KeyboardInterrupt:
        return
