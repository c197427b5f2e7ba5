"""Merging team branches in order into the integration chain, without --fix."""

from __future__ import annotations

from tests.conftest import Cli, GitRepo, MakeRepo, drain_pty
from tests.integrate.conftest import Scenario, readme


def test_clean_run_merges_every_team_in_order(scenario: Scenario) -> None:
    s = scenario
    heads = {
        "gamma": s.team("gamma", {"src/ui/view.py": "def view():\n    return 'v2'\n"}),
        "alpha": s.team("alpha", {"src/core/db.py": "def connect():\n    return 'db2'\n"},
                        {"src/core/extra.py": "X = 1\nY = 2\n"}),
        "beta": s.team("beta", {"src/api/app.py": "def app():\n    return 'app2'\n"}),
        "delta": s.team("delta", {"src/cli/main.py": "def main():\n    return 'm2'\n",
                                  "README.md": readme(l5="delta was here")}),
    }
    status_before = s.repo.git("status", "--porcelain").stdout
    head_before = s.repo.head()
    index_before = (s.path / ".git" / "index").read_bytes()

    code, data, _ = s.run()

    assert code == 0
    assert data["order"] == ["alpha", "beta", "gamma", "delta"]
    assert data["merged"] == ["alpha", "beta", "gamma", "delta"]
    assert data["skipped"] == [] and data["conflicts"] == [] and data["dropped"] == []
    assert s.repo.head("integration") == data["integration"]
    # one merge commit per team: first parent the chain, second the team's head
    chain = s.repo.git("rev-list", "--first-parent", "--reverse", "integration").stdout.split()
    assert chain[0] == s.base and len(chain) == 5
    for i, team in enumerate(data["order"]):
        parents = s.repo.git("rev-list", "--parents", "-n1", chain[i + 1]).stdout.split()
        assert parents == [chain[i + 1], chain[i], heads[team]]
        outcome = next(t for t in data["teams"] if t["team"] == team)
        assert outcome["merge_commit"] == chain[i + 1]
    alpha = next(t for t in data["teams"] if t["team"] == "alpha")
    assert (alpha["commits"], alpha["loc_added"], alpha["target_loc"]) == (2, 3, [10, 20])
    delta = next(t for t in data["teams"] if t["team"] == "delta")
    assert delta["loc_added"] == 1  # the README line is shared, not delta's own
    assert s.show("integration:README.md") == readme(l5="delta was here")
    assert s.show("integration:src/core/extra.py") == "X = 1\nY = 2\n"
    # nothing of the user's or the teams' was touched
    assert s.repo.git("status", "--porcelain").stdout == status_before
    assert s.repo.head() == head_before and s.repo.git("symbolic-ref", "HEAD").stdout == "refs/heads/main\n"
    assert (s.path / ".git" / "index").read_bytes() == index_before
    assert {t: s.repo.head(f"team/{t}") for t in heads} == heads
    assert "refs/gitorch/checkpoint" not in s.refs()


def test_conflict_skips_the_team_and_its_dependents(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"README.md": readme(l2="alpha's line")})
    s.team("beta", {"src/api/app.py": "x = 1\n"})
    s.team("gamma", {"README.md": readme(l2="gamma's line"), "src/ui/view.py": "v = 2\n"})
    s.team("delta", {"src/cli/main.py": "m = 3\n"})

    code, data, _ = s.run()

    assert code == 1
    assert data["merged"] == ["alpha", "beta"]
    assert data["skipped"] == [
        {"team": "gamma", "reason": "merge conflict with alpha", "paths": ["README.md"]},
        {"team": "delta", "reason": "depends on gamma, which was skipped", "paths": []},
    ]
    assert data["conflicts"] == [{"path": "README.md", "teams": ["alpha", "gamma"],
                                  "resolution": "skipped gamma", "kind": "content",
                                  "winner": None}]
    assert s.show("integration:README.md") == readme(l2="alpha's line")
    assert s.show("integration:src/ui/view.py") == "def view():\n    return 'view'\n"


def test_out_of_scope_change_skips_the_team(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"src/core/db.py": "a = 1\n"})
    s.team("beta", {"src/api/app.py": "b = 1\n"}, {"src/core/db.py": "b was here\n", "Makefile": "x\n"})
    s.team("gamma")
    s.team("delta")

    code, data, _ = s.run()

    assert code == 1
    assert data["merged"] == ["alpha"]
    assert data["skipped"] == [{"team": "beta", "reason": "changes 2 path(s) outside its scope",
                                "paths": ["Makefile", "src/core/db.py"]}]
    statuses = {t["team"]: t["status"] for t in data["teams"]}
    assert statuses == {"alpha": "merged", "beta": "skipped", "gamma": "unchanged",
                        "delta": "unchanged"}


def test_missing_branch_fails_and_skips_dependents(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"src/core/db.py": "a = 1\n"})
    s.team("delta", {"src/cli/main.py": "d = 1\n"})
    s.team("beta")  # a branch with no commits of its own
    code, data, _ = s.run()
    assert code == 1
    statuses = {t["team"]: t["status"] for t in data["teams"]}
    assert statuses == {"alpha": "merged", "beta": "unchanged", "gamma": "missing",
                        "delta": "skipped"}
    assert data["skipped"] == [
        {"team": "gamma", "reason": "no branch team/gamma", "paths": []},
        {"team": "delta", "reason": "depends on gamma, which has no branch", "paths": []},
    ]


def test_remote_branches_count_where_there_is_no_local_one(scenario: Scenario) -> None:
    s = scenario
    for team in ("alpha", "beta", "gamma", "delta"):
        s.team(team)
    s.team("alpha2", {"src/core/db.py": "remote alpha\n"})
    s.repo.git("update-ref", "refs/remotes/upstream/team/gamma", s.repo.head("team/alpha2"))
    s.repo.git("branch", "-D", "team/gamma")
    code, data, _ = s.run("--remote", "upstream")
    assert code == 1  # gamma's remote branch changes alpha's path
    assert data["skipped"][0]["team"] == "gamma"
    assert data["skipped"][0]["paths"] == ["src/core/db.py"]


def test_human_summary(scenario: Scenario) -> None:
    s = scenario
    alpha = s.team("alpha", {"README.md": readme(l2="alpha's line")})
    s.team("beta")
    s.team("gamma", {"README.md": readme(l2="gamma's line")})
    s.team("delta")
    result = s.cli("integrate", "--format", "json", "--report", str(s.path.parent / "r.md"),
                   cwd=s.path)
    assert result.exit_code == 1
    tip = s.repo.head("integration")
    assert result.stdout == (
        "Merge order: alpha, beta, gamma, delta\n"
        f"  alpha  merged     1 commit(s), merge {tip[:8]}\n"
        "  beta   unchanged  no commits beyond the chain\n"
        "  gamma  skipped    merge conflict with alpha: README.md\n"
        "  delta  skipped    depends on gamma, which was skipped\n"
        "Conflicts:\n"
        "  README.md (content, alpha vs gamma): skipped gamma\n"
        f"Integration: integration -> {tip[:8]}\n"
        f"Report: {s.path.parent / 'r.json'}\n"
    )
    assert s.repo.git("rev-parse", "integration^2").stdout.strip() == alpha


def test_dry_run_moves_no_ref(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"src/core/db.py": "a = 1\n"})
    refs_before = s.refs()
    code, data, _ = s.run("--dry-run")
    assert code == 1  # beta, gamma, delta have no branch
    assert data["dry_run"] is True and data["merged"] == ["alpha"]
    assert data["integration"] is not None
    assert s.refs() == refs_before
    assert s.repo.git("cat-file", "-t", data["integration"]).stdout == "commit\n"


def test_refuses_when_the_integration_branch_is_checked_out(scenario: Scenario) -> None:
    s = scenario
    s.repo.git("branch", "integration")
    s.repo.git("worktree", "add", "-q", str(s.path.parent / "wt"), "integration")
    result = s.cli("integrate", "--format", "json", cwd=s.path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"gitorch: integration is checked out in {s.path.parent / 'wt'}; gitorch moves that "
        "branch and never touches a checkout; switch "
        f"{s.path.parent / 'wt'} to another branch, or use --dry-run\n")


def test_integration_moves_from_its_old_tip(scenario: Scenario) -> None:
    s = scenario
    s.repo.git("branch", "integration")  # an older integration, at the base
    for team in ("beta", "gamma", "delta"):
        s.team(team)
    s.team("alpha", {"src/core/db.py": "a = 1\n"})
    code, data, _ = s.run()
    assert code == 0
    log = s.repo.git("reflog", "show", "--format=%gs", "integration").stdout.splitlines()
    assert log[0] == f"gitorch integrate {data['run_id']}"
    assert len(log) == 2  # created, then moved once


def test_coverage_file_needs_a_test_command(scenario: Scenario) -> None:
    result = scenario.cli("integrate", "--coverage-file", "cov.xml", cwd=scenario.path)
    assert result.exit_code == 2
    assert result.stderr == ("gitorch: --coverage-file needs a test command that writes it; "
                             "pass --test CMD or set gates.test_command in the manifest\n")


def test_team_that_merged_its_dependency_is_charged_only_with_its_own_commits(
        scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"src/core/db.py": "alpha's db\n"})
    s.repo.git("checkout", "-q", "-b", "team/beta", "team/alpha")
    s.repo.commit("beta builds on alpha", {"src/api/app.py": "uses alpha\n"})
    s.repo.checkout("main")
    s.repo.commit("main moves on", {"README.md": readme(l10="main moved")})
    s.repo.checkout("team/beta")
    s.repo.git("merge", "-q", "--no-ff", "-m", "catch up with main", "main")
    s.repo.checkout("main")
    s.team("gamma")
    s.team("delta")
    code, data, _ = s.run()
    assert code == 0
    assert data["merged"] == ["alpha", "beta"]
    beta = next(t for t in data["teams"] if t["team"] == "beta")
    assert beta["commits"] == 2  # its own commit and its merge; alpha's are in the chain
    assert s.show("integration:src/api/app.py") == "uses alpha\n"


def test_progress_bar_only_on_a_terminal(scenario: Scenario) -> None:
    import os
    import pty
    import subprocess
    import sys

    s = scenario
    s.team("alpha", {"src/core/db.py": "a = 1\n"})
    for team in ("beta", "gamma", "delta"):
        s.team(team)
    quiet = s.cli("integrate", "--format", "json", cwd=s.path)
    assert quiet.exit_code == 0 and quiet.stderr == ""

    main_fd, child_fd = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "gitorch", "integrate", "--format", "json"],
                          cwd=s.path, stderr=child_fd, stdout=subprocess.PIPE, timeout=60,
                          env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    os.close(child_fd)
    seen = drain_pty(main_fd)
    os.close(main_fd)
    assert proc.returncode == 0
    assert b"integrate" in seen and b"4/4" in seen


def test_integration_moved_during_the_run_is_not_overwritten(scenario: Scenario) -> None:
    from gitorch.errors import RepoError
    from gitorch.integrate.engine import integrate
    from gitorch.manifest.loading import load_manifest
    from gitorch.repo import open_repo

    s = scenario
    for team in ("alpha", "beta", "gamma", "delta"):
        s.team(team, {f"src/{ {'alpha': 'core', 'beta': 'api', 'gamma': 'ui', 'delta': 'cli'}[team]}"
                      "/new.py": f"{team}\n"})
    intruder = s.repo.head("team/gamma")

    def meddle(done: int, total: int, team: str, what: str) -> None:
        if done == 2 and what == "merging":
            s.repo.git("update-ref", "refs/heads/integration", intruder)

    try:
        integrate(open_repo(s.path), load_manifest(s.path / "gitorch.yaml"), progress=meddle)
    except RepoError as exc:
        assert str(exc).startswith("cannot update refs/heads/integration: ")
        assert str(exc).endswith("another process moved it; run the command again")
    else:
        raise AssertionError("the run overwrote a ref that moved under it")
    assert s.repo.head("integration") == intruder
    assert "refs/gitorch/checkpoint" in s.refs()  # the merges are kept for a later look


def test_bare_repository(make_repo: MakeRepo, cli: Cli) -> None:
    s = Scenario(make_repo("work"), cli)
    s.team("alpha", {"src/core/db.py": "a\n"})
    for team in ("beta", "gamma", "delta"):
        s.team(team)
    bare = s.path.parent / "bare.git"
    s.repo.git("clone", "-q", "--mirror", str(s.path), str(bare))
    # a bare HEAD naming the integration branch checks nothing out: no reason to refuse
    s.repo.git("--git-dir", str(bare), "symbolic-ref", "HEAD", "refs/heads/integration")
    result = cli("integrate", "--manifest", str(s.path / "gitorch.yaml"), "--json", "--format",
                 "json", "--report", str(s.path.parent / "r.md"), cwd=bare)
    assert result.exit_code == 0, result.stderr
    tip = s.repo.git("--git-dir", str(bare), "rev-parse", "integration").stdout.strip()
    assert '"merged": [\n    "alpha"\n  ]' in result.stdout and tip in result.stdout


def test_equal_priority_keeps_the_team_merged_first(repo: GitRepo, cli: Cli) -> None:
    manifest = """\
version: 1
project: shop
shared: [README.md, "*.bin"]
teams:
  able:
    owns: ["a/**"]
  baker:
    owns: ["b/**"]
"""
    s = Scenario(repo, cli, {"gitorch.yaml": manifest, "README.md": readme(),
                             "logo.bin": b"\x00\x01base"})
    s.team("able", {"README.md": readme(l6="able"), "logo.bin": b"\x00\x02able"})
    s.team("baker", {"README.md": readme(l6="baker"), "logo.bin": b"\x00\x03baker"})
    code, data, _ = s.run("--fix")
    assert code == 0
    assert s.show("integration:README.md") == readme(l6="able")
    blob = s.repo.git("cat-file", "-p", "integration:logo.bin").stdout
    assert blob == "\x00\x02able"
    assert sorted((c["path"], c["resolution"]) for c in data["conflicts"]) == [
        ("README.md", "kept able"), ("logo.bin", "kept able")]
    ref = f"refs/gitorch/dropped/{data['run_id']}/baker"
    assert s.repo.git("cat-file", "-p", f"{ref}:logo.bin").stdout == "\x00\x03baker"


def test_default_report_goes_inside_the_git_directory(scenario: Scenario) -> None:
    s = scenario
    s.team("alpha", {"README.md": readme(l2="alpha")})
    s.team("beta")
    s.team("gamma", {"README.md": readme(l2="gamma")})
    s.team("delta")
    result = s.cli("integrate", "--fix", cwd=s.path)
    assert result.exit_code == 0, result.stderr
    where = s.path / ".git" / "gitorch" / "report"
    assert sorted(p.name for p in where.iterdir()) == [
        "dropped", "gitorch-report.json", "gitorch-report.md"]
    assert (where / "dropped" / "gamma.patch").is_file()
    assert f"Report: {where / 'gitorch-report.md'}\n" in result.stdout
    assert s.repo.git("status", "--porcelain").stdout == ""
    # the next default run replaces the previous run's patches
    s.repo.git("branch", "-f", "team/gamma", "main")
    assert s.cli("integrate", "--fix", cwd=s.path).exit_code == 0
    assert list((where / "dropped").iterdir()) == []


def test_unknown_report_format(scenario: Scenario) -> None:
    result = scenario.cli("integrate", "--format", "md,pdf", cwd=scenario.path)
    assert result.exit_code == 2
    assert result.stderr == ("gitorch: unknown report format pdf; "
                             "choose from md, json, junit, html\n")
