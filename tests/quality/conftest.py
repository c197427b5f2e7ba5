"""A tiny Python project with two teams, their branches and an integration chain."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitorch.manifest import TeamName
from gitorch.manifest.loading import load_manifest
from tests.conftest import GitRepo

PYTEST = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider"

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

    def manifest(self):  # type: ignore[no-untyped-def]
        return load_manifest(self.manifest_path)


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


@pytest.fixture
def project(repo: GitRepo) -> Project:
    return build_project(repo)
