"""Benchmark: ``gitorch integrate --keep-green`` against the linear scan of every prefix.

Generates projects of 8, 32 and 64 teams (one file each, under src/<team>/) whose test
command is a tiny Python script (``check.py``) that reads the teams' files: a line
``break NAME`` fails test NAME; ``uses X`` in one team and ``removes X`` in an earlier
one fail test ``use_X`` only together (an interaction); ``flaky NAME`` fails test NAME
on every other run. Each test run also waits ``--test-seconds`` (default 0.3 s, a
stand-in for a real suite's duration; waiting, not computing, so that two runs at once
overlap even on a busy machine: CPU-bound suites on shared cores gain less).

Per project and scenario, in the same run:

* ``keep-green``: ``gitorch integrate --keep-green --dry-run --json`` with ``--jobs 1``
  and ``--jobs 2``: every test run it made (tip, retries, base, search, alone and pair
  checks, confirmations, the final green tip; the final measured run under coverage is
  not counted) and the wall time it adds to the same command without ``--keep-green``
  (start-up, merges and the measured run are common to both);
* ``scan`` (the baseline): the same chain's prefixes tested one by one from the first
  team, each once (no retries), until every test failing on the tip has failed: runs
  and wall time, with gitorch's own test runner.

    python scripts/bench_keep_green.py [--teams 8,32,64] [--test-seconds 0.3] [--keep DIR]
                                       [--scenario TEXT] [--no-scan]

Prints a Markdown table (the figures in docs/performance.md come from it). The machine
is shared and noisy: compare ratios measured in the same run, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECK = '''\
import os, re, sys, time
from pathlib import Path
time.sleep(float(os.environ.get("BENCH_TEST_SECONDS", "0")))
text = "\\n".join(p.read_text() for p in sorted(Path("src").rglob("*.txt")))
tests = {"smoke": True}
for name in re.findall(r"^break (\\w+)$", text, re.M):
    tests[name] = False
uses = set(re.findall(r"^uses (\\w+)$", text, re.M))
for name in re.findall(r"^removes (\\w+)$", text, re.M):
    tests["use_" + name] = name not in uses
for name in re.findall(r"^flaky (\\w+)$", text, re.M):
    counter = Path(os.environ["FLAKY_COUNTER"])
    runs = int(counter.read_text() or "0") if counter.exists() else 0
    counter.write_text(str(runs + 1))
    tests[name] = runs % 2 == 1
cases = "".join(
    f'<testcase classname="checks" name="{n}">' + ("" if ok else "<failure/>") + "</testcase>"
    for n, ok in sorted(tests.items()))
Path("junit.xml").write_text(f"<testsuite>{cases}</testsuite>")
sys.exit(0 if all(tests.values()) else 1)
'''


def scenarios(n: int) -> dict[str, dict[int, str]]:
    """Scenario name -> {team position (1-based, merge order): lines it adds}."""
    late = n - 1
    return {
        "1 alone, late": {late: "break late\n"},
        "1 interaction, late": {2: "removes api\n", late: "uses api\n"},
        "3 alone, different tests": {n // 4: "break one\n", n // 2: "break two\n",
                                     late: "break three\n"},
        "2 alone + 1 interaction": {1: "removes api\n", n // 4 + 1: "break one\n",
                                    n // 2 + 1: "uses api\n", late: "break three\n"},
        "1 alone, late + flaky": {late: "break late\n", n // 3: "flaky wobble\n"},
    }


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def make_project(root: Path, n: int, work: dict[int, str]) -> Path:
    """A repository: base with check.py and one file per team, one branch per team."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "user.email", "bench@example.com")
    teams = [f"t{i:02d}" for i in range(1, n + 1)]
    lines = ["version: 1", "project: bench", 'shared: ["check.py"]', "teams:"]
    for i, team in enumerate(teams):
        lines += [f"  {team}:", f'    owns: ["src/{team}/**"]', f"    priority: {1000 - i}"]
    (repo / "gitorch.yaml").write_text("\n".join(lines) + "\n")
    (repo / "check.py").write_text(CHECK)
    for team in teams:
        (repo / "src" / team).mkdir(parents=True)
        (repo / "src" / team / "work.txt").write_text("start\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for i, team in enumerate(teams, 1):
        git(repo, "checkout", "-q", "-b", f"team/{team}", "main")
        (repo / "src" / team / "work.txt").write_text("start\n" + work.get(i, "fine\n"))
        git(repo, "commit", "-q", "-am", f"{team} work")
        git(repo, "checkout", "-q", "main")
    return repo


def keep_green(repo: Path, command: str, jobs: int | None) -> tuple[dict, float]:
    """``gitorch integrate --dry-run`` with the tests, with --keep-green unless ``jobs`` is None."""
    more = ["--keep-green", "--junit-file", "junit.xml", "--jobs", str(jobs)] if jobs else []
    start = time.monotonic()
    proc = subprocess.run(
        [shutil.which("gitorch") or "gitorch", "integrate", "--dry-run", "--json", "--format",
         "json", "--test", command, *more, "--report", str(repo.parent / f"report-{jobs}.md")],
        cwd=repo, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gitorch failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout), seconds


def scan(repo: Path, command: str) -> tuple[int, float]:
    """The baseline: every prefix one by one until every test failing on the tip failed."""
    from gitorch.integrate.testruns import TestRunner
    from gitorch.repo import open_repo

    proc = subprocess.run([shutil.which("gitorch") or "gitorch", "integrate", "--dry-run",
                           "--json", "--format", "json", "--report",
                           str(repo.parent / "report-scan.md")],
                          cwd=repo, capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout)
    git_repo = open_repo(repo)
    chain = [t["merge_commit"] for t in report["teams"] if t["merge_commit"]]
    runner = TestRunner(git_repo, command, retries=0, junit_file="junit.xml")
    start = time.monotonic()
    tip = runner.verdicts([(chain[-1], (), "tip")])[0]
    wanted, runs = set(tip.failed), 1
    for commit in chain:
        if not wanted:
            break
        verdict = runner.verdicts([(commit, (), "scan")])[0]
        runs += 1
        wanted -= set(verdict.failed)
    return runs, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", default="8,32,64")
    parser.add_argument("--test-seconds", type=float, default=0.3)
    parser.add_argument("--keep", metavar="DIR", help="keep the generated projects here")
    parser.add_argument("--scenario", metavar="TEXT", default="",
                        help="only the scenarios whose name contains TEXT")
    parser.add_argument("--no-scan", action="store_true", help="skip the linear scan")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="bench-keep-green-"))
    os.environ["BENCH_TEST_SECONDS"] = str(args.test_seconds)
    command = f"{sys.executable} check.py"
    print(f"test run: check.py + {args.test_seconds:g} s wait; {os.cpu_count()} cores "
          f"(shared); retries 1\n")
    print("| teams | scenario | culprits found | runs j1 | search runs j1 | added s j1 | "
          "added s j2 | j2/j1 | scan runs | scan s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.teams.split(",")):
        for name, work in scenarios(n).items():
            if args.scenario not in name:
                continue
            where = root / f"{n}-{name.replace(' ', '_').replace(',', '')}"
            repo = make_project(where, n, work)
            os.environ["FLAKY_COUNTER"] = str(where / "flaky-counter")
            _, plain = keep_green(repo, command, None)
            one, t1 = keep_green(repo, command, 1)
            two, t2 = keep_green(repo, command, 2)
            t1, t2 = t1 - plain, t2 - plain   # what --keep-green adds to a plain run
            scan_runs, scan_s = (0, 0.0) if args.no_scan else scan(repo, command)
            runs = one["test_runs"]
            found = ", ".join(f"{c['team']}:{c['kind']}" + (f"+{c['with'][0]}" if c["with"] else "")
                              for c in one["culprits"])
            assert sorted(c["team"] for c in one["culprits"]) == \
                sorted(c["team"] for c in two["culprits"]), (one["culprits"], two["culprits"])
            print(f"| {n} | {name} | {found} | {len(runs)} | "
                  f"{sum(1 for r in runs if r['purpose'] == 'search')} | {t1:.1f} | {t2:.1f} | "
                  f"{t2 / t1:.2f} | {scan_runs} | {scan_s:.1f} |", flush=True)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
