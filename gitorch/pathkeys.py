"""When two paths are one file: equal once case-folded and NFC-normalised, as on a
case-insensitive, normalising file system (macOS, Windows). The server's hook refuses an
added path that collides so with a path of another team (``gitorch.enforce.receive``);
the edit-time guard refuses the same write (``gitorch.agents.twins``), with this one key.

A leaf both share: it imports nothing of gitorch, and ``unicodedata`` only for a name
that is not ASCII.
"""

from __future__ import annotations


def collision_key(name: str) -> str:
    """Equal keys: the same name on a case-insensitive, normalising file system."""
    if name.isascii():
        return name.lower()
    import unicodedata

    return unicodedata.normalize("NFC", name).casefold()
