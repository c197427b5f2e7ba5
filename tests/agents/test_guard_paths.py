"""The guard on every agent's edit tools: the recorded events, each path case, both forms of a
refusal (JSON decision on stdout, exit 2 with the reason on stderr)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agents.conftest import Shop, assert_allowed, assert_refused, event, guard

# (agent, recorded event) for every edit tool the guard reads
WRITE_TOOLS = [("claude", "claude-write"), ("claude", "claude-edit"),
               ("claude", "claude-multiedit"), ("claude", "claude-notebook"),
               ("codex", "codex-apply-patch"), ("gemini", "gemini-write-file"),
               ("gemini", "gemini-replace"), ("cursor", "cursor-write"),
               ("cursor", "cursor-strreplace"),
               # MCP servers' write tools, as Claude Code names them
               ("claude", "claude-mcp-write-file"), ("claude", "claude-mcp-edit-file"),
               ("claude", "claude-mcp-edit-block"), ("claude", "claude-mcp-serena-create")]

SCOPE = "Team alpha may write: src/core/**; shared: README.md."
WHAT_TO_DO = "do not work around it with a shell command"

# (case, path as the agent gives it: {alpha} {main} {beta} filled in; refused phrases or None)
CASES: list[tuple[str, str, tuple[str, ...] | None]] = [
    ("in scope", "{alpha}/src/core/new.py", None),
    ("a sub-team's path", "{alpha}/src/core/db/schema.py", None),
    ("shared", "{alpha}/README.md", None),
    ("relative, in scope", "src/core/rel.py", None),
    ("backslashes, in scope", "src\\core\\win.py", None),
    ("outside every worktree", "{tmp}/elsewhere/notes.txt", None),
    ("out of scope", "{alpha}/src/api/x.py",
     ("src/api/x.py is owned by team beta, not by team alpha", SCOPE, "--on beta", WHAT_TO_DO)),
    ("no team's path", "{alpha}/docs/guide.md",
     ("docs/guide.md belongs to no team (only the integrators change it)", SCOPE)),
    ("relative, out of scope", "src/api/rel.py", ("src/api/rel.py is owned by team beta",)),
    ("backslashes, out of scope", "src\\api\\win.py", ("src/api/win.py is owned by team beta",)),
    ("'..' out of scope", "{alpha}/src/core/../api/up.py", ("src/api/up.py is owned by team beta",)),
    ("a symlink out of scope", "{alpha}/src/core/link/through.py",
     ("src/api/through.py is owned by team beta",)),
    ("the main checkout", "{main}/src/core/x.py",
     ("is in the main checkout", "(edit {alpha}/src/core/x.py there instead)")),
    ("another team's worktree", "{beta}/src/api/x.py",
     ("is in team beta's worktree", "team alpha works only in {alpha}", "--on beta")),
    ("'..' into another worktree", "../beta/src/api/y.py", ("is in team beta's worktree",)),
    ("the brief", "{alpha}/GITORCH.md", ("GITORCH.md is a control file",)),
    ("Claude's import", "{alpha}/CLAUDE.local.md", ("CLAUDE.local.md is a control file",)),
    ("Codex's override", "{alpha}/AGENTS.override.md", ("AGENTS.override.md is a control file",)),
    ("agent settings", "{alpha}/.claude/settings.json", (".claude/settings.json is a control",)),
    ("the worktree's .git", "{alpha}/.git", (".git is a control file",)),
    ("the repository's hooks", "{main}/.git/hooks/pre-commit",
     ("is inside the repository's git directory",)),
]


def fill(text: str, shop: Shop, tmp: Path) -> str:
    return text.format(alpha=shop.alpha, main=shop.main, beta=shop.beta, tmp=tmp)


def write_event(name: str, shop: Shop, path: str, cwd: Path) -> str:
    if name.startswith("codex"):
        patch = f"*** Begin Patch\n*** Update File: {path}\n@@\n-x = 1\n+x = 2\n*** End Patch\n"
        return event(name, cwd=str(cwd), patch=patch)
    return event(name, cwd=str(cwd), path=path)


@pytest.mark.parametrize(("agent", "name"), WRITE_TOOLS)
def test_every_path_case(agent: str, name: str, shared_shop: Shop, tmp_path: Path) -> None:
    shop = shared_shop
    for case, path, refused in CASES:
        outcome = guard(agent, write_event(name, shop, fill(path, shop, tmp_path), shop.alpha))
        if refused is None:
            assert outcome.code == 0, (case, outcome)
            assert_allowed(agent, outcome)
        else:
            assert_refused(agent, outcome, *(fill(p, shop, tmp_path) for p in refused))


def test_a_codex_patch_that_adds_updates_deletes_and_moves(shared_shop: Shop) -> None:
    shop = shared_shop
    inside = ("*** Begin Patch\n*** Add File: src/core/added.py\n+a = 1\n"
              "*** Update File: src/core/base.py\n@@\n-x = 1\n+x = 2\n"
              "*** Delete File: src/core/old.py\n"
              "*** Update File: src/core/mv.py\n*** Move to: src/core/db/mv.py\n@@\n-mv = 1\n"
              "+mv = 2\n*** End Patch\n")
    assert_allowed("codex", guard("codex", event("codex-apply-patch", cwd=str(shop.alpha),
                                                 patch=inside)))
    moved_out = inside.replace("*** Move to: src/core/db/mv.py", "*** Move to: src/api/mv.py")
    reason = assert_refused("codex", guard("codex", event("codex-apply-patch",
                                                          cwd=str(shop.alpha), patch=moved_out)),
                            "src/api/mv.py is owned by team beta")
    assert reason.count("gitorch: refused:") == 1       # the other three files are alpha's
    deleted = "*** Begin Patch\n*** Delete File: src/api/app.py\n*** End Patch\n"
    assert_refused("codex", guard("codex", event("codex-apply-patch", cwd=str(shop.alpha),
                                                 patch=deleted)),
                   "src/api/app.py is owned by team beta")
    moved_from = ("*** Begin Patch\n*** Update File: src/api/app.py\n*** Move to: src/core/app.py\n"
                  "*** End Patch\n")
    assert_refused("codex", guard("codex", event("codex-apply-patch", cwd=str(shop.alpha),
                                                 patch=moved_from)),
                   "src/api/app.py is owned by team beta")


def test_a_patch_without_file_headers_is_refused(shared_shop: Shop) -> None:
    outcome = guard("codex", event("codex-apply-patch", cwd=str(shared_shop.alpha),
                                   patch="--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"))
    assert_refused("codex", outcome, "cannot tell which file this apply_patch writes")


def test_deleting_a_symlink_judges_the_link_itself(shared_shop: Shop) -> None:
    # the link is alpha's (src/core/link); what it points to is beta's
    patch = "*** Begin Patch\n*** Delete File: src/core/link\n*** End Patch\n"
    assert_allowed("codex", guard("codex", event("codex-apply-patch", cwd=str(shared_shop.alpha),
                                                 patch=patch)))


def test_reading_is_none_of_the_guards_business(shared_shop: Shop) -> None:
    outcome = guard("cursor", event("cursor-read", cwd=str(shared_shop.alpha),
                                    path=f"{shared_shop.beta}/src/api/app.py"))
    assert_allowed("cursor", outcome)


def test_the_team_comes_from_the_worktree_the_path_is_in(shared_shop: Shop) -> None:
    shop = shared_shop
    # an agent in the main checkout (no team) writing into beta's worktree: beta's rule applies
    assert_allowed("claude", guard("claude", event("claude-write", cwd=str(shop.main),
                                                   path=f"{shop.beta}/src/api/new.py")))
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.main),
                                                   path=f"{shop.beta}/src/core/new.py")),
                   "src/core/new.py is owned by team alpha, not by team beta",
                   "Team beta may write: src/api/**")
    # the main checkout itself is no team's worktree: the lead's own edits pass
    assert_allowed("claude", guard("claude", event("claude-write", cwd=str(shop.main),
                                                   path=f"{shop.main}/docs/plan.md")))
    # a sub-team may not change its parent's paths
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.alpha_db),
                                                   path=f"{shop.alpha_db}/src/core/base.py")),
                   "src/core/base.py is owned by team alpha, not by team alpha-db")
