"""Who may push what: identity, members, protected refs, other refs."""

from __future__ import annotations

import pytest

from gitorch.enforce.receive import IDENTITY_VARIABLES, identity
from tests.hooks.conftest import Server, on_branch, push

IDENTITY_LIST = "GITORCH_USER, GL_USER, GL_USERNAME, GITEA_PUSHER_NAME, GITHUB_USER_LOGIN, REMOTE_USER"
TEAM_ADVICE = ("  what to do: push to your team branch refs/heads/team/<team> and let an "
               "integrator merge it")
ONE_REFUSED = "gitorch: push rejected (1 of 1 ref refused); nothing was applied"


def test_identity_order_is_the_contracts() -> None:
    assert IDENTITY_VARIABLES == ("GITORCH_USER", "GL_USER", "GL_USERNAME", "GITEA_PUSHER_NAME",
                                  "GITHUB_USER_LOGIN", "REMOTE_USER")
    env = {name: name.lower() for name in IDENTITY_VARIABLES}
    for name in IDENTITY_VARIABLES:
        assert identity(env) == name.lower()
        del env[name]
    assert identity(env) is None
    assert identity({"GL_USER": "", "REMOTE_USER": "web"}) == "web"


@pytest.mark.parametrize("variable", IDENTITY_VARIABLES)
def test_each_identity_variable_reaches_the_members_rule(server: Server, variable: str) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    result = push(c, "team/alpha", env={variable: "mallory"})
    assert result.remote == [
        "gitorch: REFUSED refs/heads/team/alpha: mallory is not a member of team alpha "
        "(members: alice)",
        "  what to do: push to your own team's branch, or ask team alpha or an integrator to "
        "add you to 'members' in gitorch.yaml",
        ONE_REFUSED,
    ]
    assert push(c, "team/alpha", env={variable: "alice"}).code == 0


def test_first_identity_variable_wins(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    assert push(c, "team/alpha", env={"GL_USER": "alice", "REMOTE_USER": "mallory"}).code == 0
    c.commit("More core", {"src/core/y.py": "y\n"})
    assert push(c, "team/alpha", env={"GL_USER": "mallory", "REMOTE_USER": "alice"}).code == 1


def test_members_rule_integrators_and_unknown_identity(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    assert push(c, "team/alpha", user="bob").code == 1
    assert push(c, "team/alpha", user="lead").code == 0          # integrators may
    c.commit("More", {"src/core/y.py": "y\n"})
    assert push(c, "team/alpha").code == 0                       # no identity: scope only
    on_branch(c, "team/docs")
    c.commit("Docs", {"docs/index.md": "i\n"})
    assert push(c, "team/docs", user="anyone").code == 0         # no members listed


def test_integrators_keep_the_scope_rule_on_team_branches(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Lead edits the API on alpha's branch", {"src/api/app.py": "lead\n"})
    assert push(c, "team/alpha", user="lead").code == 1


def test_base_branch_is_for_integrators_only(server: Server) -> None:
    c = server.clone
    c.commit("Update the README", {"README.md": "v2\n"})
    result = push(c, "main")
    assert result.remote == [
        "gitorch: REFUSED refs/heads/main: only integrators (lead) may update the base branch "
        f"main; no pusher identity is known (the server sets none of {IDENTITY_LIST})",
        TEAM_ADVICE, ONE_REFUSED]
    result = push(c, "main", user="alice")
    assert result.remote[0] == ("gitorch: REFUSED refs/heads/main: only integrators (lead) may "
                                "update the base branch main; alice is not an integrator")
    result = push(c, "main", user="lead")
    assert result.code == 0
    assert result.remote == ["gitorch: ok refs/heads/main: the base branch main updated by "
                             "integrator lead; gitorch.yaml validates"]


def test_integration_branch_and_tags_are_for_integrators_only(server: Server) -> None:
    c = server.clone
    c.git("tag", "-a", "-m", "release", "v1")
    for refspec, ref, what in [
            ("main:refs/heads/integration", "refs/heads/integration",
             "the integration branch integration"),
            ("v1", "refs/tags/v1", "tags")]:
        result = push(c, refspec, user="alice")
        assert result.remote[0] == (f"gitorch: REFUSED {ref}: "
                                    f"only integrators (lead) may update {what}; alice is not an "
                                    "integrator")
        assert push(c, refspec).code == 1
        assert push(c, refspec, user="lead").code == 0
    assert server.ref("refs/tags/v1") is not None


def test_a_push_to_base_must_keep_a_valid_manifest(server: Server) -> None:
    c = server.clone
    text = (c.path / "gitorch.yaml").read_text()
    c.commit("Break the manifest", {"gitorch.yaml": text.replace("owns:", "own:", 1)})
    result = push(c, "main", user="lead")
    assert result.code == 1
    assert result.remote[0] == (
        f"gitorch: REFUSED refs/heads/main: gitorch.yaml at the new tip does not validate: "
        f"gitorch.yaml@{c.head()[:8]}:6: team 'alpha' has no 'owns': list the paths it may "
        "write (and 1 more)")
    assert result.remote[1] == ("  what to do: fix it ('gitorch validate' shows every problem) "
                                "and push again")
    c.git("reset", "-q", "--hard", "HEAD~")
    c.git("rm", "-q", "gitorch.yaml")
    c.commit("Drop the manifest")
    result = push(c, "main", user="lead")
    assert result.remote[0] == (
        "gitorch: REFUSED refs/heads/main: gitorch.yaml at the new tip does not validate: "
        f"gitorch.yaml@{c.head()[:8]}: no gitorch.yaml in this commit")
    result = push(c, ":main", user="lead")
    assert result.remote[0] == ("gitorch: REFUSED refs/heads/main: deleting the base branch main "
                                "would delete the policy (gitorch.yaml) with it")


def test_deleting_a_team_branch_is_for_integrators_only(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    assert push(c, "team/alpha", user="alice").code == 0
    result = push(c, ":team/alpha", user="alice")
    assert result.remote == [
        "gitorch: REFUSED refs/heads/team/alpha: only integrators (lead) may delete a team "
        "branch; alice is not an integrator",
        "  what to do: ask an integrator: a deleted team branch is lost work", ONE_REFUSED]
    assert push(c, ":team/alpha").code == 1
    assert server.ref("team/alpha") is not None
    result = push(c, ":team/alpha", user="lead")
    assert result.remote == ["gitorch: ok refs/heads/team/alpha: team branch deleted by "
                             "integrator lead"]
    assert server.ref("team/alpha") is None


@pytest.mark.parametrize("ref", ["refs/heads/feature", "refs/heads/team/zeta",
                                 "refs/notes/commits", "refs/heads/teams/alpha"])
def test_any_other_ref_is_refused_naming_the_pattern(server: Server, ref: str) -> None:
    result = push(server.clone, f"main:{ref}", user="lead")
    assert result.remote == [
        f"gitorch: REFUSED {ref}: not a team branch: gitorch accepts refs/heads/team/<team> "
        "(teams: alpha, beta, docs)",
        "  what to do: push your work to refs/heads/team/<team>; main, integration and tags "
        "are for integrators (lead); another branch for integrators goes under 'protected:' "
        "in gitorch.yaml",
        ONE_REFUSED]
    assert server.ref(ref) is None
