"""--fix: conflicts go to the higher-priority team, out-of-scope changes are dropped, and
every losing version is saved under refs/gitorch/dropped/<run>/<team> and as a patch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import Cli, GitRepo
from tests.integrate.conftest import Scenario, readme


def _report_dir(s: Scenario) -> Path:
    return s.path.parent / "out"


def run_fix(s: Scenario, *more: str) -> tuple[int, Any, Result]:
    return s.run("--fix", "--report", str(_report_dir(s) / "report.md"), *more)


def test_conflicting_hunk_goes_to_higher_priority_and_other_hunks_stay(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"README.md": readme(l2="alpha's line")})
    s.team("beta")
    gamma = s.team("gamma", {"README.md": readme(l2="gamma's line", l9="gamma's other line"),
                             "src/ui/view.py": "v = 2\n"})
    s.team("delta", {"src/cli/main.py": "m = 3\n"})

    code, data, _ = run_fix(s)

    assert code == 0
    assert data["fix"] is True
    assert data["merged"] == ["alpha", "gamma", "delta"]
    assert s.show("integration:README.md") == readme(l2="alpha's line", l9="gamma's other line")
    ref = f"refs/gitorch/dropped/{data['run_id']}/gamma"
    assert data["conflicts"] == [{"path": "README.md", "teams": ["alpha", "gamma"],
                                  "resolution": "kept alpha", "kind": "content",
                                  "winner": "alpha"}]
    patch = _report_dir(s) / "dropped" / "gamma.patch"
    assert data["dropped"] == [{"team": "gamma", "path": "README.md", "saved_as": ref,
                                "reason": "lost conflict to alpha", "patch": str(patch)}]
    # the saved commit: integration with gamma's version, and gamma's whole history
    assert s.show(f"{ref}:README.md") == readme(l2="gamma's line", l9="gamma's other line")
    parents = s.repo.git("rev-list", "--parents", "-n1", ref).stdout.split()[1:]
    assert parents == [data["integration"], gamma]
    # the patch adds gamma's lost line back on the integration branch, next to alpha's
    s.repo.git("worktree", "add", "-q", str(s.path.parent / "check"), "integration")
    s.repo.git("-C", str(s.path.parent / "check"), "apply", str(patch))
    assert (s.path.parent / "check" / "README.md").read_text() == readme(
        l2="alpha's line\ngamma's line", l9="gamma's other line")
    message = s.repo.git("log", "-1", "--format=%B", "integration^").stdout
    assert "  README.md: kept alpha (content)" in message


def test_chain_side_loses_to_a_later_team_of_higher_priority(repo: GitRepo, cli: Cli) -> None:
    manifest = """\
version: 1
project: shop
shared: [README.md]
teams:
  core:
    owns: ["core/**"]
    priority: 1
  app:
    owns: ["app/**"]
    priority: 50
    depends_on: [core]
"""
    s = Scenario(repo, cli, {"gitorch.yaml": manifest, "README.md": readme()})
    core = s.team("core", {"README.md": readme(l3="core says"), "core/a.py": "a\n"})
    s.team("app", {"README.md": readme(l3="app says"), "app/b.py": "b\n"})
    code, data, _ = run_fix(s)
    assert code == 0
    assert data["order"] == ["core", "app"] and data["merged"] == ["core", "app"]
    assert s.show("integration:README.md") == readme(l3="app says")
    assert data["conflicts"][0]["resolution"] == "kept app"
    assert data["conflicts"][0]["teams"] == ["core", "app"]
    ref = f"refs/gitorch/dropped/{data['run_id']}/core"
    assert [(d["team"], d["path"], d["reason"], d["saved_as"]) for d in data["dropped"]] == [
        ("core", "README.md", "lost conflict to app", ref)]
    assert s.show(f"{ref}:README.md") == readme(l3="core says")
    assert s.repo.git("rev-parse", f"{ref}^2").stdout.strip() == core


def test_whole_file_conflicts_follow_priority(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"README.md": None, "docs/guide.md": "alpha's guide\n"})
    s.team("beta")
    s.team("gamma", {"README.md": readme(l1="gamma edits"), "docs/guide.md": "gamma's guide\n"})
    s.team("delta", {"docs/guide.md": None, "docs/cli.md": "delta\n"})  # never had it: no conflict

    code, data, _ = run_fix(s)

    assert code == 0
    files = s.repo.git("ls-tree", "-r", "--name-only", "integration").stdout.split()
    assert "README.md" not in files
    assert s.show("integration:docs/guide.md") == "alpha's guide\n"
    kinds = {(c["path"], c["kind"], c["resolution"]) for c in data["conflicts"]}
    assert kinds == {("README.md", "modify/delete", "kept alpha"),
                     ("docs/guide.md", "add/add", "kept alpha")}
    ref = f"refs/gitorch/dropped/{data['run_id']}/gamma"
    assert s.show(f"{ref}:README.md") == readme(l1="gamma edits")
    assert s.show(f"{ref}:docs/guide.md") == "gamma's guide\n"


def test_deletion_of_lower_priority_loses_and_is_recorded(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"README.md": readme(l1="alpha edits")})
    s.team("beta")
    s.team("gamma", {"README.md": None})
    s.team("delta")
    code, data, _ = run_fix(s)
    assert code == 0
    assert s.show("integration:README.md") == readme(l1="alpha edits")
    assert [(d["team"], d["path"], d["reason"]) for d in data["dropped"]] == [
        ("gamma", "README.md", "deletion lost conflict to alpha")]
    ref = f"refs/gitorch/dropped/{data['run_id']}/gamma"
    files = s.repo.git("ls-tree", "-r", "--name-only", ref).stdout.split()
    assert "README.md" not in files  # the saved tree carries gamma's deletion


def test_rename_rename_conflict_keeps_the_winners_name(scenario: Scenario) -> None:
    s = scenario
    body = "".join(f"doc {i}\n" for i in range(30))
    s.repo.commit("a doc", {"docs/old.md": body})
    s.team("alpha", {"docs/old.md": None, "docs/alpha.md": body})
    s.team("beta")
    s.team("gamma", {"docs/old.md": None, "docs/gamma.md": body})
    s.team("delta")
    code, data, _ = run_fix(s)
    assert code == 0
    files = s.repo.git("ls-tree", "-r", "--name-only", "integration", "docs").stdout.split()
    assert files == ["docs/alpha.md"]
    assert all(c["kind"] == "rename" and c["resolution"] == "kept alpha" for c in data["conflicts"])
    ref = f"refs/gitorch/dropped/{data['run_id']}/gamma"
    assert s.show(f"{ref}:docs/gamma.md") == body


def test_out_of_scope_changes_are_dropped_and_saved(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"src/core/db.py": "alpha's db\n"})
    beta = s.team("beta", {"src/api/app.py": "b = 1\n", "src/ui/view.py": "beta in ui\n",
                           "Makefile": "all:\n"})
    s.team("gamma")
    s.team("delta")

    code, data, _ = run_fix(s)

    assert code == 0
    assert data["merged"] == ["alpha", "beta"]
    assert s.show("integration:src/api/app.py") == "b = 1\n"
    assert s.show("integration:src/ui/view.py") == "def view():\n    return 'view'\n"
    files = s.repo.git("ls-tree", "-r", "--name-only", "integration").stdout.split()
    assert "Makefile" not in files
    ref = f"refs/gitorch/dropped/{data['run_id']}/beta"
    assert [(d["team"], d["path"], d["reason"], d["saved_as"]) for d in data["dropped"]] == [
        ("beta", "Makefile", "outside scope (owner: -)", ref),
        ("beta", "src/ui/view.py", "outside scope (owner: gamma)", ref),
    ]
    assert s.show(f"{ref}:Makefile") == "all:\n"
    assert s.show(f"{ref}:src/ui/view.py") == "beta in ui\n"
    assert s.repo.git("rev-parse", f"{ref}^2").stdout.strip() == beta
    assert s.repo.head("team/beta") == beta
    patch = (_report_dir(s) / "dropped" / "beta.patch").read_text()
    assert "+beta in ui" in patch and "+all:" in patch


def test_base_wins_over_a_team_that_did_not_catch_up(scenario: Scenario) -> None:
    s = scenario
    old_base = s.base
    s.team("alpha", {"README.md": readme(l4="alpha, on the old base")}, start=old_base)
    s.repo.commit("hotfix on main", {"README.md": readme(l4="hotfix")})
    for team in ("beta", "gamma", "delta"):
        s.team(team)
    code, data, _ = run_fix(s)
    assert code == 0
    assert s.show("integration:README.md") == readme(l4="hotfix")
    assert data["conflicts"] == [{"path": "README.md", "teams": ["(base)", "alpha"],
                                  "resolution": "kept (base)", "kind": "content",
                                  "winner": "(base)"}]
    assert [(d["team"], d["reason"]) for d in data["dropped"]] == [
        ("alpha", "lost conflict to (base)")]


def test_dry_run_with_fix_saves_patches_but_no_refs(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"README.md": readme(l2="alpha's line")})
    s.team("beta")
    s.team("gamma", {"README.md": readme(l2="gamma's line")})
    s.team("delta")
    refs_before = s.refs()
    code, data, _ = run_fix(s, "--dry-run")
    assert code == 0
    assert s.refs() == refs_before
    patch = _report_dir(s) / "dropped" / "gamma.patch"
    assert data["dropped"][0]["saved_as"] == str(patch)
    assert "+gamma's line" in patch.read_text()


def test_each_conflict_of_one_merge_has_its_own_chain_owner(repo: GitRepo, cli: Cli) -> None:
    manifest = """\
version: 1
project: shop
shared: [README.md, "docs/**"]
teams:
  core:
    owns: ["core/**"]
    priority: 1
  app:
    owns: ["app/**"]
    priority: 50
    depends_on: [core]
"""
    s = Scenario(repo, cli, {"gitorch.yaml": manifest, "README.md": readme(),
                             "docs/guide.md": readme()})
    old_base = s.base
    s.team("app", {"README.md": readme(l3="app"), "docs/guide.md": readme(l7="app")},
           start=old_base)
    s.repo.commit("hotfix", {"README.md": readme(l3="hotfix")})
    s.team("core", {"docs/guide.md": readme(l7="core")})
    code, data, _ = run_fix(s)
    assert code == 0
    assert s.show("integration:README.md") == readme(l3="hotfix")
    assert s.show("integration:docs/guide.md") == readme(l7="app")
    assert sorted((c["path"], tuple(c["teams"]), c["resolution"]) for c in data["conflicts"]) == [
        ("README.md", ("(base)", "app"), "kept (base)"),
        ("docs/guide.md", ("core", "app"), "kept app")]


HUNKS_MANIFEST = """\
version: 1
project: shop
shared: [README.md]
teams:
  alpha:
    owns: ["core/**"]
    priority: 100
  delta:
    owns: ["cli/**"]
    priority: 60
  gamma:
    owns: ["ui/**"]
    priority: 80
    depends_on: [delta]
"""


def test_each_hunk_goes_against_the_team_whose_lines_it_meets(repo: GitRepo, cli: Cli) -> None:
    """alpha (100) and then delta (60) changed README in different places; gamma (80),
    merged last, changes both places: alpha keeps its line, gamma beats delta's."""
    s = Scenario(repo, cli, {"gitorch.yaml": HUNKS_MANIFEST, "README.md": readme()})
    s.team("alpha", {"README.md": readme(l2="alpha 2")})
    s.team("delta", {"README.md": readme(l8="delta 8")})
    gamma = s.team("gamma", {"README.md": readme(l2="gamma 2", l8="gamma 8")})

    code, data, _ = run_fix(s)

    assert code == 0 and data["order"] == ["alpha", "delta", "gamma"]
    assert data["merged"] == ["alpha", "delta", "gamma"]
    assert s.show("integration:README.md") == readme(l2="alpha 2", l8="gamma 8")
    assert data["conflicts"] == [
        {"path": "README.md", "teams": ["alpha", "gamma"], "resolution": "kept alpha",
         "kind": "content", "winner": "alpha"},
        {"path": "README.md", "teams": ["delta", "gamma"], "resolution": "kept gamma",
         "kind": "content", "winner": "gamma"}]
    run = data["run_id"]
    assert sorted((d["team"], d["reason"]) for d in data["dropped"]) == [
        ("delta", "lost conflict to gamma"), ("gamma", "lost conflict to alpha")]
    # what each loser had is kept: gamma's whole file, and the chain's before gamma (delta's line)
    assert s.show(f"refs/gitorch/dropped/{run}/gamma:README.md") == readme(l2="gamma 2",
                                                                        l8="gamma 8")
    assert s.show(f"refs/gitorch/dropped/{run}/delta:README.md") == readme(l2="alpha 2",
                                                                        l8="delta 8")
    parents = s.repo.git("rev-list", "--parents", "-n1", f"refs/gitorch/dropped/{run}/gamma")
    assert parents.stdout.split()[1:] == [data["integration"], gamma]
    message = s.repo.git("log", "-1", "--format=%B", "integration").stdout
    assert "  README.md: kept alpha (content)" in message
    assert "  README.md: kept gamma (content)" in message


def test_hunks_of_one_team_keep_the_file_rule(repo: GitRepo, cli: Cli) -> None:
    """Only delta changed README before gamma: one decision for the file, as before."""
    s = Scenario(repo, cli, {"gitorch.yaml": HUNKS_MANIFEST, "README.md": readme()})
    s.team("alpha", {"core/a.py": "a\n"})
    s.team("delta", {"README.md": readme(l2="delta 2", l8="delta 8")})
    s.team("gamma", {"README.md": readme(l2="gamma 2", l8="gamma 8")})

    code, data, _ = run_fix(s)

    assert code == 0
    assert s.show("integration:README.md") == readme(l2="gamma 2", l8="gamma 8")
    assert data["conflicts"] == [{"path": "README.md", "teams": ["delta", "gamma"],
                                  "resolution": "kept gamma", "kind": "content",
                                  "winner": "gamma"}]


def test_hunk_owners_follow_lines_that_moved(repo: GitRepo, cli: Cli) -> None:
    """delta's insertion shifts the lines below it; alpha's line and delta's are still told
    apart by the merges that brought them, not by line numbers."""
    s = Scenario(repo, cli, {"gitorch.yaml": HUNKS_MANIFEST, "README.md": readme()})
    s.team("alpha", {"README.md": readme(l2="alpha 2")})
    delta_text = readme(l8="delta 8").replace("line 4\n", "line 4\nnew a\nnew b\n")
    s.team("delta", {"README.md": delta_text})
    s.team("gamma", {"README.md": readme(l2="gamma 2", l8="gamma 8")})

    code, data, _ = run_fix(s)

    assert code == 0
    assert s.show("integration:README.md") == readme(l2="alpha 2", l8="gamma 8").replace(
        "line 4\n", "line 4\nnew a\nnew b\n")
    assert [(c["teams"], c["resolution"]) for c in data["conflicts"]] == [
        (["alpha", "gamma"], "kept alpha"), (["delta", "gamma"], "kept gamma")]
