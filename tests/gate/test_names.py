"""Awkward names through the gate: a pull request carrying the whole corpus, and the gate
and `gitorch check` (the hook's engine) agreeing on generated names."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.cli import main as cli_main
from gitorch.manifest.loading import parse_manifest
from gitorch.manifest.pathnames import shown
from tests.conftest import MINIMAL_MANIFEST, Cli, GitRepo
from tests.gate.conftest import Actions
from tests.names import commit_files, corpus, paths


def test_a_pull_request_with_every_awkward_name(upstream: GitRepo, actions: Actions,
                                                cli: Cli) -> None:
    mine, theirs = corpus("src/core", disk=True), corpus("src/api", disk=True)
    commit_files(upstream.path, "Awkward names", {**dict.fromkeys(mine, "a\n"),
                                                  **dict.fromkeys(theirs, "b\n")},
                 ref="refs/heads/team/alpha", parent=upstream.head("main"))
    actions.pull_request("team/alpha")
    result = cli("gate", cwd=actions.clone.path)
    assert result.exit_code == 1
    text = result.output.split("\n")
    listed = [line for line in text if line.startswith("    ")]
    assert listed == [f"    {shown(p)}  (owner: beta)" for p in sorted(theirs)]
    assert text[-3:] == [f"{len(theirs)} violations: each path belongs to its owner's branch; "
                         "gitorch.yaml belongs to the integrators", "gitorch gate: failed", ""]
    annotations = [line for line in text if line.startswith("::error ")]
    assert len(annotations) == 10 and all("\n" not in a for a in annotations)
    output = actions.output.read_text()
    heredoc = output.split("paths<<", 1)[1].split("\n")
    assert heredoc[1:1 + len(theirs)] == [shown(p) for p in sorted(theirs)]
    assert heredoc[1 + len(theirs)] == heredoc[0]            # the delimiter closes it
    rows = [line for line in actions.summary.read_text().split("\n") if line.startswith("| `")]
    assert len(rows) == len(theirs)
    found = cli("gate", "--json", cwd=actions.clone.path)
    assert sorted(v["path"] for v in json.loads(found.stdout)["violations"]) == sorted(theirs)


MANIFEST = MINIMAL_MANIFEST
OWNERSHIP = parse_manifest(MANIFEST).ownership
PREFIXES = ["src/core", "src/api", "docs", "README.md", ""]


def run_json(repo: Path, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli_main, ["--repo", str(repo), *args], catch_exceptions=False)
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    verdict = data["passed"] if "passed" in data else data["ok"]     # gate's, check's
    assert result.exit_code == (0 if verdict else 1), result.output
    return data


def changed(repo: Path, old: str, new: str) -> set[str]:
    out = subprocess.run(["git", "diff-tree", "-r", "-z", "--no-renames", "--name-only", old,
                          new], cwd=repo, capture_output=True, check=True).stdout
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.tuples(st.sampled_from(PREFIXES), paths), min_size=1, max_size=5),
                min_size=1, max_size=2))
def test_gate_and_check_agree_on_generated_names(commits: list[list[tuple[str, str]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        (Path(tmp) / "m.yaml").write_text(MANIFEST)
        base = commit_files(repo, "base", {"gitorch.yaml": MANIFEST, "README.md": "r\n"},
                            ref="refs/heads/main")
        tip = base
        touched: set[str] = set()
        for i, files in enumerate(commits):
            names = {f"{p}/{n}" if p else n: f"{i}\n" for p, n in files}
            parent, tip = tip, commit_files(repo, f"commit {i}", names,
                                            ref="refs/heads/team/alpha", parent=tip,
                                            when=1700000000 + i)
            touched |= changed(repo, parent, tip)
        gate = run_json(repo, "gate", "--json", "--base", "main", "--head", "team/alpha")
        check = run_json(repo, "--manifest", str(Path(tmp) / "m.yaml"), "check", "--json",
                         "team/alpha")
        as_gate = {(v["commit"], v["path"], v["owner"]) for v in gate["violations"]}  # type: ignore[attr-defined]
        as_check = {(v["commit"], v["path"], v["owner"]) for v in check["violations"]}  # type: ignore[attr-defined]
        assert as_gate == as_check
        expected = {p for p in touched if not OWNERSHIP.may_change("alpha", p)}  # type: ignore[arg-type]
        assert {p for _, p, _ in as_gate} == expected
