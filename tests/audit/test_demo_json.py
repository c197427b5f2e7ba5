"""gitorch demo --json: the whole flow's progress stays off stdout; one document remains."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli


def test_demo_json_is_one_document(cli: Cli, tmp_path: Path) -> None:
    result = cli("demo", str(tmp_path / "demo"), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["integrate_exit"] == 0
    assert Path(document["json"]).is_file() and Path(document["report"]).is_file()
    assert document["phases"][0].startswith("Phase 0")
