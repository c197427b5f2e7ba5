"""The floor under ``integrate --fix`` on libgit2: the least any merge engine built on
pygit2 must do, timed as a whole process by ``scripts/bench_integrate.py --floor``.

    python scripts/mergefloor.py REPO BASE TEAM_BRANCH... [--hunks]

Merges the team branches onto BASE one after the other in the order given, in memory,
and writes one merge commit each (the chain ends on ``refs/heads/floor``). Nothing else:
no manifest, no scope verdict, no checkpoint, no report, no saved versions.

* default: each merge settles every conflicting hunk for the chain inside libgit2's tree
  merge (``favor=ours``, what ``-X ours`` does); a whole-file conflict keeps the chain's
  side. This is a lower bound for any run that merges with libgit2 in Python.
* ``--hunks``: the merge reports its conflicts (as ``--fix`` must, to name each conflict
  and who met whom); each conflicting text file is merged once more to cut its hunks
  (libgit2's file merge with markers) and settled for the chain (each block replaced by
  the chain's side), its blob written. What ``--fix`` must at least do more, before it asks who brought
  each hunk, keeps the lost versions, or writes a report.
"""

from __future__ import annotations

import re
import sys
import time

import pygit2
from pygit2.enums import MergeFavor

# a conflict block of libgit2's file merge; the chain's side (group 1) is kept
_BLOCK = re.compile(r"^<<<<<<<[^\n]*\n(.*?)^=======\n.*?^>>>>>>>[^\n]*\n", re.M | re.S)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--hunks"]
    hunks = "--hunks" in sys.argv[1:]
    repo = pygit2.Repository(args[0])
    chain = repo.revparse_single(args[1]).peel(pygit2.Commit)
    sig = pygit2.Signature("floor", "floor@example.com", 0, 0)
    cut = 0
    for branch in args[2:]:
        head = repo.revparse_single(branch).peel(pygit2.Commit)
        base = repo.merge_base(chain.id, head.id)
        favor = MergeFavor.NORMAL if hunks else MergeFavor.OURS
        index = repo.merge_trees(repo[base].peel(pygit2.Tree), chain.tree, head.tree,
                                 favor=favor)
        if index.conflicts is not None:
            for a, o, t in list(index.conflicts):
                path = (o or t or a).path
                del index.conflicts[path]
                if hunks and a is not None and o is not None and t is not None:
                    marked = repo.merge_file_from_index(a, o, t).contents
                    settled, n = _BLOCK.subn(r"\1", marked)
                    cut += n
                    index.add(pygit2.IndexEntry(o.path, repo.create_blob(settled.encode()),
                                                o.mode))
                elif o is not None:
                    index.add(pygit2.IndexEntry(o.path, o.id, o.mode))
        tree = index.write_tree(repo)
        chain = repo[repo.create_commit(None, sig, sig, f"Merge {branch}\n", tree,
                                        [chain.id, head.id])]
    repo.references.create("refs/heads/floor", chain.id, force=True)
    print(f"{len(args) - 2} merges, {cut} hunks cut, {time.process_time():.3f}s CPU")


if __name__ == "__main__":
    main()
