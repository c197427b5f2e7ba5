from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, DemoRun


def test_demo_refuses_a_directory_it_did_not_create(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious\n")
    result = cli("demo", str(target))
    assert result.exit_code == 2
    assert "was not made by gitorch demo; refusing to overwrite it" in result.output
    assert (target / "notes.txt").read_text() == "precious\n"


@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_demo_runs_the_whole_flow(demo_run: DemoRun) -> None:
    walkthrough = demo_run.stderr
    assert demo_run.returncode == 0, walkthrough
    assert "Traceback" not in walkthrough
    phases = [line for line in walkthrough.splitlines() if line.startswith("== ")]
    assert [p.split(":")[0] for p in phases] == [
        "== Phase 0", "== Phase 1", "== Phase 2", "== Phase 3", "== Progress",
        "== Conflict detection before any merge", "== Phase 3, continued", "== Phase 4",
        "== Phase 5"]
    # the out-of-scope change: refused at edit time (the agent's hook), at commit (the
    # worktree's hooks), and, with the hooks switched off, at push (the server)
    out = demo_run.stdout + walkthrough
    assert "refused at edit time" in out
    assert "gitorch: refused: src/api/frontend_helpers.py is owned by team beta" in out
    assert "gitorch: commit refused: 1 staged path outside team epsilon's scope" in out
    assert "gitorch: REFUSED refs/heads/team/epsilon" in out
    reports = demo_run.directory / "reports"
    report = json.loads((reports / "integration.json").read_text())
    assert report["order"] == ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
                               "theta", "iota", "kappa"]
    assert report["merged"] == report["order"]
    assert report["skipped"] == []
    assert [c["path"] for c in report["conflicts"]] == ["src/registry.py"]
    assert report["conflicts"][0]["resolution"] == "kept beta"
    assert [(d["team"], d["path"]) for d in report["dropped"]] == [("gamma", "src/registry.py")]
    assert report["tests"]["passed"] is True
    assert report["coverage"]["total"] >= 80
    assert report["gates"]["passed"] is True
    for suffix in (".md", ".html", ".json", ".xml"):
        assert (reports / f"integration{suffix}").is_file()
