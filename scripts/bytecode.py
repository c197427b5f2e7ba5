"""Compile gitorch's modules before a benchmark times gitorch processes.

``pip install`` byte-compiles a package; an editable checkout gets its ``__pycache__``
only when Python may write it. With ``PYTHONDONTWRITEBYTECODE`` set (as on the machine
these figures come from) every timed process would otherwise compile gitorch's sources
again, 20-35 ms of start-up that no installed copy pays.
"""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def ensure_bytecode() -> None:
    spec = importlib.util.find_spec("gitorch")
    if spec is None or spec.origin is None:
        raise SystemExit("gitorch is not importable: pip install -e '.[test]' first")
    compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)
