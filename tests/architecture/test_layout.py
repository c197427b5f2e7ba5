"""The package's shape: no import cycle inside gitorch/, arrows one way, a lean hook path."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gitorch

ROOT = Path(gitorch.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The gitorch modules ``path`` imports when it runs (deferred imports included,
    ``if TYPE_CHECKING:`` blocks left out: they never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gitorch"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gitorch"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.add(sub if sub in modules else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    modules = set(files)
    return {name: {m for m in _imports(path, modules) if m in modules and m != name}
            for name, path in files.items()}


def _within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_inside_gitorch() -> None:
    graph = _graph()
    assert len(graph) > 30
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_arrows_point_inward_and_down() -> None:
    """cli/ imports stages, no stage imports cli/; manifest/ and repo/ import no stage
    (only the leaves every layer shares: errors, object ids, process)."""
    graph = _graph()
    lower = ("gitorch.manifest", "gitorch.repo")
    base = {"gitorch", "gitorch.errors", "gitorch.ids", "gitorch.process"}
    assert not {d for d in graph["gitorch.ids"] if d.startswith("gitorch.")} - {"gitorch"}
    for name, deps in graph.items():
        if not _within(name, "gitorch.cli") and name != "gitorch.__main__":    # the entry point
            assert not any(_within(d, "gitorch.cli") for d in deps), name
        if _within(name, *lower):
            stray = {d for d in deps if d not in base and not _within(d, *lower)}
            assert not stray, f"{name} imports {sorted(stray)}"
    assert not any(d.startswith("gitorch.") and d not in base
                   for d in graph["gitorch.manifest.records"] - {"gitorch.manifest"})


def test_the_pre_receive_path_imports_neither_pygit2_yaml_nor_click(tmp_path: Path) -> None:
    """The hook runs on every push: its imports are deferred so that this holds."""
    probe = (
        "import sys\n"
        "from gitorch.enforce import hookrun, receive, gitread, commits\n"
        "from gitorch.manifest import cache, loading, scope\n"
        "import gitorch.hooks\n"
        "bad = sorted(m for m in ('pygit2', 'yaml', 'click', 'rich', 'jinja2') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert out.stdout.strip() == ""


def test_every_package_data_pattern_names_files_that_exist() -> None:
    """pyproject's package data: what a wheel ships besides modules (the schema, templates)."""
    import tomllib

    config = tomllib.loads((ROOT.parent / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["gitorch"]
    assert "manifest/*.json" in patterns
    for pattern in patterns:
        assert list(ROOT.glob(pattern)), f"package data {pattern!r} matches no file"
