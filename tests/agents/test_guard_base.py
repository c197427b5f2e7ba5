"""The guard reads the policy where ``gitorch check`` reads it: the local base branch,
unless it is only behind ``origin/<base>`` (fetched, not pulled), then the remote-tracking
branch. Both are asked about the same edit in the same clone; they must agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.agents.conftest import MANIFEST, Shop, assert_allowed, assert_refused, event, guard
from tests.conftest import Cli

GIVEN = MANIFEST.replace('owns: ["src/api/**"]', 'owns: ["src/api/**", "tools/**"]')


def _commit_on(shop: Shop, parent: str, text: str) -> str:
    """A commit on top of ``parent`` with ``gitorch.yaml`` = ``text`` (no branch moves).
    The clone gets an ``origin`` remote on first use, as a real clone has."""
    repo = shop.repo
    if not repo.git("remote").stdout.strip():
        repo.git("remote", "add", "origin", str(repo.path.parent / "server.git"))
    scratch = repo.path.parent / "manifest.yaml"
    scratch.write_text(text)
    blob = repo.git("hash-object", "-w", str(scratch)).stdout.strip()
    repo.git("read-tree", parent)
    repo.git("update-index", "--cacheinfo", f"100644,{blob},gitorch.yaml")
    tree = repo.git("write-tree").stdout.strip()
    repo.git("read-tree", "HEAD")
    return str(repo.git("commit-tree", tree, "-p", parent, "-m", "tools/ to beta").stdout.strip())


def _check(cli: Cli, shop: Shop) -> dict[str, object]:
    result = cli("check", "--json", cwd=shop.beta)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("where", ["behind", "ahead"])
def test_guard_and_check_read_the_same_base(shop: Shop, cli: Cli, where: str) -> None:
    main = shop.repo.git("rev-parse", "main").stdout.strip()
    newer = _commit_on(shop, main, GIVEN)
    if where == "behind":       # origin/main has the lead's change; local main is behind it
        shop.repo.git("update-ref", "refs/remotes/origin/main", newer)
    else:                       # the change is only local: origin/main is the older tip
        shop.repo.git("update-ref", "refs/remotes/origin/main", main)
        shop.repo.git("update-ref", "refs/heads/main", newer, main)
    path = f"{shop.beta}/tools/run.py"
    outcome = guard("claude", event("claude-write", cwd=str(shop.beta), path=path))
    assert_allowed("claude", outcome)    # both ways the newer manifest is the one read
    (shop.beta / "tools").mkdir()
    (shop.beta / "tools" / "run.py").write_text("run = 1\n")
    shop.repo.git("-C", str(shop.beta), "add", "tools/run.py")
    shop.repo.git("-C", str(shop.beta), "commit", "-q", "--no-verify", "-m", "tools")
    assert _check(cli, shop)["ok"] is True


def test_a_local_base_that_diverged_is_read_first(shop: Shop, cli: Cli) -> None:
    main = shop.repo.git("rev-parse", "main").stdout.strip()
    newer = _commit_on(shop, main, GIVEN)
    other = _commit_on(shop, main, MANIFEST + "# a local note\n")
    shop.repo.git("update-ref", "refs/remotes/origin/main", newer)
    shop.repo.git("update-ref", "refs/heads/main", other, main)   # diverged: not only behind
    path = f"{shop.beta}/tools/run.py"
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.beta), path=path)),
                   "tools/run.py")
    # asked again (the answer now comes from the memo): the same verdict
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.beta), path=path)),
                   "tools/run.py")
    (shop.beta / "tools").mkdir()
    (shop.beta / "tools" / "run.py").write_text("run = 1\n")
    shop.repo.git("-C", str(shop.beta), "add", "tools/run.py")
    # the worktree's own commit hooks refuse it too (they read the same policy): bypass them
    shop.repo.git("-C", str(shop.beta), "-c", "core.hooksPath=/dev/null", "commit", "-q",
                  "-m", "tools")
    assert _check(cli, shop)["ok"] is False


def test_the_guard_follows_a_fetch(shop: Shop, tmp_path: Path) -> None:
    """Fetched after a first decision: the memo of the old tips does not hide the new one."""
    main = shop.repo.git("rev-parse", "main").stdout.strip()
    path = f"{shop.beta}/tools/run.py"
    shop.repo.git("update-ref", "refs/remotes/origin/main", main)
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.beta), path=path)))
    shop.repo.git("update-ref", "refs/remotes/origin/main", _commit_on(shop, main, GIVEN))
    assert_allowed("claude", guard("claude", event("claude-write", cwd=str(shop.beta), path=path)))
