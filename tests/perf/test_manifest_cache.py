"""The manifest cache: read back only for the same path, text and code; never when invalid."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from gitorch.errors import ManifestError
from gitorch.manifest import KEEP_CACHED, load_manifest
from tests.conftest import MINIMAL_MANIFEST


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gitorch.yaml"
    path.write_text(text)
    return path


def test_cached_manifest_equals_parsed_one_and_brings_its_ownership(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL_MANIFEST)
    cache = tmp_path / "cache"
    fresh = load_manifest(path)
    first = load_manifest(path, cache)
    [stored] = cache.glob("manifest-*.pickle")
    second = load_manifest(path, cache)
    assert first == fresh and second == fresh
    assert second.lines == fresh.lines
    assert "ownership" in vars(second)     # compiled scopes came from the pickle
    for p in ("src/core/x.py", "src/api/y.py", "README.md", "docs/z.md"):
        assert second.ownership.owner_of(p) == fresh.ownership.owner_of(p)
        assert second.ownership.may_change("alpha", p) == fresh.ownership.may_change("alpha", p)
    assert stored.exists()


def test_changed_text_is_parsed_again(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL_MANIFEST)
    cache = tmp_path / "cache"
    load_manifest(path, cache)
    path.write_text(MINIMAL_MANIFEST.replace("project: shop", "project: store"))
    assert load_manifest(path, cache).project == "store"
    assert load_manifest(path, cache).project == "store"


def test_invalid_manifest_is_reported_every_time_and_never_cached(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL_MANIFEST)
    cache = tmp_path / "cache"
    load_manifest(path, cache)
    path.write_text(MINIMAL_MANIFEST.replace("version: 1", "version: 7"))
    for _ in range(2):
        with pytest.raises(ManifestError) as exc:
            load_manifest(path, cache)
        assert "unsupported 'version' 7" in exc.value.problems[0]
    [stored] = cache.glob("manifest-*.pickle")
    key, manifest = pickle.loads(stored.read_bytes())
    assert manifest.version == 1 and "version: 1" in key[1]


def test_foreign_or_broken_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL_MANIFEST)
    cache = tmp_path / "cache"
    load_manifest(path, cache)
    [stored] = cache.glob("manifest-*.pickle")
    stored.write_bytes(b"not a pickle")
    assert load_manifest(path, cache) == load_manifest(path)
    stored.write_bytes(pickle.dumps(("other key", "not a manifest")))
    assert load_manifest(path, cache) == load_manifest(path)
    assert pickle.loads(stored.read_bytes())[1] == load_manifest(path)


def test_same_text_elsewhere_is_read_back_with_its_own_path(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    here = _write(tmp_path, MINIMAL_MANIFEST)
    (tmp_path / "copy").mkdir()
    there = _write(tmp_path / "copy", MINIMAL_MANIFEST)
    load_manifest(here, cache)
    moved = load_manifest(there, cache)
    assert moved.path == there and "ownership" in vars(moved)
    assert moved == load_manifest(there)
    assert load_manifest(here, cache).path == here


def test_only_the_latest_texts_are_kept(tmp_path: Path) -> None:
    path, cache = tmp_path / "gitorch.yaml", tmp_path / "cache"
    for i in range(KEEP_CACHED + 3):
        path.write_text(MINIMAL_MANIFEST.replace("project: shop", f"project: shop{i}"))
        load_manifest(path, cache)
    assert len(list(cache.glob("manifest-*.pickle"))) == KEEP_CACHED
    assert load_manifest(path, cache).project == f"shop{KEEP_CACHED + 2}"


def test_cli_keeps_the_cache_inside_the_git_directory(repo, cli) -> None:  # type: ignore[no-untyped-def]
    repo.commit("init", {"gitorch.yaml": MINIMAL_MANIFEST, "README.md": "hi\n"})
    first = cli("conflicts", "--json", cwd=repo.path)
    assert list((repo.path / ".git" / "gitorch" / "cache").glob("manifest-*.pickle"))
    second = cli("conflicts", "--json", cwd=repo.path)
    assert (first.exit_code, first.stdout) == (second.exit_code, second.stdout)
    assert repo.git("status", "--porcelain").stdout == ""
