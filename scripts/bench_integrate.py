"""Benchmark: ``gitorch integrate`` against sequential ``git merge --no-ff`` of the same branches.

Builds synthetic repositories with ``git fast-import`` (the ten-team playbook's scale: 10 teams, about
500 files and 80,000 lines; then 50 teams to show growth), and in the same run times

* gitorch: ``python -m gitorch integrate --fix`` as a whole process (start-up included),
  and the engine alone (``gitorch.integrate.integrate`` in this process);
* git: ``git worktree add`` of the base in a fresh directory, then ``git merge --no-ff
  -X ours`` of every team branch, one after the other, in gitorch's merge order.

The repositories come from ``scripts/synthrepo.py``: some teams overlap and some change
another team's file. Merged in priority order, ``-X ours`` keeps the chain's side of a
conflicting hunk as ``--fix`` does; the two trees must then differ only in the paths
that ``--fix`` dropped as out of scope (checked). Run: ``python scripts/bench_integrate.py``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bytecode import ensure_bytecode  # noqa: E402  (scripts/bytecode.py)
from synthrepo import build, build_heavy  # noqa: E402  (scripts/synthrepo.py)

# --------------------------------------------------------------------------- timing


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    return env


class Clock:
    """Wall time and the CPU time (user + system) of the child processes run meanwhile.

    CPU time of children is what a noisy, shared machine disturbs least.
    """

    def __enter__(self) -> Clock:
        self.wall = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = usage.ru_utime + usage.ru_stime
        return self

    def __exit__(self, *exc: object) -> None:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = usage.ru_utime + usage.ru_stime - self.cpu
        self.wall = time.perf_counter() - self.wall


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True, env=_env()).stdout


def _reset(repo: Path) -> None:
    """Forget the previous run's integration branch and saved refs."""
    refs = _git(repo, "for-each-ref", "--format=%(refname)", "refs/gitorch",
                "refs/heads/integration").split()
    if refs:
        subprocess.run(["git", "-C", str(repo), "update-ref", "--stdin"], check=True, text=True,
                       input="".join(f"delete {r}\n" for r in refs))


def time_gitorch(repo: Path, report: Path, code: Path | None = None
                 ) -> tuple[Clock, dict[str, object]]:
    """One ``gitorch integrate --fix`` process; ``code``: a checkout of another gitorch
    version to run instead of this one (``--against``)."""
    _reset(repo)
    env = _env()
    if code is not None:
        env["PYTHONPATH"] = str(code)
    with Clock() as clock:
        proc = subprocess.run([sys.executable, "-m", "gitorch", "integrate", "--fix", "--json",
                               "--format", "json", "--report", str(report)], cwd=repo,
                              env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"gitorch integrate failed ({proc.returncode}): {proc.stderr}")
    return clock, json.loads(proc.stdout)


def time_engine(repo: Path) -> float:
    from gitorch.integrate.engine import integrate
    from gitorch.manifest.loading import load_manifest
    from gitorch.repo import open_repo

    _reset(repo)
    start = time.perf_counter()
    integrate(open_repo(repo), load_manifest(repo / "gitorch.yaml"), fix=True)
    return time.perf_counter() - start


def time_git(repo: Path, order: list[str], where: Path) -> tuple[Clock, str]:
    env = _env()
    with Clock() as clock:
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(where),
                        "main"], check=True, env=env)
        for team in order:
            done = subprocess.run(["git", "-C", str(where), "merge", "-q", "--no-ff", "-X",
                                   "ours", "-m", f"Merge team/{team}", f"team/{team}"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if done.returncode != 0:
                _settle_whole_files(where, env)   # what -X ours leaves: keep the chain's side
    tree = _git(where, "rev-parse", "HEAD^{tree}").strip()
    _git(repo, "worktree", "remove", "--force", str(where))
    return clock, tree


def time_floor(repo: Path, base: str, branches: list[str], hunks: bool) -> Clock:
    """``scripts/mergefloor.py``: the same merges with nothing but libgit2 in a process."""
    with Clock() as clock:
        subprocess.run([sys.executable, str(Path(__file__).with_name("mergefloor.py")),
                        str(repo), base, *branches, *(["--hunks"] if hunks else [])],
                       check=True, env=_env(), stdout=subprocess.DEVNULL)
    return clock


def _settle_whole_files(where: Path, env: dict[str, str]) -> None:
    """Finish a merge that -X ours could not: whole-file conflicts (modify/delete, rename)
    keep the chain's side, as --fix keeps the higher-priority (earlier) team's."""
    out = subprocess.run(["git", "-C", str(where), "ls-files", "-u", "-z"], capture_output=True,
                         check=True, env=env).stdout.decode()
    stages: dict[str, set[str]] = {}
    for record in filter(None, out.split("\0")):
        info, path = record.split("\t", 1)
        stages.setdefault(path, set()).add(info.split()[2])
    for path, have in stages.items():
        if "2" in have:
            subprocess.run(["git", "-C", str(where), "checkout", "--ours", "--", path],
                           check=True, env=env)
            subprocess.run(["git", "-C", str(where), "add", "--", path], check=True, env=env)
        else:
            subprocess.run(["git", "-C", str(where), "rm", "-q", "--cached", "--", path],
                           check=True, env=env)
    subprocess.run(["git", "-C", str(where), "commit", "-q", "--no-edit"], check=True, env=env,
                   stdout=subprocess.DEVNULL)



def _size(repo: Path, rev: str) -> tuple[int, int]:
    """Files and lines in a commit's tree."""
    blobs = [line.split()[2] for line in _git(repo, "ls-tree", "-r", rev).splitlines()]
    data = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"],
                          input="\n".join(blobs) + "\n", capture_output=True, text=True,
                          check=True).stdout
    return len(blobs), data.count("\n") - 2 * len(blobs)


def _set_engine(repo: Path, engine: str) -> None:
    """Commit ``merge: {engine: ENGINE}`` into the base branch's manifest."""
    if engine == "libgit2":
        return
    with (repo / "gitorch.yaml").open("a") as handle:
        handle.write(f"merge:\n  engine: {engine}\n")
    _git(repo, "commit", "-q", "-am", f"merge engine {engine}")


def _outcome(repo: Path, report: Path) -> tuple[str, ...]:
    """What a run made, to compare two gitorch versions: the integration tree, the tree of
    every dropped-changes commit, and every saved patch."""
    trees = _git(repo, "for-each-ref", "--format=%(refname:lstrip=-1) %(objectname)",
                 "refs/gitorch/dropped").split("\n")
    dropped = sorted(f"{line.split()[0]} {_git(repo, 'rev-parse', line.split()[1] + '^{tree}')}"
                     for line in trees if line)
    patches = sorted((report.parent / "dropped").glob("*.patch"))
    return (_git(repo, "rev-parse", "integration^{tree}"), *dropped,
            *(f"{p.name} {p.read_bytes().hex()}" for p in patches))


def measure(build: Callable[[Path], Path], rounds: int, engine: str = "libgit2",
            exact: bool = True, against: Path | None = None,
            floor: bool = False) -> dict[str, float]:
    """Time both on the repository ``build`` makes. ``exact``: the two trees must be equal
    but for the paths --fix dropped as out of scope (else the differing paths are counted).
    ``against``: another gitorch checkout timed in the same rounds, whose integration tree,
    dropped commits and patches must be this one's, byte for byte."""
    from gitorch.manifest.loading import load_manifest

    with tempfile.TemporaryDirectory(prefix="bench-integrate-") as tmp:
        repo = Path(tmp) / "repo"
        manifest = build(repo)
        _set_engine(repo, engine)
        loaded = load_manifest(Path(manifest))
        order = list(loaded.merge_order())
        floors: dict[str, list[Clock]] = {"floor": [], "floor_hunks": []}
        ours: list[Clock] = []
        theirs: list[Clock] = []
        before: list[Clock] = []
        engine_times: list[float] = []
        tree, report = "", {}
        for i in range(rounds):
            if against is not None:
                old = Path(tmp) / "before" / "report.md"
                clock, _ = time_gitorch(repo, old, against)
                before.append(clock)
                made = _outcome(repo, old)
            clock, report = time_gitorch(repo, Path(tmp) / "report.md")
            ours.append(clock)
            if against is not None and _outcome(repo, Path(tmp) / "report.md") != made:
                raise SystemExit(f"gitorch and {against} made different trees or patches")
            engine_times.append(time_engine(repo))
            clock, tree = time_git(repo, order, Path(tmp) / f"wt{i}")
            theirs.append(clock)
            if floor:
                branches = [loaded.branch(t) for t in order]
                for key, hunks in (("floor", False), ("floor_hunks", True)):
                    floors[key].append(time_floor(repo, loaded.base, branches, hunks))
        ours_tree = _git(repo, "rev-parse", "integration^{tree}").strip()
        differ = set(_git(repo, "diff", "--name-only", ours_tree, tree).split())
        dropped = {d["path"] for d in report["dropped"]  # type: ignore[attr-defined]
                   if d["reason"].startswith("outside scope")}
        if exact and not differ <= dropped:
            raise SystemExit(f"trees differ beyond the dropped paths: {sorted(differ - dropped)}")
        files, lines = _size(repo, "integration")
        if against is not None:
            extra = {"before": statistics.median(c.wall for c in before),
                     "before_cpu": statistics.median(c.cpu for c in before)}
        else:
            extra = {}
        for key, clocks in floors.items():
            if clocks:
                extra[key] = statistics.median(c.wall for c in clocks)
                extra[f"{key}_cpu"] = statistics.median(c.cpu for c in clocks)
        return {**extra, "teams": len(order), "files": files, "lines": lines,
                "conflicts": len(report["conflicts"]),  # type: ignore[arg-type]
                "dropped": len(dropped), "differ": len(differ - dropped),
                "gitorch": statistics.median(c.wall for c in ours),
                "gitorch_cpu": statistics.median(c.cpu for c in ours),
                "engine": statistics.median(engine_times),
                "git": statistics.median(c.wall for c in theirs),
                "git_cpu": statistics.median(c.cpu for c in theirs)}


def workloads(args: argparse.Namespace) -> list[tuple[str, Callable[[Path], Path], bool]]:
    """(name, builder, exact) for each workload asked for."""
    out: list[tuple[str, Callable[[Path], Path], bool]] = []
    chosen = set(args.workload)
    if "light" in chosen:
        out.append(("light", lambda p: build(p, teams=10, files_per_team=50, lines_per_file=160,
                                             shared_files=10, seed=0), True))
        if not args.quick:
            out.append(("light", lambda p: build(p, teams=50, files_per_team=10,
                                                 lines_per_file=160, shared_files=10,
                                                 seed=0), True))
    if "heavy" in chosen:
        for teams in ([30] if args.quick else [30, 60]):
            out.append(("heavy", lambda p, n=teams: build_heavy(p, teams=n), True))
    if "growth" in chosen:
        for windows in (1, 3, 10, 30, 60):
            out.append((f"heavy w={windows}",
                        lambda p, w=windows: build_heavy(p, teams=30, windows=w), True))
    if "real" in chosen:
        from realcode import build_real, cache_dir, real_releases

        releases = real_releases(args.package, args.releases, cache_dir(args.cache))
        out.append((f"real {args.package}",
                    lambda p: build_real(p, releases, args.split), False))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one size per workload")
    parser.add_argument("--workload", action="append",
                        choices=["light", "heavy", "growth", "real"],
                        help="repeatable; default: light and heavy (real needs --cache)")
    parser.add_argument("--engine", choices=["libgit2", "git"], default="libgit2")
    parser.add_argument("--package", default="requests", help="real: the package")
    parser.add_argument("--releases", type=int, default=11, help="real: successive releases")
    parser.add_argument("--split", type=int, default=3, help="real: teams per release")
    parser.add_argument("--cache", help="real: where the sdists are kept "
                                        "(default $GITORCH_BENCH_CACHE)")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="a checkout of another gitorch version (e.g. a git worktree of "
                             "main): timed in the same rounds; its trees and patches must "
                             "be identical")
    parser.add_argument("--floor", action="store_true",
                        help="also time scripts/mergefloor.py: the same merges with nothing "
                             "but libgit2 (favor ours), and with each conflict's hunks cut")
    args = parser.parse_args()
    args.workload = args.workload or ["light", "heavy"]
    ensure_bytecode()
    if args.against is not None:   # its bytecode too, or every timed process compiles it
        compileall.compile_dir(str(args.against / "gitorch"), quiet=1)
    print(f"engine {args.engine}; wall: elapsed time; cpu: user+system time of the processes; "
          "ratio: gitorch / git; differ: paths whose merged content differs from git's")
    print(f"{'workload':>16} {'teams':>5} {'files':>5} {'lines':>6} {'confl':>5} {'differ':>6} | "
          f"{'gitorch wall':>12} {'cpu':>6} {'engine':>6} | {'git wall':>8} {'cpu':>6} | "
          f"{'ratio wall':>10} {'cpu':>5} {'engine':>6}")
    for name, builder, exact in workloads(args):
        r = measure(builder, args.rounds, args.engine, exact, args.against, args.floor)
        print(f"{name:>16} {r['teams']:>5} {r['files']:>5} {r['lines']:>6} {r['conflicts']:>5} "
              f"{r['differ']:>6} | {r['gitorch']:>11.3f}s {r['gitorch_cpu']:>5.3f}s "
              f"{r['engine']:>5.3f}s | {r['git']:>7.3f}s {r['git_cpu']:>5.3f}s | "
              f"{r['gitorch'] / r['git']:>10.2f} {r['gitorch_cpu'] / r['git_cpu']:>5.2f} "
              f"{r['engine'] / r['git']:>6.2f} | load {os.getloadavg()[0]:.1f}", flush=True)
        if args.floor:
            print(f"{'':>16} floor (libgit2 merges, favor ours): wall {r['floor']:.3f}s cpu "
                  f"{r['floor_cpu']:.3f}s, ratio to git {r['floor'] / r['git']:.2f} / "
                  f"{r['floor_cpu'] / r['git_cpu']:.2f}; with the hunks cut: wall "
                  f"{r['floor_hunks']:.3f}s cpu {r['floor_hunks_cpu']:.3f}s, ratio "
                  f"{r['floor_hunks'] / r['git']:.2f} / {r['floor_hunks_cpu'] / r['git_cpu']:.2f}",
                  flush=True)
        if args.against is not None:
            print(f"{'':>16} before ({args.against}): wall {r['before']:.3f}s cpu "
                  f"{r['before_cpu']:.3f}s; ratio to git: wall {r['before'] / r['git']:.2f} "
                  f"cpu {r['before_cpu'] / r['git_cpu']:.2f}; same trees and patches",
                  flush=True)


if __name__ == "__main__":
    main()
