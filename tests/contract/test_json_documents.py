"""Every reporting command with --json prints ONE JSON document on stdout (the whole of
stdout parses), with the documented exit code, also when it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_MANIFEST, Cli
from tests.contract.conftest import Project

MEGAFILE = """\
megafile: cores
team: alpha
vars:
  names: [one, two]
rules:
  - for: n in names
    path: "src/core/gen/{{ n }}.py"
    template: |
      name = "{{ n }}"
      upper = "{{ n | upper }}"
"""

# (arguments, expected exit code); "{server}" and "{megafile}" are filled in per test.
COMMANDS = [
    (("validate",), 0),
    (("owner", "src/core/db/x.py", "README.md", "nowhere"), 0),
    (("brief", "alpha"), 0),
    (("codeowners",), 0),
    (("check", "team/alpha"), 0),
    (("check", "--team", "beta", "team/alpha"), 1),
    (("conflicts",), 1),                      # both teams changed README.md's one line
    (("integrate", "--dry-run"), 1),          # beta conflicts with alpha: skipped
    (("integrate", "--dry-run", "--fix"), 0),
    (("status",), 0),
    (("monitor",), 0),
    (("gate", "--head", "team/alpha", "--base", "main"), 0),
    (("signal", "blocked", "--team", "beta", "--reason", "waiting"), 0),
    (("expand", "{megafile}", "--dry-run"), 0),
    (("expand", "{megafile}"), 0),
    (("init-worktrees",), 0),
    (("hooks", "install", "--local"), 0),
    (("hooks", "install", "--server", "{server}"), 0),
]


@pytest.mark.parametrize(("args", "code"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_json_is_one_document(project: Project, cli: Cli, tmp_path: Path,
                              args: tuple[str, ...], code: int) -> None:
    megafile = tmp_path / "cores.yaml"
    megafile.write_text(MEGAFILE)
    filled = [a.format(server=project.server, megafile=megafile) for a in args]
    result = cli(*filled, "--json", cwd=project.work.path)
    assert result.exit_code == code, result.output
    document = json.loads(result.stdout)
    assert isinstance(document, dict) and document


def test_validate_json_reports_problems_and_exits_2(project: Project, cli: Cli) -> None:
    project.work.write({"gitorch.yaml": "version: 1\nproject: p\nteams:\n  a:\n    owns: 3\n"})
    result = cli("validate", "--json", cwd=project.work.path)
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["problems"][0]["line"] == 5


def test_expand_json_lists_files_and_exits_1_before_writing(project: Project, cli: Cli,
                                                            tmp_path: Path) -> None:
    megafile = tmp_path / "bad.yaml"
    megafile.write_text(MEGAFILE + '  - path: "src/api/stolen.py"\n    template: "x = 1\\n"\n')
    result = cli("expand", str(megafile), "--json", cwd=project.work.path)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [(f["path"], f["lines"]) for f in document["files"]] == [
        ("src/core/gen/one.py", 2), ("src/core/gen/two.py", 2)]
    assert document["problems"] == [
        "rule 2: src/api/stolen.py: is outside team alpha's scope (owner: beta)"]
    assert not (project.work.path / "src/core/gen").exists()


def test_expand_refuses_other_content_unless_forced(project: Project, cli: Cli,
                                                    tmp_path: Path) -> None:
    megafile = tmp_path / "cores.yaml"
    megafile.write_text(MEGAFILE)
    project.work.write({"src/core/gen/two.py": "mine\n"})
    result = cli("expand", str(megafile), cwd=project.work.path)
    assert result.exit_code == 1
    assert not (project.work.path / "src/core/gen/one.py").exists()     # all or nothing
    assert (project.work.path / "src/core/gen/two.py").read_text() == "mine\n"
    result = cli("expand", str(megafile), "--force", cwd=project.work.path)
    assert result.exit_code == 0, result.output
    assert (project.work.path / "src/core/gen/two.py").read_text() == (
        'name = "two"\nupper = "TWO"\n')


@pytest.mark.parametrize("args", [("status",), ("conflicts",), ("integrate",), ("check",),
                                  ("monitor", "--once"), ("init-worktrees",)])
def test_a_repository_that_cannot_be_read_exits_2(cli: Cli, tmp_path: Path,
                                                  args: tuple[str, ...]) -> None:
    (tmp_path / "gitorch.yaml").write_text(MINIMAL_MANIFEST)
    result = cli(*args, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith(f"gitorch: {tmp_path}: not inside a git repository")


@pytest.mark.parametrize("args", [("conflicts", "--base", "nope"), ("check", "nope"),
                                  ("gate", "--head", "nope", "--base", "main")])
def test_a_ref_that_does_not_exist_exits_2(project: Project, cli: Cli,
                                           args: tuple[str, ...]) -> None:
    result = cli(*args, "--json", cwd=project.work.path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "'nope'" in result.output and "Traceback" not in result.output
