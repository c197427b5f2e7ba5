"""How often libgit2's merge (gitorch's default engine) and git's (merge-ort) disagree.

On the real-code workload (scripts/realcode.py: successive releases of one package from
the registry, split into team branches), every pair of team branches is merged by both
engines: libgit2's in-memory ``merge_trees`` (Myers diff, its own rename scoring) and
``git merge-tree --write-tree`` (histogram diff, merge-ort's rename scoring). A
(pair, path) where one stops and the other does not is a difference; it is put down to
rename detection when either team renamed or deleted a file there (as libgit2 sees it),
else to the diff algorithm. Also times both engines over all pairs.

    python scripts/bench_agreement.py [--package requests] [--releases 11] [--split 3]
                                      [--cache DIR]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from realcode import build_real, cache_dir, real_releases  # noqa: E402


def main() -> None:
    import pygit2

    from gitorch import repo as git
    from gitorch.manifest.loading import load_manifest

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default="requests")
    parser.add_argument("--releases", type=int, default=11)
    parser.add_argument("--split", type=int, default=3)
    parser.add_argument("--cache")
    args = parser.parse_args()
    releases = real_releases(args.package, args.releases, cache_dir(args.cache))
    with tempfile.TemporaryDirectory(prefix="bench-agree-") as tmp:
        manifest = load_manifest(build_real(Path(tmp) / "repo", releases, args.split))
        repo = pygit2.Repository(str(Path(tmp) / "repo"))
        teams = list(manifest.merge_order())
        heads = {t: str(repo.revparse_single(f"team/{t}").id) for t in teams}
        pairs = list(itertools.combinations(teams, 2))
        start = time.perf_counter()
        ours: list[set[str]] = []
        moved: list[set[str]] = []
        for a, b in pairs:
            base = git.merge_base(repo, git.Oid(hex=heads[a]), git.Oid(hex=heads[b]))
            assert base is not None
            merge = git.merge_trees(repo, git.tree_of(repo, base), git.tree_of(repo, heads[a]),
                                    git.tree_of(repo, heads[b]))
            ours.append({p for c in merge.conflicts for p in c.paths})
            touched = set()
            for head in (heads[a], heads[b]):
                for ch in git.tree_changes(repo, base, git.Oid(hex=head)):
                    if ch.status in ("R", "D", "A"):
                        touched |= {p for p in (ch.old_path, ch.new_path) if p}
            moved.append(touched)
        libgit2_time = time.perf_counter() - start
        start = time.perf_counter()
        theirs = git.git_conflicting_paths(repo, [(heads[a], heads[b]) for a, b in pairs])
        git_time = time.perf_counter() - start
    both = only_libgit2 = only_git = rename = algorithm = 0
    pairs_differ = 0
    for o, t, m in zip(ours, theirs, moved, strict=True):
        both += len(o & t)
        only_libgit2 += len(o - t)
        only_git += len(t - o)
        rename += len((o ^ t) & m)
        algorithm += len((o ^ t) - m)
        pairs_differ += bool(o != t)
    union = both + only_libgit2 + only_git
    print(f"workload: {args.package}, {args.releases} releases, split {args.split}: "
          f"{len(teams)} teams, {len(pairs)} pairs")
    print(f"conflicting (pair, path): {union}; both engines {both}; only libgit2 "
          f"{only_libgit2}; only git {only_git}")
    print(f"agreement: {both / union:.1%} of conflicting (pair, path); pairs that differ: "
          f"{pairs_differ} of {len(pairs)}")
    print(f"differences near renames/deletions: {rename}; elsewhere (diff algorithm): "
          f"{algorithm}")
    print(f"time over all pairs: libgit2 {libgit2_time:.2f}s (in process), "
          f"git merge-tree --stdin {git_time:.2f}s")


if __name__ == "__main__":
    main()
