"""gitorch: run many parallel teams on one git repository, safely and auditably."""

from __future__ import annotations

__version__ = "0.1.0"
