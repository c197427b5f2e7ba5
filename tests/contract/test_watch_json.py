"""integrate --watch --json: a stream of runs, each one JSON document on its own line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.contract.conftest import Project


def test_watch_json_prints_one_document_a_line(project: Project) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitorch", "integrate", "--watch", "--interval", "0.2",
         "--fix", "--json"],
        cwd=project.work.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()      # blocks until the first run has reported
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = [first, *rest.splitlines()]
    assert [json.loads(line)["merged"] for line in lines if line.strip()] == [["alpha", "beta"]]
