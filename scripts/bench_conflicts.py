"""Benchmark: ``gitorch conflicts`` against ``git merge-tree --stdin`` over every pair.

Builds a synthetic repository (scripts/synthrepo.py; by default the ten-team playbook's scale: 30
teams of 20 files x 500 lines, 10k lines each, the playbook's upper target_loc, and 10
shared files of which each team edits 5), then times, in the same run, the whole
``gitorch conflicts --json`` process and one ``git merge-tree --stdin`` process
merging all 435 pairs of team branches. Every run is cold: a fresh process on a fresh
copy of the repository, so that merge-tree must write its result trees and blobs as
it would after teams push new commits (a second run on the same copy finds them
already written). The two must name the same conflicting pairs. Wall time (best and
median of ``--repeat`` runs) and CPU time (user + system, best) are reported: on a
shared machine noise only adds, so the best run is the steadier figure; compare ratios.

    python scripts/bench_conflicts.py [--teams 30] [--lines-per-file 500]
                                      [--shared-edits 5] [--repeat 7] [--keep DIR]
                                      [--cold-manifest]

The object store is cold in every run; gitorch's manifest cache (.git/gitorch/cache) is
primed by one untimed run unless ``--cold-manifest``.

The ratio grows with the work per pair (files both teams changed, their size) and
shrinks, for light repositories, toward gitorch's fixed start-up (Python, click,
pygit2, the manifest: about 0.15 s).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthrepo
from bytecode import ensure_bytecode


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def gitorch_pairs(repo: Path) -> tuple[float, float, set[frozenset[str]]]:
    exe = shutil.which("gitorch")
    cmd = [exe] if exe else [sys.executable, "-m", "gitorch"]
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run([*cmd, "conflicts", "--json"], cwd=repo, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gitorch conflicts failed: {proc.stderr}")
    data = json.loads(proc.stdout)
    return elapsed, cpu, {frozenset(c["teams"]) for c in data["conflicts"] if c["kind"] == "overlap"}


def merge_tree_pairs(repo: Path, teams: list[str]) -> tuple[float, float, set[frozenset[str]]]:
    pairs = list(itertools.combinations(teams, 2))
    stdin = "".join(f"team/{a} team/{b}\n" for a, b in pairs)
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(["git", "merge-tree", "--stdin", "--name-only", "--no-messages"],
                          cwd=repo, input=stdin, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
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
    return elapsed, cpu, {frozenset(p) for p, bad in zip(pairs, statuses, strict=True) if bad}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--files-per-team", type=int, default=20)
    parser.add_argument("--lines-per-file", type=int, default=500)
    parser.add_argument("--shared-files", type=int, default=10)
    parser.add_argument("--shared-edits", type=int, default=5,
                        help="shared files each team edits (readme, config, registry, ...)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    parser.add_argument("--cold-manifest", action="store_true",
                        help="no manifest cache either: as if gitorch never ran since the "
                             "manifest changed (default: one untimed run first)")
    args = parser.parse_args()
    ensure_bytecode()
    top = args.keep or Path(tempfile.mkdtemp(prefix="bench-conflicts-"))
    origin = top / "origin"
    start = time.perf_counter()
    synthrepo.build(origin, teams=args.teams, files_per_team=args.files_per_team,
                    lines_per_file=args.lines_per_file, shared_files=args.shared_files,
                    shared_edits=args.shared_edits)
    built = time.perf_counter() - start
    if not args.cold_manifest:
        # One untimed gitorch run leaves its manifest cache in .git/gitorch/cache (it writes
        # no git object), as any gitorch command since the manifest last changed has.
        gitorch_pairs(origin)
    teams = [f"t{i:02d}" for i in range(args.teams)]
    npairs = len(teams) * (len(teams) - 1) // 2
    walls: dict[str, list[float]] = {"git": [], "gitorch": []}
    cpus: dict[str, list[float]] = {"git": [], "gitorch": []}
    answers: set[frozenset[str]] = set()
    for run in range(args.repeat):
        copy = top / f"run{run}"
        shutil.copytree(origin, copy, symlinks=True)
        os.sync()          # the copy's own writes must not land inside a timed run
        wall, cpu, git_answer = merge_tree_pairs(copy, teams)
        walls["git"].append(wall)
        cpus["git"].append(cpu)
        wall, cpu, ours = gitorch_pairs(copy)
        walls["gitorch"].append(wall)
        cpus["gitorch"].append(cpu)
        if ours != git_answer:
            raise SystemExit(f"different answers: gitorch only {sorted(map(sorted, ours - git_answer))}"
                             f", git only {sorted(map(sorted, git_answer - ours))}")
        answers = ours
        shutil.rmtree(copy)
    best = {k: min(v) for k, v in walls.items()}
    med = {k: statistics.median(v) for k, v in walls.items()}
    cpu_best = {k: min(v) for k, v in cpus.items()}
    print(f"repository: {args.teams} teams x {args.files_per_team} files x "
          f"{args.lines_per_file} lines, {args.shared_files} shared files "
          f"({args.shared_edits} edited by each team) "
          f"(built with git fast-import in {built:.2f}s); {args.repeat} cold runs each, "
          f"manifest cache {'cold too' if args.cold_manifest else 'primed'}")
    print(f"same answers: {len(answers)} of {npairs} pairs conflict")
    print(f"{'':36}{'wall best':>10}{'wall med':>10}{'cpu best':>10}")
    for key, label in (("git", f"git merge-tree --stdin ({npairs} pairs)"),
                       ("gitorch", "gitorch conflicts (whole process)")):
        print(f"{label:36}{best[key]:>9.3f}s{med[key]:>9.3f}s{cpu_best[key]:>9.3f}s")
    print(f"{'ratio (merge-tree / gitorch)':36}{best['git'] / best['gitorch']:>9.1f}x"
          f"{med['git'] / med['gitorch']:>9.1f}x{cpu_best['git'] / cpu_best['gitorch']:>9.1f}x")
    if not args.keep:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
