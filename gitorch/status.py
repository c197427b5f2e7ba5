"""Where every team stands: state, commits, lines against target, violations.

Each team's branch is read as the local ``<prefix><team>``, else ``<remote>/<prefix><team>``
(docs/progress.md); everything is measured against the base branch, found the same way.

Choices, documented in docs/progress.md:
- ``commits`` counts the commits on the team branch that the base does not have,
  signal commits (empty commits with a ``Gitorch-State`` trailer) excluded.
- ``loc_added`` counts lines added since the merge base with the base branch in the
  paths the team owns, its sub-teams' paths included (a parent answers for its
  sub-teams), shared paths excluded (they are nobody's progress).
- ``blocked`` lasts until the team's next signal, even if it commits meanwhile (a blocked
  team may still do side work); ``ready`` lasts until the next commit or signal, also
  once the branch has been merged into the base (its tip is then the ready signal).
- ``violations`` counts the commits (not paths) the server hook would refuse: those the
  branch has beyond what the server already has (``gitorch.enforce.verdict``: the base,
  the other teams' branches, the remote's branches) that change a path the team may not
  change. ``check``, ``gate`` and the hook give the same verdict on the same commits.
- a ``working`` team is ``stale`` when its branch has had no commit or signal for the
  manifest's ``stale_after`` minutes (default 15; 0: never): the tip's committer time
  against the clock of the machine that asks.
- a ``blocked`` team's ``waiting_on`` names the teams its signal waits on (``signal blocked
  --on``), a ``waiting`` team's the dependencies that are not ready. When these edges close
  a cycle, no team in it can move: ``deadlocks`` names each cycle, with the way out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from gitorch import repo as git
from gitorch.enforce import gitread, verdict
from gitorch.errors import RepoError
from gitorch.ids import ObjectId, object_id
from gitorch.manifest import Manifest, TeamName
from gitorch.signals import State, read_recorded
from gitorch.verdicts import read_verdicts

NOT_STARTED = "not-started"
WORKING = "working"
BLOCKED = "blocked"
READY = "ready"
WAITING = "waiting"
STALE = "stale"
DEADLOCK_ADVICE = ("each team waits for the next, so none can move. Way out: the teams agree "
                   "on the smallest interface one needs from the other, one of them commits it "
                   "as a shared stub that both build on, and both signal working")


@dataclass(frozen=True)
class BranchFacts:
    """What depends only on the team's head and the base tip (so it can be cached)."""

    commits: int
    loc_added: int
    signal: State | None
    reason: str | None
    commits_since_signal: int
    last_activity: str | None    # the tip's time; None when the branch has nothing beyond the base
    violations: int
    last_time: int | None = None         # the same, in seconds since the epoch
    waits_on: tuple[TeamName, ...] = ()  # whom the last (blocked) signal waits on


@dataclass(frozen=True)
class TeamStatus:
    team: TeamName
    branch: str
    ref: str | None           # the ref read: "team/x", "origin/team/x", or None when absent
    head: str | None
    commits: int
    loc_added: int
    target_loc: tuple[int, int] | None
    progress: float | None
    state: str
    reason: str | None
    waiting_on: tuple[TeamName, ...]
    last_activity: str | None
    violations: int
    last_integration: str | None = None   # its verdict in the last integration run here
    idle_minutes: int | None = None     # minutes since the last commit or signal

    def to_json(self) -> dict[str, Any]:
        more = {"last_integration": self.last_integration} if self.last_integration else {}
        return {**more,
            "team": self.team, "branch": self.branch, "ref": self.ref, "head": self.head,
            "commits": self.commits, "loc_added": self.loc_added,
            "target_loc": list(self.target_loc) if self.target_loc else None,
            "progress": self.progress, "state": self.state, "reason": self.reason,
            "waiting_on": list(self.waiting_on), "last_activity": self.last_activity,
            "idle_minutes": self.idle_minutes, "violations": self.violations,
        }


@dataclass(frozen=True)
class Deadlock:
    """Teams that wait for each other in a circle."""

    cycle: tuple[TeamName, ...]        # first and last the same: alpha, beta, alpha

    @property
    def text(self) -> str:
        return " -> ".join(self.cycle)

    def to_json(self) -> dict[str, Any]:
        return {"cycle": list(self.cycle), "text": self.text, "advice": DEADLOCK_ADVICE}


@dataclass(frozen=True)
class StatusReport:
    project: str
    base: str
    base_commit: ObjectId
    teams: tuple[TeamStatus, ...]
    deadlocks: tuple[Deadlock, ...] = ()
    stale_after: int = 15

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "base": self.base, "base_commit": self.base_commit,
                "stale_after": self.stale_after,
                "teams": [t.to_json() for t in self.teams],
                "deadlocks": [d.to_json() for d in self.deadlocks]}


@dataclass
class StatusCache:
    """Facts per (team, head, base tip): a monitor round only re-reads branches that moved."""

    facts: MutableMapping[tuple[str, str, str], BranchFacts] = field(default_factory=dict)
    # offending commits per (team, head, base tip, every branch tip the verdict depends on)
    offending: MutableMapping[tuple[str, str, str, str], int] = field(default_factory=dict)


def find_branch(repo: git.Repository, branch: str, remote: str | None) -> tuple[str, git.Commit] | None:
    """The local branch, else ``<remote>/<branch>``: the name read and its commit."""
    candidates = [(branch, f"refs/heads/{branch}")]
    if remote:
        candidates.append((f"{remote}/{branch}", f"refs/remotes/{remote}/{branch}"))
    for name, ref in candidates:
        target = git.ref_target(repo, ref)
        if target is not None:
            return name, git.resolve_commit(repo, str(target))
    return None


def compute_status(repo: git.Repository, manifest: Manifest, *, remote: str | None = "origin",
                   cache: StatusCache | None = None, now: float | None = None) -> StatusReport:
    """The status of every team, in manifest order, as of ``now`` (default: the clock)."""
    base_found = find_branch(repo, manifest.base, remote)
    if base_found is None:
        raise RepoError(f"no base branch '{manifest.base}' here (nor {remote}/{manifest.base})",
                        hint="fetch it, or set 'base:' in the manifest")
    base_tip = base_found[1]
    cache = cache if cache is not None else StatusCache()
    partial: dict[TeamName, tuple[str | None, str | None, BranchFacts | None]] = {}
    with gitread.Git(repo.path) as reader:
        tips = reader.run("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads",
                          *([f"refs/remotes/{remote}"] if remote else [])) or ""
        for stale in [k for k in cache.offending if k[3] != tips]:
            del cache.offending[stale]      # some branch moved: every verdict may have changed
        for name in manifest.teams:
            found = find_branch(repo, manifest.branch(name), remote)
            if found is None:
                partial[name] = (None, None, None)
                continue
            ref, head = found
            key = (name, str(head.id), str(base_tip.id))
            facts = cache.facts.get(key)
            if facts is None:
                facts = _branch_facts(repo, manifest, name, head, base_tip)
                cache.facts[key] = facts
            seen = (*key, tips)
            offending = cache.offending.get(seen)
            if offending is None:
                head_ref = f"refs/heads/{ref}" if ref == manifest.branch(name) \
                    else f"refs/remotes/{ref}"
                offending = cache.offending[seen] = verdict.judge_in_clone(
                    reader, manifest, name, object_id(head.id), head_ref=head_ref,
                    base=object_id(base_tip.id), remote=remote).offending
            partial[name] = (ref, str(head.id), replace(facts, violations=offending))

    states: dict[TeamName, TeamStatus] = {}
    clock = time.time() if now is None else now
    for name in manifest.merge_order():   # dependencies first: 'waiting' reads their state
        read, tip, facts = partial[name]
        states[name] = _team_status(manifest, name, read, tip, facts, states, clock)
    verdicts = read_verdicts(repo) or {}
    return StatusReport(project=manifest.project, base=manifest.base,
                        base_commit=object_id(base_tip.id),
                        teams=tuple(replace(states[name], last_integration=verdicts[name].text())
                                    if name in verdicts else states[name]
                                    for name in manifest.teams),
                        deadlocks=find_deadlocks({n: s.waiting_on for n, s in states.items()}),
                        stale_after=manifest.stale_after)


def find_deadlocks(waits: Mapping[TeamName, tuple[TeamName, ...]]) -> tuple[Deadlock, ...]:
    """Every elementary cycle of the waits-for edges, once, starting at its least name."""
    found: list[Deadlock] = []
    for start in sorted(waits):
        stack: list[list[TeamName]] = [[start]]
        while stack:
            path = stack.pop()
            for nxt in sorted(waits.get(path[-1], ()), reverse=True):
                if nxt == start:
                    found.append(Deadlock((*path, start)))
                elif nxt not in path and nxt > start and nxt in waits:
                    stack.append([*path, nxt])
    return tuple(sorted(found, key=lambda d: (len(d.cycle), d.cycle)))


def _branch_facts(repo: git.Repository, manifest: Manifest, team: TeamName, head: git.Commit,
                  base_tip: git.Commit) -> BranchFacts:
    commits = list(git.walk(repo, [head.id], [base_tip.id]))   # oldest first
    signal: State | None = None
    reason: str | None = None
    waits: tuple[TeamName, ...] = ()
    since = 0
    work = 0
    for commit in commits:
        recorded = read_recorded(commit)
        if recorded is None:
            work += 1
            since += 1
        else:
            signal, reason, waits = recorded.state, recorded.reason, recorded.waits_on
            since = 0
    if not commits:
        # Nothing beyond the base, but the tip may be the team's last signal, merged into the
        # base with the team's work: 'ready, and no commits since' still holds.
        tip_signal = read_recorded(head)
        if tip_signal is not None:
            signal, reason, waits = tip_signal.state, tip_signal.reason, tip_signal.waits_on
    merge_base = git.merge_base(repo, head.id, base_tip.id)
    start = git.resolve_commit(repo, str(merge_base)) if merge_base is not None else None
    ownership = manifest.ownership

    def own(path: str) -> bool:
        return ownership.counts_for(team, path)

    if start is None:
        loc = _loc_from_root(repo, head, own)
    else:
        loc = git.added_line_total(repo, start.id, head.id, own)
    active = bool(commits or signal)
    return BranchFacts(commits=work, loc_added=loc, signal=signal, reason=reason,
                       commits_since_signal=since,
                       last_activity=git.commit_time_iso(head) if active else None,
                       violations=0,     # filled in by compute_status: it depends on other refs
                       last_time=int(head.commit_time) if active else None, waits_on=waits)


def _loc_from_root(repo: git.Repository, head: git.Commit, own: Callable[[str], bool]) -> int:
    """Unrelated histories: every owned line of the head counts as added."""
    total = 0
    for path in sorted(git.diff_paths(repo, None, head)):
        if own(path):
            data = git.read_file(repo, head, path)
            if data is not None and b"\0" not in data:
                total += len(data.splitlines())
    return total


def _team_status(manifest: Manifest, name: TeamName, ref: str | None, head: str | None,
                 facts: BranchFacts | None, known: dict[TeamName, TeamStatus],
                 now: float) -> TeamStatus:
    team = manifest.teams[name]
    commits = facts.commits if facts else 0
    loc = facts.loc_added if facts else 0
    state: str
    reason: str | None = None
    waiting_on: tuple[TeamName, ...] = ()
    if facts is not None and facts.signal == BLOCKED:
        state, reason = BLOCKED, facts.reason
        waiting_on = tuple(t for t in facts.waits_on if t in manifest.teams)
    elif facts is not None and facts.signal == READY and facts.commits_since_signal == 0:
        state, reason = READY, facts.reason
    elif commits > 0 or (facts is not None and facts.signal is not None):
        state = WORKING
        reason = facts.reason if facts is not None and facts.signal == WORKING else None
    else:
        waiting_on = tuple(d for d in team.depends_on if known[d].state != READY)
        state = WAITING if waiting_on else NOT_STARTED
    idle = None
    if facts is not None and facts.last_time is not None:
        idle = max(0, int((now - facts.last_time) // 60))
        if state == WORKING and manifest.stale_after and idle >= manifest.stale_after:
            state = STALE
    progress = round(loc / team.target_loc[0], 4) if team.target_loc and team.target_loc[0] else None
    return TeamStatus(
        team=name, branch=manifest.branch(name), ref=ref, head=head, commits=commits,
        loc_added=loc, target_loc=team.target_loc, progress=progress, state=state,
        reason=reason, waiting_on=waiting_on,
        last_activity=facts.last_activity if facts else None,
        violations=facts.violations if facts else 0, idle_minutes=idle,
    )


# --------------------------------------------------------------------------- plain text

BAR_WIDTH = 20


def bar(progress: float | None, width: int = BAR_WIDTH) -> str:
    """``[#####...............]``: full at the lower target, capped there."""
    if progress is None:
        return "[" + " " * width + "]"
    filled = min(width, int(progress * width))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def percent(progress: float | None) -> str:
    return "-" if progress is None else f"{int(progress * 100)}%"


def target_text(status: TeamStatus) -> str:
    if status.target_loc is None:
        return f"{status.loc_added}"
    low, high = status.target_loc
    goal = f"{low}" if low == high else f"{low}-{high}"
    return f"{status.loc_added}/{goal}"


def note(status: TeamStatus) -> str:
    if status.state == WAITING:
        return "waiting on " + ", ".join(status.waiting_on)
    if status.ref is None:
        return "no branch"
    if status.state == STALE:
        quiet = f"no commit or signal for {idle_text(status.idle_minutes)}"
        return f"{quiet}: {status.reason}" if status.reason else quiet
    if status.state == BLOCKED and status.waiting_on:
        on = "on " + ", ".join(status.waiting_on)
        return f"{on}: {status.reason}" if status.reason else on
    return status.reason or ""


def idle_text(minutes: int | None) -> str:
    if minutes is None:
        return "-"
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def deadlock_lines(report: StatusReport) -> list[str]:
    return [f"deadlock: {d.text}: {DEADLOCK_ADVICE}" for d in report.deadlocks]


HEADERS = ("TEAM", "STATE", "PROGRESS", "", "LOC", "COMMITS", "VIOLATIONS", "LAST ACTIVITY", "NOTE")


LAST_RUN = "LAST INTEGRATION"     # a column shown once an integration has run here


def integrated(report: StatusReport) -> bool:
    """Whether a last integration run is known (the table then shows its verdicts)."""
    return any(s.last_integration for s in report.teams)


def rows(report: StatusReport) -> Iterator[tuple[str, ...]]:
    last = integrated(report)
    for s in report.teams:
        yield (s.team, s.state, bar(s.progress), percent(s.progress), target_text(s),
               str(s.commits), str(s.violations), s.last_activity or "-",
               *((s.last_integration or "-",) if last else ()), note(s))


def render_plain(report: StatusReport) -> str:
    """A fixed-width table for pipes and logs: one line per team, no colour."""
    headers = (*HEADERS[:-1], LAST_RUN, HEADERS[-1]) if integrated(report) else HEADERS
    table = [headers, *rows(report)]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    right = {3, 5, 6}
    lines = []
    for r in table:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines.extend(deadlock_lines(report))
    return "\n".join(lines) + "\n"
