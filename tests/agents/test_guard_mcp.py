"""Writes through MCP servers' tools (recorded hook inputs): the guard reads their target
paths like the agents' own edit tools, and the written settings send them to it."""

from __future__ import annotations

from gitorch.agents import replay
from gitorch.agents.guard import MCP_WRITE_TOOLS, mcp_tool
from tests.agents.conftest import Shop, assert_allowed, assert_refused, event, guard


def move(shop: Shop, source: str, destination: str) -> str:
    return event("claude-mcp-move-file", cwd=str(shop.alpha), source=f"{shop.alpha}/{source}",
                 destination=f"{shop.alpha}/{destination}")


def test_a_move_is_judged_at_both_ends(shared_shop: Shop) -> None:
    shop = shared_shop
    assert_allowed("claude", guard("claude", move(shop, "src/core/mv.py", "src/core/db/mv.py")))
    assert_refused("claude", guard("claude", move(shop, "src/core/mv.py", "src/api/mv.py")),
                   "src/api/mv.py is owned by team beta", "--on beta")
    assert_refused("claude", guard("claude", move(shop, "src/api/app.py", "src/core/app.py")),
                   "src/api/app.py is owned by team beta")


def test_a_directory_made_in_another_teams_paths_is_refused(shared_shop: Shop) -> None:
    shop = shared_shop
    made = event("claude-mcp-create-directory", cwd=str(shop.alpha),
                 path=f"{shop.alpha}/src/core/new")
    assert_allowed("claude", guard("claude", made))
    made = event("claude-mcp-create-directory", cwd=str(shop.alpha),
                 path=f"{shop.alpha}/src/api/new")
    assert_refused("claude", guard("claude", made), "src/api/new is owned by team beta")


def test_reading_through_mcp_and_unknown_tools_pass(shared_shop: Shop) -> None:
    shop = shared_shop
    read = event("claude-mcp-read-file", cwd=str(shop.alpha), path=f"{shop.beta}/src/api/app.py")
    assert_allowed("claude", guard("claude", read))
    unknown = read.replace("mcp__filesystem__read_text_file", "mcp__github__create_issue")
    assert_allowed("claude", guard("claude", unknown))


def test_a_write_tool_without_its_path_is_refused(shared_shop: Shop) -> None:
    shop = shared_shop
    text = move(shop, "src/core/mv.py", "src/core/x.py").replace('"destination"', '"dest"')
    assert_refused("claude", guard("claude", text),
                   "cannot tell which files this mcp__filesystem__move_file writes")


def test_cursor_names_the_tool_alone_before_an_mcp_call(shared_shop: Shop) -> None:
    shop = shared_shop
    inside = event("cursor-mcp-write-file", cwd=str(shop.alpha), path=f"{shop.alpha}/src/core/m.py")
    assert_allowed("cursor", guard("cursor", inside))
    outside = event("cursor-mcp-write-file", cwd=str(shop.alpha), path=f"{shop.alpha}/src/api/m.py")
    assert_refused("cursor", guard("cursor", outside), "src/api/m.py is owned by team beta")


def test_tool_names() -> None:
    assert mcp_tool("mcp__filesystem__write_file", "PreToolUse") == "write_file"
    assert mcp_tool("mcp__plugin_serena_serena__create_text_file", "PreToolUse") == \
        "create_text_file"
    assert mcp_tool("mcp__my-fs__edit_file", "PreToolUse") == "edit_file"
    assert mcp_tool("Write", "PreToolUse") is None
    assert mcp_tool("write_file", "BeforeTool") is None      # Gemini's own tool, not MCP
    assert mcp_tool("write_file", "beforeMCPExecution") == "write_file"


def test_the_written_claude_settings_send_mcp_writes_to_the_guard(shared_shop: Shop) -> None:
    settings = replay.read_settings(shared_shop.alpha / ".claude" / "settings.json")

    def guarded(tool: str) -> bool:
        return any("gitorch/guard.py" in c
                   for c in replay.commands("claude", settings, "PreToolUse", tool))

    for name in MCP_WRITE_TOOLS:
        assert guarded(f"mcp__filesystem__{name}"), name
        assert guarded(f"mcp__plugin_tools_fs__{name}"), name
    for tool in ("Write", "Edit", "MultiEdit", "NotebookEdit", "Bash"):
        assert guarded(tool), tool
    for tool in ("mcp__filesystem__read_text_file", "Read", "NotebookRead", "mcp__x__write_files",
                 "BashOutput", "WebFetch"):
        assert not guarded(tool), tool
