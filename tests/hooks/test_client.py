"""Client side: gitorch check, hooks install --local (pre-commit, pre-push), the CLI entry."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import Cli, git
from tests.hooks.conftest import Server, on_branch, push


def test_check_clean_branch(server: Server, cli: Cli) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    result = cli("check", cwd=c.path)
    assert result.exit_code == 0
    assert result.output == "team/alpha: 1 commit beyond main, all within team alpha's scope\n"


def test_check_reports_violations_exit_1_text_and_json(server: Server, cli: Cli) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    bad = c.commit("Reach into the API", {"src/api/app.py": "mine\n"})
    c.checkout("main")
    result = cli("check", "team/alpha", cwd=c.path)
    assert result.exit_code == 1
    assert result.output == (
        "team/alpha: 1 commit of 1 beyond main changes paths outside team alpha's scope\n"
        f"  {bad[:8]} Reach into the API\n"
        "    src/api/app.py  (owner: beta)\n"
        "  what to do: take these changes out of your commits (git rebase -i main) and leave "
        "them to their owners; the server refuses this push as it is; without an editor, on a "
        "branch with no merges: git reset --soft $(git merge-base HEAD origin/main) && git "
        "restore --staged -- src/api/app.py && git commit -m 'MESSAGE' (one commit of your "
        "in-scope work; the other edits stay in your working tree)\n")
    result = cli("check", "--json", "team/alpha", cwd=c.path)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["team"] == "alpha" and data["ok"] is False and data["commits"] == 1
    assert data["violations"] == [{"commit": bad, "subject": "Reach into the API",
                                   "path": "src/api/app.py", "owner": "beta",
                                   "collides_with": None}]
    # --team judges the same commits as another team: beta owns the path.
    result = cli("check", "--team", "beta", "team/alpha", cwd=c.path)
    assert result.exit_code == 0
    assert result.output == "team/alpha: 1 commit beyond main, all within team beta's scope\n"


def test_check_needs_a_team(server: Server, cli: Cli) -> None:
    result = cli("check", cwd=server.clone.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: cannot tell the team: main is no team branch "
                             "(team/<team>); pass --team T\n")
    result = cli("check", "--team", "zeta", cwd=server.clone.path)
    assert result.exit_code == 2
    assert "no team 'zeta'" in result.output


def test_check_finds_origin_branches(server: Server, cli: Cli) -> None:
    c = server.clone
    on_branch(c, "team/beta")
    c.commit("API", {"src/api/v2.py": "v2\n"})
    push(c, "team/beta")
    c.checkout("main")
    c.git("branch", "-q", "-D", "team/beta")
    c.git("fetch", "-q", "origin")
    result = cli("check", "origin/team/beta", cwd=c.path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("origin/team/beta: 1 commit beyond main")


def test_local_hooks_pre_commit_and_pre_push(server: Server, cli: Cli) -> None:
    c = server.clone
    result = cli("hooks", "install", "--local", cwd=c.path)
    assert result.exit_code == 0, result.output
    hooks_dir = c.path / ".git" / "hooks"
    assert result.output.splitlines()[:2] == [f"installed {hooks_dir / 'pre-commit'}",
                                              f"installed {hooks_dir / 'pre-push'}"]
    on_branch(c, "team/alpha")
    c.write({"src/core/ok.py": "ok\n"})
    c.git("add", "-A")
    assert git(c.path, "commit", "-q", "-m", "fine", check=False).returncode == 0
    c.write({"src/api/app.py": "mine\n", "tools/x.sh": "x\n"})
    c.git("add", "-A")
    proc = git(c.path, "commit", "-q", "-m", "not fine", check=False)
    assert proc.returncode == 1
    assert proc.stderr == (
        "gitorch: commit refused: 2 staged paths outside team alpha's scope (team/alpha)\n"
        "    src/api/app.py  (owner: beta)\n"
        "    tools/x.sh  (owner: nobody (no team owns it))\n"
        "  what to do: unstage them (git restore --staged PATH...) and leave them to their "
        "owners; 'gitorch owner PATH' tells who owns a path\n")
    # --no-verify gets past the client; the pre-push hook (the server's check) stops it.
    bad = git(c.path, "commit", "-q", "--no-verify", "-m", "sneaky").returncode == 0 and c.head()
    proc = git(c.path, "push", "origin", "team/alpha", check=False)
    assert proc.returncode == 1
    lines = [line.rstrip() for line in proc.stderr.splitlines()]
    assert lines[:3] == [
        "gitorch: REFUSED refs/heads/team/alpha: 1 commit of 2 changes paths outside team "
        "alpha's scope",
        f"  {str(bad)[:8]} sneaky",
        "    src/api/app.py  (owner: beta)"]
    assert "gitorch: push stopped before sending: the server would refuse it" in lines
    assert server.ref("team/alpha") is None
    # Reinstalling is idempotent; a foreign hook is kept unless --force.
    assert cli("hooks", "install", "--local", cwd=c.path).output.startswith("updated ")
    (hooks_dir / "pre-push").write_text("#!/bin/sh\n")
    result = cli("hooks", "install", "--local", cwd=c.path)
    assert result.exit_code == 2
    assert "pre-push exists and was not written by gitorch" in result.output


def test_pre_commit_ignores_non_team_branches(server: Server, cli: Cli) -> None:
    c = server.clone
    cli("hooks", "install", "--local", cwd=c.path)
    c.write({"src/api/app.py": "integrator\n"})
    c.git("add", "-A")
    assert git(c.path, "commit", "-q", "-m", "on main").returncode == 0


def test_hooks_install_server_cli(server: Server, cli: Cli, tmp_path: Path) -> None:
    result = cli("hooks", "install", "--server", str(server.bare.path), cwd=tmp_path)
    assert result.exit_code == 0
    assert result.output.splitlines()[1].endswith("policy: gitorch.yaml on the base branch")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    result = cli("hooks", "install", "--server", str(server.bare.path), "--policy", str(bad),
                 cwd=tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith(f"{bad}:1: ")
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", str(empty))
    result = cli("hooks", "install", "--server", str(empty), cwd=tmp_path)
    assert result.exit_code == 0
    assert result.output.splitlines()[2] == (
        "note: no readable policy yet (gitorch.yaml on main: the base branch main does not "
        "exist yet): every push is refused except the one that creates the base branch with "
        "a valid gitorch.yaml")
    result = cli("hooks", "install", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: say where: --server BARE_REPO or --local; see "
                             "'gitorch hooks install --help'\n")


def test_pre_commit_framework_manifest() -> None:
    root = Path(__file__).resolve().parents[2]
    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "gitorch-scope"
    assert hooks[0]["entry"] == "gitorch hook-run pre-commit"
    assert hooks[0]["pass_filenames"] is False


def test_hidden_entry_runs_the_pre_commit_check(server: Server, cli: Cli) -> None:
    c = server.clone
    on_branch(c, "team/beta")
    c.write({"src/core/base.py": "beta was here\n"})
    c.git("add", "-A")
    result = cli("hook-run", "pre-commit", cwd=c.path)
    assert result.exit_code == 1
    assert "gitorch: commit refused: 1 staged path outside team beta's scope" in result.output


def test_pre_push_passes_good_work_and_judges_only_what_the_remote_lacks(server: Server,
                                                                          cli: Cli) -> None:
    c = server.clone
    cli("hooks", "install", "--local", cwd=c.path)
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    proc = git(c.path, "push", "-q", "origin", "team/alpha", check=False)
    assert proc.returncode == 0, proc.stderr
    assert server.ref("team/alpha") == c.head()
    c.checkout("main")
    c.commit("Integrator edits the API", {"src/api/app.py": "lead\n"})
    git(c.path, "push", "-q", "origin", "main", env={"GITORCH_USER": "lead"})
    c.checkout("team/alpha")
    c.git("merge", "-q", "--no-edit", "main")   # main's API commit is on the remote already
    proc = git(c.path, "push", "-q", "origin", "team/alpha", check=False)
    assert proc.returncode == 0, proc.stderr


def test_the_recipe_without_an_editor_works(server: Server, cli: Cli) -> None:
    # issue 16: the refusal named only `git rebase -i`, which an agent cannot drive
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    c.commit("Core and the API", {"src/core/y.py": "y\n", "src/api/new file.py": "z\n"})
    result = cli("check", cwd=c.path)
    assert result.exit_code == 1
    recipe = result.output.split("without an editor, on a branch with no merges: ")[1]
    recipe = recipe.split(" (one commit")[0].replace("MESSAGE", "core work")
    assert "'src/api/new file.py'" in recipe
    import subprocess
    subprocess.run(recipe, shell=True, cwd=c.path, check=True, capture_output=True)
    assert cli("check", cwd=c.path).exit_code == 0
    assert (c.path / "src/api/new file.py").read_text() == "z\n"     # kept in the work tree
    assert push(c, "team/alpha", user="alice").code == 0
