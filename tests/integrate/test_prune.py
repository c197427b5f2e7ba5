"""gitorch prune: refs/gitorch/dropped/<run>/ of old runs go, the newest runs stay."""

from __future__ import annotations

import json

from tests.conftest import Cli, GitRepo

RUNS = ("20261101T100000Z-aaaa", "20261102T100000Z-bbbb", "20261103T100000Z-cccc")


def _refs(repo: GitRepo) -> list[str]:
    out = repo.git("for-each-ref", "--format=%(refname)", "refs/gitorch/dropped/").stdout
    return out.split()


def test_prune_keeps_the_newest_runs(repo: GitRepo, cli: Cli) -> None:
    head = repo.commit("base", {"README.md": "x\n"})
    for run in RUNS:
        for team in ("alpha", "beta"):
            repo.git("update-ref", f"refs/gitorch/dropped/{run}/{team}", head)
    result = cli("prune", "--keep", "1", "--dry-run", "--json", cwd=repo.path)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["kept"] == [RUNS[2]] and doc["removed"] == [RUNS[1], RUNS[0]]
    assert doc["dry_run"] is True and len(_refs(repo)) == 6
    result = cli("prune", "--keep", "1", cwd=repo.path)
    assert result.output == "removed the dropped changes of 2 runs (4 refs); kept 1\n"
    assert _refs(repo) == [f"refs/gitorch/dropped/{RUNS[2]}/alpha",
                           f"refs/gitorch/dropped/{RUNS[2]}/beta"]
    assert cli("prune", cwd=repo.path).output == (
        "removed the dropped changes of 0 runs (0 refs); kept 1\n")
    bad = cli("prune", "--keep", "-1", cwd=repo.path)
    assert bad.exit_code == 2 and "--keep must be 0 or more" in bad.output
