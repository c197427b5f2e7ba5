"""Adopting gitorch on an existing server (issue 16 item 5).

A shared repository with history, a tag and other branches (stable, release/1.0) and no
gitorch.yaml on main gets the hook: install says how out; the lead's push that adds the
manifest (a fast-forward, the lead named at install) is accepted, nobody else's; then
the manifest's ``protected`` branches are the integrators' and teams work as usual.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitorch.errors import ManifestError
from gitorch.manifest.loading import parse_manifest
from tests.conftest import Cli, GitRepo
from tests.hooks.conftest import MANIFEST, push

ADOPTED = MANIFEST.replace("shared: [README.md]",
                           'shared: [README.md]\nprotected: [stable, "release/*"]')


def existing_server(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    bare = GitRepo(tmp_path / "server.git", bare=True)
    clone = GitRepo(tmp_path / "work")
    clone.git("remote", "add", "origin", str(bare.path))
    clone.commit("Start", {"README.md": "shop\n", "src/core/base.py": "x = 1\n"})
    clone.commit("API", {"src/api/app.py": "app = 1\n"})
    clone.git("tag", "-a", "v1.0", "-m", "first release")
    clone.git("branch", "stable")
    clone.git("branch", "release/1.0")
    clone.commit("More", {"src/core/base.py": "x = 2\n"})
    clone.git("push", "-q", "origin", "main", "stable", "release/1.0", "v1.0")
    return bare, clone


def test_install_says_how_out_and_the_named_lead_adopts(tmp_path: Path, cli: Cli) -> None:
    bare, clone = existing_server(tmp_path)
    result = cli("hooks", "install", "--server", str(bare.path), cwd=tmp_path)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[2] == ("note: no readable policy yet (gitorch.yaml on main: "
                        f"gitorch.yaml@{clone.head()[:8]}: no gitorch.yaml in this commit): every "
                        "push is refused until main has a valid gitorch.yaml. To adopt this "
                        "repository, either:")
    assert lines[3].startswith("  1. push the manifest first: an integrator; name them first: "
                               "rerun with --integrators NAME")
    assert lines[4] == f"  2. or pin a policy now: gitorch hooks install --server {bare.path} " \
                       "--policy FILE"

    clone.commit("Adopt gitorch", {"gitorch.yaml": ADOPTED})
    refused = push(clone, "main", user="lead")          # nobody named yet: refused, with the way out
    assert refused.code == 1
    assert "--integrators NAME" in refused.remote[0]

    result = cli("hooks", "install", "--json", "--server", str(bare.path), "--integrators", "lead",
                 cwd=tmp_path)
    data = json.loads(result.output)
    assert data["what_to_do"][1].startswith("  1. push the manifest first: one of lead "
                                            "(git config gitorch.integrators)")
    assert push(clone, "main", user="bob").code == 1    # not named: still refused
    accepted = push(clone, "main", user="lead")
    assert accepted.code == 0, accepted.remote
    assert accepted.remote == [
        "gitorch: ok refs/heads/main: adds a valid gitorch.yaml to the base branch main (pushed by "
        "lead, named in git config gitorch.integrators): the policy from now on"]
    assert parse_manifest(bare.git("show", "main:gitorch.yaml").stdout).protected == \
        ("stable", "release/*")

    # from now on the manifest rules: protected branches are the integrators'
    clone.git("checkout", "-q", "stable")
    clone.commit("Backport", {"src/core/base.py": "x = 3\n"})
    refused = push(clone, "stable", user="alice")
    assert refused.code == 1
    assert refused.remote[0] == ("gitorch: REFUSED refs/heads/stable: only integrators (lead) may "
                                 "update the protected branch stable; alice is not an integrator")
    assert push(clone, "stable", user="lead").code == 0
    assert push(clone, "stable:release/1.0", user="lead").code == 0
    assert push(clone, "stable:release/2.0", user="bob").code == 1
    clone.git("tag", "v1.1")
    assert push(clone, "v1.1", user="lead").code == 0
    clone.git("checkout", "-q", "-b", "team/alpha", "main")
    clone.commit("Core", {"src/core/new.py": "new = 1\n"})
    assert push(clone, "team/alpha", user="alice").code == 0


def test_a_named_integrator_cannot_rewrite_history_on_the_way_in(tmp_path: Path, cli: Cli) -> None:
    bare, clone = existing_server(tmp_path)
    cli("hooks", "install", "--server", str(bare.path), "--integrators", "lead", cwd=tmp_path)
    clone.git("reset", "-q", "--hard", "HEAD~1")
    clone.commit("Adopt gitorch on an older main", {"gitorch.yaml": ADOPTED})
    result = push(clone, "+main", user="lead")
    assert result.code == 1
    assert bare.git("rev-parse", "main").stdout.strip() != clone.head()


def test_pinned_policy_is_the_other_way_in(tmp_path: Path, cli: Cli) -> None:
    bare, clone = existing_server(tmp_path)
    (tmp_path / "policy.yaml").write_text(ADOPTED)
    result = cli("hooks", "install", "--server", str(bare.path), "--policy",
                 str(tmp_path / "policy.yaml"), cwd=tmp_path)
    assert "note:" not in result.output
    clone.git("checkout", "-q", "-b", "team/beta", "main")
    clone.commit("API", {"src/api/v2.py": "v2 = 1\n"})
    assert push(clone, "team/beta", user="bob").code == 0
    assert push(clone, "main:stable", user="bob").code == 1


def test_protected_entries_are_validated() -> None:
    bad = MANIFEST.replace("shared: [README.md]", 'shared: [README.md]\nprotected: ["team/*", '
                           '"refs/heads/x"]')
    with pytest.raises(ManifestError) as caught:
        parse_manifest(bad, "m.yaml")
    problems = caught.value.problems
    assert any("matches team alpha's branch team/alpha" in p for p in problems), problems
    assert any("'refs/heads/x' is not a branch name or glob" in p for p in problems), problems
