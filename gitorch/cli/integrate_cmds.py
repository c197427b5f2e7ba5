"""Commands of this stage (registered on import by gitorch.cli)."""

from __future__ import annotations
