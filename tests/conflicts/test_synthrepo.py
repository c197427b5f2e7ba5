"""The synthetic-repository generator, and gitorch conflicts on it against git merge-tree."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pygit2

from gitorch.manifest.loading import load_manifest
from gitorch.overlap import find_conflicts

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def merge_tree_stdin(path: Path, teams: list[str]) -> set[frozenset[str]]:
    pairs = list(itertools.combinations(teams, 2))
    proc = subprocess.run(["git", "merge-tree", "--stdin", "--name-only", "--no-messages"],
                          cwd=path, capture_output=True, text=True, check=True,
                          input="".join(f"team/{a} team/{b}\n" for a, b in pairs))
    tokens, i, bad = proc.stdout.split("\0"), 0, []
    while i < len(tokens) and tokens[i]:
        bad.append(tokens[i] == "0")
        i += 2
        while tokens[i]:
            i += 1
        i += 1
    assert len(bad) == len(pairs)
    return {frozenset(p) for p, b in zip(pairs, bad, strict=True) if b}


def test_generated_repository_agrees_with_merge_tree_for_every_pair(tmp_path: Path) -> None:
    synthrepo = load_script("synthrepo")
    manifest_path = synthrepo.build(tmp_path / "synth", teams=8, files_per_team=4,
                                    lines_per_file=60, shared_files=3, seed=3, shared_edits=2)
    assert manifest_path == tmp_path / "synth" / "gitorch.yaml"
    assert manifest_path.read_text() == synthrepo.manifest_text(8)
    repo = pygit2.Repository(str(tmp_path / "synth"))
    assert sorted(b for b in repo.branches.local if b.startswith("team/")) == \
        [f"team/t{i:02d}" for i in range(8)]
    report = find_conflicts(repo, load_manifest(manifest_path))
    predicted = {frozenset(c.teams) for c in report.overlaps}
    expected = merge_tree_stdin(tmp_path / "synth", [f"t{i:02d}" for i in range(8)])
    assert predicted == expected
    assert frozenset(("t00", "t01")) in predicted          # the overlap the generator plants
    assert report.violations == {"t05": ("src/t06/mod_00.py",)}


def test_generator_cli(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPTS / "synthrepo.py"), str(tmp_path / "r"),
                           "--teams", "3", "--files-per-team", "2", "--lines-per-file", "10",
                           "--shared-files", "1"], capture_output=True, text=True, check=True)
    assert proc.stdout == f"{tmp_path / 'r' / 'gitorch.yaml'}\n"
    log = subprocess.run(["git", "log", "--format=%s", "team/t02"], cwd=tmp_path / "r",
                         capture_output=True, text=True, check=True).stdout
    assert log == "t02: shared files\nt02: own files\nbase\n"


def test_merge_floor_settles_hunks_as_libgit2_favouring_the_chain(tmp_path: Path) -> None:
    """``scripts/mergefloor.py`` (the benchmark's floor): its hunk-cutting variant makes the
    chain libgit2's ``favor=ours`` merges make, having cut and counted the hunks."""
    synthrepo = load_script("synthrepo")
    manifest = load_manifest(synthrepo.build_heavy(tmp_path / "repo", teams=5, shared_files=3,
                                                   lines_per_file=60, windows=6))
    branches = [manifest.branch(t) for t in manifest.merge_order()]
    trees, said = [], []
    for extra in ([], ["--hunks"]):
        out = subprocess.run([sys.executable, str(SCRIPTS / "mergefloor.py"),
                              str(tmp_path / "repo"), "main", *branches, *extra],
                             capture_output=True, text=True, check=True).stdout
        said.append(out)
        trees.append(subprocess.run(["git", "-C", str(tmp_path / "repo"), "rev-parse",
                                     "floor^{tree}"], capture_output=True, text=True,
                                    check=True).stdout)
    assert trees[0] == trees[1]
    assert said[0].startswith("5 merges, 0 hunks cut")
    assert int(said[1].split(", ")[1].split()[0]) > 0, said[1]
