"""Where every command finds its manifest: --manifest PATH before or after the command name, else
$GITORCH_MANIFEST, else gitorch.yaml at the repository root, for every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.contract.conftest import Project

OMEGA_MEGAFILE = """\
megafile: omega
team: omega
rules:
  - path: "src/omega/x.py"
    template: "x = 1\\n"
"""

# Commands whose report names the alternative manifest's extra team 'omega' (or its
# project 'altshop') only when that manifest is the one read, and their exit code then:
# 1 where omega is charged with alpha's commit, and where alpha and beta both change the
# shared README.md (a predicted conflict; integrate without --fix skips beta).
COMMANDS: list[tuple[tuple[str, ...], int]] = [
    (("validate",), 0),
    (("owner", "src/omega/x.py"), 0),
    (("brief", "omega"), 0),
    (("codeowners",), 0),
    (("check", "--team", "omega", "team/alpha"), 1),
    (("conflicts",), 1),
    (("integrate", "--dry-run"), 1),
    (("status",), 0),
    (("monitor",), 0),
    (("gate", "--head", "team/alpha", "--base", "main"), 0),
    (("signal", "working", "--team", "omega"), 0),
    (("expand", "{megafile}", "--dry-run"), 0),
    (("init-worktrees",), 0),
]


def _marked(stdout: str) -> bool:
    text = json.dumps(json.loads(stdout))
    return re.search(r'"omega"|@omega|altshop|conf/alt\.yaml', text) is not None


@pytest.mark.parametrize(("args", "code"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_every_command_finds_the_manifest_the_same_way(project: Project, cli: Cli,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       args: tuple[str, ...], code: int) -> None:
    megafile = tmp_path / "omega.yaml"
    megafile.write_text(OMEGA_MEGAFILE)
    argv = [a.format(megafile=megafile) for a in args]
    cmd, rest = argv[0], argv[1:]
    here = project.work.path
    alt = project.alt       # relative to the work tree, committed on main (the gate needs that)

    default = cli(*argv, "--json", cwd=here)          # gitorch.yaml at the root: no omega
    assert not (default.stdout and _marked(default.stdout)), default.output

    before = cli("--manifest", alt, cmd, *rest, "--json", cwd=here)
    after = cli(cmd, *rest, "--manifest", alt, "--json", cwd=here)
    monkeypatch.setenv("GITORCH_MANIFEST", alt)
    from_env = cli(cmd, *rest, "--json", cwd=here)
    # the command line wins over the environment
    monkeypatch.setenv("GITORCH_MANIFEST", "no/such/manifest.yaml")
    both = cli(cmd, *rest, "--manifest", alt, "--json", cwd=here)
    for result in (before, after, from_env, both):
        assert result.exit_code == code, result.output
        assert _marked(result.stdout), result.output


def test_hooks_install_server_pins_a_manifest_given_on_the_command_line(
        project: Project, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    alt = project.work.path / project.alt
    hook = project.server / "hooks" / "pre-receive"
    for argv in (["hooks", "install", "--server", str(project.server), "--manifest", str(alt)],
                 ["--manifest", str(alt), "hooks", "install", "--server", str(project.server)]):
        result = cli(*argv, "--json", cwd=project.work.path)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["policy"] == str(alt)
        assert f"--policy {alt}" in hook.read_text()
    # $GITORCH_MANIFEST never pins a server's policy: the base branch's gitorch.yaml rules
    monkeypatch.setenv("GITORCH_MANIFEST", str(alt))
    result = cli("hooks", "install", "--server", str(project.server), "--json",
                 cwd=project.work.path)
    assert json.loads(result.stdout)["policy"] is None
    assert "--policy" not in hook.read_text()


def test_hooks_install_local_says_the_client_hooks_cannot_pin_a_manifest(
        project: Project, cli: Cli) -> None:
    result = cli("hooks", "install", "--local", "--manifest", project.alt, cwd=project.work.path)
    assert result.exit_code == 2
    assert result.output == (
        "gitorch: the client hooks read gitorch.yaml at the base tip (or $GITORCH_MANIFEST) each "
        "time they run; --manifest cannot be pinned in them; drop --manifest, or set "
        "GITORCH_MANIFEST where you commit and push\n")
    assert not (project.work.path / ".git" / "hooks" / "pre-commit").exists()


def test_hooks_install_local_refuses_a_bare_repository(project: Project, cli: Cli) -> None:
    result = cli("hooks", "install", "--local", cwd=project.server)
    assert result.exit_code == 2
    assert result.output.startswith(f"gitorch: {project.server} is a bare repository: "
                                    "client hooks need a clone")
    assert not (project.server / "hooks" / "pre-commit").exists()


def test_sub_team_ownership(project: Project, cli: Cli) -> None:
    """owner prints the sub-team; the parent may change its paths; shared wins."""
    result = cli("owner", "src/core/db/t.py", "src/core/a.py", "src/core/shared.py",
                 cwd=project.work.path)
    assert result.output == "src/core/db/t.py\talpha-db\nsrc/core/a.py\talpha\n" \
                            "src/core/shared.py\tshared\n"
    # team/alpha changed src/core/db/t.py (alpha-db's): the parent may
    assert cli("check", "team/alpha", cwd=project.work.path).exit_code == 0
    project.work.checkout("team/alpha-db")
    project.work.commit("db reaches up", {"src/core/a.py": "x = 3\n"})
    result = cli("check", cwd=project.work.path)
    assert result.exit_code == 1
    assert "src/core/a.py  (owner: alpha)" in result.output
