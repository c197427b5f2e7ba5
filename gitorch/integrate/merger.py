"""The merge of one team onto the chain: scope, merge, the --fix policy, the merge commit.

The --fix policy (documented in docs/integrate.md):

* a conflicting hunk goes to the team of higher priority. The chain side of a hunk
  belongs to the merged team whose merge brought its lines (first-parent blame of the
  chain; of several, the one of highest priority), or to the base when none did (the
  base then wins: the team is the one that has to catch up). When that cannot be told
  for a hunk (the chain deleted its lines), or the file's hunks cannot be cut exactly,
  the team that last changed the file in the chain owns the chain side. Equal
  priorities keep the chain side (the team merged first);
* a whole-file conflict (modify/delete, add/add, rename) gives the higher-priority
  side's version of the whole file, or its deletion;
* paths a team changed outside its scope are set back to the merge base in that team's
  tree before the merge.
"""

from __future__ import annotations

from typing import Any

from gitorch import repo as git
from gitorch.ids import ObjectId
from gitorch.integrate.bases import MergeBases
from gitorch.integrate.hunks import Lineage, cut, pair, settle_by_hunk
from gitorch.integrate.runstate import BASE_OWNER, Lost, RunState
from gitorch.integrate.scopes import ScopeVerdicts
from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.ownership import union_rule
from gitorch.manifest.pathnames import shown
from gitorch.records import Resolution, Skipped, TeamOutcome
from gitorch.signals import read_signal

Scopes = dict[tuple[TeamName, ObjectId], list[str]]    # (team, head) -> paths outside scope


class Merger:
    """Merges one team at a time onto ``state.chain``, applying the skip or fix policy."""

    def __init__(self, repo: git.Repository, manifest: Manifest, state: RunState,
                 remote: str | None = "origin", lineage: Lineage | None = None,
                 scopes: Scopes | None = None, count_commits: bool = True,
                 bases: MergeBases | None = None):
        self.repo = repo
        self.count_commits = count_commits   # False: a probe's merges (no outcome reported)
        self.manifest = manifest
        self.state = state
        self.remote = remote
        self._tip: git.ChainTree | None = None
        self._lineage = lineage if lineage is not None else Lineage(repo)
        self._scopes: ScopeVerdicts | None = None
        self.scopes: Scopes = {} if scopes is None else scopes   # kept across a run's mergers
        self._ancestor: git.Oid | None = None   # the merge base of the team being merged
        self.bases = bases if bases is not None else MergeBases(repo, state.base, state.heads)

    def close(self) -> None:
        """End the scope verdicts' git processes (if they were started)."""
        if self._scopes is not None:
            self._scopes.close()
            self._scopes = None

    def _head_ref(self, team: TeamName) -> str:
        """The ref the team's head was read from: its local branch, else the remote's."""
        branch = self.manifest.branch(team)
        local = git.ref_target(self.repo, f"refs/heads/{branch}") is not None
        return f"refs/heads/{branch}" if local or not self.remote \
            else f"refs/remotes/{self.remote}/{branch}"

    def judge_ahead(self, teams: list[TeamName]) -> None:
        """Ask git for the scope verdicts of ``teams`` (in this order) ahead of their merges."""
        state = self.state
        teams = [t for t in teams if (t, state.heads.get(t)) not in self.scopes]
        if self._scopes is None and teams:     # none when every verdict is known already
            self._scopes = ScopeVerdicts(
                self.repo.path, self.manifest, state.base, state.heads,
                {t: self._head_ref(t) for t in teams
                 if state.heads.get(t) is not None and t not in state.left_out},
                self.remote)

    def _outside(self, team: TeamName) -> list[str]:
        """The paths the team's new commits change outside its scope (the hook's verdict).

        The chain does not change the verdict (see ``scopes``): ``self.scopes`` keeps it for
        every merger of the run (the --keep-green probes and rebuilds ask again)."""
        head = self.state.heads[team]
        assert head is not None
        known = self.scopes.get((team, head))
        if known is None:
            self.judge_ahead([team])
            assert self._scopes is not None
            known = self.scopes[(team, head)] = self._scopes.outside(team, self._head_ref(team))
        return known

    def _write_tree(self, merge: git.TreeMerge, chosen: dict[str, git.Entry | None]) -> git.Oid:
        """The merge's tree, written by rebuilding only what changed since the chain's tip."""
        if self._tip is None:
            self._tip = git.ChainTree(self.repo, git.tree_of(self.repo, self.state.chain))
        return self._tip.advance(merge, chosen)

    def _outcome(self, team: TeamName, status: str, **more: Any) -> TeamOutcome:
        info = self.manifest.teams[team]
        return TeamOutcome(team=team, branch=self.manifest.branch(team),
                           status=status,  # type: ignore[arg-type]
                           head=self.state.heads.get(team), target_loc=info.target_loc,
                           depends_on=info.depends_on, priority=info.priority, **more)

    def _skip(self, team: TeamName, reason: str, paths: tuple[str, ...] = (),
              status: str = "skipped", left_out: bool = False, **more: Any) -> TeamOutcome:
        self.state.skipped.append(Skipped(team, reason, paths))
        why = "was left out" if left_out else {"missing": "has no branch"}.get(status,
                                                                               "was skipped")
        for dependent in sorted(self.manifest.dependents(team)):
            self.state.pending.setdefault(dependent, f"depends on {team}, which {why}")
        return self._outcome(team, status, **more)

    def step(self, team: TeamName) -> TeamOutcome:
        """Merge ``team`` onto the chain, or skip it; the outcome says which and why."""
        early = self._before_merge(team)
        if early is not None:
            return early
        repo, state = self.repo, self.state
        head = state.heads[team]
        assert head is not None
        chain = state.chain
        ancestor = self._ancestor   # found by _before_merge
        assert ancestor is not None
        facts: dict[str, Any] = {"commits": sum(
            1 for c in git.walk(repo, [git.Oid(hex=head)], [git.Oid(hex=chain)])
            if read_signal(c) is None) if self.count_commits else 0}
        anc_tree = git.tree_of(repo, ancestor)
        chain_tree = git.tree_of(repo, chain)

        theirs, lost, skipped = self._within_scope(team, head, anc_tree,
                                                   git.tree_of(repo, head), facts)
        if skipped is not None:
            return skipped
        merge = self._merge(team, anc_tree, chain_tree, theirs)
        resolutions: list[Resolution] = []
        if merge.conflicts and not state.fix:
            return self._skip_conflicts(team, merge, facts)
        if merge.conflicts:
            tree, resolutions, more_lost = self._resolve(team, merge, anc_tree, chain_tree, theirs)
            lost.extend(more_lost)
        else:
            tree = self._write_tree(merge, {})
        return self._commit(team, tree, chain_tree, resolutions, lost, facts)

    def _merge(self, team: TeamName, anc_tree: git.Oid, chain_tree: git.Oid,
               theirs: git.Oid) -> git.TreeMerge:
        """The team's tree merged onto the chain by the manifest's engine: libgit2 in memory
        (with the manifest's union paths), or git's own merge-tree."""
        repo, state = self.repo, self.state
        if self.manifest.merge_engine == "git":
            head = state.heads[team]
            assert head is not None
            if theirs != git.tree_of(repo, head):   # out-of-scope paths set back: a commit
                head = git.write_commit(repo, theirs, [head], f"gitorch: {team} in scope\n")
            return git.git_merge(repo, state.chain, head, self.manifest.union)
        merge = git.merge_trees(repo, anc_tree, chain_tree, theirs)
        if merge.conflicts and self.manifest.union:
            merge = git.settle_unions(repo, merge, union_rule(self.manifest))
        return merge

    def _before_merge(self, team: TeamName) -> TeamOutcome | None:
        """The outcome of a team that cannot or need not be merged; None when it can."""
        state = self.state
        head = state.heads.get(team)
        if team in state.left_out:
            return self._skip(team, state.left_out[team], left_out=True)
        if team in state.pending:
            return self._skip(team, state.pending[team])
        if head is None:
            return self._skip(team, f"no branch {self.manifest.branch(team)}", status="missing")
        ancestor = self.bases.of(team, state.chain)
        if ancestor is None:
            return self._skip(team, f"{self.manifest.branch(team)} shares no history with "
                              f"{self.manifest.base}")
        if str(ancestor) == head:  # nothing beyond the chain: not started, or already in
            return self._outcome(team, "unchanged")
        self._ancestor = ancestor
        return None

    def _within_scope(self, team: TeamName, head: ObjectId, anc_tree: git.Oid,
                      head_tree: git.Oid, facts: dict[str, Any]
                      ) -> tuple[git.Oid, list[Lost], TeamOutcome | None]:
        """The tree to merge and what it drops; a skip when out-of-scope paths and no --fix.

        The hook's verdict (``verdict.judge_in_clone``) on the commits the chain and the
        other teams' branches do not have yet: what the server accepted, this accepts.
        The chain adds only the base and merge commits to the other teams' heads, so the
        verdict does not depend on it: ``scopes`` keeps it for the --keep-green probes.
        """
        outside = self._outside(team)
        if not outside:
            return head_tree, [], None
        if not self.state.fix:
            return head_tree, [], self._skip(
                team, f"changes {len(outside)} path(s) outside its scope", tuple(outside), **facts)
        theirs, lost = self._drop_outside(team, outside, anc_tree, head_tree)
        return theirs, lost, None

    def _skip_conflicts(self, team: TeamName, merge: git.TreeMerge,
                        facts: dict[str, Any]) -> TeamOutcome:
        """Without --fix a conflicting team is skipped; each conflict is recorded."""
        resolutions: list[Resolution] = []
        owners = self._chain_owners(merge.conflicts)
        for conflict, owner in zip(merge.conflicts, owners, strict=True):
            if conflict.ours is None and conflict.theirs is None:
                continue
            resolutions.append(Resolution(_main_path(conflict), pair(owner, team),
                                          f"skipped {team}", _kind(conflict), None))
        self.state.conflicts.extend(resolutions)
        against = ", ".join(dict.fromkeys(r.teams[0] for r in resolutions if len(r.teams) > 1))
        paths = tuple(dict.fromkeys(r.path for r in resolutions))
        return self._skip(team, f"merge conflict with {against or 'the chain'}", paths, **facts)

    def _commit(self, team: TeamName, tree: git.Oid, chain_tree: git.Oid,
                resolutions: list[Resolution], lost: list[Lost],
                facts: dict[str, Any]) -> TeamOutcome:
        """The merge commit onto the chain; who changed which path is remembered."""
        state = self.state
        head = state.heads[team]
        assert head is not None
        message = self._message(team, facts["commits"], resolutions, lost)
        commit = git.write_commit(self.repo, tree, [state.chain, head], message)
        for path in git.tree_diff_paths(self.repo, chain_tree, tree):
            state.owners.setdefault(path, []).append(team)
        state.conflicts.extend(resolutions)
        state.lost.extend(lost)
        state.chain = commit
        return self._outcome(team, "merged", merge_commit=commit, **facts)

    def _drop_outside(self, team: TeamName, outside: list[str], anc_tree: git.Oid,
                      head_tree: git.Oid) -> tuple[git.Oid, list[Lost]]:
        """The team's tree with its out-of-scope paths set back to the merge base."""
        changes: dict[str, git.Entry | None] = {}
        lost: list[Lost] = []
        for path in outside:
            before = git.tree_entry(self.repo, anc_tree, path)
            after = git.tree_entry(self.repo, head_tree, path)
            if before == after:
                continue  # changed and changed back: nothing of it reaches the merge
            changes[path] = before
            owner = self.manifest.ownership.owner_of(path)
            lost.append(Lost(team, path, after, f"outside scope (owner: {owner})"))
        return git.tree_with(self.repo, head_tree, changes), lost

    def _chain_owners(self, conflicts: tuple[git.ConflictSides, ...]) -> list[TeamName]:
        """Who owns the chain side of each conflict: the team that last changed one of its paths.

        No merged team changed it: the base did. A half of a rename conflict may name only
        the other side's new path; it takes the owner found for the other halves of the
        same merge.
        """
        found = [next((self.state.owners[p][-1] for p in c.paths if p in self.state.owners), None)
                 for c in conflicts]
        renamed = next((f for f, c in zip(found, conflicts, strict=True)
                        if f is not None and _kind(c) == "rename"), None)
        return [f if f is not None else (renamed if renamed and _kind(c) == "rename"
                                         else BASE_OWNER)
                for f, c in zip(found, conflicts, strict=True)]

    def _resolve(self, team: TeamName, merge: git.TreeMerge, anc_tree: git.Oid,
                 chain_tree: git.Oid, theirs: git.Oid
                 ) -> tuple[git.Oid, list[Resolution], list[Lost]]:
        """Settle every conflict for the higher-priority side; the losers' versions are kept."""
        priority = self.manifest.teams[team].priority
        favoured: dict[str, git.TreeMerge] = {}
        chosen: dict[str, git.Entry | None] = {}
        resolutions: list[Resolution] = []
        lost: list[Lost] = []

        def favoured_entry(side: str, path: str) -> git.Entry | None:
            if self.manifest.merge_engine == "git":
                return None   # git's merge is not remade by libgit2: whole-file rule
            if side not in favoured:
                favoured[side] = git.merge_trees(self.repo, anc_tree, chain_tree, theirs, side)
            return git.merged_entry(favoured[side], path)

        owners = self._chain_owners(merge.conflicts)
        for conflict, owner in zip(merge.conflicts, owners, strict=True):
            kind = _kind(conflict)
            pieces = (cut(self.repo, self._lineage, conflict, favoured_entry,
                          merge.marked.get(_main_path(conflict)))
                      if kind == "content" else None)
            met = {t for p in conflict.paths for t in self.state.owners.get(p, ())}
            by_hunk = (settle_by_hunk(self.repo, self.manifest, self.state, team, conflict,
                                      owner, pieces, self._lineage)
                       if pieces is not None and len(met) > 1 else None)  # else: one owner
            if by_hunk is not None:
                chosen[by_hunk.entry.path] = by_hunk.entry
                resolutions.extend(by_hunk.resolutions)
                lost.extend(by_hunk.lost)
                continue
            team_wins = owner != BASE_OWNER and priority > self.manifest.teams[owner].priority
            winner, loser = (team, owner) if team_wins else (owner, team)
            win_side, lose_side = ((conflict.theirs, conflict.ours) if team_wins
                                   else (conflict.ours, conflict.theirs))
            entry = (None if kind != "content"
                     else _joined(self._lineage, conflict, pieces, team_wins)
                     if pieces is not None
                     else favoured_entry("theirs" if team_wins else "ours", _main_path(conflict)))
            if entry is not None:
                chosen[entry.path] = entry
            else:  # a whole-file conflict, or a content one libgit2 could not settle (binary)
                for path in conflict.paths:
                    chosen[path] = win_side if win_side and win_side.path == path else None
            if conflict.ours is None and conflict.theirs is None:
                continue  # deleted (or renamed away) on both sides: nothing to decide
            resolutions.append(Resolution(_main_path(conflict), pair(owner, team),
                                          f"kept {winner}", kind, winner))
            if loser == BASE_OWNER:
                continue  # the base's version stays on the base branch
            if lose_side is not None:
                lost.append(Lost(loser, lose_side.path, lose_side, f"lost conflict to {winner}",
                                 self._text_base(conflict, kind)))
            elif conflict.ancestor is not None:
                lost.append(Lost(loser, conflict.ancestor.path, None,
                                 f"deletion lost conflict to {winner}"))
        return self._write_tree(merge, chosen), resolutions, lost

    def _text_base(self, conflict: git.ConflictSides, kind: str) -> git.Entry | None:
        """The base a lost text version is merged back against (``Lost.ancestor``)."""
        o, t = conflict.ours, conflict.theirs
        if o is None or t is None or o.path != t.path or o.mode != t.mode:
            return None
        if kind == "content":
            a = conflict.ancestor
            return a if a is not None and a.path == o.path else None
        if kind == "add/add":
            return git.Entry(o.path, git.create_blob(self.repo, b""), o.mode)
        return None

    def _message(self, team: TeamName, commits: int, resolutions: list[Resolution],
                 lost: list[Lost]) -> str:
        info = self.manifest.teams[team]
        lines = [f"Merge branch '{self.manifest.branch(team)}' into {self.manifest.integration}",
                 "", f"gitorch integrate: team {team} (priority {info.priority}), "
                 f"{commits} commit(s)."]
        if resolutions:
            lines += ["", "Conflicts resolved:"]
            lines += [f"  {shown(r.path)}: {r.resolution} ({r.kind})" for r in resolutions]
        if lost:
            lines += ["", "Dropped (saved under refs/gitorch/dropped/):"]
            lines += [f"  {shown(x.path)} of {x.team}: {x.reason}" for x in lost]
        return "\n".join(lines) + "\n"


def _joined(lineage: Lineage, conflict: git.ConflictSides,
            pieces: list[str | git.TextConflict], theirs: bool) -> git.Entry:
    """The file of an exact cut with every hunk settled for one side (libgit2's favoured merge)."""
    side = conflict.theirs if theirs else conflict.ours
    assert side is not None
    hunks = sum(1 for p in pieces if isinstance(p, git.TextConflict))
    return git.Entry(side.path, lineage.store(git.join_text(pieces, [theirs] * hunks).encode()),
                     side.mode)


def _main_path(conflict: git.ConflictSides) -> str:
    return conflict.paths[-1] if conflict.ancestor is None else conflict.ancestor.path


def _kind(conflict: git.ConflictSides) -> str:
    a, o, t = conflict.ancestor, conflict.ours, conflict.theirs
    if a and o and t:
        return "content"
    if a is None and o and t:
        return "add/add"
    if a and (o is None) != (t is None):
        return "modify/delete"
    return "rename"
