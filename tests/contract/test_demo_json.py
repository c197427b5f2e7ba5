"""gitorch demo --json: one document on stdout; the walkthrough goes to stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DemoRun


@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_demo_json_is_one_document(demo_run: DemoRun) -> None:
    assert demo_run.returncode == 0, demo_run.stderr
    document = json.loads(demo_run.stdout)
    assert document["integrate_exit"] == 0
    assert Path(document["json"]).is_file() and Path(document["report"]).is_file()
    assert Path(document["directory"]) == demo_run.directory.resolve()
    narrated = [line[3:] for line in demo_run.stderr.splitlines() if line.startswith("== ")]
    assert document["phases"] == narrated and narrated[0].startswith("Phase 0")
