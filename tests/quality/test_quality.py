"""The quality stage on real repositories: a tiny Python project, real pytest runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.manifest import TeamName
from gitorch.manifest.loading import load_manifest
from gitorch.quality import lines_added_by_merges, run_quality, show_pct
from gitorch.repo import open_repo
from tests.conftest import GitRepo
from tests.quality.conftest import PY, Measured, Project, run


def test_figures_equal_coverage_run_by_hand(measured: Measured, tmp_path: Path) -> None:
    result, project = measured.result, measured.project

    # By hand: a plain copy of the tree, `coverage run -m pytest`, `coverage json` of the
    # same files.
    hand, tar = tmp_path / "by-hand", tmp_path / "tree.tar"
    hand.mkdir()
    project.repo.git("archive", "-o", str(tar), project.tip)
    subprocess.run(["tar", "-xf", str(tar), "-C", str(hand)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    subprocess.run([sys.executable, "-m", "coverage", "run", "--source=.", "-m", "pytest", "-q",
                    "-p", "no:cacheprovider"], cwd=hand, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "coverage", "json", "-q", "-o", "cov.json",
                    "--omit=tests/*,tools/*"], cwd=hand, env=env, check=True, capture_output=True)
    by_hand = json.loads((hand / "cov.json").read_text())

    hand_files = {path: (f["summary"]["num_statements"], f["summary"]["covered_lines"])
                  for path, f in by_hand["files"].items()}
    assert result.files == hand_files
    assert result.total == round(by_hand["totals"]["percent_covered"], 2)
    # The project's .coveragerc excluded `raise NotImplementedError` in both runs.
    assert hand_files["shared_util.py"][0] == 7
    for team, prefix in (("alpha", "core/"), ("beta", "api/")):
        stmts = sum(s for p, (s, _) in hand_files.items() if p.startswith(prefix))
        ran = sum(c for p, (_, c) in hand_files.items() if p.startswith(prefix))
        assert result.teams[TeamName(team)].statements == stmts
        assert result.teams[TeamName(team)].coverage == round(100 * ran / stmts, 2)


def test_gates_name_each_failure(measured: Measured) -> None:
    result = measured.result
    assert result.passed is True and result.returncode == 0
    assert "5 passed" in result.output_tail
    # alpha added mul/div: 6 statements, the `raise` never ran; beta added 7, 4 ran.
    alpha, beta = result.teams[TeamName("alpha")], result.teams[TeamName("beta")]
    assert (alpha.added_statements, alpha.added_covered, alpha.diff_coverage) == (6, 5, 83.33)
    assert (beta.added_statements, beta.added_covered, beta.diff_coverage) == (7, 4, 57.14)
    assert result.failures == ("coverage 72.7% < 80% (whole tree)",
                               "diff coverage of beta 57.1% < 80%")
    assert (result.coverage_gate, result.diff_coverage_gate) == (80, 80)
    assert not result.gates_passed


def test_file_no_test_imports_counts_with_zero(project: Project) -> None:
    # A namespace package (no __init__.py): coverage's own discovery would not see it.
    project.repo.checkout("integration")
    project.repo.commit("alpha: an orphan module", {"core/extra/orphan.py": "X = 1\nY = 2\n"})
    project.tip = project.repo.head()
    project.repo.checkout("main")
    result = run(project)
    assert result.files["core/extra/orphan.py"] == (2, 0)
    assert result.files["api/unused.py"] == (2, 0)
    assert "tools/script.py" not in result.files      # nobody owns it
    assert not any(p.startswith("tests/") for p in result.files)   # coverage_omit default


def test_failing_tests_fail_the_run_and_keep_the_output(project: Project) -> None:
    project.repo.checkout("integration")
    project.repo.commit("break a test", {"tests/test_broken.py":
                                         "def test_broken():\n    assert 1 + 1 == 3, 'arith'\n"})
    project.tip = project.repo.head()
    project.repo.checkout("main")
    result = run(project)
    assert result.passed is False and result.returncode == 1
    assert result.failures[0] == "tests failed"
    assert "AssertionError: arith" in result.output_tail
    assert "1 failed, 5 passed" in result.output_tail


def test_timeout_kills_the_command(project: Project) -> None:
    sleeper = f"{PY} -c 'import time; time.sleep(60)'"
    result = run(project, sleeper, timeout=1)
    assert result.passed is False and result.returncode is None
    assert result.failures[:2] == ("tests failed", "tests timed out after 1s")
    assert result.duration < 20


def test_no_command_runs_nothing(project: Project) -> None:
    result = run(project, None)
    assert (result.command, result.passed, result.total, result.failures) == (None, None, None, ())


def test_user_checkout_index_and_refs_untouched(project: Project) -> None:
    r = project.repo
    r.write({"core/calc.py": "# an uncommitted edit\n"})
    r.git("add", "core/calc.py")
    before = (r.git("status", "--porcelain").stdout, r.git("show-ref").stdout,
              (r.path / ".git" / "index").read_bytes(), r.head())
    run(project, f"{PY} -c 'import core.calc'")
    after = (r.git("status", "--porcelain").stdout, r.git("show-ref").stdout,
             (r.path / ".git" / "index").read_bytes(), r.head())
    assert after == before
    assert r.git("worktree", "list", "--porcelain").stdout.count("worktree ") == 1


def test_python_subprocesses_are_measured(project: Project) -> None:
    project.repo.checkout("integration")
    project.repo.commit("a test that runs the API in a subprocess", {
        "tests/test_sub.py": (
            "import subprocess, sys\n"
            "\n"
            "\n"
            "def test_in_child():\n"
            "    code = 'from api.handlers import handle; assert handle(\"x\", 1, 2) is None'\n"
            "    subprocess.run([sys.executable, '-c', code], check=True)\n"
        )})
    project.tip = project.repo.head()
    project.repo.checkout("main")
    result = run(project, team_merges=project.merges)
    assert result.files["api/handlers.py"] == (5, 5)   # `return None` ran in the child only
    assert result.teams[TeamName("beta")].added_covered == 5


def test_blame_charges_lines_to_the_merge_that_brought_them(repo: GitRepo) -> None:
    repo.commit("base", {"m.py": "a = 1\nb = 2\n"})
    repo.checkout("team/alpha", create=True)
    repo.commit("alpha", {"m.py": "a = 1\nalpha = 1\nb = 2\n"})
    repo.checkout("main")
    repo.checkout("team/beta", create=True)
    repo.commit("beta", {"m.py": "a = 1\nb = 2\nbeta = 1\n"})
    repo.checkout("main")
    repo.checkout("integration", create=True)
    repo.git("merge", "-q", "--no-ff", "-m", "alpha", "team/alpha")
    m_alpha = repo.head()
    repo.git("merge", "-q", "--no-ff", "-m", "beta", "team/beta")
    m_beta = repo.head()
    # gamma's merge rewrites alpha's line while resolving: the line is gamma's now.
    repo.commit("gamma", {"m.py": "a = 1\nalpha = 2\nb = 2\nbeta = 1\n"})
    m_gamma = repo.head()
    found = lines_added_by_merges(
        open_repo(repo.path), commit=m_gamma, paths=["m.py"],
        team_merges={TeamName("alpha"): m_alpha, TeamName("beta"): m_beta,
                     TeamName("gamma"): m_gamma})
    assert found == {"beta": {"m.py": frozenset({4})}, "gamma": {"m.py": frozenset({2})}}


def test_added_lines_given_are_used(project: Project) -> None:
    added = {TeamName("alpha"): {"core/calc.py": frozenset({1, 2, 3})},
             TeamName("beta"): {"api/handlers.py": frozenset({7})}}
    result = run(project, f"{PY} -c \"from api.handlers import handle; handle('add', 1, 2)\"",
                 added_lines=added)
    alpha, beta = result.teams[TeamName("alpha")], result.teams[TeamName("beta")]
    # line 3 is blank: not a statement; line 7 `return None` never ran.
    assert (alpha.added_statements, alpha.added_covered, alpha.diff_coverage) == (2, 2, 100.0)
    assert (beta.added_statements, beta.added_covered, beta.diff_coverage) == (1, 0, 0.0)


LCOV = """\
TN:
SF:{root}/core/lib.js
DA:1,1
DA:2,0
DA:3,4
end_of_record
SF:web/app.js
DA:1,1
DA:2,1
end_of_record
SF:tests/lib.test.js
DA:1,1
end_of_record
"""

COBERTURA = """\
<?xml version="1.0" ?>
<coverage version="1" line-rate="0.5">
  <sources><source>{root}/core</source></sources>
  <packages><package name="core"><classes>
    <class name="lib" filename="lib.js"><lines>
      <line number="1" hits="3"/><line number="2" hits="0"/><line number="3" hits="0"/>
      <line number="4" hits="1"/>
    </lines></class>
  </classes></package></packages>
</coverage>
"""


@pytest.mark.parametrize("fmt", ["lcov", "cobertura"])
def test_coverage_file_from_a_non_python_test_run(repo: GitRepo, fmt: str) -> None:
    manifest = ("version: 1\nproject: js\nshared: [README.md]\ngates:\n  coverage: 60\n"
                "teams:\n  alpha:\n    owns: ['core/**']\n")
    template = LCOV if fmt == "lcov" else COBERTURA
    repo.commit("js project", {
        "gitorch.yaml": manifest, "core/lib.js": "a\nb\nc\nd\n", "web/app.js": "x\ny\n",
        # The "test command" writes the coverage file, as a JS test runner would.
        "write_cov.py": ("import os, pathlib, sys\n"
                         f"text = {template!r}.format(root=os.getcwd())\n"
                         "pathlib.Path('out').mkdir()\n"
                         "pathlib.Path('out/cov.txt').write_text(text)\n")})
    result = run_quality(repo=open_repo(repo.path), manifest=load_manifest(repo.path / "gitorch.yaml"),
                         commit="HEAD", test_command=f"{PY} write_cov.py",
                         coverage_file="out/cov.txt")
    expected = (3, 2) if fmt == "lcov" else (4, 2)
    assert result.files == {"core/lib.js": expected}    # unowned web/ and tests/ left out
    assert result.total == round(100 * expected[1] / expected[0], 2)
    assert result.teams[TeamName("alpha")].coverage == result.total
    assert result.failures == (() if fmt == "lcov" else ("coverage 50.0% < 60% (whole tree)",))


def test_missing_coverage_file_is_a_named_failure(project: Project) -> None:
    result = run(project, f"{PY} -c pass", coverage_file="coverage.xml")
    assert result.passed is True
    assert result.failures == ("coverage file coverage.xml was not written by the test command",)
    assert result.total is None


def test_show_pct_never_rounds_up_to_the_threshold() -> None:
    assert show_pct(72.44) == "72.4%"
    assert show_pct(79.96, 80) == "79.96%"
    assert show_pct(79.94, 80) == "79.9%"
