"""`gitorch validate`: every problem, one `FILE:LINE: message` line each, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitorch.errors import ManifestError
from gitorch.manifest import TeamName
from gitorch.manifest.loading import parse_manifest
from tests.conftest import MINIMAL_MANIFEST, Cli

BAD = """\
version: 1
project: shop
shard: [README.md]
gates:
  coverage: 180
  test_comand: pytest
teams:
  alpha:
    owns: ["src/core/**"]
    depends_on: [beta]
    priority: high
  beta:
    owns: ["src/*/handlers/**"]
    depends_on: [alpha, gama]
    descripton: API
  gamma:
    owns: ["docs/*.md"]
    depends_on: [gamma]
  delta:
    owns: ["docs/api/**"]
    target_loc: [10, 5]
  delta-db:
    parent: delta
    owns: ["src/database/**"]
  eps:
    parent: zeta
    owns: "x/**"
  bad:
    owns: ["a\\\\"]
    codeowners: ["nobody"]
"""


def validate(cli: Cli, tmp_path: Path, text: str) -> tuple[int, list[str]]:
    (tmp_path / "m.yaml").write_text(text)
    result = cli("--manifest", "m.yaml", "validate")
    return result.exit_code, result.stderr.splitlines()


def test_every_problem_is_reported_with_its_line(cli: Cli, tmp_path: Path) -> None:
    code, lines = validate(cli, tmp_path, BAD)
    assert code == 2
    assert lines == [
        "m.yaml:3: unknown key 'shard' in the manifest: did you mean 'shared'?",
        "m.yaml:5: 'coverage' must lie between 0 and 100, not 180",
        "m.yaml:6: unknown key 'test_comand' in 'gates': did you mean 'test_command'?",
        "m.yaml:10: dependency cycle: alpha -> beta -> alpha",
        "m.yaml:11: 'priority' must be a whole number, not a string ('high')",
        "m.yaml:13: teams 'alpha' and 'beta' can both own 'src/core/handlers/x': make their "
        "'owns' disjoint, or make one a sub-team ('parent') of the other",
        "m.yaml:14: team 'beta' depends on 'gama', which is no team: did you mean 'gamma'?",
        "m.yaml:15: unknown key 'descripton' in team 'beta': did you mean 'description'?",
        "m.yaml:18: team 'gamma' depends on itself",
        "m.yaml:21: 'target_loc' must be a positive number or [low, high] with low <= high, "
        "not [10, 5]",
        "m.yaml:24: sub-team 'delta-db' reaches outside its parent 'delta': 'src/database/**' "
        "matches 'src/database/x', which 'delta' does not own",
        "m.yaml:24: teams 'beta' and 'delta-db' can both own 'src/database/handlers/x': make "
        "their 'owns' disjoint, or make one a sub-team ('parent') of the other",
        "m.yaml:26: team 'eps' has parent 'zeta', which is no team: did you mean 'beta'?",
        "m.yaml:29: 'owns' pattern 'a\\\\' is not a valid gitignore pattern: it ends with a "
        "lone '\\' (write '\\\\' for a backslash)",
        "m.yaml:30: 'codeowners' entry 'nobody' must be '@user', '@org/team' or an e-mail address",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "m.yaml:1: the manifest is empty: it needs at least 'version', 'project' and 'teams'"),
    ("# only a comment\n", "m.yaml:1: the manifest is empty: it needs at least 'version', "
                           "'project' and 'teams'"),
    ("[1, 2]\n", "m.yaml:1: the manifest must be a mapping of keys, not a list"),
    ("just text\n", "m.yaml:1: the manifest must be a mapping of keys, not a string ('just text')"),
    ("version: 1\nteams: [b\n", "m.yaml:3: not valid YAML: did not find expected ',' or ']'"),
    ("version: 1\nproject: x\nteams:\n  a:\n\towns: [x]\n",
     "m.yaml:5: not valid YAML: found character that cannot start any token"),
])
def test_unreadable_documents_are_one_clear_line(cli: Cli, tmp_path: Path, text: str,
                                                 expected: str) -> None:
    assert validate(cli, tmp_path, text) == (2, [expected])


@pytest.mark.parametrize(("body", "expected"), [
    ("version: 2\nproject: x\nteams: {a: {owns: [a/]}}\n",
     ["m.yaml:1: unsupported 'version' 2: this gitorch reads version 1"]),
    ("version: 1\nproject:\nteams: {}\n",
     ["m.yaml:2: 'project' is missing: add 'project: <name>'",
      "m.yaml:3: 'teams' is empty: add at least one team with 'owns'"]),
    ("version: 1\nproject: x\n", ["m.yaml:1: 'teams' is missing: add at least one team with 'owns'"]),
    ("version: 1\nproject: x\nteams:\n  a:\n    owns: [a/]\n  a:\n    owns: [b/]\n",
     ["m.yaml:6: duplicate key 'a' (first at line 4): keep one"]),
    ("version: 1\nproject: x\nteams:\n  shared:\n    owns: [a/]\n",
     ["m.yaml:4: 'shared' is reserved for shared paths: rename the team"]),
    ("version: 1\nproject: x\nteams:\n  a:\n    owns: ['!a/']\n  b:\n    description: 3\n",
     ["m.yaml:5: team 'a' has only negated patterns: it owns nothing",
      "m.yaml:6: team 'b' has no 'owns': list the paths it may write",
      "m.yaml:7: 'description' must be a string, not a number (3)"]),
    ("version: 1\nproject: x\nteams:\n  a:\n    owns: [a/]\n    parent: a\n",
     ["m.yaml:6: team 'a' is its own parent"]),
    ("version: 1\nproject: x\nteams:\n  a:\n    owns: [x/a/**]\n    parent: b\n"
     "  b:\n    owns: [x/**]\n    parent: a\n",
     ["m.yaml:6: parent cycle: a -> b -> a",
      "m.yaml:8: sub-team 'b' reaches outside its parent 'a': 'x/**' matches 'x/x', which 'a' "
      "does not own"]),
    ("version: 1\nproject: x\nbase: main\nintegration: main\nteams: {a: {owns: [a/]}}\n",
     ["m.yaml:4: 'integration' must differ from 'base' ('main')"]),
    ("version: 1\nproject: x\nteams: {a: {owns: [a/], members: alice, priority: true}}\n",
     ["m.yaml:3: 'priority' must be a whole number, not a boolean (True)"]),
])
def test_single_problems(cli: Cli, tmp_path: Path, body: str, expected: list[str]) -> None:
    assert validate(cli, tmp_path, body) == (2, expected)


def test_cycle_of_three_is_named_once(tmp_path: Path) -> None:
    text = ("version: 1\nproject: x\nteams:\n"
            "  c: {owns: [c/**], depends_on: [a]}\n"
            "  a: {owns: [a/**], depends_on: [b]}\n"
            "  b: {owns: [b/**], depends_on: [c]}\n")
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, "m.yaml")
    assert info.value.problems == ["m.yaml:5: dependency cycle: a -> b -> c -> a"]


def test_unanchored_directory_patterns_overlap() -> None:
    text = "version: 1\nproject: x\nteams:\n  a: {owns: [a/]}\n  c: {owns: [c/]}\n"
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, "m.yaml")
    assert info.value.problems == [
        "m.yaml:5: teams 'a' and 'c' can both own 'a/c/x': make their 'owns' disjoint, or make "
        "one a sub-team ('parent') of the other"]


def test_overlap_rules_from_the_issue(tmp_path: Path) -> None:
    ok = ("version: 1\nproject: x\nteams:\n"
          "  docs: {owns: ['docs/*.md']}\n  api: {owns: ['docs/api/**']}\n")
    assert sorted(parse_manifest(ok).teams) == ["api", "docs"]
    negated = ("version: 1\nproject: x\nteams:\n"
               "  core: {owns: ['src/**', '!src/gen/**']}\n  gen: {owns: ['src/gen/**']}\n")
    assert sorted(parse_manifest(negated).teams) == ["core", "gen"]
    sub = ("version: 1\nproject: x\nteams:\n"
           "  core: {owns: ['src/**']}\n  db: {owns: ['src/db/**'], parent: core}\n")
    assert parse_manifest(sub).teams[TeamName("db")].parent == "core"


def test_valid_manifest_and_json(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    result = cli("--manifest", "m.yaml", "validate")
    assert (result.exit_code, result.output) == (0, "m.yaml: valid (2 teams, project shop)\n")
    result = cli("validate", "--manifest", "m.yaml", "--json")
    assert result.output == ('{\n  "manifest": "m.yaml",\n  "valid": true,\n  "project": "shop",\n'
                             '  "teams": [\n    "alpha",\n    "beta"\n  ],\n  "warnings": []\n}\n')


def test_manifest_found_at_repo_root_from_a_subdirectory(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "work"
    (root / ".git").mkdir(parents=True)
    (root / "gitorch.yaml").write_text(MINIMAL_MANIFEST)
    (root / "src" / "core").mkdir(parents=True)
    result = cli("owner", "src/core/a.py", cwd=root / "src" / "core")
    assert result.output == "src/core/a.py\talpha\n"


def test_invalid_manifest_as_json(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("version: 1\nproject: x\nteams:\n  a: {owns: [a/**], "
                                     "depends_on: [b]}\n")
    result = cli("--manifest", "m.yaml", "validate", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"valid": False, "problems": [
        {"file": "m.yaml", "line": 4, "message": "team 'a' depends on 'b', which is no team"}]}


def test_gates_test_timeout_is_a_positive_number_of_seconds(cli: Cli, tmp_path: Path) -> None:
    good = "version: 1\nproject: p\ngates:\n  test_timeout: 90\nteams:\n  a:\n    owns: [a/**]\n"
    code, lines = validate(cli, tmp_path, good)
    assert code == 0, lines
    from gitorch.manifest.loading import load_manifest

    assert load_manifest(tmp_path / "m.yaml").gates.test_timeout == 90.0
    for value, problem in (("0", "a positive number of seconds, not 0"),
                           ("-3", "a positive number of seconds, not -3"),
                           ("soon", "'test_timeout' must be a number, not a string ('soon')")):
        code, lines = validate(cli, tmp_path, good.replace("90", value))
        assert code == 2
        assert problem in lines[0], lines
