"""The gate's decisions beyond a plain bad or clean pull request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_MANIFEST, Cli, GitRepo
from tests.gate.conftest import Actions


def short(sha: str) -> str:
    return sha[:8]


def test_not_a_team_branch_fails(upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    upstream.checkout("fix/typo", create=True)
    upstream.commit("fix typo", {"README.md": "# Shop\n"})
    upstream.checkout("main")
    actions.pull_request("fix/typo", actor="mallory")

    result = cli("gate", cwd=actions.clone.path)

    assert result.exit_code == 1
    message = ("fix/typo is not a team branch: pull requests come from team/<team> "
               "(teams: alpha, beta) unless an integrator opens them")
    assert result.output.splitlines()[0] == (
        f"::error title=gitorch gate::{message}")
    assert result.output.splitlines()[-2:] == [f"error: {message}", "gitorch gate: failed"]
    assert "passed=false\nviolations=0\nteam=\n" in actions.output.read_text()


def test_integrators_branch_passes_with_a_notice(upstream: GitRepo, actions: Actions,
                                                 cli: Cli) -> None:
    upstream.checkout("release/1.0", create=True)
    upstream.commit("bump", {"src/api/views.py": "V = 1\n", "docs/x.md": "x\n",
                             "gitorch.yaml": MINIMAL_MANIFEST.replace("project: shop", "project: shop2")})
    upstream.checkout("main")
    actions.pull_request("release/1.0", actor="lead")

    result = cli("gate", cwd=actions.clone.path)

    assert result.exit_code == 0, result.output
    notice = "release/1.0 is not a team branch; lead is an integrator, so scopes are not checked"
    assert result.output.splitlines()[0] == f"::notice title=gitorch gate::{notice}"
    assert f"- ℹ️ {notice}\n" in actions.summary.read_text()


def test_integrators_branch_must_leave_a_valid_manifest(upstream: GitRepo, actions: Actions,
                                                        cli: Cli) -> None:
    upstream.checkout("release/1.0", create=True)
    upstream.commit("bump", {"gitorch.yaml": "version: 1\nproject: shop\n"})
    upstream.checkout("main")
    actions.pull_request("release/1.0", actor="lead")
    result = cli("gate", cwd=actions.clone.path)
    assert result.exit_code == 1
    problem = "release/1.0:gitorch.yaml:1: 'teams' is missing: add at least one team with 'owns'"
    assert f"error: {problem}\n" in result.output
    assert f"::error title=gitorch gate::{problem}" in result.output


def test_fork_branch_named_like_a_team_branch_is_judged_by_its_own_commits(
        upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    """The pull request's head is the merge commit's second parent, not origin/team/alpha."""
    upstream.checkout("team/alpha", create=True)
    upstream.commit("clean core work", {"src/core/x.py": "X = 1\n"})
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    fork = actions.clone
    fork.git("checkout", "-q", "--detach", "origin/main")
    forked = fork.commit("api from a fork", {"src/api/views.py": "V = 9\n"})
    fork.git("checkout", "-q", "--detach", "origin/main")
    fork.git("merge", "-q", "--no-ff", "-m", "Merge", forked)
    actions.monkeypatch.setenv("GITHUB_SHA", fork.head())

    result = cli("gate", cwd=fork.path)

    assert result.exit_code == 1, result.output
    assert f"  {short(forked)} api from a fork\n    src/api/views.py  (owner: beta)\n" in result.output


def test_pull_request_from_a_fork_uses_the_merge_commit(upstream: GitRepo, actions: Actions,
                                                        cli: Cli) -> None:
    """A fork's branch is not on origin: its commits are the merge commit's second parent."""
    upstream.checkout("team/alpha", create=True)
    upstream.commit("api from alpha", {"src/api/x.py": "X = 1\n"})
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    actions.clone.git("update-ref", "-d", "refs/remotes/origin/team/alpha")

    result = cli("gate", cwd=actions.clone.path)

    assert result.exit_code == 1, result.output
    assert "    src/api/x.py  (owner: beta)\n" in result.output


def test_missing_event_refs_is_a_usage_error(actions: Actions, cli: Cli) -> None:
    actions.pull_request("main")
    actions.monkeypatch.delenv("GITHUB_BASE_REF")
    result = cli("gate", cwd=actions.clone.path)
    assert result.exit_code == 2
    assert result.output == (
        "gitorch: GITHUB_BASE_REF/GITHUB_HEAD_REF are not set: this is no pull request run; "
        "run the gate on pull_request events, or pass --base REF and --head REF\n")
    assert actions.output.read_text() == ""


def test_outside_actions_base_is_required(upstream: GitRepo, cli: Cli) -> None:
    result = cli("gate", cwd=upstream.path)
    assert result.exit_code == 2
    assert result.output == (
        "gitorch: no base to judge against; pass --base REF (the pull request's target)\n")


def test_no_manifest_on_the_base_branch(upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    upstream.commit("drop manifest", {"gitorch.yaml": None})
    upstream.checkout("team/alpha", create=True)
    upstream.commit("core", {"src/core/x.py": "X = 1\n"})
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    result = cli("gate", cwd=actions.clone.path)
    assert result.exit_code == 2
    assert result.output == (
        "main:gitorch.yaml: no manifest on the base branch, so no policy to judge by\n"
        "gitorch: an integrator commits gitorch.yaml to the base branch first\n")


def test_broken_manifest_on_the_base_branch_names_ref_file_and_line(
        upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    upstream.commit("break", {"gitorch.yaml": "version: 1\nproject: shop\nteems: {}\n"})
    upstream.checkout("team/alpha", create=True)
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    result = cli("gate", cwd=actions.clone.path)
    assert result.exit_code == 2
    assert result.output == (
        "main:gitorch.yaml:1: 'teams' is missing: add at least one team with 'owns'\n"
        "main:gitorch.yaml:3: unknown key 'teems' in the manifest: did you mean 'teams'?\n")


def test_shallow_clone_is_refused(upstream: GitRepo, tmp_path: Path, cli: Cli) -> None:
    upstream.checkout("team/alpha", create=True)
    upstream.commit("core", {"src/core/x.py": "X = 1\n"})
    shallow = tmp_path / "shallow"
    upstream.git("clone", "-q", "--no-single-branch", "--depth", "1", f"file://{upstream.path}",
                 str(shallow))
    result = cli("gate", "--base", "origin/main", "--head", "origin/team/alpha", cwd=shallow)
    assert result.exit_code == 2
    assert result.output == (
        "gitorch: this clone is shallow: the commits of the pull request may be cut off; check "
        "out with full history (actions/checkout with fetch-depth: 0) or fetch the branch\n")


def test_unknown_ref_is_a_usage_error(upstream: GitRepo, cli: Cli) -> None:
    result = cli("gate", "--base", "nope", "--head", "main", cwd=upstream.path)
    assert result.exit_code == 2
    assert result.output.startswith("gitorch: cannot find 'nope' in this repository; check out")


def test_local_run_judges_the_checked_out_branch_without_workflow_commands(
        upstream: GitRepo, cli: Cli) -> None:
    upstream.checkout("team/beta", create=True)
    bad = upstream.commit("core from beta", {"src/core/models.py": "A = 2\n"})
    result = cli("gate", "--base", "main", cwd=upstream.path)
    assert result.exit_code == 1
    assert result.output == (
        f"gitorch gate: team beta, 1 commit in main..team/beta, policy gitorch.yaml at main "
        f"({short(upstream.head('main'))})\n"
        f"  {short(bad)} core from beta\n"
        "    src/core/models.py  (owner: alpha)\n"
        "1 violation: each path belongs to its owner's branch; gitorch.yaml belongs to the "
        "integrators\n"
        "gitorch gate: failed\n")


def test_team_option_must_match_the_branch(upstream: GitRepo, cli: Cli) -> None:
    upstream.checkout("team/beta", create=True)
    result = cli("gate", "--base", "main", "--team", "alpha", cwd=upstream.path)
    assert result.exit_code == 2
    assert result.output == (
        "gitorch: team/beta is team beta's branch, not alpha's; drop --team or name the right team\n")
    result = cli("gate", "--base", "main", "--team", "gamma", cwd=upstream.path)
    assert result.exit_code == 2
    assert result.output == "gitorch: no team 'gamma' in main:gitorch.yaml; teams: alpha, beta\n"


def test_team_option_judges_any_head(upstream: GitRepo, cli: Cli) -> None:
    upstream.checkout("work", create=True)
    upstream.commit("api", {"src/api/views.py": "V = 3\n"})
    result = cli("gate", "--base", "main", "--head", "HEAD", "--team", "beta", cwd=upstream.path)
    assert result.exit_code == 0, result.output
    result = cli("gate", "--base", "main", "--head", "HEAD", "--team", "alpha", cwd=upstream.path)
    assert result.exit_code == 1


def test_json(upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    upstream.checkout("team/alpha", create=True)
    bad = upstream.commit("api from alpha", {"src/api/views.py": "V = 1\n"})
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    result = cli("gate", "--json", cwd=actions.clone.path)
    assert result.exit_code == 1
    data = json.loads(result.output)          # one document, no workflow commands around it
    assert data["passed"] is False and data["team"] == "alpha" and data["commits"] == 1
    assert data["violations"] == [{"commit": bad, "subject": "api from alpha",
                                   "path": "src/api/views.py", "owner": "beta"}]
    assert data["paths"] == [{"path": "src/api/views.py", "owner": "beta", "line": 1,
                              "commits": [bad]}]
    assert data["policy"] == {"path": "gitorch.yaml", "commit": upstream.head("main")}
    assert data["base"] == upstream.head("main") and data["head"] == upstream.head("team/alpha")
    assert "passed=false" in actions.output.read_text()


def test_merge_commits_and_deletions_are_judged(upstream: GitRepo, cli: Cli) -> None:
    """A merge of main into the team branch brings nothing new; a deletion outside counts."""
    upstream.checkout("team/alpha", create=True)
    upstream.commit("core", {"src/core/x.py": "X = 1\n"})
    upstream.checkout("main")
    upstream.commit("main moves on", {"src/api/other.py": "O = 1\n"})
    upstream.checkout("team/alpha")
    upstream.git("merge", "-q", "--no-ff", "-m", "sync with main", "main")
    gone = upstream.commit("drop the view", {"src/api/views.py": None})
    result = cli("gate", "--base", "main", cwd=upstream.path)
    assert result.exit_code == 1
    assert result.output.splitlines()[1:3] == [f"  {short(gone)} drop the view",
                                              "    src/api/views.py  (owner: beta)"]
    data = json.loads(cli("gate", "--base", "main", "--json", cwd=upstream.path).output)
    assert data["commits"] == 3
    assert data["paths"] == [{"path": "src/api/views.py", "owner": "beta", "line": None,
                              "commits": [gone]}]


def test_at_most_ten_annotations_per_kind(upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    upstream.checkout("team/alpha", create=True)
    upstream.commit("spray", {f"src/api/m{i:02}.py": "M = 1\n" for i in range(12)})
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    result = cli("gate", cwd=actions.clone.path)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("::error ")]
    assert [e.split(",")[0] for e in errors] == [f"::error file=src/api/m{i:02}.py" for i in range(10)]
    assert "2 more findings are not annotated: see the step summary\n" in result.output
    summary = actions.summary.read_text()
    assert "### 12 paths outside team alpha's scope" in summary
    assert "| `src/api/m11.py` | beta |" in summary
    assert summary.endswith("Only the first 10 annotations of each kind are shown in the pull "
                            "request; 2 more are listed above.\n\n")
    assert "violations=12\n" in actions.output.read_text()


@pytest.mark.parametrize("name", ["src/api/a,b:c%d.py"])
def test_annotation_properties_are_escaped_in_a_real_run(upstream: GitRepo, actions: Actions,
                                                          cli: Cli, name: str) -> None:
    upstream.checkout("team/alpha", create=True)
    upstream.commit("odd: name, 100%\nsecond line", {name: "X = 1\n"})
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    result = cli("gate", cwd=actions.clone.path)
    first = result.output.splitlines()[0]
    assert first.startswith("::error file=src/api/a%2Cb%3Ac%25d.py,line=1,"
                            "title=outside team alpha's scope::src/api/a,b:c%25d.py belongs to")
    assert "| `src/api/a,b:c%d.py` | beta |" in actions.summary.read_text()


def test_manifest_edit_is_reported_even_when_listed_as_shared(upstream: GitRepo, cli: Cli) -> None:
    shared = MINIMAL_MANIFEST.replace("shared: [README.md]", "shared: [README.md, gitorch.yaml]")
    upstream.commit("share the manifest", {"gitorch.yaml": shared})
    upstream.checkout("team/alpha", create=True)
    edit = upstream.commit("tweak", {"gitorch.yaml": shared.replace("priority: 100", "priority: 999")})
    result = cli("gate", "--base", "main", cwd=upstream.path)
    assert result.exit_code == 1
    assert f"  {short(edit)} tweak\n    gitorch.yaml  (owner: integrators)\n" in result.output


def test_manifest_option_names_the_file_on_the_base_branch(upstream: GitRepo, cli: Cli) -> None:
    moved = MINIMAL_MANIFEST.replace('owns: ["src/api/**"]', 'owns: ["src/api/**", "docs/**"]')
    upstream.commit("move the manifest", {"conf/gitorch.yaml": moved, "gitorch.yaml": None})
    upstream.checkout("team/beta", create=True)
    upstream.commit("docs", {"docs/api.md": "api\n"})
    upstream.write({"conf/gitorch.yaml": MINIMAL_MANIFEST})    # the working tree says otherwise
    result = cli("gate", "--base", "main", "--manifest", "conf/gitorch.yaml", cwd=upstream.path)
    assert result.exit_code == 0, result.output
    assert "policy conf/gitorch.yaml at main" in result.output
    result = cli("gate", "--base", "main", "--manifest", "/elsewhere.yaml", cwd=upstream.path)
    assert result.exit_code == 2
    assert result.output.startswith("gitorch: /elsewhere.yaml: the gate reads the manifest from")
