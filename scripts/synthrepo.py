"""A synthetic many-team repository, written in one ``git fast-import`` run.

``build(path, teams=30, files_per_team=20, lines_per_file=200, shared_files=10)`` makes
a repository with a base branch ``main`` (a manifest, each team's own files under
``src/tNN/`` and shared files under ``shared/``) and one branch ``team/tNN`` per team
with two commits: edits of its own files plus a new file, then edits of two shared
files (``shared_edits``) at random places, so that some pairs of teams really overlap. Teams t00 and
t01 always overlap (both rewrite the first lines of ``shared/s00.py``); every tenth
team, from t05 on, also edits a file of the next team (a scope violation). All lines
are distinct, so that every diff algorithm aligns them alike.

Run as a script: ``python scripts/synthrepo.py DIR --teams 30``; it prints the
manifest path.
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

STAMP = "1700000000 +0000"


class _Stream:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.marks = 0

    def data(self, body: bytes) -> None:
        self.parts.append(b"data %d\n" % len(body) + body + b"\n")

    def commit(self, ref: str, message: str, files: dict[str, str | bytes | None],
               parent: int | None = None) -> int:
        self.marks += 1
        self.parts.append(f"commit {ref}\nmark :{self.marks}\n"
                          f"author Synth <synth@example.com> {STAMP}\n"
                          f"committer Synth <synth@example.com> {STAMP}\n".encode())
        self.data(message.encode())
        if parent is not None:
            self.parts.append(f"from :{parent}\n".encode())
        for path, body in sorted(files.items()):
            if body is None:
                self.parts.append(f"D {path}\n".encode())
            else:
                self.parts.append(f"M 100644 inline {path}\n".encode())
                self.data(body.encode() if isinstance(body, str) else body)
        return self.marks


def _file(tag: str, n: int) -> list[str]:
    return [f"{tag}_{k} = {k}  # {tag} line {k}\n" for k in range(1, n + 1)]


def _edit(lines: list[str], rnd: random.Random, who: str, at: int | None = None) -> list[str]:
    """Replace (or, one time in four, insert) a block of 1-5 distinct lines."""
    out = list(lines)
    size = rnd.randint(1, 5)
    pos = rnd.randrange(max(len(out) - size, 1)) if at is None else at
    new = [f"{who}_edit_{pos}_{i} = '{who}'\n" for i in range(size)]
    if rnd.random() < 0.25:
        out[pos:pos] = new
    else:
        out[pos:pos + size] = new
    return out


def manifest_text(teams: int) -> str:
    lines = ["version: 1", "project: synthetic", "base: main",
             'shared: [README.md, "shared/**"]', "teams:"]
    for i in range(teams):
        lines += [f"  t{i:02d}:", f'    owns: ["src/t{i:02d}/**"]', f"    priority: {100 - i}"]
    return "\n".join(lines) + "\n"


def build(path: Path, *, teams: int, files_per_team: int, lines_per_file: int,
          shared_files: int, seed: int = 0, shared_edits: int = 2) -> Path:
    """Create the repository at ``path`` (a new directory) and return its manifest's path.

    Each team edits ``shared_edits`` of the shared files (at one random place each).
    """
    rnd = random.Random(seed)
    path.mkdir(parents=True, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    names = [f"t{i:02d}" for i in range(teams)]
    own = {t: {f"src/{t}/mod_{j:02d}.py": _file(f"{t}_m{j:02d}", lines_per_file)
               for j in range(files_per_team)} for t in names}
    shared = {f"shared/s{k:02d}.py": _file(f"s{k:02d}", lines_per_file)
              for k in range(max(shared_files, 1))}
    base: dict[str, str | None] = {"gitorch.yaml": manifest_text(teams),
                                   "README.md": "# synthetic\n"}
    for files in [*own.values(), shared]:
        base.update({p: "".join(body) for p, body in files.items()})
    stream = _Stream()
    root = stream.commit("refs/heads/main", "base", base)
    shared_paths = sorted(shared)
    for i, team in enumerate(names):
        ref = f"refs/heads/team/{team}"
        mine = sorted(own[team])
        first: dict[str, str | None] = {
            p: "".join(_edit(own[team][p], rnd, team)) for p in rnd.sample(mine, len(mine) // 2)}
        first[f"src/{team}/new.py"] = "".join(_file(f"{team}_new", lines_per_file // 4 + 1))
        if i % 10 == 5 and i + 1 < teams:
            other = f"src/{names[i + 1]}/mod_00.py"
            first[other] = "".join(_edit(own[names[i + 1]][other], rnd, team))
        stream.commit(ref, f"{team}: own files", first, parent=root)
        second: dict[str, str | None] = {}
        for p in rnd.sample(shared_paths, min(shared_edits, len(shared_paths))):
            second[p] = "".join(_edit(shared[p], rnd, team))
        if i < 2:
            second[shared_paths[0]] = "".join(_edit(shared[shared_paths[0]], rnd, team, at=0))
        stream.commit(ref, f"{team}: shared files", second)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"],
                   input=b"".join(stream.parts), check=True)
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True)
    return path / "gitorch.yaml"


def build_heavy(path: Path, *, teams: int = 30, shared_files: int = 20, lines_per_file: int = 300,
                windows: int = 30, own_files: int = 5, seed: int = 0) -> Path:
    """A heavily conflicting repository: every team replaces ``windows`` random windows of
    1-6 lines in the ``shared_files`` shared files (so teams collide hunk by hunk, many
    times per file) and edits ``own_files`` files of its own. Returns the manifest's path.
    """
    rnd = random.Random(seed)
    path.mkdir(parents=True, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    names = [f"t{i:02d}" for i in range(teams)]
    own = {t: {f"src/{t}/mod_{j:02d}.py": _file(f"{t}_m{j:02d}", 60)
               for j in range(own_files)} for t in names}
    shared = {f"shared/s{k:02d}.py": _file(f"s{k:02d}", lines_per_file)
              for k in range(shared_files)}
    base: dict[str, str | None] = {"gitorch.yaml": manifest_text(teams),
                                   "README.md": "# synthetic (heavy)\n"}
    for files in [*own.values(), shared]:
        base.update({p: "".join(body) for p, body in files.items()})
    stream = _Stream()
    root = stream.commit("refs/heads/main", "base", base)
    shared_paths = sorted(shared)
    for team in names:
        files: dict[str, list[str]] = {}
        for w in range(windows):
            p = rnd.choice(shared_paths)
            body = files.setdefault(p, list(shared[p]))
            size = rnd.randint(1, 6)
            pos = rnd.randrange(len(body) - size)
            body[pos:pos + size] = [f"{team}_w{w}_{i} = '{team}'\n" for i in range(size)]
        change: dict[str, str | None] = {p: "".join(b) for p, b in files.items()}
        for p, body in own[team].items():
            change[p] = "".join(_edit(body, rnd, team))
        stream.commit(f"refs/heads/team/{team}", f"{team}: windows", change, parent=root)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"],
                   input=b"".join(stream.parts), check=True)
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True)
    return path / "gitorch.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--files-per-team", type=int, default=20)
    parser.add_argument("--lines-per-file", type=int, default=200)
    parser.add_argument("--shared-files", type=int, default=10)
    parser.add_argument("--shared-edits", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(build(args.path, teams=args.teams, files_per_team=args.files_per_team,
                lines_per_file=args.lines_per_file, shared_files=args.shared_files,
                seed=args.seed, shared_edits=args.shared_edits))


if __name__ == "__main__":
    main()
