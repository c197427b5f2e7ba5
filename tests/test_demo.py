from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Cli


def test_demo_refuses_a_directory_it_did_not_create(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious\n")
    result = cli("demo", str(target))
    assert result.exit_code == 2
    assert "was not made by gitorch demo; refusing to overwrite it" in result.output
    assert (target / "notes.txt").read_text() == "precious\n"


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "gitorch", "demo", str(target)],
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    phases = [line for line in proc.stdout.splitlines() if line.startswith("== ")]
    assert [p.split(":")[0] for p in phases] == [
        "== Phase 0", "== Phase 1", "== Phase 2", "== Phase 3", "== Progress",
        "== Conflict detection before any merge", "== Phase 3, continued", "== Phase 4",
        "== Phase 5"]
    # the out-of-scope change: refused at edit time (the agent's hook), at commit (the
    # worktree's hooks), and, with the hooks switched off, at push (the server)
    assert "refused at edit time" in out
    assert "gitorch: refused: src/api/frontend_helpers.py is owned by team beta" in out
    assert "gitorch: commit refused: 1 staged path outside team epsilon's scope" in out
    assert "gitorch: REFUSED refs/heads/team/epsilon" in out
    report = json.loads((target / "reports" / "integration.json").read_text())
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
        assert (target / "reports" / f"integration{suffix}").is_file()
