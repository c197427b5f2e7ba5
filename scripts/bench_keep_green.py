"""Benchmark: ``gitorch integrate --keep-green`` against the linear scan of every prefix.

Generates projects of 8, 32 and 64 teams with ``scripts/greenproject.py`` (the module the
tests use): one file per team, a test command that reads the teams' files (``break NAME``
fails test NAME; ``removes X`` in one team and ``uses X`` in a later one fail ``use_X``
only together; ``flaky NAME`` fails every other run) and computes for ``--test-cpu``
seconds (default 0.3; CPU-bound, the honest case for parallel runs on shared cores) and
waits ``--test-sleep`` seconds (default 0), then writes a JUnit file (``--junit-file``).

Per project and scenario:

* **runs** (exact, ``--jobs 1``): every test run ``--keep-green`` made, by purpose (tip,
  retry, base, search, composite, confirm, alone, pair; the final measured run under
  coverage is not counted), and the runs of the linear scan (the baseline: the chain's
  prefixes one by one from the first team, each once, until every test failing on the
  tip has failed, plus the tip), with gitorch's own test runner, and its wall time;
* **wall** (scenarios "1 alone, late" and "3 alone, different tests"; every scenario with
  ``--wall-all``), over ``--rounds`` interleaved rounds (the order of the commands alternates):
  the time ``--keep-green`` adds to the same ``gitorch integrate --dry-run`` without it
  (start-up, merges and the measured run are common to both), with ``--jobs 1`` and
  ``--jobs 2``; medians, and the median of the per-round ratios j2/j1; the load average
  (1 min) seen during the rows.

    python scripts/bench_keep_green.py [--teams 8,32,64] [--rounds 3] [--test-cpu 0.3]
                                       [--test-sleep 0] [--scenario TEXT] [--no-scan]
                                       [--runs-only | --wall-all] [--keep DIR]

Prints Markdown tables (the figures in docs/performance.md come from them). The machine
is shared and noisy: compare ratios measured in the same run, not absolute times.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import greenproject

PURPOSES = ("tip", "retry", "base", "search", "composite", "confirm", "alone", "pair")


def scenarios(n: int) -> dict[str, dict[int, str]]:
    """Scenario name -> {team position (1-based, merge order): lines it adds}."""
    late = n - 1
    return {
        "1 alone, late": {late: "break late\n"},
        "3 alone, different tests": {n // 4: "break one\n", n // 2: "break two\n",
                                     late: "break three\n"},
        "1 interaction, late": {2: "removes api\n", late: "uses api\n"},
        "2 alone + 1 interaction": {1: "removes api\n", n // 4 + 1: "break one\n",
                                    n // 2 + 1: "uses api\n", late: "break three\n"},
        "1 alone, late + flaky": {late: "break late\n", n // 3: "flaky wobble\n"},
    }


WALL = ("1 alone, late", "3 alone, different tests")     # wall rounds by default
PAIRS = {"3 alone, different tests": "1 alone, late",      # 3 culprits / 1 culprit
         "2 alone + 1 interaction": "1 interaction, late"}


def gitorch(repo: Path, *args: str) -> tuple[dict[str, Any], float]:
    start = time.monotonic()
    proc = subprocess.run([shutil.which("gitorch") or "gitorch", "integrate", "--dry-run",
                           "--json", "--format", "json", "--report",
                           str(repo.parent / "report" / "report.md"), *args],
                          cwd=repo, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gitorch failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout), seconds


def keep_green(repo: Path, jobs: int | None) -> tuple[dict[str, Any], float]:
    """``gitorch integrate --dry-run`` with the tests; --keep-green unless ``jobs`` is None."""
    more = ["--keep-green", "--junit-file", "junit.xml", "--jobs", str(jobs)] if jobs else []
    return gitorch(repo, "--test", greenproject.command(), *more)


def scan(repo: Path) -> tuple[int, float]:
    """The baseline: every prefix one by one until every test failing on the tip failed."""
    from gitorch.integrate.testruns import TestRunner
    from gitorch.repo import open_repo

    report, _ = gitorch(repo)
    chain = [t["merge_commit"] for t in report["teams"] if t["merge_commit"]]
    runner = TestRunner(open_repo(repo), greenproject.command(), retries=0,
                        junit_file="junit.xml")
    start = time.monotonic()
    try:
        wanted = set(runner.verdicts([(chain[-1], (), "tip")])[0].failed)
        runs = 1
        for commit in chain:
            if not wanted:
                break
            wanted -= set(runner.verdicts([(commit, (), "scan")])[0].failed)
            runs += 1
    finally:
        runner.close()
    return runs, time.monotonic() - start


def found(data: dict[str, Any]) -> str:
    return ", ".join(f"{c['team']}:{c['kind']}" + (f"+{c['with'][0]}" if c["with"] else "")
                     for c in data["culprits"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", default="8,32,64")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved wall rounds")
    parser.add_argument("--test-cpu", type=float, default=0.3, help="CPU seconds per run")
    parser.add_argument("--test-sleep", type=float, default=0.0, help="waiting per run")
    parser.add_argument("--scenario", metavar="TEXT", default="",
                        help="only the scenarios whose name contains TEXT")
    parser.add_argument("--no-scan", action="store_true", help="skip the linear scan")
    parser.add_argument("--runs-only", action="store_true", help="runs, no wall rounds")
    parser.add_argument("--wall-all", action="store_true",
                        help="wall rounds for every scenario (default: 1 and 3 alone)")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated projects here")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="bench-keep-green-"))
    os.environ["GREEN_TEST_CPU"] = str(args.test_cpu)
    os.environ["GREEN_TEST_SLEEP"] = str(args.test_sleep)
    print(f"test run: check.py, {args.test_cpu:g} s CPU + {args.test_sleep:g} s wait; "
          f"{os.cpu_count()} cores (shared); retries 1; {args.rounds} wall rounds; "
          f"load at start {os.getloadavg()[0]:.1f}\n")
    runs_rows, wall_rows, totals = [], [], {}
    for n in (int(x) for x in args.teams.split(",")):
        for name, work in scenarios(n).items():
            if args.scenario not in name:
                continue
            where = root / f"{n}-{name.replace(' ', '_').replace(',', '').replace('+', 'and')}"
            repo = greenproject.make_project(
                where, greenproject.numbered(n), {f"t{i:02d}": w for i, w in work.items()})
            os.environ.update(greenproject.counter_env(where))
            one, _ = keep_green(repo, 1)
            two, _ = keep_green(repo, 2)
            assert sorted(c["team"] for c in one["culprits"]) == \
                sorted(c["team"] for c in two["culprits"]), (one["culprits"], two["culprits"])
            scan_runs, scan_s = (0, 0.0) if args.no_scan else scan(repo)
            by = collections.Counter(r["purpose"] for r in one["test_runs"])
            totals[(n, name)] = len(one["test_runs"])
            runs_rows.append(f"| {n} | {name} | {found(one)} | {len(one['test_runs'])} | "
                             + " | ".join(str(by.get(p, 0)) for p in PURPOSES)
                             + f" | {len(two['test_runs'])} | {scan_runs or '-'} | "
                             f"{f'{scan_s:.1f}' if scan_runs else '-'} |")
            print(runs_rows[-1], flush=True)
            if args.runs_only or not (args.wall_all or name in WALL):
                continue
            added: dict[str, list[float]] = {"j1": [], "j2": []}
            ratios, loads = [], []
            for k in range(args.rounds):
                order = ["plain", "j1", "j2"] if k % 2 == 0 else ["j2", "j1", "plain"]
                wall = {}
                for what in order:
                    loads.append(os.getloadavg()[0])
                    wall[what] = keep_green(repo, None if what == "plain" else int(what[1]))[1]
                for what in ("j1", "j2"):
                    added[what].append(wall[what] - wall["plain"])
                ratios.append(added["j2"][-1] / added["j1"][-1])
            wall_rows.append(f"| {n} | {name} | {statistics.median(added['j1']):.1f} | "
                             f"{statistics.median(added['j2']):.1f} | "
                             f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-"
                             f"{max(ratios):.2f}) | "
                             f"{min(loads):.1f}-{max(loads):.1f} |")
            print(wall_rows[-1], flush=True)
    print("\nRuns (jobs 1; by purpose):\n")
    print("| teams | scenario | culprits found | runs | " + " | ".join(PURPOSES)
          + " | runs, jobs 2 | scan runs | scan s |")
    print("|---:|---|---|---:|" + "---:|" * len(PURPOSES) + "---:|---:|---:|")
    print("\n".join(runs_rows))
    ratios_rows = [f"| {n} | {many} / {one_} | {totals[(n, many)]} / {totals[(n, one_)]} = "
                   f"{totals[(n, many)] / totals[(n, one_)]:.2f}x |"
                   for (n, many) in totals for many_, one_ in PAIRS.items()
                   if many == many_ and (n, one_) in totals]
    if ratios_rows:
        print("\nThree culprits against one (runs):\n")
        print("| teams | scenarios | ratio |\n|---:|---|---|")
        print("\n".join(ratios_rows))
    if wall_rows:
        print(f"\nWall (median of {args.rounds} interleaved rounds; added s = what "
              "--keep-green adds to the same run without it):\n")
        print("| teams | scenario | added s, jobs 1 | added s, jobs 2 | jobs 2/1 (range) | "
              "load |")
        print("|---:|---|---:|---:|---|---|")
        print("\n".join(wall_rows))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
