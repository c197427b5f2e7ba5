"""A tiny Python project with two teams, their branches and an integration chain."""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.loading import load_manifest
from gitorch.quality import run_quality
from gitorch.records import QualityResult
from gitorch.repo import open_repo
from tests.conftest import GitRepo, hermetic

PY = shlex.quote(sys.executable)
PYTEST = f"{PY} -m pytest -q -p no:cacheprovider"

MANIFEST = """\
version: 1
project: calc
shared: ["README.md", "shared_util.py", "tests/**", ".coveragerc"]
gates:
  test_command: "python -m pytest -q"
  coverage: 80
  diff_coverage: 80
teams:
  alpha:
    owns: ["core/**"]
    priority: 100
  beta:
    owns: ["api/**"]
    priority: 90
    depends_on: [alpha]
"""

BASE = {
    "gitorch.yaml": MANIFEST,
    "README.md": "calc\n",
    # The project's own coverage configuration must be honoured (by hand it would be).
    ".coveragerc": "[report]\nexclude_also =\n    raise NotImplementedError\n",
    "core/__init__.py": "",
    "core/calc.py": "def add(a, b):\n    return a + b\n",
    "shared_util.py": (
        "def clamp(x, lo, hi):\n"
        "    if x < lo:\n"
        "        return lo\n"
        "    if x > hi:\n"
        "        return hi\n"
        "    return x\n"
        "\n"
        "\n"
        "def later():\n"
        "    raise NotImplementedError\n"
    ),
    "tools/script.py": "print('not measured: nobody owns it')\n",
    "tests/test_core.py": (
        "from core.calc import add\n"
        "from shared_util import clamp\n"
        "\n"
        "\n"
        "def test_add():\n"
        "    assert add(2, 3) == 5\n"
        "\n"
        "\n"
        "def test_clamp():\n"
        "    assert clamp(5, 0, 10) == 5\n"
    ),
}

ALPHA = {
    "core/calc.py": (
        "def add(a, b):\n"
        "    return a + b\n"
        "\n"
        "\n"
        "def mul(a, b):\n"
        "    return a * b\n"
        "\n"
        "\n"
        "def div(a, b):\n"
        "    if b == 0:\n"
        "        raise ZeroDivisionError(b)\n"
        "    return a / b\n"
    ),
    "tests/test_alpha.py": (
        "from core.calc import div, mul\n"
        "\n"
        "\n"
        "def test_mul():\n"
        "    assert mul(2, 3) == 6\n"
        "\n"
        "\n"
        "def test_div():\n"
        "    assert div(4, 2) == 2\n"
    ),
}

BETA = {
    "api/__init__.py": "",
    "api/handlers.py": (
        "from core.calc import add\n"
        "\n"
        "\n"
        "def handle(kind, a, b):\n"
        "    if kind == 'add':\n"
        "        return add(a, b)\n"
        "    return None\n"
    ),
    "api/unused.py": "def never():\n    return 1\n",
    "tests/test_api.py": (
        "from api.handlers import handle\n"
        "\n"
        "\n"
        "def test_handle():\n"
        "    assert handle('add', 1, 2) == 3\n"
    ),
}


@dataclass
class Project:
    repo: GitRepo
    base: str
    merges: dict[TeamName, str]
    tip: str

    @property
    def manifest_path(self) -> Path:
        return self.repo.path / "gitorch.yaml"

    def manifest(self) -> Manifest:
        return load_manifest(self.manifest_path)

    def copy(self, where: Path) -> Project:
        """The same repository (same commits) at ``where``: a copy costs no git runs."""
        shutil.copytree(self.repo.path, where, symlinks=True)
        return replace(self, repo=GitRepo.open(where), merges=dict(self.merges))


def build_project(repo: GitRepo) -> Project:
    """main, team/alpha, team/beta, and an integration chain with one merge per team."""
    base = repo.commit("base project", BASE)
    repo.checkout("team/alpha", create=True)
    repo.commit("alpha: mul and div", ALPHA)
    repo.checkout("main")
    repo.checkout("team/beta", create=True)
    repo.commit("beta: handlers", BETA)
    repo.checkout("main")
    repo.checkout("integration", create=True)
    merges = {}
    for team in ("alpha", "beta"):
        repo.git("merge", "-q", "--no-ff", "-m", f"integrate {team}", f"team/{team}")
        merges[TeamName(team)] = repo.head()
    repo.checkout("main")
    return Project(repo, base, merges, repo.head("integration"))


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The project built once per session; tests get copies of it."""
    with hermetic(tmp_path_factory.mktemp("home")):
        return build_project(GitRepo(tmp_path_factory.mktemp("template") / "repo"))


@pytest.fixture
def project(template: Project, tmp_path: Path) -> Project:
    """A copy of the template of the test's own, to change or to measure."""
    return template.copy(tmp_path / "repo")


@dataclass(frozen=True)
class Measured:
    project: Project            # do not change it: other tests read the same run
    result: QualityResult       # PYTEST under coverage at project.tip, with the team merges
    leftovers: list[str]        # what the run left in the temporary directory


@pytest.fixture(scope="session")
def measured(template: Project, tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """One measured run of the project's tests, shared by the tests that only read it."""
    project = template.copy(tmp_path_factory.mktemp("measured") / "repo")
    scratch = tmp_path_factory.mktemp("scratch")
    with hermetic(tmp_path_factory.mktemp("home")), pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "tempdir", str(scratch))
        result = run(project, team_merges=project.merges)
    return Measured(project, result, sorted(p.name for p in scratch.iterdir()))


def run(project: Project, command: str | None = PYTEST, *, where: Path | None = None,
        team_merges: Mapping[TeamName, str] | None = None,
        added_lines: Mapping[TeamName, Mapping[str, frozenset[int]]] | None = None,
        coverage_file: str | None = None, timeout: float | None = None) -> QualityResult:
    """``command`` measured at the project's tip, in the repository at ``where`` if given."""
    return run_quality(repo=open_repo(where or project.repo.path), manifest=project.manifest(),
                       commit=project.tip, test_command=command, team_merges=team_merges,
                       added_lines=added_lines, coverage_file=coverage_file, timeout=timeout)
