"""The measurement's edges: other interpreters, an existing sitecustomize, sub-teams,
bare repositories, progress on a terminal only."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from gitorch.coveragefiles import FileCoverage
from gitorch.manifest import TeamName
from gitorch.manifest.loading import parse_manifest
from gitorch.quality import CommandRun, figures, run_command
from tests.quality.conftest import PY, PYTEST, Measured, Project, run


def test_a_python_without_coverage_is_measured_with_gitorchs(project: Project) -> None:
    other = Path("/usr/bin/python3")
    probe = subprocess.run([str(other), "-c", "import coverage"], capture_output=True) if (
        other.exists()) else None
    if probe is None or probe.returncode == 0:
        pytest.skip("needs a second Python without coverage.py installed")
    result = run(project, f"{other} -c 'from core.calc import add; assert add(1, 2) == 3'")
    assert result.passed is True, result.output_tail
    assert result.files["core/calc.py"] == (8, 4)       # the three defs and add's return


def test_an_existing_sitecustomize_still_runs(project: Project, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "sitecustomize.py").write_text(
        "import os\nos.environ['THEIR_SITECUSTOMIZE'] = 'ran'\n")
    monkeypatch.setenv("PYTHONPATH", str(theirs))
    check = (f"{PY} -c \"import os; from core.calc import mul; "
             "assert os.environ.get('THEIR_SITECUSTOMIZE') == 'ran'; mul(2, 2)\"")
    result = run(project, check)
    assert result.passed is True, result.output_tail
    assert result.files["core/calc.py"] == (8, 4)       # the three defs and mul's return


def test_a_parent_team_does_not_count_its_sub_teams_files() -> None:
    manifest = parse_manifest(
        "version: 1\nproject: p\nteams:\n"
        "  core:\n    owns: ['core/**']\n"
        "  core-db:\n    parent: core\n    owns: ['core/db/**']\n", "gitorch.yaml")
    files = [FileCoverage("core/a.py", frozenset({1, 2}), frozenset({1})),
             FileCoverage("core/db/b.py", frozenset({1, 2, 3, 4}), frozenset({1, 2, 3, 4}))]
    total, teams = figures(manifest, files, {TeamName("core"): {"core/db/b.py": frozenset({1})}})
    assert total == round(100 * 5 / 6, 2)
    assert (teams[TeamName("core")].statements, teams[TeamName("core")].coverage) == (2, 50.0)
    assert (teams[TeamName("core-db")].statements, teams[TeamName("core-db")].coverage) == (4, 100.0)
    # Lines a parent added in its sub-team's file still count for the parent's diff coverage.
    assert teams[TeamName("core")].diff_coverage == 100.0


def test_works_from_a_bare_repository(project: Project, tmp_path: Path) -> None:
    bare = tmp_path / "shared.git"
    project.repo.git("clone", "-q", "--bare", str(project.repo.path), str(bare))
    result = run(project, PYTEST, where=bare, team_merges=project.merges)
    assert result.passed is True
    assert result.total == 72.73
    assert subprocess.run(["git", "--git-dir", str(bare), "worktree", "list", "--porcelain"],
                          capture_output=True, text=True).stdout.count("worktree ") == 1


class _Stderr:
    """Stands in for sys.stderr: notes which thread wrote what; on the first progress line
    it creates ``seen``, the file the test commands wait for."""

    def __init__(self, seen: Path):
        self.seen = seen
        self.writes: list[tuple[str, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((threading.current_thread().name, text))
        if "running tests:" in text:
            self.seen.touch()
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_progress_only_when_asked_or_on_a_terminal(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    seen = tmp_path / "progress-seen"
    stderr = _Stderr(seen)
    monkeypatch.setattr("sys.stderr", stderr)
    # Each command runs until a progress line has been written (it waits for the event, not
    # for a fixed time), so the quiet run is still running while the shown one ticks.
    (tmp_path / "wait.py").write_text(
        "import os, time\n"
        "print(1, flush=True)\n"
        f"while not os.path.exists({str(seen)!r}):\n"
        "    time.sleep(0.01)\n")
    wait = f"{PY} wait.py"
    runs: dict[str, CommandRun] = {}

    def quiet_run() -> None:
        runs["quiet"] = run_command(wait, cwd=tmp_path, env={}, timeout=60, progress=False)
    quiet = threading.Thread(target=quiet_run, name="quiet")
    quiet.start()
    runs["shown"] = run_command(wait, cwd=tmp_path, env={}, timeout=60, progress=True)
    quiet.join()
    assert [run.returncode for run in runs.values()] == [0, 0]
    assert runs["quiet"].output_tail == "1\n"
    written = [text for thread, text in stderr.writes if thread == "quiet"]
    assert written == []
    shown = "".join(text for thread, text in stderr.writes if thread != "quiet")
    assert "running tests:" in shown and shown.endswith("\r\033[K")


def test_tail_keeps_the_last_lines(tmp_path: Path) -> None:
    noisy = f"{PY} -c 'for i in range(500): print(\"line\", i)'"
    done = run_command(noisy, cwd=tmp_path, env={}, timeout=None, progress=False)
    lines = done.output_tail.splitlines()
    assert lines[-1] == "line 499" and len(lines) == 60 and lines[0] == "line 440"


def test_a_command_that_runs_coverage_itself_is_still_measured(project: Project) -> None:
    # `coverage run` (or pytest-cov) pauses gitorch's collector while it measures; its own
    # data file is combined in.
    own = (f"{PY} -m coverage run -m pytest -q -p no:cacheprovider && "
           f"{PY} -m coverage report")
    result = run(project, own, team_merges=project.merges)
    assert result.passed is True and "TOTAL" in result.output_tail
    assert result.total == 72.73            # as in test_gates_name_each_failure
    assert result.files["core/calc.py"] == (8, 7)
    assert result.teams[TeamName("beta")].diff_coverage == 57.14


@pytest.mark.parametrize(("content", "why"), [
    ("<html></html>", "XML but not Cobertura (root element <html>)"),
    ("<coverage", "not valid XML"),
    ("hello\n", "neither Cobertura XML nor LCOV (no SF: record)"),
    ("SF:core/calc.py\nDA:x,1\n", "bad LCOV line 'DA:x,1'"),
])
def test_an_unreadable_coverage_file_is_a_named_failure(project: Project, content: str,
                                                        why: str) -> None:
    write = f"{PY} -c \"open('cov.out', 'w').write({content!r})\""
    result = run(project, write, coverage_file="cov.out")
    assert result.passed is True and result.total is None
    assert len(result.failures) == 1
    assert result.failures[0].startswith(f"coverage file cov.out cannot be read: {why}")


def test_temporary_directories_are_removed(measured: Measured, project: Project, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert measured.result.passed is True and measured.leftovers == []
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    run(project, f"{PY} -c 'import time; time.sleep(30)'", timeout=0.5)     # killed
    assert list(scratch.iterdir()) == []
