"""The one manifest cache (CLI and server hook): read back only for the same text and code;
never when invalid; any input that shapes the compiled policy invalidates it for both."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import gitorch
from gitorch.enforce.gitread import Git
from gitorch.enforce.hookrun import cached_manifest
from gitorch.errors import ManifestError
from gitorch.manifest import TeamName
from gitorch.manifest import cache as manifest_cache
from gitorch.manifest.cache import KEEP as KEEP_CACHED
from gitorch.manifest.cache import Entry
from gitorch.manifest.loading import load_manifest
from tests.conftest import CACHE_KEY_LOCK, MINIMAL_MANIFEST, Cli, GitRepo, locked

ALPHA = TeamName("alpha")

# one test here changes the cache key's inputs for a moment: it runs alone (tests that look
# at cache files anywhere take steady_cache_key); under xdist the group saves the waiting
pytestmark = pytest.mark.xdist_group("manifest-cache")


@pytest.fixture(autouse=True)
def cache_key(session_dir: Path, request: pytest.FixtureRequest) -> Iterator[None]:
    changes = request.function.__name__ == "test_any_input_of_the_policy_invalidates_both"
    with locked(session_dir / CACHE_KEY_LOCK, shared=not changes):
        yield


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
    assert second.attached_ownership is not None     # compiled scopes came from the pickle
    for p in ("src/core/x.py", "src/api/y.py", "README.md", "docs/z.md"):
        assert second.ownership.owner_of(p) == fresh.ownership.owner_of(p)
        assert second.ownership.may_change(ALPHA, p) == fresh.ownership.may_change(ALPHA, p)
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
    entry = pickle.loads(stored.read_bytes())
    assert entry.manifest.version == 1


def test_foreign_or_broken_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL_MANIFEST)
    cache = tmp_path / "cache"
    load_manifest(path, cache)
    [stored] = cache.glob("manifest-*.pickle")
    stored.write_bytes(b"not a pickle")
    assert load_manifest(path, cache) == load_manifest(path)
    stored.write_bytes(pickle.dumps(("other key", "not a manifest")))
    assert load_manifest(path, cache) == load_manifest(path)
    assert pickle.loads(stored.read_bytes()).manifest == load_manifest(path)


def test_same_text_elsewhere_is_read_back_with_its_own_path(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    here = _write(tmp_path, MINIMAL_MANIFEST)
    (tmp_path / "copy").mkdir()
    there = _write(tmp_path / "copy", MINIMAL_MANIFEST)
    load_manifest(here, cache)
    moved = load_manifest(there, cache)
    assert moved.path == there and moved.attached_ownership is not None
    assert moved == load_manifest(there)
    assert load_manifest(here, cache).path == here


def test_only_the_latest_texts_are_kept(tmp_path: Path) -> None:
    path, cache = tmp_path / "gitorch.yaml", tmp_path / "cache"
    for i in range(KEEP_CACHED + 3):
        path.write_text(MINIMAL_MANIFEST.replace("project: shop", f"project: shop{i}"))
        load_manifest(path, cache)
    assert len(list(cache.glob("manifest-*.pickle"))) == KEEP_CACHED
    assert load_manifest(path, cache).project == f"shop{KEEP_CACHED + 2}"


def test_cli_keeps_the_cache_inside_the_git_directory(repo: GitRepo, cli: Cli) -> None:
    repo.commit("init", {"gitorch.yaml": MINIMAL_MANIFEST, "README.md": "hi\n"})
    first = cli("conflicts", "--json", cwd=repo.path)
    assert list((repo.path / ".git" / "gitorch" / "cache").glob("manifest-*.pickle"))
    second = cli("conflicts", "--json", cwd=repo.path)
    assert (first.exit_code, first.stdout) == (second.exit_code, second.stdout)
    assert repo.git("status", "--porcelain").stdout == ""


# --------------------------------------------------------------------------- one key, both users


def _inputs() -> Iterator[Path]:
    """Every file whose change must invalidate the cache: gitorch.manifest and pathspec."""
    yield from sorted(Path(manifest_cache.__file__).parent.glob("*.py"))
    import pathspec

    yield Path(pathspec.__file__)


LoadBoth = Callable[[], tuple[set[str], set[str]]]


@pytest.fixture
def both_caches(repo: GitRepo, tmp_path: Path) -> LoadBoth:
    """A repository whose manifest both the CLI's loader and the hook's reader cache."""
    repo.commit("init", {"gitorch.yaml": MINIMAL_MANIFEST, "README.md": "hi\n"})
    cli_cache = tmp_path / "cli-cache"
    hook_cache = repo.path / ".git" / "gitorch-cache"

    def load_both() -> tuple[set[str], set[str]]:
        load_manifest(repo.path / "gitorch.yaml", cli_cache)
        with Git(str(repo.path / ".git")) as g:
            cached_manifest(g, g.branch("main") or "")
        return ({p.name for p in cli_cache.glob("manifest-*.pickle")},
                {p.name for p in hook_cache.glob("manifest-*.pickle")})

    return load_both


def test_cli_and_hook_share_one_key(both_caches: LoadBoth) -> None:
    cli_names, hook_names = both_caches()
    assert cli_names == hook_names and len(cli_names) == 1


@pytest.mark.parametrize("changed", [f"{p.parent.name}/{p.name}" for p in _inputs()] + ["__version__"])
def test_any_input_of_the_policy_invalidates_both(both_caches: LoadBoth, changed: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = both_caches()
    if changed == "__version__":
        monkeypatch.setattr(gitorch, "__version__", gitorch.__version__ + ".post1")
        after = both_caches()
    else:
        [path] = [p for p in _inputs() if f"{p.parent.name}/{p.name}" == changed]
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        try:
            after = both_caches()
        finally:
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    for old, new in zip(before, after, strict=True):
        assert len(new) == 1 and new != old     # re-parsed, and the stale entry removed
    assert after[0] == after[1]


def test_entries_hold_the_manifest_and_its_compiled_scopes(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL_MANIFEST)
    load_manifest(path, tmp_path / "c")
    [stored] = (tmp_path / "c").glob("manifest-*.pickle")
    entry = pickle.loads(stored.read_bytes())
    assert isinstance(entry, Entry)
    for p in ("src/core/x.py", "src/api/y.py", "README.md", "docs/z.md", "x"):
        assert entry.compiled.owner_of(p) == entry.manifest.ownership.owner_of(p)
