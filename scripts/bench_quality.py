"""Benchmark: gitorch's quality stage against coverage.py run by hand on the same tree.

A synthetic project at the ten-team playbook's scale (10 teams, 500 Python modules, about 80,000
lines), one merge commit per team on an integration chain. Three timings, same machine,
same run:

- plain:    the test command alone, in a fresh worktree (no coverage);
- by hand:  `git worktree add`, `coverage run --source=. -m pytest`, `coverage json`;
- gitorch:  `run_quality(...)` with team merges (worktree, measurement, analysis of every
            measured file, first-parent blame for diff coverage, gates).

Run: python scripts/bench_quality.py [--teams 10] [--modules 50] [--functions 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitorch.manifest import TeamName
from gitorch.manifest.loading import load_manifest
from gitorch.quality import lines_added_by_merges, run_quality
from gitorch.repo import open_repo

ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@x", "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def module(team: int, mod: int, functions: int) -> str:
    body = [f'"""Module {mod} of team {team}."""', ""]
    for f in range(functions):
        body += [f"def f{f}(x):", "    y = x + 1", "    if y > 10:", "        y -= 10",
                 "    z = y * 2", "    return z", ""]
    return "\n".join(body) + "\n"


def build(root: Path, teams: int, modules: int, functions: int) -> tuple[Path, dict[TeamName, str], str]:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    manifest = ["version: 1", "project: bench", "shared: [README.md, 'tests/**']",
                "gates:", "  coverage: 50", "  diff_coverage: 50", "teams:"]
    manifest += [f"  t{t}:\n    owns: ['pkg{t}/**']" for t in range(teams)]
    (repo / "gitorch.yaml").write_text("\n".join(manifest) + "\n")
    (repo / "README.md").write_text("bench\n")
    (repo / "tests").mkdir()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    for t in range(teams):
        git(repo, "checkout", "-q", "-b", f"team/t{t}", "main")
        pkg = repo / f"pkg{t}"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        calls = []
        for m in range(modules):
            (pkg / f"m{m}.py").write_text(module(t, m, functions))
            # Half the functions are called: coverage is neither 0 nor 100.
            calls += [f"    from pkg{t}.m{m} import f{f}\n    f{f}({f})" for f in range(0, functions, 2)]
        (repo / "tests").mkdir(exist_ok=True)
        (repo / "tests" / f"test_t{t}.py").write_text("def test_all():\n" + "\n".join(calls) + "\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"team t{t}")
    git(repo, "checkout", "-q", "-b", "integration", "main")
    merges = {}
    for t in range(teams):
        git(repo, "merge", "-q", "--no-ff", "-m", f"integrate t{t}", f"team/t{t}")
        merges[TeamName(f"t{t}")] = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    return repo, merges, git(repo, "rev-parse", "integration")


def timed_by_hand(repo: Path, tip: str, root: Path, coverage: bool) -> float:
    tree = root / ("hand" if coverage else "plain")
    start = time.perf_counter()
    git(repo, "worktree", "add", "-q", "--detach", str(tree), tip)
    env = {k: v for k, v in ENV.items() if not k.startswith("COVERAGE_")}
    py = [sys.executable, "-m"]
    if coverage:
        subprocess.run([*py, "coverage", "run", "--source=.", "-m", "pytest", "-q", "-p",
                        "no:cacheprovider"], cwd=tree, env=env, check=True, capture_output=True)
        subprocess.run([*py, "coverage", "json", "-q", "--omit=tests/*"], cwd=tree, env=env,
                       check=True, capture_output=True)
    else:
        subprocess.run([*py, "pytest", "-q", "-p", "no:cacheprovider"], cwd=tree, env=env,
                       check=True, capture_output=True)
    git(repo, "worktree", "remove", "--force", str(tree))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--functions", type=int, default=23)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gitorch-bench-quality-"))
    try:
        repo, merges, tip = build(root, args.teams, args.modules, args.functions)
        lines = int(git(repo, "diff", "--shortstat", "main", tip).split(" insertion")[0].split()[-1])
        plain = timed_by_hand(repo, tip, root, coverage=False)
        hand = timed_by_hand(repo, tip, root, coverage=True)
        command = f"{sys.executable} -m pytest -q -p no:cacheprovider"
        start = time.perf_counter()
        result = run_quality(repo=open_repo(repo), manifest=load_manifest(repo / "gitorch.yaml"),
                             commit=tip, test_command=command, team_merges=merges, progress=False)
        ours = time.perf_counter() - start
        assert result.passed, result.output_tail
        paths = sorted(result.files)
        start = time.perf_counter()
        lines_added_by_merges(open_repo(repo), commit=tip, team_merges=merges, paths=paths)
        blame = time.perf_counter() - start
        t0 = result.teams[TeamName("t0")]
        print(f"{args.teams} teams, {len(result.files)} measured files, {lines} lines added; "
              f"coverage {result.total}%, t0 diff coverage {t0.diff_coverage}% "
              f"({t0.added_covered} of {t0.added_statements})")
        print(f"{'run':<44}{'seconds':>9}{'ratio':>8}")
        for name, secs in (("tests alone (plain pytest)", plain),
                           ("by hand: coverage run -m pytest + json", hand),
                           ("gitorch run_quality (incl. blame)", ours),
                           ("  of which first-parent blame", blame)):
            print(f"{name:<44}{secs:>9.2f}{secs / hand:>8.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
