"""The policy comes from the base branch, everywhere (issue 16 item 2).

A team worktree keeps the gitorch.yaml it was created with; the lead then gives a
directory to that team on main. The server judges by main's manifest, so check,
status and integrate in the worktree must too; --manifest FILE still overrides and
validate keeps checking the file in the work tree, saying that it is not the policy.
"""

from __future__ import annotations

import json

from tests.conftest import Cli, GitRepo
from tests.hooks.conftest import MANIFEST, Server, push


def stale_worktree(server: Server) -> GitRepo:
    c = server.clone
    c.git("worktree", "add", "-q", "-b", "team/beta", str(c.path.parent / "beta"), "main")
    c.commit("Give tools/ to beta", {"gitorch.yaml": MANIFEST.replace(
        'owns: ["src/api/**"]', 'owns: ["src/api/**", "tools/**"]')})
    assert push(c, "main", user="lead").code == 0
    beta = GitRepo(c.path.parent / "beta")
    assert "tools/**" not in (beta.path / "gitorch.yaml").read_text()     # still the old one
    beta.commit("Tools", {"tools/run.py": "run = 1\n"})
    return beta


def test_check_status_and_integrate_in_a_stale_worktree_judge_by_main(server: Server,
                                                                      cli: Cli) -> None:
    beta = stale_worktree(server)
    check = cli("check", cwd=beta.path)
    assert check.exit_code == 0, check.output
    assert check.output.splitlines() == [
        "team/beta: 1 commit beyond main, all within team beta's scope",
        "note: gitorch.yaml in this work tree differs from main:gitorch.yaml; judging by "
        "main:gitorch.yaml, as the server does"]
    data = json.loads(cli("check", "--json", cwd=beta.path).output)
    assert data["ok"] is True and data["policy"] == "main:gitorch.yaml"

    status = json.loads(cli("status", "--json", cwd=beta.path).output)
    assert [t["violations"] for t in status["teams"] if t["team"] == "beta"] == [0]
    beta.git("branch", "team/alpha", "main")
    run = cli("integrate", "--dry-run", cwd=beta.path)
    assert "outside its scope" not in run.output
    assert any(line.split()[:2] == ["beta", "merged"] for line in run.output.splitlines()), \
        run.output
    assert push(beta, "team/beta", user="bob").code == 0        # and the server agrees


def test_manifest_option_still_overrides(server: Server, cli: Cli) -> None:
    beta = stale_worktree(server)
    result = cli("check", "--manifest", str(beta.path / "gitorch.yaml"), cwd=beta.path)
    assert result.exit_code == 1
    assert "    tools/run.py  (owner: nobody (no team owns it))" in result.output


def test_validate_checks_the_edited_file_and_says_it_is_not_the_policy(server: Server,
                                                                      cli: Cli) -> None:
    beta = stale_worktree(server)
    result = cli("validate", cwd=beta.path)
    assert result.exit_code == 0
    assert result.output.splitlines()[1].startswith(
        "note: this file differs from main:gitorch.yaml, the policy in force")
    data = json.loads(cli("validate", "--json", cwd=beta.path).output)
    assert data["differs_from_policy"] is True and data["policy"] == "main:gitorch.yaml"
    same = json.loads(cli("validate", "--json", cwd=server.clone.path).output)
    assert same["differs_from_policy"] is False


def test_a_base_without_a_manifest_falls_back_to_the_working_file(repo: GitRepo,
                                                                  cli: Cli) -> None:
    repo.commit("Start", {"README.md": "hi\n"})
    repo.git("checkout", "-q", "-b", "team/alpha")
    repo.write({"gitorch.yaml": MANIFEST})
    repo.commit("Core", {"src/core/x.py": "x\n"})
    repo.git("rm", "-q", "--cached", "gitorch.yaml")
    repo.git("commit", "-q", "--amend", "--no-edit")
    result = cli("check", cwd=repo.path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"note: the base branch main has no gitorch.yaml yet: judging by "
        f"{repo.path / 'gitorch.yaml'} (commit it to main to make it the policy)")
    result = cli("validate", cwd=repo.path)
    assert "note: the base branch main has no gitorch.yaml yet" in result.output
