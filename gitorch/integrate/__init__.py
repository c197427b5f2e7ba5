"""Integration: merge order, the merge loop, the ``--fix`` policy, checkpoints, watch mode.

``engine`` runs one integration; ``hunks`` decides each conflicting hunk for ``--fix``;
``runstate`` keeps a run's state and its checkpoint; ``watch`` repeats runs as branches move.
"""

from gitorch.integrate.dropped import DROPPED_PREFIX
from gitorch.integrate.engine import integrate

__all__ = ["DROPPED_PREFIX", "integrate"]
