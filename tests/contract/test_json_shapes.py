"""The documented keys, value types and state names of the JSON reports."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Cli
from tests.contract.conftest import Project

SHA = re.compile(r"^[0-9a-f]{40}$")
LONG = "".join(f"line {i}\n" for i in range(1, 31))


def _json(cli: Cli, project: Project, *args: str, code: int = 0) -> Any:
    result = cli(*args, "--json", cwd=project.work.path)
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_conflicts_shape(project: Project, cli: Cli) -> None:
    w = project.work
    w.checkout("main")
    w.commit("a long shared file", {"README.md": "hello\n", "src/core/shared.py": LONG})
    for team, line in (("alpha", 1), ("beta", 30)):
        w.checkout(f"team/{team}")
        w.git("merge", "-q", "main", "-m", "take main")
        w.commit(f"{team} edits", {"src/core/shared.py": LONG.replace(f"line {line}\n", "x\n")})
    doc = _json(cli, project, "conflicts", code=1)
    assert SHA.match(doc["base"])
    assert set(doc["teams"]) == {"alpha", "beta", "alpha-db"}
    assert all(SHA.match(sha) for sha in doc["teams"].values())
    by_path = {c["path"]: c for c in doc["conflicts"]}
    assert set(by_path) == {"README.md", "src/core/shared.py"}
    readme, shared = by_path["README.md"], by_path["src/core/shared.py"]
    assert (readme["kind"], readme["teams"], readme["ranges"]) == (
        "overlap", ["alpha", "beta"], {"alpha": [[1, 1]], "beta": [[1, 1]]})
    assert (shared["kind"], shared["teams"], shared["ranges"]) == (
        "same-file", ["alpha", "beta"], {"alpha": [[1, 1]], "beta": [[30, 30]]})


def test_integrate_shape(project: Project, cli: Cli) -> None:
    doc = _json(cli, project, "integrate", "--dry-run", code=1)
    assert doc["order"] == ["alpha", "beta", "alpha-db"]      # dependencies, priority, name
    assert SHA.match(doc["integration"])
    assert doc["merged"] == ["alpha"]
    assert [(s["team"], s["reason"]) for s in doc["skipped"]] == [
        ("beta", "merge conflict with alpha")]
    assert [(c["path"], c["teams"], c["resolution"]) for c in doc["conflicts"]] == [
        ("README.md", ["alpha", "beta"], "skipped beta")]
    assert doc["dropped"] == []
    assert set(doc["tests"]) >= {"command", "passed"}
    assert set(doc["coverage"]) >= {"total", "teams"}
    assert doc["gates"] == {"passed": True, "failures": []}

    doc = _json(cli, project, "integrate", "--fix", "--test", "python -c pass")
    assert doc["merged"] == ["alpha", "beta"] and doc["skipped"] == []
    assert [(c["path"], c["resolution"]) for c in doc["conflicts"]] == [("README.md", "kept alpha")]
    [dropped] = doc["dropped"]
    assert (dropped["team"], dropped["path"]) == ("beta", "README.md")
    assert project.work.git("cat-file", "-t", dropped["saved_as"]).stdout.strip() == "commit"
    assert doc["tests"]["command"] == "python -c pass" and doc["tests"]["passed"] is True
    # no file of the tree ran: no figure (never a silent 0%), a warning (no gate is set)
    assert doc["coverage"]["total"] is None and doc["coverage"]["shared"] is None
    [warning] = doc["coverage"]["warnings"]
    assert warning.startswith("coverage not measured: the test command's Python processes "
                              "ran no file of the tree")
    assert set(doc["coverage"]["teams"]) == {"alpha", "alpha-db", "beta"}
    for team in doc["coverage"]["teams"].values():
        assert team["coverage"] is None and team["diff_coverage"] is None
    assert doc["gates"] == {"passed": True, "failures": []}
    assert SHA.match(doc["integration"])


def _states(cli: Cli, project: Project) -> dict[str, dict[str, Any]]:
    doc = _json(cli, project, "status")
    for t in doc["teams"]:
        assert set(t) >= {"team", "branch", "commits", "loc_added", "target_loc", "progress",
                          "state", "reason", "waiting_on", "violations"}
        assert isinstance(t["commits"], int) and isinstance(t["loc_added"], int)
        assert isinstance(t["violations"], int) and isinstance(t["waiting_on"], list)
        assert t["state"] in {"not-started", "working", "blocked", "ready", "waiting", "stale"}
    return {t["team"]: t for t in doc["teams"]}


def test_status_shape_and_states(project: Project, cli: Cli) -> None:
    w = project.work
    states = _states(cli, project)
    alpha = states["alpha"]
    assert (alpha["branch"], alpha["commits"], alpha["loc_added"], alpha["target_loc"],
            alpha["progress"], alpha["state"]) == ("team/alpha", 1, 2, [10, 20], 0.2, "working")
    assert states["alpha-db"]["state"] == "not-started"
    assert states["alpha-db"]["progress"] is None and states["alpha-db"]["target_loc"] is None

    w.branch("team/beta", "main")           # beta not started, alpha not ready: waiting
    states = _states(cli, project)
    assert (states["beta"]["state"], states["beta"]["waiting_on"]) == ("waiting", ["alpha"])

    assert cli("signal", "ready", "--team", "alpha", cwd=w.path).exit_code == 0
    states = _states(cli, project)
    assert states["alpha"]["state"] == "ready" and states["alpha"]["commits"] == 1
    assert (states["beta"]["state"], states["beta"]["waiting_on"]) == ("not-started", [])

    assert cli("signal", "blocked", "--team", "beta", "--reason", "no API yet",
               cwd=w.path).exit_code == 0
    states = _states(cli, project)
    assert (states["beta"]["state"], states["beta"]["reason"]) == ("blocked", "no API yet")

    w.checkout("team/alpha")
    w.commit("more", {"src/core/c.py": "c = 1\n"})      # ready, then a commit: working again
    states = _states(cli, project)
    assert (states["alpha"]["state"], states["alpha"]["commits"]) == ("working", 2)
