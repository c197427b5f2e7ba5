"""gitorch doctor: each problem with its fix; the agents' hook commands run, as written, on
sample events."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from gitorch.enforce.install import install_server
from tests.agents.conftest import Shop
from tests.conftest import Cli, git


def doctor(cli: Cli, shop: Shop) -> tuple[int, dict[str, Any]]:
    result = cli("doctor", "--json", cwd=shop.main)
    return result.exit_code, json.loads(result.output)


def problems(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["check"], c["subject"], c["detail"]) for c in data["checks"] if not c["ok"]]


def test_a_healthy_set_up(shop: Shop, cli: Cli) -> None:
    code, data = doctor(cli, shop)
    assert (code, problems(data)) == (0, [])
    probes = [c["detail"] for c in data["checks"]
              if c["check"] == "agent-hooks" and c["subject"] == "alpha/codex"]
    assert probes == ["an edit of src/core/x: allowed", "an edit of src/api/x: refused",
                      "git commit --no-verify: refused"]
    probes = [c["detail"] for c in data["checks"]
              if c["check"] == "agent-hooks" and c["subject"] == "alpha/claude"]
    assert "an MCP write_file of src/api/x: refused" in probes
    checked = {c["check"] for c in data["checks"]}
    assert checked == {"manifest", "policy", "base", "branch", "worktree", "brief",
                       "commit-hooks", "agent-brief", "agent-hooks", "server-hook"}
    text = cli("doctor", cwd=shop.main)
    assert text.exit_code == 0 and text.output.endswith("gitorch doctor: no problems\n")


def test_settings_that_do_not_send_mcp_writes_to_the_guard_are_caught(shop: Shop,
                                                                     cli: Cli) -> None:
    # Claude Code settings as an older gitorch wrote them: the edit tools and Bash only
    path = shop.alpha / ".claude" / "settings.json"
    data = json.loads(path.read_text())
    data["hooks"]["PreToolUse"][0]["matcher"] = "Write|Edit|MultiEdit|NotebookEdit|Bash"
    path.write_text(json.dumps(data))
    code, report = doctor(cli, shop)
    assert code == 1
    assert problems(report) == [("agent-hooks", "alpha/claude", "settings.json: no gitorch guard "
                                 "registered for PreToolUse mcp__filesystem__write_file")]
    fixes = {c["fix"] for c in report["checks"] if not c["ok"]}
    assert fixes == {"gitorch agents setup"}
    assert cli("agents", "setup", cwd=shop.main).exit_code == 0
    assert doctor(cli, shop)[0] == 0


def test_a_hook_command_that_cannot_run_is_caught(shop: Shop, cli: Cli) -> None:
    settings = shop.beta / ".claude" / "settings.json"
    settings.write_text(settings.read_text().replace(json.dumps(sys.executable)[1:-1],
                                                     "/gone/python3"))
    code, data = doctor(cli, shop)
    assert code == 1
    found = [p[2] for p in problems(data) if p[1] == "beta/claude"]
    # before an edit the hook fails closed (every edit refused), and doctor says why
    assert found and all("the hook command failed (exit 2: " in p and "not found" in p
                         for p in found)
    assert "the agent would refuse every edit" in found[0]
    text = cli("doctor", cwd=shop.main).output
    assert "fix: gitorch agents setup" in text and text.endswith("problems\n")
    assert cli("agents", "setup", cwd=shop.main).exit_code == 0      # the fix fixes it
    assert doctor(cli, shop)[0] == 0


def test_a_hook_command_that_fails_open_is_caught(shop: Shop, cli: Cli) -> None:
    settings = shop.beta / ".codex" / "hooks.json"
    settings.write_text(settings.read_text().replace(" || exit 2", "").replace(
        json.dumps(sys.executable)[1:-1], "/gone/python3"))
    found = [p[2] for p in problems(doctor(cli, shop)[1]) if p[1] == "beta/codex"]
    assert found and "(exit 127: " in found[0]
    assert "the agent would let every edit through" in found[0]


def test_a_hook_that_lets_everything_through_is_caught(shop: Shop, cli: Cli) -> None:
    settings = shop.alpha / ".gemini" / "settings.json"
    data = json.loads(settings.read_text())
    # its answer swallowed: exit 0, nothing on stdout, so Gemini CLI lets every edit through
    hook = data["hooks"]["BeforeTool"][0]["hooks"][0]
    hook["command"] = f"( {hook['command']} ) >/dev/null 2>&1; exit 0"
    settings.write_text(json.dumps(data))
    _, report = doctor(cli, shop)
    assert ("agent-hooks", "alpha/gemini", "an edit of src/api/x was let through") \
        in problems(report)


def test_missing_worktree_hooks_and_brief(shop: Shop, cli: Cli) -> None:
    shutil.rmtree(shop.beta)
    git(shop.main, "worktree", "prune")
    git(shop.alpha, "config", "--worktree", "--unset", "core.hooksPath")
    (shop.alpha_db / "GITORCH.md").unlink()
    code, data = doctor(cli, shop)
    assert code == 1
    found = {(p[0], p[1]) for p in problems(data)}
    assert found == {("worktree", "beta"), ("commit-hooks", "alpha"), ("brief", "alpha-db")}
    fixes = {c["check"]: c["fix"] for c in data["checks"] if not c["ok"]}
    assert fixes == {"worktree": "gitorch init-worktrees", "commit-hooks": "gitorch agents setup",
                     "brief": "gitorch agents setup"}


def test_the_server_hook_where_origin_is_a_local_bare_repository(shop: Shop, cli: Cli,
                                                                  tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(shop.main, "remote", "add", "origin", str(bare))
    git(shop.main, "push", "-q", "origin", "main")
    _, data = doctor(cli, shop)
    [check] = [c for c in data["checks"] if c["check"] == "server-hook"]
    assert (check["ok"], check["fix"]) == (False, f"gitorch hooks install --server {bare}")
    install_server(bare)
    _, data = doctor(cli, shop)
    [check] = [c for c in data["checks"] if c["check"] == "server-hook"]
    assert check["ok"] and check["detail"].endswith("installed, policy readable")


def test_an_invalid_manifest(shop: Shop, cli: Cli) -> None:
    (shop.main / "gitorch.yaml").write_text("version: 1\nproject: shop\nteams: {}\n")
    code, data = doctor(cli, shop)
    assert code == 1
    [bad] = [c for c in data["checks"] if c["check"] == "manifest"]
    assert not bad["ok"] and "'teams' is empty" in bad["detail"]
    assert bad["fix"] == "run 'gitorch validate' and fix the lines it names"
