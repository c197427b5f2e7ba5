"""Benchmark: ``gitorch integrate`` against sequential ``git merge --no-ff`` of the same branches.

Builds synthetic repositories with ``git fast-import`` (the seed's scale: 10 teams, about
500 files and 80,000 lines; then 50 teams to show growth), and in the same run times

* gitorch: ``python -m gitorch integrate`` as a whole process (start-up included), and
  the engine alone (``gitorch.integrate.integrate`` in this process);
* git: ``git worktree add`` of the base in a fresh directory, then ``git merge --no-ff``
  of every team branch, one after the other, in gitorch's merge order.

Both produce the same trees (checked). Run: ``python scripts/bench_integrate.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:  # the shared generator (scripts/synthrepo.py) where it exists
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthrepo import build  # type: ignore[import-not-found]
except ImportError:
    build = None


# --------------------------------------------------------------------------- generator


def _lines(rng: random.Random, n: int, tag: str) -> list[str]:
    return [f"value_{tag}_{i} = {rng.randrange(10**6)}  # {tag} line {i}" for i in range(n)]


def _body(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def build_local(path: Path, *, teams: int, files_per_team: int, lines_per_file: int,
                shared_files: int, commits_per_team: int = 4, seed: int = 0) -> Path:
    """A repository where every team builds its layer on a small base, via git fast-import.

    The base holds the manifest, the shared files and two files per team; each team's
    branch then adds the rest of its ``files_per_team`` files over ``commits_per_team``
    commits, edits its two base files and one line of each shared file, in a region of
    its own, so that every merge is clean for git and gitorch alike. Integrated, the
    tree holds about ``teams * files_per_team`` files of ``lines_per_file`` lines (the
    seed: ten teams of about 8,000 lines). Returns the manifest path.
    """
    rng = random.Random(seed)
    names = [f"t{i:02d}" for i in range(teams)]
    shared_lines = max(lines_per_file, teams * 8 + 8)
    manifest = ["version: 1", "project: bench", 'shared: ["docs/**"]', "teams:"]
    for i, name in enumerate(names):
        manifest += [f"  {name}:", f'    owns: ["src/{name}/**"]', f"    priority: {100 - i % 7}"]
        if i % 3 == 2:
            manifest.append(f"    depends_on: [{names[i - 1]}]")
    base_files: dict[str, list[str]] = {"gitorch.yaml": manifest}
    for name in names:
        for j in range(2):
            base_files[f"src/{name}/mod_{j:03d}.py"] = _lines(rng, lines_per_file, f"{name}_{j}")
    for k in range(shared_files):
        base_files[f"docs/shared_{k}.md"] = _lines(rng, shared_lines, f"shared{k}")

    out: list[bytes] = []
    mark = 0

    def commit(branch: str, message: str, changes: dict[str, list[str]], parent: str | None) -> str:
        nonlocal mark
        mark += 1
        msg = message.encode()
        out.append(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
        out.append(b"author Bench <bench@example.com> 1700000000 +0000\n")
        out.append(b"committer Bench <bench@example.com> 1700000000 +0000\n")
        out.append(f"data {len(msg)}\n".encode() + msg + b"\n")
        if parent:
            out.append(f"from {parent}\n".encode())
        for name, lines in changes.items():
            data = _body(lines)
            out.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
        return f":{mark}"

    base = commit("main", "base", base_files, None)
    for i, name in enumerate(names):
        new = [f"src/{name}/mod_{j:03d}.py" for j in range(2, files_per_team)]
        parent = base
        for c in range(commits_per_team):
            changes = {p: _lines(rng, lines_per_file, p) for p in new[c::commits_per_team]}
            if c == 0:
                for k in range(shared_files):
                    lines = list(base_files[f"docs/shared_{k}.md"])
                    lines[i * 8 + 4] = f"shared line of {name}"
                    changes[f"docs/shared_{k}.md"] = lines
                for j in range(2):
                    lines = list(base_files[f"src/{name}/mod_{j:03d}.py"])
                    lines[rng.randrange(len(lines))] = f"changed_by_{name} = True"
                    changes[f"src/{name}/mod_{j:03d}.py"] = lines
            parent = commit(f"team/{name}", f"{name} work {c + 1}", changes, parent)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(out),
                   check=True)
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)
    return path / "gitorch.yaml"


# --------------------------------------------------------------------------- timing


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    return env


def time_gitorch(repo: Path, report: Path) -> float:
    subprocess.run(["git", "-C", str(repo), "update-ref", "-d", "refs/heads/integration"],
                   check=False)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gitorch", "integrate", "--format", "json",
                           "--report", str(report)], cwd=repo, env=_env(),
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"gitorch integrate failed: {proc.stderr}")
    return elapsed


def time_engine(repo: Path) -> float:
    from gitorch.integrate import integrate
    from gitorch.manifest import load_manifest
    from gitorch.repo import open_repo

    subprocess.run(["git", "-C", str(repo), "update-ref", "-d", "refs/heads/integration"],
                   check=False)
    start = time.perf_counter()
    r = open_repo(repo)
    integrate(r, load_manifest(repo / "gitorch.yaml"))
    return time.perf_counter() - start


def time_git(repo: Path, order: list[str], where: Path) -> tuple[float, str]:
    env = _env()
    start = time.perf_counter()
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(where),
                    "main"], check=True, env=env)
    for team in order:
        subprocess.run(["git", "-C", str(where), "merge", "-q", "--no-ff", "-m",
                        f"Merge team/{team}", f"team/{team}"], check=True, env=env)
    elapsed = time.perf_counter() - start
    tree = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD^{tree}"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(where)],
                   check=True)
    return elapsed, tree


def measure(teams: int, files_per_team: int, lines_per_file: int, rounds: int) -> dict[str, float]:
    from gitorch.manifest import load_manifest

    with tempfile.TemporaryDirectory(prefix="bench-integrate-") as tmp:
        repo = Path(tmp) / "repo"
        maker = build or build_local
        manifest = maker(repo, teams=teams, files_per_team=files_per_team,
                         lines_per_file=lines_per_file, shared_files=3, seed=0)
        order = list(load_manifest(Path(manifest)).merge_order())
        ours, engine, theirs = [], [], []
        tree = ""
        for i in range(rounds):
            ours.append(time_gitorch(repo, Path(tmp) / "report.md"))
            engine.append(time_engine(repo))
            elapsed, tree = time_git(repo, order, Path(tmp) / f"wt{i}")
            theirs.append(elapsed)
        ours_tree = subprocess.run(["git", "-C", str(repo), "rev-parse", "integration^{tree}"],
                                   capture_output=True, text=True, check=True).stdout.strip()
        if ours_tree != tree:
            raise SystemExit(f"trees differ: gitorch {ours_tree}, git {tree}")
        files, lines = _size(repo, "integration")
        return {"teams": teams, "files": files, "lines": lines, "gitorch": statistics.median(ours),
                "engine": statistics.median(engine), "git": statistics.median(theirs)}


def _size(repo: Path, rev: str) -> tuple[int, int]:
    """Files and lines in a commit's tree."""
    listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", rev], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    blobs = [line.split()[2] for line in listing]
    data = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"],
                          input="\n".join(blobs) + "\n", capture_output=True, text=True,
                          check=True).stdout
    return len(blobs), data.count("\n") - 2 * len(blobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="only the 10-team run")
    args = parser.parse_args()
    runs = [(10, 50, 160)] + ([] if args.quick else [(50, 10, 160)])
    print(f"generator: {'scripts/synthrepo.py' if build else 'bench_integrate.build_local'}")
    print(f"{'teams':>5} {'files':>6} {'lines':>7} {'gitorch (process)':>18} {'engine':>8} "
          f"{'git merge --no-ff':>18} {'ratio':>6}")
    for teams, fpt, lpf in runs:
        r = measure(teams, fpt, lpf, args.rounds)
        print(f"{r['teams']:>5} {r['files']:>6} {r['lines']:>7} {r['gitorch']:>17.3f}s {r['engine']:>7.3f}s "
              f"{r['git']:>17.3f}s {r['gitorch'] / r['git']:>6.2f}")


if __name__ == "__main__":
    main()
