"""Benchmark: `gitorch owner` (whole process, paths on stdin) vs the obvious pathspec loop.

100,000 paths against 50 teams of 3 patterns each (plus shared paths). The loop is what
one writes first: one pathspec.GitIgnoreSpec per team, first match wins, in-process (so
it pays no start-up at all). Both must give identical answers; the table shows the ratio.

    python scripts/bench_owner.py [--paths N] [--teams N] [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pathspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bytecode import ensure_bytecode

SHARED = ["README.md", "pyproject.toml", "*.cfg"]


def manifest(teams: int) -> tuple[str, list[tuple[str, list[str]]]]:
    scopes: list[tuple[str, list[str]]] = []
    lines = ["version: 1", "project: bench", f"shared: {SHARED}", "teams:"]
    for i in range(teams):
        owns = [f"src/mod{i:02d}/**", f"tests/mod{i:02d}/", f"docs/mod{i:02d}/*.md"]
        if i % 10 == 0:     # some variety: a negation and a nested wildcard
            owns[2] = f"!src/mod{i:02d}/vendor/**"
        elif i % 10 == 5:
            owns[2] = f"web/mod{i:02d}/**/*.ts"
        scopes.append((f"team{i:02d}", owns))
        lines += [f"  team{i:02d}:", f"    owns: {owns}"]
    return "\n".join(lines) + "\n", scopes


def paths(count: int, teams: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        mod = f"mod{rnd.randrange(teams + 5):02d}"          # a few modules nobody owns
        top = rnd.choice(["src", "src", "src", "tests", "docs", "web", "vendor"])
        depth = rnd.randrange(0, 3)
        dirs = "/".join(f"d{rnd.randrange(6)}" for _ in range(depth))
        name = rnd.choice(["a.py", "b.py", "c.md", "x.ts", "setup.cfg", "README.md"])
        out.append("/".join(p for p in (top, mod, dirs, name) if p))
    return out


def loop(scopes: list[tuple[str, list[str]]], items: list[str]) -> list[str]:
    specs = [("shared", pathspec.GitIgnoreSpec.from_lines(SHARED))]
    specs += [(name, pathspec.GitIgnoreSpec.from_lines(owns)) for name, owns in scopes]
    out = []
    for path in items:
        for name, spec in specs:
            if spec.match_file(path):
                out.append(name)
                break
        else:
            out.append("-")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ensure_bytecode()
    text, scopes = manifest(args.teams)
    items = paths(args.paths, args.teams)
    stdin = "".join(f"{p}\n" for p in items)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gitorch.yaml"
        path.write_text(text)
        cmd = [sys.executable, "-m", "gitorch", "--manifest", str(path), "owner"]
        best_proc = best_loop = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
            best_proc = min(best_proc, time.perf_counter() - start)
            if proc.returncode != 0:
                sys.exit(f"gitorch owner failed: {proc.stderr}")
            start = time.perf_counter()
            expected = loop(scopes, items)
            best_loop = min(best_loop, time.perf_counter() - start)
        got = [line.split("\t")[1] for line in proc.stdout.splitlines()]
        same = got == expected
        startup = subprocess.run([*cmd[:-1], "owner", "README.md"], capture_output=True, check=False)
        start = time.perf_counter()
        subprocess.run([*cmd[:-1], "owner", "README.md"], capture_output=True, check=False)
        one = time.perf_counter() - start
        del startup
    owned = sum(o != "-" for o in expected)
    print(f"{args.paths} paths ({owned} owned), {args.teams} teams x 3 patterns, best of {args.repeat}")
    print(f"{'what':<44}{'seconds':>10}{'ratio':>8}")
    print(f"{'pathspec loop (in-process, first match)':<44}{best_loop:>10.3f}{1.0:>8.3f}")
    print(f"{'gitorch owner (whole process, stdin)':<44}{best_proc:>10.3f}{best_proc / best_loop:>8.3f}")
    print(f"{'gitorch owner, one path (start-up)':<44}{one:>10.3f}{one / best_loop:>8.3f}")
    print(f"identical answers: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
