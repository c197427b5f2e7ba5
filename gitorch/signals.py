"""Team signals: an empty commit on the team branch whose trailers say the team's state.

A signal travels with an ordinary push of the team branch, so a fresh clone sees it,
and it changes no path, so the server hook lets it through. Its message looks like::

    gitorch signal: blocked

    Gitorch-Team: beta
    Gitorch-State: blocked
    Gitorch-Reason: waiting for alpha's order entity
    Gitorch-Waits-On: alpha

``Gitorch-Waits-On`` (``signal blocked --on TEAM``) names the teams a blocked team waits
for: ``status`` follows these edges to find teams that wait for each other (a deadlock).

The branch ref moves by compare-and-swap. When the branch is checked out, HEAD follows
it as with ``git commit --allow-empty``, and the index and working tree stay as they
were (the signal carries its parent's tree, not the index: staged changes stay staged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from gitorch import repo as git
from gitorch.errors import UsageError
from gitorch.ids import ObjectId, object_id
from gitorch.manifest import Manifest, TeamName

State = Literal["ready", "blocked", "working"]
STATES: tuple[State, ...] = ("ready", "blocked", "working")

TRAILER_TEAM = "Gitorch-Team"
TRAILER_STATE = "Gitorch-State"
TRAILER_REASON = "Gitorch-Reason"
TRAILER_WAITS_ON = "Gitorch-Waits-On"


@dataclass(frozen=True)
class Signal:
    """One recorded state of one team."""

    team: TeamName
    state: State
    reason: str | None
    commit: ObjectId
    branch: str
    uncommitted: tuple[str, ...] = ()   # changes in this checkout of the branch, not in the signal
    waits_on: tuple[TeamName, ...] = ()


@dataclass(frozen=True)
class Recorded:
    """What one signal commit says."""

    state: State
    reason: str | None
    waits_on: tuple[TeamName, ...] = ()


def trailers(message: str) -> dict[str, str]:
    """The ``Key: value`` trailers of a commit message's last paragraph (later keys win)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key.strip():
            return {}   # a paragraph with a non-trailer line is prose, not trailers
        found[key.strip()] = value.strip()
    return found


def read_signal(commit: git.Commit) -> tuple[State, str | None] | None:
    """The state and reason a commit records, or None when it is no signal."""
    found = read_recorded(commit)
    return (found.state, found.reason) if found is not None else None


def read_recorded(commit: git.Commit) -> Recorded | None:
    """What a signal commit records (state, reason, whom it waits on), or None.

    Only an empty commit counts: a trailer on a commit that changes files is a note in
    a message, not a signal, and ignoring it keeps ``commits`` and ``loc_added`` honest.
    """
    if "Gitorch-State" not in commit.message or not git.is_empty_commit(commit):
        return None
    found = trailers(commit.message)
    state = found.get(TRAILER_STATE)
    if state not in STATES:
        return None
    waits = tuple(TeamName(t.strip()) for t in found.get(TRAILER_WAITS_ON, "").split(",")
                  if t.strip())
    return Recorded(state, found.get(TRAILER_REASON) or None, waits)


def signal_message(team: TeamName, state: State, reason: str | None,
                   waits_on: Sequence[TeamName] = ()) -> str:
    lines = [f"gitorch signal: {state}" + (f" - {reason}" if reason else ""), "",
             f"{TRAILER_TEAM}: {team}", f"{TRAILER_STATE}: {state}"]
    if reason:
        lines.append(f"{TRAILER_REASON}: {reason}")
    if waits_on:
        lines.append(f"{TRAILER_WAITS_ON}: {', '.join(waits_on)}")
    return "\n".join(lines) + "\n"


def current_team(repo: git.Repository, manifest: Manifest) -> TeamName:
    """The team whose branch is checked out here, or a usage error that says what to do."""
    branch = git.head_branch(repo)
    team = manifest.team_of_branch(branch) if branch else None
    if team is None:
        where = f"branch '{branch}'" if branch else "a detached HEAD"
        raise UsageError(f"{where} is no team branch ({manifest.branch_prefix}<team>)",
                         hint="check out your team's branch or pass --team TEAM")
    return team


def record_signal(repo: git.Repository, manifest: Manifest, *, state: str,
                  reason: str | None, team: str | None, remote: str = "origin",
                  on: Sequence[str] = ()) -> Signal:
    """Add a signal commit on top of the team branch and move the local branch to it.

    ``on`` (blocked only) names the teams the team waits for.

    The parent is the local branch, else ``<remote>/<branch>`` (the local branch is then
    created), else the base branch (a team may be blocked before its first commit).
    """
    if state not in STATES:
        raise UsageError(f"unknown state '{state}'", hint="use ready, blocked or working")
    reason = " ".join(reason.split()) if reason else None   # a trailer is one line
    if state == "blocked" and not reason:
        raise UsageError("a blocked signal needs a reason",
                         hint="say what blocks the team: --reason \"waiting for alpha's API\"")
    name = _known_team(manifest, team) if team else current_team(repo, manifest)
    if on and state != "blocked":
        raise UsageError("--on goes with 'blocked': it names the teams a blocked team waits for",
                         hint="gitorch signal blocked --reason \"...\" --on TEAM")
    waits = tuple(dict.fromkeys(_known_team(manifest, t) for t in on))
    if name in waits:
        raise UsageError(f"team {name} cannot wait for itself", hint="name the team it waits for")
    branch = manifest.branch(name)
    ref = f"refs/heads/{branch}"
    old = git.ref_target(repo, ref)
    parent = git.branch_commit(repo, branch, remote) or git.branch_commit(repo, manifest.base, remote)
    if parent is None:
        raise UsageError(f"neither {branch} nor {manifest.base} exists here",
                         hint="run 'gitorch init-worktrees' or fetch the team branch first")
    message = signal_message(name, state, reason, waits)
    new = git.create_commit(repo, message, parent.tree_id, [parent.id])
    git.update_ref(repo, ref, new, old, f"gitorch signal: {state}")
    root = git.workdir(repo)
    dirty = (tuple(git.uncommitted_paths(root))
             if root is not None and git.head_branch(repo) == branch else ())
    return Signal(team=name, state=state, reason=reason, commit=object_id(new),
                  branch=branch, uncommitted=dirty, waits_on=waits)


def _known_team(manifest: Manifest, team: str) -> TeamName:
    teams: Mapping[TeamName, object] = manifest.teams
    if team not in teams:
        raise UsageError(f"no team '{team}' in {manifest.path}",
                         hint=f"use one of: {', '.join(sorted(teams))}")
    return TeamName(team)
