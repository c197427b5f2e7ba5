"""The hook's scope verdict on every team a run merges, asked of git ahead of the merges.

``verdict.judge_in_clone`` asks git for the commits a team's head has beyond what the
server has (as this clone sees it), the other teams' heads and the chain. Commits the
chain reaches are the base's, the merged teams' (other heads) and the merge commits this
run has just written, which no team head can reach: so the chain excludes nothing the
base and the other heads do not, and every team's question is known before the first
merge. The ``git log`` of the next few teams therefore runs in the background (on the
other core) while this process merges; a verdict reads its log's answer when the team's
turn comes. One ``git cat-file`` and one listing of the refs serve every team.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress

from gitorch.enforce import gitread, verdict
from gitorch.ids import ObjectId
from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.scope import CompiledOwnership

AHEAD = 6   # teams whose git log runs while the merges go on


class ScopeVerdicts:
    """The out-of-scope paths of each team's new commits (the hook's rule)."""

    def __init__(self, git_dir: str, manifest: Manifest, base: str,
                 heads: Mapping[TeamName, ObjectId | None], head_refs: dict[TeamName, str],
                 remote: str | None):
        """``heads``: every team's head as the run started; ``head_refs``: the ref each head
        was read from, for the teams to judge, in the order they will be asked for."""
        self._reader = gitread.Git(git_dir)
        self._manifest = manifest
        self._base = base
        self._heads = heads
        self._remote = remote
        self._order = list(head_refs)
        self._refs = dict(head_refs)
        self._started: dict[TeamName, gitread.Started] = {}
        self._listing = verdict.listed_refs(self._reader, remote)
        self._compiled = CompiledOwnership(manifest.ownership)
        self._start(0)

    def _others(self, team: TeamName) -> list[ObjectId]:
        return [h for t, h in self._heads.items() if t != team and h is not None]

    def _start(self, at: int) -> None:
        """Have the git log of the teams from position ``at`` on (AHEAD of them) running."""
        for team in self._order[at:at + AHEAD]:
            head = self._heads[team]
            if team in self._started or head is None:
                continue
            self._started[team] = verdict.start_in_clone(
                self._reader, self._manifest, team, head, head_ref=self._refs[team],
                base=self._base, remote=self._remote, also_there=self._others(team),
                listing=self._listing)

    def outside(self, team: TeamName, head_ref: str) -> list[str]:
        """The paths ``team``'s new commits change outside its scope, sorted."""
        if team in self._order:
            self._start(self._order.index(team) + 1)   # the next teams' logs meanwhile
        head = self._heads[team]
        assert head is not None
        judged = verdict.judge_in_clone(self._reader, self._manifest, team, head,
                                        head_ref=head_ref, base=self._base, remote=self._remote,
                                        also_there=self._others(team), compiled=self._compiled,
                                        listing=self._listing,
                                        started=self._started.pop(team, None))
        return sorted({v.path for v in judged.violations})

    def close(self) -> None:
        """End the git processes: the logs of teams never asked for, and the reader."""
        for started in self._started.values():
            with suppress(OSError):
                started.proc.kill()
            started.result()
        self._started.clear()
        self._reader.close()
