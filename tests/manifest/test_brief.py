"""`gitorch brief TEAM`: the team's brief, modelled on the seed's team prompts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import MINIMAL_MANIFEST, Cli, GitRepo

ROOT = Path(__file__).resolve().parents[2]

ALPHA = """\
# Team ALPHA — shop

You are team **alpha**, one of 2 teams working in parallel on **shop**. Each team works on its \
own branch, inside its own paths; gitorch merges all teams when they are ready.

## Your mission

Foundation layer

## Where you may write

You may write ONLY to these paths (gitignore-style patterns):

- `src/core/**`

Shared paths, which every team may change (keep such edits small: others change them too):

- `README.md`

Every other path belongs to another team or to the integrators. The shared server refuses a \
push with any commit that changes a path outside your scope, so check before you commit: \
`gitorch owner PATH` names a path's owner, `gitorch check` checks your branch.

## Dependencies

You depend on no other team: start now.

beta builds on your work: deliver your interfaces early and signal `ready` as soon as they are \
stable.

## Target

Write 100-200 lines of code in your paths. `gitorch status` counts the lines you have added \
since the base and shows your progress against 100.

Your priority is 100: when two teams' changes conflict at integration, the higher priority \
keeps its change.

## Branch and worktree

- Branch: `team/alpha`, created from `main`.
- Worktree: created by `gitorch init-worktrees` (one per team).
- Commit often and push `team/alpha` to the shared repository; never push `main` or \
`integration`: the integrators build those.

## Reporting progress and blockers

- `gitorch signal working --reason "what you are doing"` when you start and at each milestone.
- `gitorch signal blocked --reason "what you need, from whom"` as soon as you are stuck (most \
often: an interface of a team you depend on).
- `gitorch signal ready` when your part is complete, committed, and its tests pass.
- `gitorch status` shows every team's state, progress and what it waits for.

A signal travels with your next push of your team branch.
"""


def test_brief_text(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    result = cli("--manifest", "m.yaml", "brief", "alpha")
    assert result.exit_code == 0
    assert result.stdout == ALPHA


def test_brief_of_a_dependent_sub_team(cli: Cli) -> None:
    manifest = str(ROOT / "manifests" / "ecommerce.yaml")
    out = cli("--manifest", manifest, "brief", "alpha-db").stdout
    assert "You are a sub-team of **alpha**: your scope lies inside theirs, and alpha may change " \
           "your paths too." in out
    out = cli("--manifest", manifest, "brief", "delta").stdout
    assert "- **gamma** (branch `team/gamma`, owns `src/domain/**`): Business logic - order " \
           "processing, payments, inventory, pricing engine" in out
    assert "`gitorch status` shows when alpha and gamma are `ready`." in out
    out = cli("--manifest", manifest, "brief", "alpha").stdout
    assert "- **alpha-db**: `src/database/**`" in out


def test_brief_json_with_worktree(repo: GitRepo, cli: Cli) -> None:
    repo.commit("init", {"gitorch.yaml": MINIMAL_MANIFEST})
    data = json.loads(cli("brief", "beta", "--json", cwd=repo.path).stdout)
    assert data == {
        "team": "beta", "project": "shop", "mission": "API layer", "owns": ["src/api/**"],
        "shared": ["README.md"], "parent": None, "sub_teams": {}, "depends_on": ["alpha"],
        "waits_for": ["alpha"], "dependents": [], "priority": 90, "target_loc": None,
        "branch": "team/beta", "base": "main",
        "worktree": str(repo.path.resolve().parent / "repo-worktrees" / "beta"),
        "members": ["bob"]}


def test_unknown_team_names_the_valid_ones(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    result = cli("--manifest", "m.yaml", "brief", "gamma")
    assert result.exit_code == 2
    assert result.stderr == "gitorch: no team 'gamma' in m.yaml; valid teams: alpha, beta\n"
    assert result.stdout == ""


def test_brief_inside_a_team_worktree_names_the_same_worktree(repo: GitRepo, cli: Cli) -> None:
    # issue 16: run inside a worktree, brief printed '.../repo-worktrees/beta-worktrees/beta'
    repo.commit("init", {"gitorch.yaml": MINIMAL_MANIFEST})
    expected = repo.path.resolve().parent / "repo-worktrees" / "beta"
    repo.git("worktree", "add", "-q", "-b", "team/beta", str(expected))
    data = json.loads(cli("brief", "beta", "--json", cwd=expected).stdout)
    assert data["worktree"] == str(expected)
