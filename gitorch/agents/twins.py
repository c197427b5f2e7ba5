"""Twins at edit time: a new file whose path equals another's once case-folded and
NFC-normalised (``Src/Api/x.py`` beside ``src/api/x.py``, ``café`` in NFD beside NFC).

On a case-insensitive or normalising file system (macOS, Windows) the two are one file:
a checkout there writes one over the other. The server refuses an added path that
collides so with a path another team owns, in the base branch or the branch's previous
tip (``gitorch.enforce.receive``); the guard refuses the write the same way, with the
same key (``gitorch.pathkeys.collision_key``) and the same rule (the twin is one the
team may not change). The paths that exist already are the worktree's files on disk
(its checked-out commit and what the agent has written since) and the base branch's
tree, read once per base tip (``git ls-tree``) into an index under the repository's
``gitorch/cache``. A file that exists under its very name is no addition: editing it is
not judged again.
"""

from __future__ import annotations

import marshal
import os

from gitorch.agents.compact import store
from gitorch.pathkeys import collision_key

TREE_INDEX = "guard-tree-{tip}.marshal"


def path_key(path: str) -> str:
    return "/".join(collision_key(part) for part in path.split("/"))


def on_disk(root: str, rel: str) -> tuple[bool, list[str]]:
    """(``rel`` is new: the worktree at ``root`` has no file under this very path; the files
    on disk whose paths equal it folded, itself excluded), looking only at the directories
    on its way. A directory is entered only as a directory (not through a symlink, which
    git keeps as a file), and only files count at the end, as on the server."""
    parts = rel.split("/")
    frontier = [("", root)]
    found: list[str] = []
    for depth, part in enumerate(parts):
        key = collision_key(part)
        last = depth == len(parts) - 1
        nxt = []
        for prefix, directory in frontier:
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                if name != part and collision_key(name) != key:
                    continue
                where = os.path.join(directory, name)
                is_dir = os.path.isdir(where) and not os.path.islink(where)
                if last and not is_dir:
                    found.append(prefix + name)
                elif not last and is_dir:
                    nxt.append((f"{prefix}{name}/", where))
        frontier = nxt
    return rel not in found, [p for p in found if p != rel]


def in_tree(common_dir: str, cache_dir: str, tip: str, rel: str) -> list[str]:
    """The paths of commit ``tip``'s tree that equal ``rel`` folded, itself excluded."""
    index = _index(common_dir, cache_dir, tip)
    return [p for p in index.get(path_key(rel), ()) if p != rel]


def _index(common_dir: str, cache_dir: str, tip: str) -> dict[str, list[str]]:
    """Folded key -> the tree's paths with that key; read back, else built from ``git ls-tree``."""
    commit = len(tip) in (40, 64) and all(c in "0123456789abcdef" for c in tip)
    file = os.path.join(cache_dir, TREE_INDEX.format(tip=tip if commit else "-"))
    try:
        if not commit:
            raise FileNotFoundError(file)       # a ref name, not a commit: nothing to key on
        with open(file, "rb") as fh:
            data = marshal.load(fh)
        if isinstance(data, dict) and data.get("tip") == tip \
                and isinstance(data.get("paths"), dict):
            paths: dict[str, list[str]] = data["paths"]
            return paths
    except (OSError, EOFError, ValueError, TypeError):
        pass
    import subprocess

    env = {k: v for k, v in os.environ.items()
           if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE")}
    proc = subprocess.run(["git", "--git-dir", common_dir, "ls-tree", "-r", "-z", "--full-tree",
                           "--name-only", tip], capture_output=True, env=env)
    if proc.returncode != 0:
        raise OSError(f"git ls-tree {tip[:12]} failed in {common_dir}")
    index: dict[str, list[str]] = {}
    for name in proc.stdout.decode("utf-8", errors="surrogateescape").split("\0"):
        if name:
            index.setdefault(path_key(name), []).append(name)
    if commit:
        store(cache_dir, file, {"tip": tip, "paths": index},
              lambda name: name.startswith("guard-tree-") and name.endswith(".marshal"))
    return index
