from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import MINIMAL_MANIFEST, Cli, GitRepo


def test_validate_ok(repo: GitRepo, cli: Cli) -> None:
    repo.commit("init", {"gitorch.yaml": MINIMAL_MANIFEST})
    result = cli("validate", cwd=repo.path)
    assert result.exit_code == 0
    assert "valid (2 teams, project shop)" in result.output


def test_missing_manifest_is_one_line_exit_2(repo: GitRepo, cli: Cli) -> None:
    result = cli("validate", cwd=repo.path)
    assert result.exit_code == 2
    assert result.output.splitlines()[0].endswith("gitorch.yaml: no manifest here")


def test_owner_from_args_and_stdin(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    result = cli("--manifest", "m.yaml", "owner", "src/core/a.py", "README.md", "x")
    assert result.output == "src/core/a.py\talpha\nREADME.md\tshared\nx\t-\n"
    result = cli("owner", "--manifest", "m.yaml", input="src/api/v1.py\n")
    assert result.output == "src/api/v1.py\tbeta\n"


def test_internal_error_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "gitorch", "--repo", str(tmp_path / "none"),
                           "validate"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2
