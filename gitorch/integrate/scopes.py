"""The hook's scope verdict on every team a run merges, judged ahead of the merges.

``verdict.judge_in_clone`` asks git for the commits a team's head has beyond what the
server has (as this clone sees it), the other teams' heads and the chain. Commits the
chain reaches are the base's, the merged teams' (other heads) and the merge commits this
run has just written, which no team head can reach: so the chain excludes nothing the
base and the other heads do not, and every verdict is known before the first merge. They
are asked in merge order on a thread of their own (one ``git cat-file`` for all, one
``git log`` per team, the next few teams' already running), on the other core while this
one merges; ``outside`` waits for a team's.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress

from gitorch.enforce import gitread, verdict
from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.scope import CompiledOwnership

AHEAD = 4   # teams whose git log runs while an earlier team's verdict is made


class ScopeVerdicts:
    """The out-of-scope paths of each team's new commits (the hook's rule), judged ahead."""

    def __init__(self, git_dir: str, manifest: Manifest, base: str,
                 heads: dict[TeamName, str | None], head_refs: dict[TeamName, str],
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
        self._started: dict[TeamName, gitread.Started] = {}   # touched by the thread only
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gitorch-scopes")
        self._ready: Future[tuple[str, CompiledOwnership]] = self._pool.submit(self._prepare)
        self._found: dict[TeamName, Future[list[str]]] = {
            team: self._pool.submit(self._judge, team, ref) for team, ref in head_refs.items()}

    def _prepare(self) -> tuple[str, CompiledOwnership]:
        return (verdict.listed_refs(self._reader, self._remote),
                CompiledOwnership(self._manifest.ownership))

    def _others(self, team: TeamName) -> list[str]:
        return [h for t, h in self._heads.items() if t != team and h is not None]

    def _judge(self, team: TeamName, head_ref: str) -> list[str]:
        listing, compiled = self._ready.result()
        at = self._order.index(team) if team in self._order else len(self._order)
        for later in self._order[at:at + AHEAD]:   # their git log meanwhile
            if later not in self._started:
                head = self._heads[later]
                assert head is not None
                self._started[later] = verdict.start_in_clone(
                    self._reader, self._manifest, later, head, head_ref=self._refs[later],
                    base=self._base, remote=self._remote, also_there=self._others(later),
                    listing=listing)
        head = self._heads[team]
        assert head is not None
        judged = verdict.judge_in_clone(self._reader, self._manifest, team, head,
                                        head_ref=head_ref, base=self._base, remote=self._remote,
                                        also_there=self._others(team), compiled=compiled,
                                        listing=listing, started=self._started.pop(team, None))
        return sorted({v.path for v in judged.violations})

    def outside(self, team: TeamName, head_ref: str) -> list[str]:
        """The paths ``team``'s new commits change outside its scope, sorted (judged now if
        it was not among the teams judged ahead)."""
        found = self._found.get(team)
        if found is None:
            found = self._found[team] = self._pool.submit(self._judge, team, head_ref)
        return found.result()

    def close(self) -> None:
        """Stop judging (a verdict being asked finishes) and end the git processes."""
        for future in self._found.values():
            future.cancel()
        self._pool.shutdown(wait=True)
        for started in self._started.values():   # started for teams never asked for
            with suppress(OSError):
                started.proc.kill()
            started.result()
        self._started.clear()
        self._reader.close()
