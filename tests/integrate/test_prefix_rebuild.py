"""A chain rebuilt without some teams from the run's own prefix (``prefix_state``) is the
chain rebuilt from the base: the same trees, outcomes, skips, conflicts, lost versions,
owners and pending reasons, for every set of teams left out."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from typing import Any

from gitorch.integrate.engine import _merge_all
from gitorch.integrate.runstate import Mark, RunState, new_state, prefix_state
from gitorch.manifest import TeamName
from gitorch.manifest.loading import load_manifest
from gitorch.repo import open_repo, tree_of
from tests.integrate.conftest import Scenario, readme


def _merged(repo: Any, manifest: Any, state: RunState, marks: list[Mark] | None = None
            ) -> RunState:
    _merge_all(repo, manifest, state, checkpoint=None, dry_run=True, progress=None,
               remote=None, marks=marks)
    return state


def _facts(repo: Any, state: RunState) -> tuple[object, ...]:
    """What a rebuild decides, with each merge commit read as its tree (ids carry times)."""
    outcomes = [replace(o, merge_commit=None) for o in state.outcomes]
    trees = [tree_of(repo, o.merge_commit) if o.merge_commit else None for o in state.outcomes]
    return (outcomes, trees, state.skipped, state.conflicts, state.lost, state.owners,
            state.pending, state.left_out, tree_of(repo, state.chain))


def test_rebuild_from_the_runs_prefix_equals_rebuild_from_the_base(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"README.md": readme(l2="alpha", l5="alpha five"),
                     "src/core/db.py": "def connect():\n    return 'pg'\n"})
    s.team("beta", {"src/api/app.py": "def app():\n    return 'api'\n",
                    "src/ui/view.py": "beta was here\n"})             # outside its scope
    s.team("gamma", {"README.md": readme(l2="gamma", l9="gamma nine")})
    s.team("delta", {"README.md": readme(l5="delta five", l9="delta nine"),
                     "src/cli/main.py": "m = 1\n"})
    repo = open_repo(s.path)
    manifest = load_manifest(s.path / "gitorch.yaml")
    marks: list[Mark] = []
    state = _merged(repo, manifest, new_state(repo, manifest, fix=True, remote=None), marks)
    assert len(marks) == len(state.order) + 1
    assert state.conflicts and state.lost            # the prefix has something to cut
    teams = list(state.order)
    for size in (1, 2, 3):
        for left in combinations(teams, size):
            left_out = {TeamName(t): f"left out: {t} broke it" for t in left}
            upto = min(teams.index(t) for t in left)
            ahead = _merged(repo, manifest, prefix_state(state, marks, upto, left_out))
            whole = _merged(repo, manifest, replace(
                state, outcomes=[], skipped=[], conflicts=[], lost=[], owners={}, pending={},
                left_out=left_out, chain=state.base))
            assert _facts(repo, ahead) == _facts(repo, whole), left
