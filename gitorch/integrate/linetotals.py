"""Each team's ``loc_added`` for ``integrate``, counted by git while the merges run."""

from __future__ import annotations

from dataclasses import replace

from gitorch import repo as git
from gitorch.integrate.runstate import RunState
from gitorch.manifest import Manifest, TeamName
from gitorch.records import TeamOutcome


class LineTotals:
    """Each team's ``loc_added``: lines added in its own paths since its branch's merge base
    with the base (as ``gitorch status`` counts; a sub-team's lines count for its parent
    too). One git process counts them for every team while the merges run; ``fill`` puts
    them into the outcomes at the end (checkpoints carry 0 until then).
    """

    def __init__(self, repo: git.Repository, manifest: Manifest, state: RunState):
        self.manifest = manifest
        self.pairs: dict[TeamName, tuple[git.Oid, git.Oid]] = {}
        base = git.Oid(hex=state.base)
        for team, head in state.heads.items():
            if head is None:
                continue
            start = git.merge_base(repo, base, git.Oid(hex=head))
            old = git.tree_of(repo, start) if start is not None else git.empty_tree(repo)
            self.pairs[team] = (old, git.tree_of(repo, head))
        self.counts = git.LineCounts(repo, self.pairs.values())

    def fill(self, outcome: TeamOutcome) -> TeamOutcome:
        pair = self.pairs.get(outcome.team)
        if pair is None:
            return outcome
        team, own = outcome.team, self.manifest.ownership
        return replace(outcome, loc_added=self.counts.total(
            *pair, keep=lambda path: own.counts_for(team, path)))

    def close(self) -> None:
        self.counts.close()
