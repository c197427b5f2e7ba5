"""--fix hunk by hunk: a text conflict whose hunks meet lines that different merged teams
brought is settled one hunk at a time, each for the team of higher priority.

The file is cut into clean lines and conflicting hunks with libgit2's own merge (the cut
is trusted only if it rebuilds libgit2's merges favouring each side byte for byte); who
brought the chain's side of each hunk is followed through the chain's merges that changed
the file. Anything that cannot be told exactly falls back to the file's rule in
``gitorch.integrate`` (the last team that changed the file owns the chain's side).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gitorch import repo as git
from gitorch.integrate.runstate import BASE_OWNER, Lost, RunState
from gitorch.manifest import Manifest, TeamName
from gitorch.records import Resolution


@dataclass(frozen=True)
class HunkSettlement:
    """A conflicting file settled hunk by hunk: the merged file, the conflicts met (one per
    team), and the losers' versions."""

    entry: git.Entry
    resolutions: list[Resolution]
    lost: list[Lost]


def pair(owner: TeamName, team: TeamName) -> tuple[TeamName, ...]:
    """The teams of a conflict, the chain's side first (one when a team meets itself)."""
    return (owner, team) if owner != team else (team,)


def settle_by_hunk(repo: git.Repository, manifest: Manifest, state: RunState, team: TeamName,
                   conflict: git.ConflictSides, file_owner: TeamName,
                   favoured_entry: Callable[[str, str], git.Entry | None]
                   ) -> HunkSettlement | None:
    """The merged file with each conflicting hunk settled for the higher-priority team,
    the conflicts met and the losers' versions; ``favoured_entry(side, path)`` is the
    file as libgit2 merges it favouring ``side``.

    None when the file's rule (``file_owner``, its last team) gives every hunk the same
    owner, or when the file cannot be cut exactly: the cut must rebuild libgit2's own
    merges favouring each side, byte for byte, before it is trusted.
    """
    a, o, t = conflict.ancestor, conflict.ours, conflict.theirs
    if a is None or o is None or t is None or not a.path == o.path == t.path \
            or o.mode != t.mode:
        return None
    pieces = git.merge_text(repo, a, o, t)
    if pieces is None:
        return None
    hunks = [p for p in pieces if isinstance(p, git.TextConflict)]
    found = _hunk_owners(repo, manifest, state, o, hunks)
    if found is None:
        return None
    owners = [x or file_owner for x in found]
    if all(x == file_owner for x in owners):
        return None
    for side, take in (("ours", False), ("theirs", True)):
        merged = favoured_entry(side, o.path)
        if merged is None or git.blob_bytes(repo, merged.oid) != \
                git.join_text(pieces, [take] * len(hunks)).encode():
            return None
    teams = manifest.teams
    wins = [x != BASE_OWNER and teams[team].priority > teams[x].priority for x in owners]
    blob = git.create_blob(repo, git.join_text(pieces, wins).encode())
    resolutions: list[Resolution] = []
    lost: list[Lost] = []
    for owner in dict.fromkeys(owners):   # one record per team met, in file order
        team_wins = wins[owners.index(owner)]
        winner = team if team_wins else owner
        resolutions.append(Resolution(o.path, pair(owner, team), f"kept {winner}",
                                      "content", winner))
        if team_wins and owner != BASE_OWNER:
            lost.append(Lost(owner, o.path, o, f"lost conflict to {team}"))
    beaten = [x for x, won in zip(owners, wins, strict=True) if not won and x != BASE_OWNER]
    if beaten:
        lost.append(Lost(team, t.path, t, f"lost conflict to {', '.join(dict.fromkeys(beaten))}"))
    return HunkSettlement(git.Entry(o.path, blob, o.mode), resolutions, lost)


def _hunk_owners(repo: git.Repository, manifest: Manifest, state: RunState, ours: git.Entry,
                 hunks: list[git.TextConflict]) -> list[TeamName | None] | None:
    """For each conflicting hunk, the team of highest priority among those whose merges
    brought the chain's lines of it (the base: none did); None for a hunk whose lines
    cannot be told (the chain deleted them, or they read the same in two places that
    different teams brought). None overall when the chain's file cannot be followed.

    Who brought which line is followed through the chain's merges that changed the
    file (a first-parent blame over those few versions only)."""
    path = ours.path
    before = git.tree_entry(repo, git.tree_of(repo, state.base), path)
    brought: list[TeamName | None] | None = [None] * _line_count(repo, before)
    changed = set(state.owners.get(path, ()))   # the teams whose merges changed the file
    for outcome in state.outcomes:
        if outcome.merge_commit is None or outcome.team not in changed or brought is None:
            continue
        now = git.tree_entry(repo, git.tree_of(repo, outcome.merge_commit), path)
        if now != before:
            brought = [] if now is None else git.carry_labels(repo, before, now, brought,
                                                              outcome.team)
            before = now
    lines = git.text_lines(git.blob_bytes(repo, ours.oid).decode("utf-8"))
    if brought is None or before != ours or len(brought) != len(lines):
        return None
    teams = manifest.teams
    out: list[TeamName | None] = []
    at = 0
    for hunk in hunks:
        n = len(hunk.ours)
        places = [i for i in range(at, len(lines) - n + 1)
                  if n and lines[i] == hunk.ours[0] and tuple(lines[i:i + n]) == hunk.ours]
        if n and not places:
            return None
        candidates = set()
        for i in places:
            who = {x for x in brought[i:i + n] if x is not None}
            candidates.add(max(who, key=lambda x: teams[x].priority) if who else BASE_OWNER)
        out.append(candidates.pop() if len(candidates) == 1 else None)
        at = places[0] + n if places else at
    return out


def _line_count(repo: git.Repository, entry: git.Entry | None) -> int:
    return 0 if entry is None else len(git.text_lines(
        git.blob_bytes(repo, entry.oid).decode("utf-8", "replace")))
