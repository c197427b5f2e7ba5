"""action.yml and the workflow users copy: valid for GitHub (offline schemas), and they work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "gitorch-gate.yml"


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with its vendored schema: no network."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                           str(path)], capture_output=True, text=True, timeout=120)


def test_files_validate_against_githubs_schemas() -> None:
    for schema, path in (("vendor.github-actions", ACTION), ("vendor.github-workflows", WORKFLOW)):
        proc = check_schema(schema, path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "ok -- validation done" in proc.stdout


def test_the_schema_check_catches_a_broken_action(tmp_path: Path) -> None:
    broken = tmp_path / "action.yml"
    broken.write_text(ACTION.read_text().replace("      shell: bash\n", "", 1))
    proc = check_schema("vendor.github-actions", broken)
    assert proc.returncode == 1
    assert "shell" in proc.stdout


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_workflow_runs_the_action_on_pull_requests_with_full_history() -> None:
    flow = load(WORKFLOW)
    assert "pull_request" in flow[True]         # YAML 1.1 reads the key `on` as true
    steps = flow["jobs"]["gate"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"] == "./"
    assert flow["permissions"] == {"contents": "read"}


def gate_step_args(tmp_path: Path, test: str, args: str) -> list[str]:
    """Run the action's gate step with a stand-in gitorch that prints its arguments."""
    step = next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "gate")
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "gitorch"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    (tmp_path / "conf").mkdir(exist_ok=True)
    (tmp_path / "conf" / "a.yaml").write_text("")      # what an unquoted glob would expand to
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "GITORCH_TEST": test,
           "GITORCH_ARGS": args}
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], capture_output=True, text=True,
                          env=env, check=True, cwd=tmp_path)
    return proc.stdout.splitlines()


@pytest.mark.parametrize(("test", "args", "expected"), [
    ("", "", ["gate"]),
    ("false", "--remote upstream", ["gate", "--remote", "upstream"]),
    ("true", "", ["gate", "--test"]),
    ("", "--manifest conf/*.yaml", ["gate", "--manifest", "conf/*.yaml"]),
    ("python -m pytest -q; rm -rf /", "--json", ["gate", "--test=python -m pytest -q; rm -rf /",
                                                  "--json"]),
])
def test_action_passes_inputs_as_arguments(tmp_path: Path, test: str, args: str,
                                           expected: list[str]) -> None:
    assert gate_step_args(tmp_path, test, args) == expected


def test_action_exposes_the_gates_outputs() -> None:
    outputs = load(ACTION)["outputs"]
    for name in ("passed", "violations", "team", "paths"):
        assert outputs[name]["value"] == f"${{{{ steps.gate.outputs.{name} }}}}"
