"""A src/ layout whose test command sets PYTHONPATH itself, and a package the tests
take from gitorch's own environment instead of the tree (issue 16, item 3)."""

from __future__ import annotations

import shlex
import sys

from gitorch.manifest.loading import load_manifest
from gitorch.quality import run_quality
from gitorch.repo import open_repo
from tests.conftest import GitRepo

PY = shlex.quote(sys.executable)

MANIFEST = """\
version: 1
project: srclayout
shared: ["/pyproject.toml", "tests/**"]
gates:
  coverage: 85
teams:
  core:
    owns: ["src/calc/**"]
"""

FILES = {
    "gitorch.yaml": MANIFEST,
    "pyproject.toml": "[project]\nname = 'calc'\n",
    "src/calc/__init__.py": "from calc.ops import add\n",
    "src/calc/ops.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "tests/test_ops.py": ("from calc import add\n\n\n"
                          "def test_add():\n    assert add(1, 2) == 3\n"),
}


def quality(repo: GitRepo, command: str):  # type: ignore[no-untyped-def]
    return run_quality(repo=open_repo(repo.path), manifest=load_manifest(repo.path / "gitorch.yaml"),
                       commit=repo.head(), test_command=command)


def test_a_test_command_that_sets_pythonpath_is_still_measured(repo: GitRepo) -> None:
    repo.commit("src layout", FILES)
    result = quality(repo, f"PYTHONPATH=src {PY} -m pytest -q -p no:cacheprovider")
    assert result.passed is True, result.output_tail
    assert result.files == {"src/calc/__init__.py": (1, 1), "src/calc/ops.py": (4, 3)}
    assert result.total == 80.0
    assert result.failures == ("coverage 80.0% < 85% (whole tree)",)
    assert result.warnings == ()


def test_nothing_measured_is_its_own_failure_with_cause_and_fix(repo: GitRepo) -> None:
    repo.commit("src layout", FILES)
    # -S: no site module, so neither a .pth file nor a sitecustomize can start coverage.
    result = quality(repo, f"PYTHONPATH=src {PY} -S -c 'import calc; assert calc.add(1, 2) == 3'")
    assert result.passed is True, result.output_tail
    assert result.total is None and result.files == {}
    [failure] = result.failures
    assert failure.startswith("coverage not measured: no Python process of the test command "
                              "was measured")
    assert "PYTHONPATH" in failure and "-S" in failure
    assert "0.0%" not in failure


def test_a_package_taken_from_gitorchs_environment_is_named(repo: GitRepo) -> None:
    # The tree provides `click`, gitorch depends on click too; without PYTHONPATH=src the
    # tests import gitorch's copy and nothing of the tree's ran.
    files = {**FILES,
             "gitorch.yaml": MANIFEST.replace("src/calc/**", "src/**"),
             "src/click/__init__.py": "def hello():\n    return 'tree'\n",
             "tests/test_ops.py": "import click\n\n\ndef test_click():\n    assert click.echo\n"}
    repo.commit("a package gitorch also depends on", files)
    result = quality(repo, f"{PY} -m pytest -q -p no:cacheprovider")
    assert result.passed is True, result.output_tail
    [warning] = result.warnings
    assert warning.startswith("the tests imported click from ")
    assert "not the tree's src/click" in warning
    assert "gitorch's own environment" in warning
    assert result.files["src/click/__init__.py"] == (2, 0)


def test_coverage_omit_extends_the_defaults_unless_told(repo: GitRepo) -> None:
    # Leaving out examples/** must not start measuring the test files (issue 16, item 4).
    extra = {"examples/demo/run.py": "print('demo')\n"}
    repo.commit("src layout", {**FILES, **extra, "gitorch.yaml": MANIFEST.replace(
        'shared: ["/pyproject.toml", "tests/**"]',
        'shared: ["/pyproject.toml", "tests/**", "examples/**"]').replace(
        "  coverage: 85\n", "  coverage: 85\n  coverage_omit: ['examples/**']\n")})
    command = f"PYTHONPATH=src {PY} -m pytest -q -p no:cacheprovider"
    result = quality(repo, command)
    assert sorted(result.files) == ["src/calc/__init__.py", "src/calc/ops.py"]
    manifest = load_manifest(repo.path / "gitorch.yaml")
    assert manifest.gates.coverage_omit[-1] == "examples/**"
    assert "tests/**" in manifest.gates.coverage_omit

    repo.commit("only examples/** left out", {"gitorch.yaml": (
        repo.path / "gitorch.yaml").read_text().replace(
        "  coverage_omit:", "  coverage_omit_defaults: false\n  coverage_omit:")})
    result = quality(repo, command)
    assert sorted(result.files) == ["src/calc/__init__.py", "src/calc/ops.py", "tests/test_ops.py"]
    assert result.files["tests/test_ops.py"] == (3, 3)


def test_team_and_shared_figures_add_up_to_the_total(repo: GitRepo) -> None:
    files = {**FILES, "src/util.py": "def twice(x):\n    return 2 * x\n",
             "gitorch.yaml": MANIFEST.replace('"tests/**"]', '"tests/**", "src/util.py"]')}
    repo.commit("a shared helper", files)
    result = quality(repo, f"PYTHONPATH=src {PY} -m pytest -q -p no:cacheprovider")
    core, shared = result.teams["core"], result.shared
    assert shared is not None and (shared.statements, shared.covered) == (2, 0)
    assert (core.statements, core.covered) == (5, 4)
    assert result.total == round(100 * (4 + 0) / (5 + 2), 2)
