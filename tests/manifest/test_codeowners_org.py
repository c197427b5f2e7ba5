"""CODEOWNERS names GitHub teams as @org/team (issue 16 item 9).

GitHub resolves a team only as ``@org/team``; the old default ``@<team>`` named a user
that does not exist, and GitHub ignores such a line. The manifest's ``org`` makes the
default ``@<org>/<team>``; without it, a team with no ``codeowners`` of its own makes
``gitorch codeowners`` refuse, naming the teams and the two ways out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from codeowners import CodeOwners

from gitorch.manifest.records import CODEOWNER_RE
from tests.conftest import Cli, GitRepo
from tests.manifest.test_init import CLICK_LIKE

ROOT = Path(__file__).resolve().parents[2]
GITHUB_TEAM = re.compile(r"^@[A-Za-z0-9-]+/[A-Za-z0-9_.-]+$")


def owners_of(text: str) -> dict[str, list[str]]:
    """pattern -> owners of every rule line of a CODEOWNERS text."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            pattern, *owners = line.split(" ")
            out[pattern] = owners
    return out


@pytest.mark.parametrize("url", ["git@github.com:acme/click.git",
                                 "https://github.com/acme/click", "ssh://git@github.com/acme/click.git"])
def test_init_in_a_github_clone_gives_codeowners_github_teams(repo: GitRepo, cli: Cli,
                                                              url: str) -> None:
    repo.commit("a src layout", CLICK_LIKE)
    repo.git("remote", "add", "origin", url)
    assert cli("init", cwd=repo.path).exit_code == 0
    assert "\norg: \"acme\"\n" in (repo.path / "gitorch.yaml").read_text()
    assert cli("validate", cwd=repo.path).exit_code == 0
    result = cli("codeowners", cwd=repo.path)
    assert result.exit_code == 0, result.output
    rules = owners_of(result.stdout)
    assert rules["/src/click/**"] == ["@acme/click"]
    assert rules["/src/extra/**"] == ["@acme/extra"]
    github = CodeOwners(result.stdout)
    assert github.of("src/click/core.py") == [("TEAM", "@acme/click")]


def test_init_without_a_github_remote_says_to_name_the_org(repo: GitRepo, cli: Cli) -> None:
    repo.commit("a src layout", CLICK_LIKE)
    result = cli("init", cwd=repo.path)
    assert result.exit_code == 0
    assert "# org: your-org" in (repo.path / "gitorch.yaml").read_text()
    assert "gitorch: note: no GitHub remote found: set 'org:'" in result.stderr
    refused = cli("codeowners", cwd=repo.path)
    assert refused.exit_code == 2
    assert "team 'click' has no 'codeowners' and the manifest has no 'org'" in refused.stderr


MANIFEST = """\
version: 1
project: shop
integrators: [lead, "@acme/leads"]
teams:
  core:
    owns: ["src/core/**"]
  api:
    owns: ["src/api/**"]
    codeowners: ["@acme/api-team", "ann@example.com"]
  web:
    owns: ["src/web/**"]
"""


def test_without_org_a_team_without_codeowners_is_refused(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MANIFEST)
    result = cli("--manifest", "m.yaml", "codeowners")
    assert result.exit_code == 2
    assert result.stdout == ""                          # no half file to redirect into place
    assert result.stderr.splitlines() == [
        "m.yaml:5: team 'core' has no 'codeowners' and the manifest has no 'org': GitHub owners "
        "are '@org/team', '@user' or an e-mail address",
        "m.yaml:10: team 'web' has no 'codeowners' and the manifest has no 'org': GitHub owners "
        "are '@org/team', '@user' or an e-mail address",
        "gitorch: add 'org: <your GitHub organisation>' at the top of gitorch.yaml (a team "
        "without 'codeowners' is then @<org>/<team>), or give each team listed 'codeowners:'; "
        "then run 'gitorch codeowners' again"]
    as_json = cli("--manifest", "m.yaml", "codeowners", "--json")
    assert as_json.exit_code == 2
    data = json.loads(as_json.stdout)
    assert data["codeowners"] is None
    assert [(p["file"], p["line"]) for p in data["problems"]] == [("m.yaml", 5), ("m.yaml", 10)]
    assert data["hint"].startswith("add 'org: <your GitHub organisation>'")


def test_org_makes_the_default_owner_a_github_team(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MANIFEST.replace("project: shop\n",
                                                      "project: shop\norg: acme\n"))
    result = cli("--manifest", "m.yaml", "codeowners")
    assert result.exit_code == 0, result.output
    rules = owners_of(result.stdout)
    assert rules["/src/core/**"] == ["@acme/core"]
    assert rules["/src/web/**"] == ["@acme/web"]
    assert rules["/src/api/**"] == ["@acme/api-team", "ann@example.com"]   # its own list wins
    assert rules["/gitorch.yaml"] == ["@lead", "@acme/leads"]    # integrators: users, kept
    data = json.loads(cli("--manifest", "m.yaml", "codeowners", "--json").stdout)
    assert {o for r in data["rules"] for o in r["owners"]} <= {
        "@acme/core", "@acme/web", "@acme/api-team", "ann@example.com", "@lead", "@acme/leads"}


@pytest.mark.parametrize(("line", "message"), [
    ("orgs: acme", "m.yaml:3: unknown key 'orgs' in the manifest: did you mean 'org'?"),
    ("org: '@acme'", "m.yaml:3: 'org' '@acme' is not a GitHub organisation name: write "
                     "'org: acme' (teams then get @<org>/<team>)"),
    ("org: acme/core", "m.yaml:3: 'org' 'acme/core' is not a GitHub organisation name: write "
                       "'org: acme' (teams then get @<org>/<team>)"),
    ("org: -acme-", "m.yaml:3: 'org' '-acme-' is not a GitHub organisation name: letters, "
                    "digits and single hyphens, as in github.com/<org> (teams then get "
                    "@<org>/<team>)"),
    ("org: [acme]", "m.yaml:3: 'org' must be a non-empty string, not a list"),
])
def test_a_wrong_org_is_a_problem_with_its_fix(cli: Cli, tmp_path: Path, line: str,
                                               message: str) -> None:
    (tmp_path / "m.yaml").write_text(MANIFEST.replace("integrators:", f"{line}\nintegrators:"))
    result = cli("--manifest", "m.yaml", "validate")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == message


@pytest.mark.parametrize("path", [*sorted((ROOT / "gitorch" / "data").glob("*.yaml")),
                                  *sorted((ROOT / "manifests").glob("*.yaml")),
                                  ROOT / "gitorch.yaml"], ids=lambda p: str(p.relative_to(ROOT)))
def test_the_shipped_manifests_give_codeowners_github_teams(cli: Cli, tmp_path: Path,
                                                            path: Path) -> None:
    result = cli("--manifest", str(path), "codeowners", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    for owners in owners_of(result.stdout).values():
        for owner in owners:
            assert CODEOWNER_RE.fullmatch(owner), owner
    data = json.loads(cli("--manifest", str(path), "codeowners", "--json", cwd=tmp_path).stdout)
    teams = [r for r in data["rules"] if r["owner"] not in ("shared", "integrators")]
    assert teams and all(GITHUB_TEAM.fullmatch(o) for r in teams for o in r["owners"])


def test_a_template_from_init_works_with_codeowners(repo: GitRepo, cli: Cli) -> None:
    repo.commit("start", {"README.md": "x\n"})
    assert cli("init", "--template", "ecommerce", cwd=repo.path).exit_code == 0
    assert cli("codeowners", cwd=repo.path).exit_code == 0
