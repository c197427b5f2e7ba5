"""The test command under coverage, per-team and diff coverage, the gates.

How a run works (``run_quality``):

1. ``commit`` is checked out, detached, into a temporary ``git worktree``; the user's
   checkout, index and refs are never touched, and the directory is removed afterwards.
2. The test command runs there through the shell. Every Python process it starts is
   measured: a ``sitecustomize`` module in a temporary directory put first on
   ``PYTHONPATH`` starts coverage.py (statement coverage, parallel data files) before the
   process runs any project code, then chains to the ``sitecustomize`` it shadows. This
   works alike for ``python -m pytest``, ``pytest``, ``make test`` or tests that spawn
   Python subprocesses. The project's own coverage configuration (``.coveragerc``,
   ``setup.cfg``, ``tox.ini``, ``pyproject.toml``) is honoured for exclusions
   (``# pragma: no cover`` ...), but what is measured, the data file and branch mode are
   gitorch's. A Python started with ``-I`` or ``-S`` ignores PYTHONPATH and is not measured.
3. Figures come from coverage.py's own analysis of each measured file, so they equal
   ``coverage report`` run by hand on the same tree. Measured files are the commit's
   Python files that a team owns or that are shared, minus ``gates.coverage_omit``; a
   file no test imported counts with all its statements missed.
4. With ``coverage_file`` (Cobertura XML or LCOV that the test command wrote, relative to
   the worktree) coverage.py is not used: the file's lines are the statements.

A team's coverage is over the files whose owner (``Ownership.owner_of``) is exactly that
team: a parent does not include its sub-teams' files, so team and shared figures add up
to the total. A team's diff coverage is over the measurable statements among the lines it
added; those are ``added_lines`` when given, else found by a first-parent blame of the
final commit: each line is charged to the commit on the first-parent chain that brought it
in, and a line charged to a team's merge commit (``team_merges``) is that team's.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pathspec

from gitorch import repo as git
from gitorch.coveragefiles import FileCoverage, read_coverage_file
from gitorch.ids import ObjectId, object_id
from gitorch.manifest import SHARED, Manifest, TeamName
from gitorch.manifest.ownership import UNOWNED, compile_spec
from gitorch.records import QualityResult, TeamCoverage
from gitorch.repo import Repository

TAIL_LINES = 60
TAIL_CHARS = 6000
CONFIG_ENV = "GITORCH_COVERAGE"

# Why each warning is off: a helper process that runs no project code, a measured file
# that no test imports (we count it at 0% ourselves), a project config with --include.
_QUIET = ["no-data-collected", "module-not-imported", "module-never-imported",
          "include-ignored", "module-not-measured"]

_SITECUSTOMIZE = '''\
"""Written by gitorch for one test run: measure this Python process with coverage.py."""
import importlib.machinery as _machinery
import importlib.util as _util
import json as _json
import os as _os
import sys as _sys


def _gitorch_start(cfg):
    started = _sys.modules.get("coverage")
    if started is not None and getattr(started.process_startup, "coverage", None) is not None:
        return None         # this Python's own coverage.pth started it from COVERAGE_PROCESS_START
    try:
        import coverage
    except ImportError:
        # This Python has no coverage.py of its own: use gitorch's.
        _sys.path.append(cfg["fallback_path"])
        import coverage
    cov = coverage.Coverage(data_file=cfg["data_file"], data_suffix=True, auto_data=True,
                            config_file=cfg["config_file"] or False)
    for name, value in cfg["options"].items():
        cov.set_option(name, value)
    cov.start()
    return cov


def _gitorch_imports(cfg):
    # Which of the tree's own top-level modules this process took from elsewhere.
    root = cfg["root"] + _os.sep
    found = {}
    for name in cfg["watch"]:
        path = getattr(_sys.modules.get(name), "__file__", None)
        if path and not _os.path.abspath(path).startswith(root):
            found[name] = _os.path.abspath(path)
    if found:
        target = _os.path.join(cfg["imports_dir"], "%d.json" % _os.getpid())
        with open(target, "w", encoding="utf-8") as f:
            _json.dump(found, f)


def _gitorch_chain():
    here = _os.path.dirname(_os.path.abspath(__file__))
    rest = [p for p in _sys.path if _os.path.abspath(p or _os.curdir) != here]
    spec = _machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = _util.module_from_spec(spec)
        spec.loader.exec_module(module)


def _gitorch_main():
    settings = _os.environ.get("GITORCH_COVERAGE")
    if not settings:
        return None
    with open(settings, encoding="utf-8") as f:
        cfg = _json.load(f)
    import atexit
    atexit.register(_gitorch_imports, cfg)
    return _gitorch_start(cfg)


_gitorch_coverage = _gitorch_main()
_gitorch_chain()
'''

@dataclass(frozen=True)
class CommandRun:
    returncode: int | None          # None: killed at the timeout
    output_tail: str
    duration: float


def run_quality(
    *,
    repo: Repository,
    manifest: Manifest,
    commit: str,
    test_command: str | None,
    team_merges: Mapping[TeamName, str] | None = None,
    added_lines: Mapping[TeamName, Mapping[str, frozenset[int]]] | None = None,
    coverage_file: str | None = None,
    timeout: float | None = None,
    progress: bool | None = None,
) -> QualityResult:
    """Run ``test_command`` in a temporary worktree of ``commit`` under coverage.py.

    Lines each team added are ``added_lines`` when given, else found from
    ``team_merges`` (team -> its merge commit on the first-parent chain ending at
    ``commit``). With ``coverage_file`` (Cobertura XML or LCOV written by the test
    command, relative to the worktree) figures come from that file instead.
    Gates from ``manifest.gates`` are checked; each failure is named in ``failures``.
    ``timeout`` (seconds) kills the command's process group; ``progress`` (default: stderr
    is a terminal) shows a one-line progress indicator on stderr while it runs.
    No test command: nothing runs and ``passed`` is None.
    """
    gates = manifest.gates
    if not test_command:
        return QualityResult(command=None, passed=None, coverage_gate=gates.coverage,
                             diff_coverage_gate=gates.diff_coverage)
    sha = object_id(git.resolve_commit(repo, commit).id)
    show = sys.stderr.isatty() if progress is None else progress
    failures: list[str] = []
    warnings: tuple[str, ...] = ()
    files: list[FileCoverage] | None
    run: CommandRun
    with temp_worktree(repo, sha) as (root, scratch):
        if coverage_file is not None:
            run, files, problem = _run_with_report(test_command, root, coverage_file, manifest,
                                                   timeout, show)
            failures.extend(problem)
        else:
            wanted = sorted(p for p in git.tree_files(repo, git.resolve_commit(repo, sha))
                            if p.endswith(".py") and measured(manifest, p))
            run, measurement = _run_measured(test_command, root, scratch, wanted, timeout, show)
            files, warnings = measurement.files, measurement.warnings
            if files is None and (gates.coverage is not None or gates.diff_coverage is not None):
                failures.append(measurement.unmeasured)
            elif files is None:
                warnings = (*warnings, measurement.unmeasured)
    passed = run.returncode == 0
    if not passed:
        failures.insert(0, "tests failed")
    if run.returncode is None:
        failures.insert(1, f"tests timed out after {timeout:g}s")
    if added_lines is None:
        added_lines = lines_added_by_merges(repo, commit=sha, team_merges=dict(team_merges or {}),
                                            paths=[f.path for f in files or ()])
    total, teams = figures(manifest, files or [], added_lines)
    shared = shared_figure(manifest, files) if files is not None else None
    if files is not None:
        failures.extend(gate_failures(manifest, total, teams))
    return QualityResult(
        command=test_command, passed=passed, returncode=run.returncode, duration=run.duration,
        output_tail=run.output_tail, total=total if files is not None else None, teams=teams,
        failures=tuple(failures), coverage_gate=gates.coverage,
        files={f.path: (len(f.statements), len(f.executed)) for f in files or ()},
        diff_coverage_gate=gates.diff_coverage, warnings=warnings, shared=shared,
    )


# --------------------------------------------------------------------------- what is measured


def measured(manifest: Manifest, path: str) -> bool:
    """Owned by a team or shared, and not matched by ``gates.coverage_omit``."""
    if _omit_spec(manifest.gates.coverage_omit).match_file(path):
        return False
    return manifest.ownership.owner_of(path) != UNOWNED


@functools.lru_cache(maxsize=8)
def _omit_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return compile_spec(patterns)


def pct(covered: int, statements: int) -> float | None:
    """coverage.py's percentage, rounded to two decimals; None when nothing is measurable."""
    return round(100.0 * covered / statements, 2) if statements else None


def figures(
    manifest: Manifest,
    files: list[FileCoverage],
    added_lines: Mapping[TeamName, Mapping[str, frozenset[int]]],
) -> tuple[float | None, dict[TeamName, TeamCoverage]]:
    """Total coverage and, for every team of the manifest, coverage and diff coverage."""
    owner = manifest.ownership.owner_of
    by_path = {f.path: f for f in files}
    stmts = sum(len(f.statements) for f in files)
    ran = sum(len(f.executed) for f in files)
    teams: dict[TeamName, TeamCoverage] = {}
    for team in manifest.teams:
        own = [f for f in files if owner(f.path) == team]
        t_stmts = sum(len(f.statements) for f in own)
        t_ran = sum(len(f.executed) for f in own)
        a_stmts = a_ran = 0
        for path, lines in (added_lines.get(team) or {}).items():
            found = by_path.get(path)
            if found is None:
                continue
            added = lines & found.statements
            a_stmts += len(added)
            a_ran += len(added & found.executed)
        teams[team] = TeamCoverage(
            coverage=pct(t_ran, t_stmts), diff_coverage=pct(a_ran, a_stmts),
            statements=t_stmts, covered=t_ran, added_statements=a_stmts, added_covered=a_ran)
    return pct(ran, stmts), teams


def shared_figure(manifest: Manifest, files: list[FileCoverage]) -> TeamCoverage:
    """Coverage of the shared files: with the teams' figures it adds up to the total."""
    own = [f for f in files if manifest.ownership.owner_of(f.path) == SHARED]
    stmts = sum(len(f.statements) for f in own)
    ran = sum(len(f.executed) for f in own)
    return TeamCoverage(coverage=pct(ran, stmts), diff_coverage=None, statements=stmts,
                        covered=ran)


def gate_failures(manifest: Manifest, total: float | None,
                  teams: Mapping[TeamName, TeamCoverage]) -> list[str]:
    """One line per failed gate: the whole tree's coverage, then each team's diff coverage."""
    gates = manifest.gates
    out = []
    if gates.coverage is not None and total is not None and total < gates.coverage:
        out.append(f"coverage {show_pct(total, gates.coverage)} < {gates.coverage:g}% (whole tree)")
    if gates.diff_coverage is not None:
        for team, cov in teams.items():
            if cov.diff_coverage is not None and cov.diff_coverage < gates.diff_coverage:
                out.append(f"diff coverage of {team} "
                           f"{show_pct(cov.diff_coverage, gates.diff_coverage)}"
                           f" < {gates.diff_coverage:g}%")
    return out


def show_pct(value: float, threshold: float | None = None) -> str:
    """``72.4%``; two decimals where one would round up to the threshold (79.96 -> 79.96%)."""
    text = f"{value:.1f}"
    if threshold is not None and value < threshold <= float(text):
        text = f"{value:.2f}"
    return f"{text}%"


# --------------------------------------------------------------------------- who added what


def lines_added_by_merges(
    repo: Repository, *, commit: str, team_merges: Mapping[TeamName, str], paths: list[str],
) -> dict[TeamName, dict[str, frozenset[int]]]:
    """For each team, the lines of ``paths`` at ``commit`` that its merge commit brought in.

    A first-parent blame of ``commit`` charges every line to the chain commit that last
    changed it; a line charged to a team's merge is that team's. A later team that
    rewrote a line during conflict resolution owns it; lines from the base are nobody's.
    Only paths some team merge changed against its first parent are blamed.
    """
    by_sha = {str(git.resolve_commit(repo, sha).id): team for team, sha in team_merges.items()}
    if not by_sha or not paths:
        return {}
    chain = git.first_parent_chain(repo, commit, by_sha)
    on_chain = [sha for sha in chain if sha in by_sha]
    if not on_chain:
        return {}
    oldest = git.parent_sha(repo, on_chain[-1])
    touched: set[str] = set()
    for sha in on_chain:
        touched |= git.first_parent_changes(repo, sha)
    out: dict[TeamName, dict[str, set[int]]] = {t: {} for t in team_merges}
    for path in sorted(touched.intersection(paths)):
        for blamed, start, count in git.blame_first_parent(repo, path, commit, oldest):
            team = by_sha.get(blamed)
            if team is not None:
                out[team].setdefault(path, set()).update(range(start, start + count))
    return {t: {p: frozenset(ls) for p, ls in files.items()} for t, files in out.items() if files}


# --------------------------------------------------------------------------- running


@contextmanager
def temp_worktree(repo: Repository, sha: ObjectId) -> Iterator[tuple[Path, Path]]:
    """A detached worktree of ``sha`` and a scratch directory beside it; both removed after."""
    scratch = Path(tempfile.mkdtemp(prefix="gitorch-quality-")).resolve()
    root = scratch / "tree"
    try:
        git.add_temp_worktree(repo, sha, root)
        yield root, scratch
    finally:
        git.remove_temp_worktree(repo, root)
        shutil.rmtree(scratch, ignore_errors=True)


def _child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # Settings of an outer coverage or pytest-cov run, or of a hook's repository, would
    # redirect the measurement or git itself.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COVERAGE_", "COV_CORE_", "GIT_DIR", "GIT_WORK_TREE",
                                "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"))}
    env.update(extra or {})
    return env


def project_coverage_config(root: Path) -> str | None:
    """The coverage configuration file coverage.py would read in ``root``, if any."""
    for name, marker in ((".coveragerc", None), (".coveragerc.toml", None),
                         ("setup.cfg", r"^\[coverage:"), ("tox.ini", r"^\[coverage:"),
                         ("pyproject.toml", r"^\[tool\.coverage")):
        candidate = root / name
        if not candidate.is_file():
            continue
        if marker is None or re.search(marker, candidate.read_text(errors="replace"), re.M):
            return str(candidate)
    return None


def _coverage_options(root: Path) -> dict[str, bool | list[str]]:
    return {"run:source": [str(root)], "run:source_pkgs": [], "run:include": [],
            "run:omit": [], "run:branch": False, "run:relative_files": False,
            "run:disable_warnings": _QUIET}


def _run_with_report(command: str, root: Path, coverage_file: str, manifest: Manifest,
                     timeout: float | None, show: bool,
                     ) -> tuple[CommandRun, list[FileCoverage] | None, list[str]]:
    """The command alone, then the Cobertura or LCOV file it wrote (None and why not)."""
    run = run_command(command, cwd=root, env=_child_env(), timeout=timeout, progress=show)
    report = root / coverage_file
    if not report.is_file():
        return run, None, [f"coverage file {coverage_file} was not written by the test command"]
    try:
        files = read_coverage_file(report, root)
    except ValueError as exc:
        return run, None, [f"coverage file {coverage_file} cannot be read: {exc}"]
    return run, [f for f in files if measured(manifest, f.path)], []


@dataclass(frozen=True)
class Measurement:
    """What one measured run gave: the files (None: nothing was measured) and warnings."""

    files: list[FileCoverage] | None
    warnings: tuple[str, ...] = ()
    unmeasured: str = ""                # why files is None


def _run_measured(command: str, root: Path, scratch: Path, wanted: list[str],
                  timeout: float | None, show: bool) -> tuple[CommandRun, Measurement]:
    import coverage

    boot, fallback, data, imports = (scratch / d for d in ("boot", "fallback", "data", "imports"))
    for d in (boot, fallback, data, imports):
        d.mkdir()
    (boot / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    (fallback / "coverage").symlink_to(Path(coverage.__file__).parent, target_is_directory=True)
    config = project_coverage_config(root)
    provided = tree_modules(wanted)
    settings = {"data_file": str(data / ".coverage"), "config_file": config,
                "fallback_path": str(fallback), "options": _coverage_options(root),
                "root": str(root), "watch": sorted(provided), "imports_dir": str(imports)}
    (scratch / "coverage.json").write_text(json.dumps(settings), encoding="utf-8")
    (scratch / "coverage.ini").write_text(_process_start_config(root, data), encoding="utf-8")
    python_path = os.pathsep.join(filter(None, [str(boot), os.environ.get("PYTHONPATH")]))
    # Two ways in, so that the command's own PYTHONPATH cannot switch measuring off: the
    # sitecustomize on PYTHONPATH, and coverage.py's documented COVERAGE_PROCESS_START,
    # which the coverage.pth of any Python with coverage.py 7.7+ installed obeys.
    env = _child_env({CONFIG_ENV: str(scratch / "coverage.json"), "PYTHONPATH": python_path,
                      "COVERAGE_PROCESS_START": str(scratch / "coverage.ini")})
    theirs = _project_data_files(root, config)
    before = set(theirs())
    run = run_command(command, cwd=root, env=env, timeout=timeout, progress=show)

    cov = coverage.Coverage(data_file=str(data / ".coverage"), config_file=config or False)
    for name, value in _coverage_options(root).items():
        cov.set_option(name, value)
    # A command that runs coverage itself (`coverage run`, pytest-cov) pauses our collector
    # while it measures: its own data files, new since the run began, count as well.
    written = [str(p) for p in theirs() if p not in before]
    any_process = bool(written) or any(data.iterdir())
    with suppress(coverage.CoverageException):      # no data file at all
        cov.combine([str(data), *written])
    warnings = tuple(foreign_import_warnings(imports, provided))
    if not cov.get_data().measured_files():
        return run, Measurement(None, warnings, nothing_measured(command, any_process))
    files = []
    for path in wanted:
        try:
            _, statements, _, missing, _ = cov.analysis2(str(root / path))
        except coverage.CoverageException:
            continue                # not Python coverage.py can parse: not measurable
        stmts = frozenset(statements)
        files.append(FileCoverage(path, stmts, stmts - frozenset(missing)))
    return run, Measurement(files, warnings)


def _process_start_config(root: Path, data: Path) -> str:
    quiet = ", ".join(_QUIET)
    return ("[run]\n"
            f"source = {root}\n"
            f"data_file = {data / '.coverage'}\n"
            "parallel = true\nbranch = false\nrelative_files = false\n"
            f"disable_warnings = {quiet}\n")


def nothing_measured(command: str, any_process: bool) -> str:
    """Why a run measured nothing of the tree, its likely cause and the fix."""
    if any_process:
        return ("coverage not measured: the test command's Python processes ran no file of "
                "the tree (likely cause: the tests import an installed copy of the project, "
                "or no tests ran). Fix: install the project into the Python the tests run "
                "(pip install -e .), or put its source directory on PYTHONPATH")
    if re.search(r"(^|[\s;&|(])PYTHONPATH=", command):
        cause = ("the command sets PYTHONPATH itself, which replaces the entry gitorch starts "
                 "coverage through, and the Python it runs has no coverage.py 7.7+ of its own "
                 "to start it instead")
    else:
        cause = ("the command runs no Python, or a Python that ignores PYTHONPATH and has no "
                 "coverage.py 7.7+ of its own")
    return (f"coverage not measured: no Python process of the test command was measured "
            f"(likely cause: {cause}; a Python started with -I or -S is never measured). "
            "Fix: install coverage>=7.7 into the Python the tests run, or keep gitorch's "
            "entry (PYTHONPATH=src:$PYTHONPATH), or have the command write a Cobertura or "
            "LCOV file and pass --coverage-file")


def tree_modules(paths: list[str]) -> dict[str, str]:
    """Top-level module name -> where the tree provides it (``src/click``, ``util.py``),
    at the root or under ``src/``."""
    found: dict[str, str] = {}
    for path in paths:
        prefix = "src/" if path.startswith("src/") else ""
        parts = path[len(prefix):].split("/")
        name = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
        if name.isidentifier() and (len(parts) == 1 or f"{prefix}{name}/__init__.py" in paths):
            found.setdefault(name, prefix + parts[0])
    return found


def foreign_import_warnings(imports: Path, provided: Mapping[str, str]) -> list[str]:
    """One warning per module of the tree that the tests imported from somewhere else."""
    seen: dict[str, str] = {}
    for record in sorted(imports.glob("*.json")):
        with suppress(ValueError, OSError):
            seen.update({k: v for k, v in json.loads(record.read_text("utf-8")).items()
                         if k in provided and k not in seen})
    ours = {str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix)}
    out = []
    for name, where in sorted(seen.items()):
        home = ("gitorch's own environment"
                if any(str(Path(where).resolve()).startswith(p + os.sep) for p in ours)
                else "outside the tree")
        parent = provided[name].rpartition("/")[0] or "."
        out.append(f"the tests imported {name} from {where} ({home}), not the tree's "
                   f"{provided[name]}: install the project into the Python its tests run, or "
                   f"put {parent} first on the command's PYTHONPATH; keep gitorch in an "
                   "install of its own (pipx install gitorch, uv tool install gitorch)")
    return out


def _project_data_files(root: Path, config: str | None) -> Callable[[], list[Path]]:
    """A way to list the data files the project's own coverage runs would write."""
    import coverage

    name = str(coverage.Coverage(config_file=config or False).get_option("run:data_file"))
    target = Path(name) if Path(name).is_absolute() else root / name

    def listing() -> list[Path]:
        return sorted(p for p in target.parent.glob(f"{target.name}*")
                      if p.is_file() and (p == target or p.name.startswith(f"{target.name}.")))
    return listing


def run_command(command: str, *, cwd: Path, env: Mapping[str, str], timeout: float | None,
                progress: bool) -> CommandRun:
    """Run ``command`` through the shell; keep the tail of its output; kill it at ``timeout``."""
    start = time.monotonic()
    proc = subprocess.Popen(command, shell=True, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    assert proc.stdout is not None
    lines: deque[bytes] = deque(maxlen=TAIL_LINES)
    count = [0]
    reader = threading.Thread(target=_drain, args=(proc.stdout, lines, count), daemon=True)
    reader.start()
    timed_out = False
    while True:
        try:
            proc.wait(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - start
            if timeout is not None and elapsed > timeout:
                timed_out = True
                _kill_group(proc)
                break
            if progress:
                sys.stderr.write(f"\r  running tests: {elapsed:5.0f}s, {count[0]} lines of output")
                sys.stderr.flush()
    reader.join(timeout=5)
    if progress:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    tail = b"".join(lines).decode("utf-8", errors="replace")[-TAIL_CHARS:]
    return CommandRun(None if timed_out else proc.returncode, tail, time.monotonic() - start)


def _drain(stream: IO[bytes], lines: deque[bytes], count: list[int]) -> None:
    for line in stream:
        lines.append(line)
        count[0] += 1


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):      # it ended between the check and the kill
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
