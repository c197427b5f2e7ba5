"""Twins at edit time: a new file whose path equals another team's once case-folded and
NFC-normalised is refused, as the server refuses the push that adds it (the same key, the
same rule: `gitorch check` on the commit gives the same verdict)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.agents.conftest import (
    Shop,
    assert_allowed,
    assert_refused,
    event,
    guard,
    guard_process,
    make_shop,
)
from tests.conftest import Cli

NFC, NFD = "caf\u00e9", "cafe\u0301"

MANIFEST = f"""\
version: 1
project: shop
shared: [README.md]
teams:
  alpha:
    owns: ["src/core/**", "Src/**", "docs/{NFD}/**"]
  alpha-db:
    parent: alpha
    owns: ["src/core/db/**"]
  beta:
    owns: ["src/api/**", "docs/{NFC}/**"]
"""


@pytest.fixture
def twins_shop(tmp_path: Path, cli: Cli) -> Shop:
    return make_shop(tmp_path, cli, agents="claude", seed={
        "gitorch.yaml": MANIFEST, f"docs/{NFC}/menu.md": "menu\n", "src/core/Base.py": "b\n"})


def judge(shop: Shop, rel: str) -> str | None:
    """The guard's refusal of a Write of ``rel`` in alpha's worktree, or None."""
    outcome = guard("claude", event("claude-write", cwd=str(shop.alpha),
                                    path=f"{shop.alpha}/{rel}"))
    if outcome.code == 0:
        assert_allowed("claude", outcome)
        return None
    return assert_refused("claude", outcome)


def test_a_case_twin_of_another_teams_file_is_refused(twins_shop: Shop) -> None:
    shop = twins_shop
    reason = judge(shop, "Src/Api/app.py")
    assert reason is not None
    assert ("gitorch: refused: Src/Api/app.py differs from src/api/app.py (team beta's) only in "
            "letter case or Unicode normalisation") in reason
    assert "--on beta" in reason
    assert judge(shop, "Src/Api/other.py") is None          # no twin: Src/** is alpha's


def test_an_nfd_twin_of_an_nfc_path_is_refused(twins_shop: Shop) -> None:
    shop = twins_shop
    reason = judge(shop, f"docs/{NFD}/menu.md")
    assert reason is not None and f"differs from docs/{NFC}/menu.md (team beta's)" in reason
    assert judge(shop, f"docs/{NFD}/other.md") is None


def test_a_twin_only_on_the_base_branch_is_refused(twins_shop: Shop) -> None:
    shop = twins_shop
    shop.repo.commit("Beta's new module, integrated", {"src/api/New.py": "n\n"})
    assert not (shop.alpha / "src" / "api" / "New.py").exists()     # not in alpha's checkout
    reason = judge(shop, "Src/API/new.py")
    assert reason is not None and "differs from src/api/New.py (team beta's)" in reason


def test_a_twin_of_the_teams_own_file_and_an_existing_file_pass(twins_shop: Shop) -> None:
    shop = twins_shop
    assert judge(shop, "src/core/BASE.py") is None      # the twin is alpha's own: the server agrees
    assert judge(shop, "src/core/Base.py") is None      # editing a file under its very name


def test_the_process_refuses_a_twin_too(twins_shop: Shop) -> None:
    shop = twins_shop
    text = event("claude-write", cwd=str(shop.alpha), path=f"{shop.alpha}/Src/Api/app.py")
    proc = guard_process("claude", text, shop.alpha)
    assert proc.returncode == 2
    assert "differs from src/api/app.py" in json.loads(proc.stdout)["hookSpecificOutput"][
        "permissionDecisionReason"]


@pytest.mark.parametrize("rel", ["Src/Api/app.py", "Src/Api/other.py", f"docs/{NFD}/menu.md",
                                 "src/core/BASE.py"])
def test_the_server_engine_gives_the_same_verdict(twins_shop: Shop, cli: Cli, rel: str) -> None:
    """The guard's verdict on writing ``rel`` is `gitorch check`'s (the server's engine) on the
    commit that adds it."""
    shop = twins_shop
    refused = judge(shop, rel) is not None
    target = shop.alpha / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x\n")
    git = ["git", "-C", str(shop.alpha), "-c", "core.hooksPath=/dev/null"]
    subprocess.run([*git, "add", "--", rel], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", f"Add {rel}"], check=True, capture_output=True)
    checked = cli("check", "team/alpha", cwd=shop.main)
    assert (checked.exit_code == 1) == refused, (rel, checked.output)
