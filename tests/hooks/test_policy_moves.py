"""No push may leave the server without a readable policy: every way a push can move
where the policy comes from (HEAD's branch, the base, the base a manifest names)."""

from __future__ import annotations

from pathlib import Path

from gitorch.enforce import hookrun
from gitorch.enforce.gitread import Git
from gitorch.enforce.receive import Policy
from tests.hooks.conftest import MANIFEST, Push, Server, on_branch, push
from tests.hooks.test_server_policy import empty_server
from tests.names import commit_files

BROKEN = "gitorch: REFUSED {ref}: after this push the server would have no readable policy in "


def policy_of(bare: Path) -> Policy:
    with Git(str(bare)) as repo:
        return hookrun.server_policy(repo, None)


def readable(server: Server) -> str:
    """Where the server's policy comes from; fails the test when it has none."""
    policy = policy_of(server.bare.path)
    assert policy.manifest is not None, policy.problem
    return policy.source


def naming(base: str, extra: str = "") -> str:
    return f"{MANIFEST}base: {base}\n{extra}"


def refused_for_policy(result: Push, ref: str, source: str, problem: str) -> None:
    assert result.code == 1, result.stderr
    assert result.remote[0] == BROKEN.format(ref=ref) + f"{source}: {problem}"
    assert result.remote[1].startswith("  what to do: ")
    assert result.remote[-1].startswith("gitorch: push rejected")


def test_a_base_naming_a_team_branch_that_names_another_is_refused(server: Server) -> None:
    c = server.clone
    seed = c.head()
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    assert push(c, "team/alpha", user="alice").code == 0
    c.checkout("main")
    c.commit("The base is alpha's branch", {"gitorch.yaml": naming("team/alpha")})
    result = push(c, "main", user="lead")
    refused_for_policy(result, "refs/heads/main", "gitorch.yaml on team/alpha",
                       "HEAD and gitorch.yaml disagree on the base branch: gitorch.yaml on "
                       "main names team/alpha, gitorch.yaml on team/alpha names main")
    assert server.ref("main") == seed
    assert readable(server) == "gitorch.yaml on main"


def test_a_base_naming_a_missing_branch_and_its_revert(server: Server) -> None:
    c = server.clone
    seed = c.head()
    c.commit("The base is alpha's branch", {"gitorch.yaml": naming("team/alpha")})
    assert push(c, "main", user="lead").code == 0          # team/alpha does not exist yet
    assert readable(server) == "gitorch.yaml on main"
    result = push(c, f"{seed}:refs/heads/team/alpha", user="alice")
    refused_for_policy(result, "refs/heads/team/alpha", "gitorch.yaml on team/alpha",
                       "HEAD and gitorch.yaml disagree on the base branch: gitorch.yaml on "
                       "main names team/alpha, gitorch.yaml on team/alpha names main")
    # main stays protected as the branch the policy is read from: integrators only.
    c.commit("Alice edits the README", {"README.md": "alice\n"})
    result = push(c, "main", user="alice")
    assert result.remote[0] == ("gitorch: REFUSED refs/heads/main: only integrators (lead) may "
                                "update main, the branch the policy (gitorch.yaml) is read "
                                "from; alice is not an integrator")
    c.git("reset", "-q", "--hard", "HEAD~")
    c.commit("Back to main as the base", {"gitorch.yaml": MANIFEST})
    result = push(c, "main", user="lead")
    assert result.code == 0, result.stderr
    assert readable(server) == "gitorch.yaml on main"
    on_branch(c, "team/alpha", seed)
    c.commit("Core", {"src/core/y.py": "y\n"})
    assert push(c, "team/alpha", user="alice").code == 0


def test_a_new_base_must_name_itself_when_it_is_created(server: Server) -> None:
    c = server.clone
    seed = c.head()
    c.commit("Move to trunk", {"gitorch.yaml": naming("trunk")})
    assert push(c, "main", user="lead").code == 0          # trunk does not exist: main rules
    assert readable(server) == "gitorch.yaml on main"
    result = push(c, f"{seed}:refs/heads/trunk", user="lead")
    refused_for_policy(result, "refs/heads/trunk", "gitorch.yaml on trunk",
                       "HEAD and gitorch.yaml disagree on the base branch: gitorch.yaml on "
                       "main names trunk, gitorch.yaml on trunk names main")
    assert server.ref("trunk") is None
    result = push(c, "main:refs/heads/trunk", user="lead")
    assert result.code == 0, result.stderr
    assert readable(server) == "gitorch.yaml on trunk"
    on_branch(c, "team/alpha", "main")
    c.commit("Core", {"src/core/x.py": "x\n"})
    assert push(c, "team/alpha", user="alice").code == 0


def test_naming_a_base_without_a_manifest_is_refused(server: Server) -> None:
    c = server.clone
    orphan = commit_files(c.path, "Docs from scratch", {"docs/a.md": "a\n"},
                          ref="refs/heads/team/docs", parent=None)
    assert orphan and push(c, "team/docs").code == 0
    c.commit("The base is the docs branch", {"gitorch.yaml": naming("team/docs")})
    result = push(c, "main", user="lead")
    refused_for_policy(result, "refs/heads/main", "gitorch.yaml on team/docs",
                       f"gitorch.yaml@{orphan[:8]}: no gitorch.yaml in this commit")
    assert readable(server) == "gitorch.yaml on main"


def test_naming_a_base_with_a_broken_manifest_is_refused(server: Server) -> None:
    c = server.clone
    broken = commit_files(c.path, "Scratch", {"gitorch.yaml": "version: 1\nproject: [\n"},
                          ref="refs/heads/integration", parent=c.head())
    assert push(c, "integration", user="lead").code == 0    # not the policy's: not validated
    c.commit("The base is integration", {"gitorch.yaml": naming("integration",
                                                                "integration: staging\n")})
    result = push(c, "main", user="lead")
    refused_for_policy(result, "refs/heads/main", "gitorch.yaml on integration",
                       f"gitorch.yaml@{broken[:8]}:3: not valid YAML: did not find expected "
                       "node content")
    assert readable(server) == "gitorch.yaml on main"


def test_the_branch_head_names_can_be_created_only_with_a_policy(server: Server) -> None:
    c = server.clone
    server.bare.git("symbolic-ref", "HEAD", "refs/heads/integration")
    assert readable(server) == "gitorch.yaml on main"       # HEAD's branch missing: main
    empty = commit_files(c.path, "Nothing", {"notes.txt": "n\n"}, ref="refs/heads/bare-start",
                         parent=None)
    result = push(c, "bare-start:refs/heads/integration", user="lead")
    refused_for_policy(result, "refs/heads/integration", "gitorch.yaml on integration",
                       f"gitorch.yaml@{empty[:8]}: no gitorch.yaml in this commit")
    assert server.ref("integration") is None
    assert push(c, "main:refs/heads/integration", user="lead").code == 0
    assert readable(server) == "gitorch.yaml on main"       # integration's names main
    result = push(c, "+bare-start:refs/heads/integration", user="lead")
    refused_for_policy(result, "refs/heads/integration", "gitorch.yaml on integration",
                       f"gitorch.yaml@{empty[:8]}: no gitorch.yaml in this commit")
    server.bare.git("config", "receive.denyDeleteCurrent", "ignore")    # git's own guard off
    assert push(c, ":integration", user="lead").code == 0   # HEAD's branch gone: main again
    assert readable(server) == "gitorch.yaml on main"


def test_the_bootstrap_push_must_create_the_branch_the_server_reads(tmp_path: Path) -> None:
    bare, clone = empty_server(tmp_path)
    clone.git("checkout", "-q", "-b", "trunk")
    clone.commit("Manifest", {"gitorch.yaml": naming("trunk")})
    result = push(clone, "trunk")
    refused_for_policy(result, "refs/heads/trunk", "gitorch.yaml on main",
                       "the base branch main does not exist yet")
    bare.git("symbolic-ref", "HEAD", "refs/heads/trunk")
    result = push(clone, "trunk")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/trunk: creates the base branch trunk "
                             "with a valid gitorch.yaml"]
    assert readable(Server(bare, clone)) == "gitorch.yaml on trunk"


def test_the_branches_the_policy_is_read_through(server: Server) -> None:
    """Only a push to one of these is judged a second time, on the refs it would leave."""
    assert policy_of(server.bare.path).consulted == frozenset({"main"})
    server.bare.git("symbolic-ref", "HEAD", "refs/heads/integration")
    assert policy_of(server.bare.path).consulted == frozenset({"integration", "main"})
    server.clone.commit("Move to trunk", {"gitorch.yaml": naming("trunk")})
    assert push(server.clone, "main", user="lead").code == 0
    assert policy_of(server.bare.path).consulted == frozenset({"integration", "main", "trunk"})
