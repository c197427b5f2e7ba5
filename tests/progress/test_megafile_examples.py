"""The example mega-files in manifests/megafiles/ expand into code whose own tests pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli, GitRepo

EXAMPLES = Path(__file__).resolve().parents[2] / "manifests" / "megafiles"

SEED_MANIFEST = """\
version: 1
project: ecommerce-platform
shared: [README.md]
teams:
  alpha:
    owns: ["src/core/**", "src/database/**", "src/shared/utils/**", "infrastructure/base/**"]
  beta:
    owns: ["src/api/**", "src/middleware/**", "src/auth/**", "src/routes/**"]
    depends_on: [alpha]
  gamma:
    owns: ["src/domain/**"]
    depends_on: [alpha]
  zeta:
    owns: ["tests/**"]
"""

FILES = {
    "core_entities_generator.yaml": ("alpha", "src/core/"),
    "api_routes_generator.yaml": ("beta", "src/api/"),
    "domain_services_generator.yaml": ("gamma", "src/domain/"),
}


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(FILES)


def test_examples_expand_into_passing_code(repo: GitRepo, cli: Cli) -> None:
    repo.commit("init", {"gitorch.yaml": SEED_MANIFEST})
    for name, (team, prefix) in FILES.items():
        result = cli("expand", str(EXAMPLES / name), "--json", cwd=repo.path)
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["team"] == team and data["written"] is True
        paths = [f["path"] for f in data["files"]]
        assert all(p.startswith(prefix) for p in paths), paths
        assert any("/tests/test_" in p for p in paths)   # each team ships its own tests
    importable = subprocess.run(
        [sys.executable, "-c", "import core.entities, api.routes, domain.services"],
        cwd=repo.path / "src", capture_output=True, text=True)
    assert importable.returncode == 0, importable.stderr
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=repo.path, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary
    assert int(summary.split()[0]) >= 70


@pytest.mark.parametrize("name", sorted(FILES))
def test_examples_stay_in_their_teams_scope(repo: GitRepo, cli: Cli, name: str) -> None:
    """Expanded for another team, each example is refused: its paths are not theirs."""
    repo.commit("init", {"gitorch.yaml": SEED_MANIFEST})
    text = (EXAMPLES / name).read_text()
    team = FILES[name][0]
    other = "zeta"
    (repo.path / "m.yaml").write_text(text.replace(f"team: {team}\n", f"team: {other}\n"))
    result = cli("expand", "m.yaml", "--dry-run", cwd=repo.path)
    assert result.exit_code == 1
    assert f"is outside team zeta's scope (owner: {team})" in result.stderr
