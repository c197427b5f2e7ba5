"""The client hooks judge by the policy `gitorch check` reads (issue 16, item 2 on the client).

The lead gives tools/ to beta on the server's main. A team member's clone still has the
old gitorch.yaml checked out (and an old local main): the server accepts beta's tools/
commit, so `gitorch check`, the pre-commit hook and the pre-push hook must accept it too,
whether the clone fetched (origin/main is ahead of its main) or pushes to a URL whose
remote-tracking branches it never fetched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, GitRepo, git
from tests.hooks.conftest import MANIFEST, Server, push

GIVEN = MANIFEST.replace('owns: ["src/api/**"]', 'owns: ["src/api/**", "tools/**"]')


def team_clone(server: Server, cli: Cli, name: str = "bob") -> GitRepo:
    """A team member's own clone with the client hooks, made before the lead's change."""
    path = server.clone.path.parent / name
    git(server.clone.path.parent, "clone", "-q", str(server.bare.path), name)
    member = GitRepo(path)
    member.git("checkout", "-q", "-b", "team/beta")
    assert cli("hooks", "install", "--local", cwd=path).exit_code == 0
    return member


def give_tools_to_beta(server: Server) -> None:
    server.clone.commit("Give tools/ to beta", {"gitorch.yaml": GIVEN})
    assert push(server.clone, "main", user="lead").code == 0


def test_a_fetched_clone_with_an_old_main_judges_by_the_servers_main(server: Server,
                                                                    cli: Cli) -> None:
    bob = team_clone(server, cli)
    give_tools_to_beta(server)
    bob.git("fetch", "-q", "origin")
    assert "tools/**" not in (bob.path / "gitorch.yaml").read_text()     # the old checkout
    assert bob.head("main") != bob.head("origin/main")                   # and an old main
    bob.write({"tools/run.py": "run = 1\n"})
    bob.git("add", "-A")
    commit = git(bob.path, "commit", "-q", "-m", "Tools", check=False)
    assert commit.returncode == 0, commit.stderr                         # pre-commit agrees
    check = cli("check", cwd=bob.path)
    assert check.exit_code == 0, check.output
    assert check.output.splitlines() == [
        "team/beta: 1 commit beyond main, all within team beta's scope",
        "note: gitorch.yaml in this work tree differs from origin/main:gitorch.yaml; judging "
        "by origin/main:gitorch.yaml, as the server does"]
    assert json.loads(cli("check", "--json", cwd=bob.path).output)["policy"] == \
        "origin/main:gitorch.yaml"
    pushed = push(bob, "team/beta", user="bob")       # pre-push, then the server: both accept
    assert pushed.code == 0, pushed.stderr
    assert pushed.remote == ["gitorch: ok refs/heads/team/beta: 1 new commit within team "
                             "beta's scope"]


def test_a_stale_worktree_pushing_to_a_url_judges_by_main(server: Server, cli: Cli) -> None:
    """No remote-tracking branch for a URL: the pre-push hook reads the local main (as
    check does), not the worktree's old file."""
    c = server.clone
    assert cli("hooks", "install", "--local", cwd=c.path).exit_code == 0
    c.git("worktree", "add", "-q", "-b", "team/beta", str(c.path.parent / "beta"), "main")
    give_tools_to_beta(server)
    beta = GitRepo(c.path.parent / "beta")
    assert "tools/**" not in (beta.path / "gitorch.yaml").read_text()
    beta.write({"tools/run.py": "run = 1\n"})
    beta.git("add", "-A")
    commit = git(beta.path, "commit", "-q", "-m", "Tools", check=False)
    assert commit.returncode == 0, commit.stderr
    assert cli("check", cwd=beta.path).exit_code == 0
    pushed = push(beta, "team/beta", user="bob", url=str(server.bare.path))
    assert pushed.code == 0, pushed.stderr
    assert server.ref("refs/heads/team/beta") == beta.head()


def test_the_client_hooks_still_refuse_what_the_servers_main_refuses(server: Server,
                                                                    cli: Cli) -> None:
    """The other way round: main took tools/ away from beta; the old checkout still gives
    it. The hooks stop the commit and the push the server would refuse."""
    server.clone.commit("Beta owns tools/", {"gitorch.yaml": GIVEN})
    assert push(server.clone, "main", user="lead").code == 0
    bob = team_clone(server, cli)
    server.clone.commit("Take tools/ back", {"gitorch.yaml": MANIFEST})
    assert push(server.clone, "main", user="lead").code == 0
    bob.git("fetch", "-q", "origin")
    bob.write({"tools/run.py": "run = 1\n"})
    bob.git("add", "-A")
    commit = git(bob.path, "commit", "-q", "-m", "Tools", check=False)
    assert commit.returncode == 1
    assert "    tools/run.py  (owner: nobody (no team owns it))" in commit.stderr
    git(bob.path, "commit", "-q", "--no-verify", "-m", "Tools")
    assert cli("check", cwd=bob.path).exit_code == 1
    pushed = push(bob, "team/beta", user="bob")
    assert pushed.code == 1
    assert "gitorch: push stopped before sending: the server would refuse it" in pushed.stderr
    assert server.ref("refs/heads/team/beta") is None


def test_a_clone_with_no_manifest_on_any_base_uses_its_file(tmp_path: Path, cli: Cli) -> None:
    """Nothing committed anywhere yet: the checkout's own file is the policy (as for check)."""
    repo = GitRepo(tmp_path / "fresh")
    repo.commit("Start", {"README.md": "hi\n"})
    assert cli("hooks", "install", "--local", cwd=repo.path).exit_code == 0
    repo.git("checkout", "-q", "-b", "team/alpha")
    repo.write({"gitorch.yaml": MANIFEST, "src/api/x.py": "x\n"})
    repo.git("add", "src")
    commit = git(repo.path, "commit", "-q", "-m", "API", check=False)
    assert commit.returncode == 1
    assert "src/api/x.py  (owner: beta)" in commit.stderr


def test_pushing_to_a_url_no_remote_names_charges_no_commit_of_main(server: Server,
                                                                    cli: Cli) -> None:
    """A URL that is no configured remote: what the local main holds is not charged to
    the team (check's server view counts the local base as already there)."""
    c = server.clone
    c.git("remote", "remove", "origin")
    assert cli("hooks", "install", "--local", cwd=c.path).exit_code == 0
    c.git("checkout", "-q", "-b", "team/beta")
    c.commit("API", {"src/api/v2.py": "v2\n"})
    assert cli("check", cwd=c.path).exit_code == 0
    pushed = push(c, "team/beta", user="bob", url=str(server.bare.path))
    assert pushed.code == 0, pushed.stderr


@pytest.mark.parametrize("state", ["fetched", "pulled", "not-fetched", "no-tracking-branch",
                                   "main-ahead"])
def test_check_pre_commit_and_pre_push_agree_in_every_state_of_the_clone(
        server: Server, cli: Cli, state: str) -> None:
    """One policy in every state a clone's base can be in: `check`, the pre-commit hook
    and the pre-push hook give the same verdict on beta's tools/ commit; where the clone
    knows the server's main (fetched), that is the server's verdict too."""
    bob = team_clone(server, cli)
    give_tools_to_beta(server)
    if state in ("fetched", "pulled", "no-tracking-branch"):
        bob.git("fetch", "-q", "origin")
    if state in ("pulled", "no-tracking-branch"):
        bob.git("branch", "-f", "main", "origin/main")
    if state == "no-tracking-branch":
        bob.git("update-ref", "-d", "refs/remotes/origin/main")
    if state == "main-ahead":       # this clone's main gives tools/ away; not pushed
        bob.git("checkout", "-q", "main")
        bob.commit("Give tools/ to beta here", {"gitorch.yaml": GIVEN})
        bob.git("checkout", "-q", "team/beta")
    bob.write({"tools/run.py": "run = 1\n"})
    bob.git("add", "-A")
    committed = git(bob.path, "commit", "-q", "-m", "Tools", check=False).returncode == 0
    if not committed:
        git(bob.path, "commit", "-q", "--no-verify", "-m", "Tools")
    checked = cli("check", cwd=bob.path).exit_code == 0
    pushed = push(bob, "team/beta", user="bob")
    stopped = "push stopped before sending" in pushed.stderr
    assert committed == checked == (not stopped), (state, committed, checked, pushed.stderr)
    expected = state != "not-fetched"       # an unfetched clone knows only the old main
    assert checked == expected, state
    if state in ("fetched", "pulled", "no-tracking-branch"):
        assert pushed.code == 0, pushed.stderr      # the server agrees


def test_the_base_is_the_one_the_bases_manifest_names(repo: GitRepo, cli: Cli) -> None:
    """The checkout says main; main's manifest says the base is develop, whose manifest
    says develop: develop's is the policy (as the server follows it), not main's."""
    old = MANIFEST.replace("project: shop\n", "project: shop\nbase: develop\n")
    repo.commit("Start", {"gitorch.yaml": old, "README.md": "hi\n"})
    repo.git("checkout", "-q", "-b", "develop")
    repo.commit("Give tools/ to beta", {"gitorch.yaml": old.replace(
        'owns: ["src/api/**"]', 'owns: ["src/api/**", "tools/**"]')})
    repo.git("checkout", "-q", "-b", "team/beta", "main")
    repo.commit("Tools", {"tools/run.py": "run = 1\n"})
    (repo.path / "gitorch.yaml").write_text(MANIFEST)        # an uncommitted edit naming main
    data = json.loads(cli("check", "--json", cwd=repo.path).output)
    assert data["policy"] == "develop:gitorch.yaml"
    assert data["ok"] is True


def test_gitorch_manifest_overrides_in_the_hooks_as_in_check(server: Server, cli: Cli,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    bob = team_clone(server, cli)
    alt = tmp_path / "alt.yaml"
    alt.write_text(GIVEN)
    monkeypatch.setenv("GITORCH_MANIFEST", str(alt))
    bob.write({"tools/run.py": "run = 1\n"})
    bob.git("add", "-A")
    assert git(bob.path, "commit", "-q", "-m", "Tools", check=False).returncode == 0
    assert cli("check", cwd=bob.path).exit_code == 0
    pushed = push(bob, "team/beta", user="bob")      # the server judges by its own main
    assert "push stopped before sending" not in pushed.stderr
    assert pushed.code == 1 and "tools/run.py" in pushed.stderr
