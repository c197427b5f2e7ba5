"""--fix hunk by hunk: a text conflict whose hunks meet lines that different merged teams
brought is settled one hunk at a time, each for the team of higher priority.

The file is cut into clean lines and conflicting hunks with libgit2's own merge (the cut
is trusted where xdiff writes the same chunks whatever side it favours: every version
ends with a newline; otherwise only if it rebuilds libgit2's merges favouring each side
byte for byte); who brought the chain's side of each hunk is followed through the
chain's merges that changed the file, once per merge (``Lineage`` keeps each file's
labels at the chain's tip). Anything that cannot be told exactly falls back to the
file's rule in ``gitorch.integrate`` (the last team that changed the file owns the
chain's side).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gitorch import repo as git
from gitorch.ids import ObjectId
from gitorch.integrate.runstate import BASE_OWNER, Lost, RunState
from gitorch.manifest import Manifest, TeamName
from gitorch.records import Resolution

Favoured = Callable[[str, str], "git.Entry | None"]


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


class Lineage:
    """What a run has read so far: blobs by id, and for each file the team that brought
    each line of its version at the chain's tip (carried forward merge by merge, so the
    chain is never walked twice for one file)."""

    def __init__(self, repo: git.Repository):
        self.repo = repo
        self._blobs: dict[str, bytes] = {}
        # path -> (outcomes read, version at that point, one label per line or None)
        self._labels: dict[str, tuple[int, git.Entry | None,
                                      list[TeamName | None] | None]] = {}

    def data(self, oid: ObjectId) -> bytes:
        found = self._blobs.get(oid)
        if found is None:
            found = self._blobs[oid] = git.blob_bytes(self.repo, oid)
        return found

    def labels(self, state: RunState, path: str) -> tuple[git.Entry | None,
                                                            list[TeamName | None] | None]:
        """The file at the chain's tip and, per line, the team whose merge brought it."""
        repo = self.repo
        done, before, brought = self._labels.get(path, (0, None, None))
        if done == 0:
            before = git.tree_entry(repo, git.tree_of(repo, state.base), path)
            brought = [None] * self._line_count(before)
        changed = set(state.owners.get(path, ()))   # the teams whose merges changed it
        for outcome in state.outcomes[done:]:
            if outcome.merge_commit is None or outcome.team not in changed or brought is None:
                continue
            now = git.tree_entry(repo, git.tree_of(repo, outcome.merge_commit), path)
            if now is not None and now.mode == 0o160000:
                brought = None   # a submodule: no lines to follow
            elif now != before:
                brought = [] if now is None else git.carry_labels(repo, before, now, brought,
                                                                  outcome.team, self.data)
                before = now
        self._labels[path] = (len(state.outcomes), before, brought)
        return before, brought

    def _line_count(self, entry: git.Entry | None) -> int:
        return 0 if entry is None else len(git.text_lines(
            self.data(entry.oid).decode("utf-8", "replace")))


def cut(repo: git.Repository, lineage: Lineage, conflict: git.ConflictSides,
        favoured: Favoured, marked: ObjectId | None = None) -> list[str | git.TextConflict] | None:
    """The conflicting file cut into clean lines and hunks, when the cut is exact: joined
    with every hunk's side it is the merge favouring that side. None otherwise.

    ``marked``: git's merged file with its markers (the git engine), cut instead of
    libgit2's merge; it is trusted only where every version ends with a newline.
    """
    a, o, t = conflict.ancestor, conflict.ours, conflict.theirs
    if a is None or o is None or t is None or not a.path == o.path == t.path \
            or o.mode != t.mode:
        return None
    pieces = git.merge_text(repo, a, o, t, lineage.data, marked)
    if pieces is None:
        return None
    # git's markers carry the path in their label where it renamed: a name with a line
    # break would spill into the hunk (libgit2's are labelled with a plain name).
    plain_name = marked is None or ("\n" not in o.path and "\r" not in o.path)
    if plain_name and all(not (d := lineage.data(e.oid)) or d.endswith(b"\n")
                          for e in (a, o, t)):
        return pieces   # xdiff writes the same chunks whatever it favours
    if marked is not None:
        return None
    hunks = sum(1 for p in pieces if isinstance(p, git.TextConflict))
    for side, take in (("ours", False), ("theirs", True)):
        merged = favoured(side, o.path)
        if merged is None or lineage.data(merged.oid) != \
                git.join_text(pieces, [take] * hunks).encode():
            return None
    return pieces


def settle_by_hunk(repo: git.Repository, manifest: Manifest, state: RunState, team: TeamName,
                   conflict: git.ConflictSides, file_owner: TeamName,
                   pieces: list[str | git.TextConflict], lineage: Lineage
                   ) -> HunkSettlement | None:
    """The merged file with each conflicting hunk settled for the higher-priority team,
    the conflicts met and the losers' versions, from the file's exact ``cut``.

    None when the file's rule (``file_owner``, its last team) gives every hunk the same
    owner, or when the chain's file cannot be followed.
    """
    o, t = conflict.ours, conflict.theirs
    assert o is not None and t is not None
    hunks = [p for p in pieces if isinstance(p, git.TextConflict)]
    found = _hunk_owners(manifest, state, lineage, o, hunks)
    if found is None:
        return None
    owners = [x or file_owner for x in found]
    if all(x == file_owner for x in owners):
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
            lost.append(Lost(owner, o.path, o, f"lost conflict to {team}", conflict.ancestor))
    beaten = [x for x, won in zip(owners, wins, strict=True) if not won and x != BASE_OWNER]
    if beaten:
        lost.append(Lost(team, t.path, t, f"lost conflict to {', '.join(dict.fromkeys(beaten))}",
                         conflict.ancestor))
    return HunkSettlement(git.Entry(o.path, blob, o.mode), resolutions, lost)


def _hunk_owners(manifest: Manifest, state: RunState, lineage: Lineage, ours: git.Entry,
                 hunks: list[git.TextConflict]) -> list[TeamName | None] | None:
    """For each conflicting hunk, the team of highest priority among those whose merges
    brought the chain's lines of it (the base: none did); None for a hunk whose lines
    cannot be told (the chain deleted them, or they read the same in two places that
    different teams brought). None overall when the chain's file cannot be followed.

    Who brought which line is followed through the chain's merges that changed the
    file (a first-parent blame over those few versions only)."""
    before, brought = lineage.labels(state, ours.path)
    lines = git.text_lines(lineage.data(ours.oid).decode("utf-8"))
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
