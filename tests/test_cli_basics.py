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


# ---------------------------------------------------------------- the quick exit (__main__)


def test_quick_exit_keeps_every_byte_and_the_exit_code(tmp_path: Path) -> None:
    """``os._exit`` after the run: piped output (block-buffered) must all arrive first."""
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    paths = "".join(f"src/core/f{i}.py\n" for i in range(20000))
    proc = subprocess.run([sys.executable, "-m", "gitorch", "--manifest", "m.yaml", "owner"],
                          input=paths, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert len(lines) == 20000 and lines[-1] == "src/core/f19999.py\talpha"
    bad = subprocess.run([sys.executable, "-m", "gitorch", "--manifest", "nope.yaml", "validate"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "nope.yaml" in bad.stderr


def test_quick_exit_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MINIMAL_MANIFEST)
    paths = "".join(f"src/core/f{i}.py\n" for i in range(20000))
    proc = subprocess.run(
        f"{sys.executable} -m gitorch --manifest m.yaml owner | head -n 1",
        shell=True, input=paths, capture_output=True, text=True, cwd=tmp_path)
    assert proc.stdout == "src/core/f0.py\talpha\n"
    assert "Traceback" not in proc.stderr


def test_quick_exit_runs_atexit_handlers(tmp_path: Path) -> None:
    """What a wrapper registers with ``atexit`` (coverage.py saving its data, say) still runs."""
    marker = tmp_path / "ran"
    code = ("import atexit, pathlib, sys; "
            f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes'); "
            "sys.argv = ['gitorch', '--version']; "
            "from gitorch.__main__ import run; run()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("gitorch")
    assert marker.read_text() == "yes"
