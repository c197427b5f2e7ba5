"""The integration workflow users copy: valid for GitHub (offline schema), and its steps work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import GitRepo
from tests.gate.test_ci_files import check_schema
from tests.integrate.greenproject import base_files, command

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "gitorch-integrate.yml"


def load() -> Any:
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_validates_against_githubs_schema() -> None:
    proc = check_schema("vendor.github-workflows", WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok -- validation done" in proc.stdout


def test_workflow_runs_every_15_minutes_and_on_demand() -> None:
    flow = load()
    on = flow[True]                      # YAML 1.1 reads the key `on` as true
    assert on["schedule"] == [{"cron": "*/15 * * * *"}]
    assert "workflow_dispatch" in on
    assert flow["permissions"] == {"contents": "write"}
    steps = flow["jobs"]["integrate"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    assert "gitorch integrate --fix --keep-green" in steps[3]["run"]
    assert "GITHUB_STEP_SUMMARY" in steps[3]["run"]
    assert "git push" in steps[4]["run"]
    upload = steps[5]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["if"] == "always()"


def run_step(step: dict[str, Any], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300)


def test_workflow_steps_push_a_green_integration_and_write_the_summary(
        make_repo: Any, tmp_path: Path) -> None:
    teams: list[tuple[str, int, list[str]]] = [("t1", 30, []), ("t2", 20, []), ("t3", 10, [])]
    origin: GitRepo = make_repo("origin.git", bare=True)
    work: GitRepo = make_repo("work")
    work.commit("base", base_files(teams, test_command=command()))
    for team, broken in (("t1", False), ("t2", True), ("t3", False)):
        work.git("checkout", "-q", "-b", f"team/{team}", "main")
        work.commit(f"{team} work", {f"src/{team}/work.txt": "start\nbreak it\n" if broken
                                     else "start\nfine\n"})
        work.git("checkout", "-q", "main")
    work.git("remote", "add", "origin", str(origin.path))
    work.git("push", "-q", "origin", "main", "team/t1", "team/t2", "team/t3")
    clone = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(origin.path), str(clone)], check=True)

    steps = load()["jobs"]["integrate"]["steps"]
    out, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary),
           "REPORT_DIR": str(tmp_path / "report"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = run_step(steps[3], clone, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs == {"code": "1", "branch": "integration"}     # t2 left out: exit 1
    assert "Why each team was left out" in summary.read_text()
    assert (tmp_path / "report" / "gitorch-report.html").is_file()

    proc = run_step(steps[4], clone, {**env, "BRANCH": outputs["branch"]})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pushed = origin.git("ls-tree", "-r", "--name-only", "integration").stdout.split()
    assert "src/t1/work.txt" in pushed
    assert origin.git("show", "integration:src/t2/work.txt").stdout == "start\n"   # left out
    assert origin.git("show", "integration:src/t3/work.txt").stdout == "start\nfine\n"
