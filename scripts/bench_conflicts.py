"""Benchmark: ``gitorch conflicts`` against ``git merge-tree --stdin`` over every pair.

Builds a synthetic repository (scripts/synthrepo.py, 30 teams by default), then times,
in the same run, the whole ``gitorch conflicts --json`` process and one
``git merge-tree --stdin`` process merging all 435 pairs of team branches. Both are
fresh processes; the first run of each is reported as cold, then the median of
``--repeat`` runs. The two must name the same conflicting pairs.

    python scripts/bench_conflicts.py [--teams 30] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthrepo


def gitorch_pairs(repo: Path) -> tuple[float, set[frozenset[str]]]:
    exe = shutil.which("gitorch")
    cmd = [exe] if exe else [sys.executable, "-m", "gitorch"]
    start = time.perf_counter()
    proc = subprocess.run([*cmd, "conflicts", "--json"], cwd=repo, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gitorch conflicts failed: {proc.stderr}")
    data = json.loads(proc.stdout)
    return elapsed, {frozenset(c["teams"]) for c in data["conflicts"] if c["kind"] == "overlap"}


def merge_tree_pairs(repo: Path, teams: list[str]) -> tuple[float, set[frozenset[str]]]:
    pairs = list(itertools.combinations(teams, 2))
    stdin = "".join(f"team/{a} team/{b}\n" for a, b in pairs)
    start = time.perf_counter()
    proc = subprocess.run(["git", "merge-tree", "--stdin", "--name-only", "--no-messages"],
                          cwd=repo, input=stdin, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    # Output per merge: status NUL tree NUL (path NUL)* NUL; status 0 = conflicts.
    tokens, i, statuses = proc.stdout.split("\0"), 0, []
    while i < len(tokens) and tokens[i]:
        statuses.append(tokens[i] == "0")
        i += 2
        while tokens[i]:
            i += 1
        i += 1
    if len(statuses) != len(pairs):
        raise SystemExit(f"git merge-tree --stdin answered {len(statuses)} of {len(pairs)} pairs")
    return elapsed, {frozenset(p) for p, bad in zip(pairs, statuses, strict=True) if bad}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--files-per-team", type=int, default=20)
    parser.add_argument("--lines-per-file", type=int, default=400)
    parser.add_argument("--shared-files", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-conflicts-")) / "repo"
    start = time.perf_counter()
    synthrepo.build(work, teams=args.teams, files_per_team=args.files_per_team,
                    lines_per_file=args.lines_per_file, shared_files=args.shared_files)
    built = time.perf_counter() - start
    teams = [f"t{i:02d}" for i in range(args.teams)]
    npairs = len(teams) * (len(teams) - 1) // 2
    env_note = os.environ.get("BENCH_NOTE", "")
    ours, theirs = [], []
    answers = set()
    for _ in range(args.repeat):
        t_mt, mt_pairs = merge_tree_pairs(work, teams)
        t_g, g_pairs = gitorch_pairs(work)
        theirs.append(t_mt)
        ours.append(t_g)
        if g_pairs != mt_pairs:
            raise SystemExit(f"different answers: gitorch only {sorted(map(sorted, g_pairs - mt_pairs))}, "
                             f"git only {sorted(map(sorted, mt_pairs - g_pairs))}")
        answers = g_pairs
    print(f"repository: {args.teams} teams x {args.files_per_team} files x "
          f"{args.lines_per_file} lines, {args.shared_files} shared files "
          f"(built in {built:.2f}s) {env_note}")
    print(f"same answers: {len(answers)} of {npairs} pairs conflict")
    print(f"{'':34}{'cold':>9}{'median':>9}")
    print(f"{f'git merge-tree --stdin ({npairs} pairs)':34}{theirs[0]:>8.3f}s"
          f"{statistics.median(theirs):>8.3f}s")
    print(f"{'gitorch conflicts (whole process)':34}{ours[0]:>8.3f}s{statistics.median(ours):>8.3f}s")
    print(f"{'ratio (merge-tree / gitorch)':34}{theirs[0] / ours[0]:>8.1f}x"
          f"{statistics.median(theirs) / statistics.median(ours):>8.1f}x")
    if not args.keep:
        shutil.rmtree(work.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
