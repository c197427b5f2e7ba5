"""Both merge engines (``merge: {engine: libgit2|git}``): ``conflicts`` predicts exactly
the engine ``integrate`` uses (recall and precision 100%, pair by pair), on random edits
and on a small slice of the real-code workload (successive "releases" generated here)."""

from __future__ import annotations

import itertools
import os
import random
import sys
from pathlib import Path

import pygit2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import repo as git
from gitorch.ids import ObjectId
from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.loading import load_manifest, parse_manifest
from gitorch.manifest.ownership import union_rule
from gitorch.overlap import find_conflicts
from tests.conflicts.test_synthrepo import load_script
from tests.conftest import Cli, examples

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
realcode = load_script("realcode")


def engine_stops(repo: pygit2.Repository, manifest: Manifest, a: str, b: str) -> set[str]:
    """The paths the manifest's engine leaves conflicting when it merges commits a and b."""
    if manifest.merge_engine == "git":
        return git.git_conflicting_paths(repo, [(a, b)], manifest.union)[0]
    base = git.merge_base(repo, git.Oid(hex=a), git.Oid(hex=b))
    merge = git.merge_trees(repo, git.tree_of(repo, base) if base else None,
                            git.tree_of(repo, ObjectId(a)), git.tree_of(repo, ObjectId(b)))
    merge = git.settle_unions(repo, merge, union_rule(manifest))
    return {p for c in merge.conflicts for p in c.paths}


def assert_prediction_is_the_engine(repo: pygit2.Repository, manifest: Manifest) -> int:
    report = find_conflicts(repo, manifest, remote=None)
    predicted = {frozenset(c.teams) for c in report.overlaps}
    heads = report.teams
    actual = {frozenset((x, y)) for x, y in itertools.combinations(heads, 2)
              if engine_stops(repo, manifest, heads[x], heads[y])}
    assert predicted == actual, (predicted - actual, actual - predicted)
    return len(actual)


def _release(rnd: random.Random, files: dict[str, bytes], n: int) -> dict[str, bytes]:
    """The next "release": edited windows, one file added, sometimes one renamed or deleted."""
    out = dict(files)
    for path in rnd.sample(sorted(out), k=min(3, len(out))):
        lines = out[path].decode().splitlines(keepends=True)
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(max(len(lines) - 3, 1))
            lines[at:at + rnd.randint(0, 3)] = [f"    v{n} = {rnd.random():.3f}\n"] * rnd.randint(1, 2)
        out[path] = "".join(lines).encode()
    out[f"pkg/new_{n}.py"] = "".join(f"x{n}_{i} = {i}\n" for i in range(8)).encode()
    if rnd.random() < 0.4:
        old = rnd.choice(sorted(out))
        body = out.pop(old)
        if rnd.random() < 0.5:
            out[old.replace(".py", f"_moved{n}.py")] = body     # a rename (same content)
    return out


@pytest.mark.parametrize("engine", ["libgit2", "git"])
def test_real_code_slice_prediction_equals_the_engine(tmp_path: Path, engine: str) -> None:
    rnd = random.Random(17)
    first = {f"pkg/mod{i}.py": "".join(f"def f{i}_{k}():\n    return {k}\n\n"
                                       for k in range(15)).encode() for i in range(4)}
    first["CHANGES.md"] = b"# Changes\n\n## 1.0\n- first\n"
    releases = [first]
    for n in range(1, 6):
        releases.append(_release(rnd, releases[-1], n))
    path = realcode.build_real(tmp_path / "repo", releases, split=2)
    if engine == "git":
        with path.open("a") as handle:
            handle.write("merge:\n  engine: git\n")
    manifest = load_manifest(path)
    repo = pygit2.Repository(str(tmp_path / "repo"))
    assert assert_prediction_is_the_engine(repo, manifest) > 3   # the slice does collide


MANIFEST = """\
version: 1
project: e
shared: ["*"]
{extra}teams:
  a:
    owns: ["a/**"]
    priority: 2
  b:
    owns: ["b/**"]
    priority: 1
"""

WORDS = st.sampled_from(["a\n", "b\n", "}\n", "\n", "x = 1\n"])
OPS = st.lists(st.tuples(st.integers(0, 10), st.integers(0, 3), st.lists(WORDS, max_size=3)),
               min_size=1, max_size=3)


def _edit(lines: list[str], ops: list[tuple[int, int, list[str]]]) -> str:
    out = list(lines)
    for at, drop, new in ops:
        out[min(at, len(out)):min(at, len(out)) + drop] = new
    return "".join(out)


def _commit(repo: pygit2.Repository, ref: str, files: dict[str, str],
            parent: pygit2.Oid | None) -> pygit2.Oid:
    builder = repo.TreeBuilder()
    for name, text in files.items():
        builder.insert(name, repo.create_blob(text.encode()), pygit2.enums.FileMode.BLOB)
    sig = pygit2.Signature("t", "t@example.com", 1700000000, 0)
    oid = repo.create_commit(None, sig, sig, "c", builder.write(), [parent] if parent else [])
    repo.references.create(ref, oid, force=True)
    return oid


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> pygit2.Repository:
    return pygit2.init_repository(str(tmp_path_factory.mktemp("engines")), bare=True)


@settings(max_examples=examples(1 / 8),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.lists(WORDS, max_size=10), ours=OPS, theirs=OPS,
       rename=st.sampled_from(["", "ours", "theirs"]), engine=st.sampled_from(["libgit2", "git"]))
def test_random_edits_prediction_equals_the_engine(
        store: pygit2.Repository, tmp_path: Path, base: list[str],
        ours: list[tuple[int, int, list[str]]], theirs: list[tuple[int, int, list[str]]],
        rename: str, engine: str) -> None:
    extra = "merge:\n  engine: git\n" if engine == "git" else ""
    manifest = parse_manifest(MANIFEST.format(extra=extra), tmp_path / "gitorch.yaml")
    body = "".join(f"line {i}\n" for i in range(12)) + "".join(base)
    rows = body.splitlines(keepends=True)
    root = _commit(store, "refs/heads/main", {"f.py": body}, None)
    _commit(store, "refs/heads/team/a",
            {"g.py" if rename == "ours" else "f.py": _edit(rows, ours)}, root)
    _commit(store, "refs/heads/team/b",
            {"g.py" if rename == "theirs" else "f.py": _edit(rows, theirs)}, root)
    assert_prediction_is_the_engine(store, manifest)


def test_git_engine_integrates_what_git_merges(tmp_path: Path, cli: Cli) -> None:
    """integrate --fix with the git engine: git's merge, conflicts settled for the
    higher-priority team, like sequential git merge -X ours."""
    rnd = random.Random(3)
    first = {f"pkg/mod{i}.py": "".join(f"v{i}_{k} = {k}\n" for k in range(40)).encode()
             for i in range(2)}
    releases = [first]
    for n in range(1, 4):
        releases.append(_release(rnd, releases[-1], n))
    path = realcode.build_real(tmp_path / "repo", releases, split=1)
    with path.open("a") as handle:
        handle.write("merge:\n  engine: git\n")
    repo = pygit2.Repository(str(tmp_path / "repo"))
    result = cli("integrate", "--fix", "--json", "--format", "json", cwd=tmp_path / "repo")
    assert result.exit_code == 0, result.output
    manifest = load_manifest(path)
    merged = list(manifest.merge_order())
    # the same chain made by git's command line, -X ours (the chain's side wins)
    work = tmp_path / "work"
    git_cmd = ["git", "-C", str(tmp_path / "repo")]
    import subprocess
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.com"}
    subprocess.run([*git_cmd, "worktree", "add", "-q", "--detach", str(work), "main"],
                   check=True, env=env)
    for team in merged:
        subprocess.run(["git", "-C", str(work), "merge", "-q", "--no-ff", "-X", "ours",
                        "-m", "m", f"team/{team}"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    ours = str(repo.revparse_single("integration").peel(pygit2.Tree).id)
    theirs = subprocess.run(["git", "-C", str(work), "rev-parse", "HEAD^{tree}"], env=env,
                            capture_output=True, text=True, check=True).stdout.strip()
    assert ours == theirs
    assert TeamName("r01-0") in manifest.teams


def test_manifest_engine_and_union_are_validated(tmp_path: Path) -> None:
    from gitorch.errors import ManifestError

    good = parse_manifest(MANIFEST.format(extra="union: [CHANGES.md]\nmerge:\n  engine: git\n"),
                          tmp_path / "gitorch.yaml")
    assert (good.merge_engine, good.union) == ("git", ("CHANGES.md",))
    assert parse_manifest(MANIFEST.format(extra=""), tmp_path / "g.yaml").merge_engine == "libgit2"
    for extra, words in (("merge:\n  engine: svn\n", "'merge.engine' must be one of"),
                         ("merge:\n  engin: git\n", "engin"),
                         ("merge: git\n", "'merge' must be a mapping")):
        with pytest.raises(ManifestError) as info:
            parse_manifest(MANIFEST.format(extra=extra), tmp_path / "gitorch.yaml")
        assert words in str(info.value)
