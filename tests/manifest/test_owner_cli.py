"""`gitorch owner`: arguments or stdin in bulk, text or JSON, and no pygit2 at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pathspec

from gitorch.manifest import TeamName
from gitorch.manifest.loading import parse_manifest
from gitorch.manifest.ownership import Ownership
from tests.conftest import MINIMAL_MANIFEST, Cli

SUB = MINIMAL_MANIFEST + """\
  alpha-db:
    parent: alpha
    owns: ["src/core/db/**"]
"""


def test_sub_team_before_parent_and_may_change(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "m.yaml").write_text(SUB)
    stdin = "src/core/db/x.sql\n\nsrc/core/a.py\r\n./README.md\n/src/api/v.py\nother/README.md\nz\n"
    result = cli("--manifest", "m.yaml", "owner", input=stdin)
    assert result.output == ("src/core/db/x.sql\talpha-db\nsrc/core/a.py\talpha\n"
                             "./README.md\tshared\n/src/api/v.py\tbeta\n"
                             "other/README.md\tshared\nz\t-\n")
    own = parse_manifest(SUB).ownership
    assert own.may_change(TeamName("alpha"), "src/core/db/x.sql")
    assert not own.may_change(TeamName("alpha-db"), "src/core/a.py")
    assert own.may_change(TeamName("beta"), "README.md")
    assert not own.may_change(TeamName("beta"), "z")


def test_json(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    result = cli("--manifest", "m.yaml", "owner", "--json", "src/core/a.py", "x")
    assert json.loads(result.output) == {"owners": [{"path": "src/core/a.py", "owner": "alpha"},
                                                    {"path": "x", "owner": "-"}]}


def test_owner_does_not_load_pygit2(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    code = ("import sys\nfrom gitorch.cli import main\n"
            "try:\n    main(['--manifest', 'm.yaml', 'owner', 'src/core/a.py'])\n"
            "except SystemExit:\n    pass\n"
            "print('pygit2' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    assert proc.stdout == "src/core/a.py\talpha\nFalse\n"


def test_pattern_shapes_take_the_shortcuts_correctly() -> None:
    scopes = [("shared", ["README.md", "*.cfg"]),
              ("deep", ["src/a/b/**", "!src/a/b/keep/**"]),
              ("dir", ["src/a/", "src/a/b/keep/x.py"]),
              ("file", ["/top", "lib/README.md/**"])]
    engine = Ownership(scopes, {})
    paths = ["src/a/b/c.py", "src/a/b/keep/y.py", "src/a/b/keep/x.py", "src/a/z.py",
             "src/a/b/README.md", "top", "top/x", "lib/README.md/x", "lib/README.md", "a.cfg/x",
             "src/a/b/keep"]
    expected = ["deep", "dir", "dir", "dir", "shared", "file", "file", "shared", "shared",
                "shared", "deep"]
    assert engine.owners_of(paths) == expected
    reference = [next((n for n, p in scopes if pathspec.GitIgnoreSpec.from_lines(p).match_file(x)),
                      "-") for x in paths]
    assert reference == expected


def test_specs_for_callers_that_match_themselves() -> None:
    own = parse_manifest(SUB).ownership
    assert [name for name, _ in own.teams] == ["alpha-db", "alpha", "beta"]
    assert dict(own.teams)[TeamName("alpha")].match_file("src/core/x.py")
    assert own.shared.match_file("README.md")
    assert own.team_names == ("alpha-db", "alpha", "beta")
