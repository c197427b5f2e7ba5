"""A heavily conflicting workload of real code: successive releases of one package.

Source distributions of several successive releases of one pure-Python package are
downloaded from the package registry (``pip download --no-deps --no-binary :all:``)
into a cache directory (``--cache DIR`` or ``$GITORCH_BENCH_CACHE``; never into the
repository), read file by file, and split into team branches: the base branch holds
the oldest release; for each later release, the files that changed since the release
before it (modified, added or deleted) are dealt round-robin to ``split`` teams, and
each team's branch sets its files to that release's versions on top of the base. A
team of a later release carries every earlier release's edits of its files too, so
teams collide as real edits of real files collide: hunks, adds, deletes, renames.

``build_real(path, releases, split)`` takes the releases as ``{path: bytes}`` maps, so
tests build small slices of generated files the same way without any download.

    python scripts/realcode.py DIR [--package requests] [--cache DIR] [--split 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthrepo import _Stream

RELEASES = {
    "requests": ["2.20.0", "2.21.0", "2.22.0", "2.23.0", "2.24.0", "2.25.0", "2.25.1",
                 "2.26.0", "2.27.0", "2.27.1", "2.28.0", "2.28.1", "2.28.2", "2.29.0",
                 "2.30.0", "2.31.0", "2.32.0", "2.32.3"],
}


def cache_dir(given: str | None) -> Path:
    where = given or os.environ.get("GITORCH_BENCH_CACHE")
    if not where:
        raise SystemExit("name a cache directory for the downloads: --cache DIR or "
                         "GITORCH_BENCH_CACHE=DIR (kept outside the repository)")
    path = Path(where).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch(package: str, versions: list[str], cache: Path) -> list[Path]:
    """The sdists of ``package`` at ``versions``, downloaded into ``cache`` when missing."""
    out: list[Path] = []
    for version in versions:
        found = sorted(cache.glob(f"{package}-{version}.tar.gz"))
        if not found:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                            "--no-binary", ":all:", f"{package}=={version}", "-d", str(cache)],
                           check=True)
            found = sorted(cache.glob(f"{package}-{version}.tar.gz"))
        if not found:
            raise SystemExit(f"no sdist of {package} {version} in {cache}")
        out.append(found[0])
    return out


def read_sdist(path: Path) -> dict[str, bytes]:
    """The regular files of an sdist, without its top directory and packaging metadata."""
    files: dict[str, bytes] = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if not member.isfile() or "/" not in member.name:
                continue
            name = member.name.split("/", 1)[1]
            if name == "PKG-INFO" or ".egg-info/" in name or name.startswith("."):
                continue
            handle = tar.extractfile(member)
            if handle is not None:
                files[name] = handle.read()
    return files


def manifest_text(teams: list[str]) -> str:
    lines = ["version: 1", "project: realcode", "base: main", 'shared: ["**"]', "teams:"]
    for i, team in enumerate(teams):
        lines += [f"  {team}:", f'    owns: ["teams/{team}/**"]', f"    priority: {1000 - i}"]
    return "\n".join(lines) + "\n"


def build_real(path: Path, releases: list[dict[str, bytes]], split: int = 3) -> Path:
    """The repository at ``path`` (a new directory): base = the first release, one team
    branch per (later release, share of its changed files). Returns the manifest's path."""
    plan: list[tuple[str, dict[str, bytes | None]]] = []
    for i in range(1, len(releases)):
        before, now = releases[i - 1], releases[i]
        changed = sorted(p for p in before.keys() | now.keys() if before.get(p) != now.get(p))
        for k in range(split):
            share = changed[k::split]
            if share:
                plan.append((f"r{i:02d}-{k}", {p: now.get(p) for p in share}))
    teams = [name for name, _ in plan]
    path.mkdir(parents=True, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = _Stream()
    base: dict[str, str | bytes | None] = dict(releases[0])
    base["gitorch.yaml"] = manifest_text(teams)
    root = stream.commit("refs/heads/main", "base: first release", base)
    for name, files in plan:
        stream.commit(f"refs/heads/team/{name}", f"{name}: its share of the release",
                      dict(files), parent=root)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"],
                   input=b"".join(stream.parts), check=True)
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True)
    return path / "gitorch.yaml"


def real_releases(package: str, count: int, cache: Path) -> list[dict[str, bytes]]:
    versions = RELEASES[package][-count:]
    return [read_sdist(p) for p in fetch(package, versions, cache)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--package", default="requests", choices=sorted(RELEASES))
    parser.add_argument("--releases", type=int, default=11)
    parser.add_argument("--split", type=int, default=3)
    parser.add_argument("--cache")
    args = parser.parse_args()
    releases = real_releases(args.package, args.releases, cache_dir(args.cache))
    print(build_real(args.path, releases, args.split))


if __name__ == "__main__":
    main()
