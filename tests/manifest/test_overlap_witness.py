"""An overlap between two teams is shown on a real file of the tree (issue 16 item 8).

Statically, two scopes overlap on some path; the plainest such path may be one the tree
cannot hold (``src/click/types.py/x`` next to the file ``src/click/types.py``). With the
tree at hand (validate: the work tree's tracked files; a judging command: the base tip's
tree), the witness is a file both teams own today; else the message says that no file
is owned twice today and shows a path the tree allows, or the file in the way.
"""

from __future__ import annotations

import json

from tests.conftest import Cli, GitRepo

TREE = {
    "README.md": "click\n", "pyproject.toml": "[project]\nname = 'click'\n",
    "src/click/__init__.py": "", "src/click/core.py": "x = 1\n",
    "src/click/types.py": "y = 1\n", "docs/index.md": "docs\n",
}


def manifest(*teams: str) -> str:
    return "version: 1\nproject: click\norg: pallets\nteams:\n" + "".join(teams)


CORE = "  core:\n    owns: [\"/src/click/**\"]\n"
CORE_BUT_TYPES = "  core:\n    owns: [\"/src/click/**\", \"!/src/click/types.py\"]\n"
TYPES = "  types:\n    owns: [\"/src/click/types.py\"]\n"
DOCS = "  docs:\n    owns: [\"/docs/**\", \"*.md\"]\n"


def validate(repo: GitRepo, cli: Cli, text: str, extra: dict[str, str] | None = None) -> list[str]:
    repo.commit("tree", {**TREE, **(extra or {}), "gitorch.yaml": text})
    result = cli("validate", cwd=repo.path)
    assert result.exit_code == 2
    return [line.split(": ", 1)[1] for line in result.stderr.splitlines()]


def test_the_witness_is_a_file_both_teams_own_today(repo: GitRepo, cli: Cli) -> None:
    lines = validate(repo, cli, manifest(CORE, DOCS), {"src/click/guide/usage.md": "u\n",
                                                       "src/click/guide/api.md": "a\n"})
    assert lines == ["teams 'core' and 'docs' both own 'src/click/guide/api.md' (and 1 more "
                     "file of the tree): make their 'owns' disjoint, or make one a sub-team "
                     "('parent') of the other"]


def test_no_file_owned_twice_today_is_said_with_a_path_the_tree_allows(repo: GitRepo,
                                                                      cli: Cli) -> None:
    lines = validate(repo, cli, manifest(CORE, DOCS))
    assert lines == ["teams 'core' and 'docs' can both own 'src/click/x.md' (no file of the "
                     "tree is owned twice today; a file added there would be): make their "
                     "'owns' disjoint, or make one a sub-team ('parent') of the other"]


def test_a_witness_below_a_file_names_the_file_in_the_way(repo: GitRepo, cli: Cli) -> None:
    lines = validate(repo, cli, manifest(CORE_BUT_TYPES, TYPES))
    assert lines == [
        "teams 'core' and 'types' can both own paths below 'src/click/types.py', such as "
        "'src/click/types.py/x' (no file of the tree is owned twice today: "
        "'src/click/types.py' is a file, so such a path exists only if it becomes a "
        "directory): to give 'src/click/types.py' to 'types', add "
        "'!/src/click/types.py/**' to the 'owns' of team 'core'"]
    data = json.loads(cli("validate", "--json", cwd=repo.path).stdout)
    assert data["problems"][0]["message"] == lines[0]


def test_a_judging_command_shows_the_witness_of_the_base_tree(repo: GitRepo, cli: Cli) -> None:
    repo.commit("tree", {**TREE, "src/click/guide/usage.md": "u\n",
                         "gitorch.yaml": manifest(CORE, DOCS)})
    repo.git("rm", "-q", "--cached", "src/click/guide/usage.md")    # not in the index: HEAD's
    result = cli("status", cwd=repo.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "main:gitorch.yaml:8: teams 'core' and 'docs' both own 'src/click/guide/usage.md': "
        "make their 'owns' disjoint, or make one a sub-team ('parent') of the other")
