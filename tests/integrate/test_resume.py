"""Checkpoints: a run killed with SIGKILL half-way leaves the integration branch as it was,
and --resume finishes it with the result of an uninterrupted run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import Cli, GitRepo
from tests.integrate.conftest import Scenario, readme


def _build(s: Scenario) -> None:
    s.team("alpha", {"README.md": readme(l2="alpha's line"), "src/core/db.py": "a\n"})
    s.team("beta", {"src/api/app.py": "b\n", "Makefile": "beta's make\n"})  # out of scope
    s.team("gamma", {"README.md": readme(l2="gamma's line"), "src/ui/view.py": "g\n"})
    s.team("delta", {"src/cli/main.py": "d\n"})


KILL_DRIVER = Path(__file__).with_name("kill_driver.py")


def _gitorch(cwd: Path, *args: str, kill_after: int | None = None) -> subprocess.CompletedProcess[str]:
    """``gitorch integrate``; with ``kill_after`` N, SIGKILLed right after the Nth team's
    checkpoint (by a driver that wraps the engine from outside)."""
    start = ([sys.executable, str(KILL_DRIVER), str(kill_after)] if kill_after is not None
             else [sys.executable, "-m", "gitorch", "integrate"])
    return subprocess.run([*start, "--format", "json",
                           "--report", str(cwd.parent / f"{cwd.name}-report.md"), *args],
                          cwd=cwd, env=dict(os.environ), capture_output=True, text=True, timeout=120)


def test_killed_run_resumes_to_the_same_result(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario
    _build(s)
    twin = tmp_path / "twin"
    shutil.copytree(s.path, twin)

    killed = _gitorch(s.path, "--fix", "--json", kill_after=2)
    assert killed.returncode == -signal.SIGKILL
    refs = s.refs()
    assert "refs/heads/integration" not in refs
    assert not any(r.startswith("refs/gitorch/dropped/") for r in refs)
    state = json.loads(s.show("refs/gitorch/checkpoint:state.json"))
    assert [o["team"] for o in state["outcomes"]] == ["alpha", "beta"]
    # the checkpoint keeps the chain and the lost versions reachable
    assert s.repo.git("rev-parse", "refs/gitorch/checkpoint^").stdout.strip() == state["chain"]
    assert s.show("refs/gitorch/checkpoint:lost/0") == "beta's make\n"

    resumed = _gitorch(s.path, "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    whole = _gitorch(twin, "--fix", "--json")
    assert whole.returncode == 0, whole.stderr
    expected = json.loads(whole.stdout)

    assert result["resumed"] is True and result["run_id"] == state["run_id"]
    for key in ("order", "merged", "skipped", "conflicts", "teams", "integration"):
        assert result[key] == expected[key], key
    assert [(d["team"], d["path"], d["reason"]) for d in result["dropped"]] == [
        ("beta", "Makefile", "outside scope (owner: -)"),
        ("gamma", "README.md", "lost conflict to alpha")]
    assert s.repo.head("integration") == result["integration"]
    assert "refs/gitorch/checkpoint" not in s.refs()
    for d in result["dropped"]:
        assert s.repo.git("cat-file", "-t", d["saved_as"]).stdout == "commit\n"


def test_resume_refuses_when_a_team_branch_moved(scenario: Scenario) -> None:
    s = scenario
    _build(s)
    assert _gitorch(s.path, "--fix", kill_after=1).returncode == -signal.SIGKILL
    old = s.repo.head("team/gamma")
    s.repo.checkout("team/gamma")
    new = s.repo.commit("more", {"src/ui/more.py": "x\n"})
    s.repo.checkout("main")
    result = s.cli("integrate", "--resume", "--format", "json", cwd=s.path)
    assert result.exit_code == 2
    run_id = json.loads(s.show("refs/gitorch/checkpoint:state.json"))["run_id"]
    assert result.stderr == (
        f"gitorch: cannot resume run {run_id}: moved since it was interrupted: "
        f"team/gamma (was {old[:8]}, now {new[:8]}); start over with 'gitorch integrate'\n")
    assert "refs/heads/integration" not in s.refs()
    # a new run starts over and replaces the checkpoint
    code, data, _ = s.run("--fix")
    assert code == 0 and data["resumed"] is False
    assert "refs/gitorch/checkpoint" not in s.refs()


def test_resume_refuses_the_other_fix_mode(scenario: Scenario) -> None:
    s = scenario
    _build(s)
    assert _gitorch(s.path, kill_after=1).returncode == -signal.SIGKILL
    result = s.cli("integrate", "--resume", "--fix", "--format", "json", cwd=s.path)
    assert result.exit_code == 2
    assert "was started without --fix; resume without --fix" in result.stderr


def test_resume_without_an_interrupted_run(repo: GitRepo, cli: Cli) -> None:
    s = Scenario(repo, cli)
    result = s.cli("integrate", "--resume", cwd=s.path)
    assert result.exit_code == 2
    assert result.stderr == ("gitorch: no interrupted run to resume (no refs/gitorch/checkpoint); "
                             "start a run with 'gitorch integrate'\n")


def test_resume_decides_hunks_as_an_uninterrupted_run(repo: GitRepo, cli: Cli,
                                                      tmp_path: Path) -> None:
    """Who brought which lines is replayed from the chain after a kill: same decisions."""
    from tests.integrate.test_fix import HUNKS_MANIFEST

    s = Scenario(repo, cli, {"gitorch.yaml": HUNKS_MANIFEST, "README.md": readme()})
    s.team("alpha", {"README.md": readme(l2="alpha 2")})
    s.team("delta", {"README.md": readme(l8="delta 8")})
    s.team("gamma", {"README.md": readme(l2="gamma 2", l8="gamma 8")})
    twin = tmp_path / "twin"
    shutil.copytree(s.path, twin)

    assert _gitorch(s.path, "--fix", kill_after=2).returncode == -signal.SIGKILL
    resumed = _gitorch(s.path, "--resume", "--json")
    whole = _gitorch(twin, "--fix", "--json")
    assert resumed.returncode == 0 and whole.returncode == 0, resumed.stderr + whole.stderr
    result, expected = json.loads(resumed.stdout), json.loads(whole.stdout)
    assert [c["resolution"] for c in result["conflicts"]] == ["kept alpha", "kept gamma"]
    for key in ("conflicts", "integration"):
        assert result[key] == expected[key], key
    assert s.show("integration:README.md") == readme(l2="alpha 2", l8="gamma 8")
