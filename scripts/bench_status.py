"""Benchmark: `gitorch status` computation for 50 teams on a synthetic repository.

    python scripts/bench_status.py [--teams 50] [--commits 20]

Builds the repository once with `git fast-import` (a base commit, then per team a
branch of COMMITS commits in its own scope, one stray commit, a signal), then times:
the first (cold) computation, a monitor refresh where nothing moved (warm cache), and a
refresh after one team pushed. The budget for a monitor refresh is one second; the
script exits 1 when a refresh exceeds it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bytecode import ensure_bytecode

from gitorch import repo as git
from gitorch.manifest.loading import load_manifest
from gitorch.status import StatusCache, compute_status

BUDGET = 1.0


def build(root: Path, teams: int, commits: int) -> None:
    names = [f"t{i:02d}" for i in range(teams)]
    manifest = "version: 1\nproject: bench\nshared: [README.md]\nteams:\n" + "".join(
        f"  {n}:\n    owns: [\"src/{n}/**\"]\n    target_loc: [2000, 3000]\n"
        + (f"    depends_on: [{names[i - 1]}]\n" if i % 5 else "")
        for i, n in enumerate(names))
    out: list[bytes] = []
    mark = 0

    def blob(text: str) -> int:
        nonlocal mark
        mark += 1
        data = text.encode()
        out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
        return mark

    def commit(branch: str, message: str, files: dict[str, int], parent: int | None,
               when: int) -> int:
        nonlocal mark
        mark += 1
        msg = message.encode()
        lines = [b"commit refs/heads/%s\nmark :%d\n" % (branch.encode(), mark),
                 b"committer Bench <b@x> %d +0000\ndata %d\n%s\n" % (when, len(msg), msg)]
        if parent is not None:
            lines.append(b"from :%d\n" % parent)
        for path, ref in files.items():
            lines.append(b"M 100644 :%d %s\n" % (ref, path.encode()))
        out.append(b"".join(lines))
        return mark

    base_files = {"gitorch.yaml": blob(manifest), "README.md": blob("bench\n")}
    for n in names:
        base_files[f"src/{n}/__init__.py"] = blob("")
    base = commit("main", "base", base_files, None, 1_700_000_000)
    when = 1_700_000_100
    for index, n in enumerate(names):
        parent = base
        for c in range(commits):
            body = "".join(f"value_{c}_{k} = {k}\n" for k in range(50))
            parent = commit(f"team/{n}", f"{n} work {c}", {f"src/{n}/m{c}.py": blob(body)},
                            parent, when)
            when += 1
        if index % 3 == 0:
            stray = f"src/{names[(index + 1) % teams]}/stray.py"
            parent = commit(f"team/{n}", f"{n} stray", {stray: blob("x = 1\n")}, parent, when)
        if index % 4 == 0:
            msg = f"gitorch signal: ready\n\nGitorch-Team: {n}\nGitorch-State: ready\n"
            # an empty commit: fast-import keeps the parent's tree when no file command follows
            parent = commit(f"team/{n}", msg, {}, parent, when)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(out), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)


def timed(func: object) -> float:
    assert callable(func)
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ensure_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        started = time.perf_counter()
        build(root, args.teams, args.commits)
        built = time.perf_counter() - started
        repository = git.open_repo(root)
        manifest = load_manifest(root / "gitorch.yaml")

        report = compute_status(repository, manifest)
        states = sorted({t.state for t in report.teams})
        cold = min(timed(lambda: compute_status(repository, manifest)) for _ in range(args.rounds))
        cache = StatusCache()
        compute_status(repository, manifest, cache=cache)
        warm = min(timed(lambda: compute_status(repository, manifest, cache=cache))
                   for _ in range(args.rounds))
        moved = []
        for r in range(args.rounds):
            new = subprocess.run(
                ["git", "commit-tree", "team/t01^{tree}", "-p", "team/t01", "-m", f"push {r}"],
                cwd=root, check=True, capture_output=True, text=True,
                env={"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
                     "GIT_COMMITTER_EMAIL": "b@x", "PATH": "/usr/bin:/bin", "HOME": tmp},
            ).stdout.strip()
            subprocess.run(["git", "update-ref", "refs/heads/team/t01", new], cwd=root, check=True)
            moved.append(timed(lambda: compute_status(repository, manifest, cache=cache)))
        one_moved = min(moved)
        process = min(timed(lambda: subprocess.run(
            [sys.executable, "-m", "gitorch", "status", "--json"], cwd=root, check=True,
            capture_output=True)) for _ in range(3))

    commits_total = args.teams * args.commits
    print(f"status for {args.teams} teams, {commits_total} commits "
          f"(repository built in {built:.2f} s); states seen: {', '.join(states)}")
    print(f"{'case':<34}{'seconds':>10}{'budget':>10}{'ratio':>10}")
    worst = 0.0
    for name, seconds in (("cold (every branch read)", cold),
                          ("monitor refresh, nothing moved", warm),
                          ("monitor refresh, one team moved", one_moved),
                          ("'gitorch status --json' process", process)):
        worst = max(worst, seconds)
        print(f"{name:<34}{seconds:>10.4f}{BUDGET:>10.2f}{seconds / BUDGET:>10.3f}")
    return 0 if worst < BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
