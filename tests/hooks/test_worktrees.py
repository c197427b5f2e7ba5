"""gitorch init-worktrees: branches from the base, one worktree per team, briefs, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

from gitorch.agents.brief import agent_brief
from gitorch.manifest import TeamName
from gitorch.manifest.loading import load_manifest
from tests.conftest import Cli
from tests.hooks.conftest import MANIFEST, Server


def test_init_worktrees_creates_branches_worktrees_and_briefs(server: Server, cli: Cli) -> None:
    c = server.clone
    where = c.path.parent / "work-worktrees"
    result = cli("init-worktrees", cwd=c.path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "TEAM   BRANCH      PATH",
        f"alpha  team/alpha  {where / 'alpha'}  created",
        f"beta   team/beta   {where / 'beta'}   created",
        f"docs   team/docs   {where / 'docs'}   created",
    ]
    for team in ("alpha", "beta", "docs"):
        assert c.head(f"team/{team}") == c.head("main")
        tree = where / team
        assert (tree / "gitorch.yaml").read_text() == MANIFEST
        assert c.git("-C", str(tree), "branch", "--show-current").stdout.strip() == f"team/{team}"
        assert c.git("-C", str(tree), "status", "--porcelain").stdout == ""   # brief excluded
    brief = (where / "alpha" / "GITORCH.md").read_text()
    assert brief == agent_brief(load_manifest(where / "alpha" / "gitorch.yaml"), TeamName("alpha"),
                                where / "alpha")
    assert brief.startswith("# Team ALPHA — shop\n")
    assert "Foundation layer" in brief and "`src/core/**`" in brief and "`team/alpha`" in brief


def test_init_worktrees_is_idempotent_and_keeps_existing_branches(server: Server, cli: Cli) -> None:
    c = server.clone
    c.git("branch", "team/beta")
    c.checkout("team/beta")
    beta = c.commit("API work", {"src/api/v2.py": "v2\n"})
    c.checkout("main")
    first = json.loads(cli("init-worktrees", "--json", cwd=c.path).output)["worktrees"]
    assert [(w["team"], w["branch_created"], w["worktree_created"]) for w in first] == [
        ("alpha", True, True), ("beta", False, True), ("docs", True, True)]
    assert c.head("team/beta") == beta
    again = cli("init-worktrees", "--json", cwd=c.path)
    assert again.exit_code == 0
    second = json.loads(again.output)["worktrees"]
    assert [(w["branch_created"], w["worktree_created"]) for w in second] == [(False, False)] * 3
    assert [w["path"] for w in second] == [w["path"] for w in first]
    text = cli("init-worktrees", cwd=c.path).output
    assert text.splitlines()[1].endswith("exists")


def test_init_worktrees_refuses_a_foreign_directory_and_changes_nothing(server: Server, cli: Cli,
                                                                        ) -> None:
    c = server.clone
    stray = c.path.parent / "work-worktrees" / "beta"
    stray.mkdir(parents=True)
    (stray / "notes.txt").write_text("mine\n")
    result = cli("init-worktrees", cwd=c.path)
    assert result.exit_code == 2
    assert result.output == (f"gitorch: {stray} exists and is not the worktree of team/beta; "
                             "move it away or set 'worktrees' in gitorch.yaml\n")
    assert c.git("branch", "--list", "team/*").stdout == ""      # nothing was created
    assert not (stray.parent / "alpha").exists()


def test_init_worktrees_honours_the_manifest_directory(server: Server, cli: Cli,
                                                       tmp_path: Path) -> None:
    c = server.clone
    c.commit("Put worktrees elsewhere", {"gitorch.yaml": MANIFEST.replace(
        "project: shop\n", "project: shop\nworktrees: ../trees\n")})
    result = cli("init-worktrees", "--json", cwd=c.path)
    assert result.exit_code == 0, result.output
    paths = [w["path"] for w in json.loads(result.output)["worktrees"]]
    assert paths == [str(tmp_path / "trees" / t) for t in ("alpha", "beta", "docs")]


def test_init_worktrees_recreates_a_worktree_deleted_by_hand(server: Server, cli: Cli) -> None:
    import shutil

    c = server.clone
    assert cli("init-worktrees", cwd=c.path).exit_code == 0
    gone = c.path.parent / "work-worktrees" / "beta"
    shutil.rmtree(gone)
    result = cli("init-worktrees", cwd=c.path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2] == f"beta   team/beta   {gone}   created"
    assert (gone / "GITORCH.md").exists()
