"""The manifest stage: records, patterns, ownership, validation, loading and its cache.

Imports run one way: records <- patterns <- ownership <- scope <- validation <- cache
<- loading; codeowners and brief sit on top. This package exports the records only
(importing it costs no YAML and no pathspec); load a manifest through
``gitorch.manifest.loading``.
"""

from gitorch.manifest.records import (
    DEFAULT_COVERAGE_OMIT,
    DEFAULT_MANIFEST,
    MANIFEST_ENV,
    SHARED,
    Gates,
    Manifest,
    Team,
    TeamName,
)

__all__ = [
    "DEFAULT_COVERAGE_OMIT", "DEFAULT_MANIFEST", "MANIFEST_ENV", "SHARED", "Gates", "Manifest",
    "Team", "TeamName",
]
