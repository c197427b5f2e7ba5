"""Object ids: one type for a git object's id wherever gitorch keeps or passes one.

An ``ObjectId`` is the full hexadecimal id (40 digits for SHA-1 repositories) as git prints
it. Records, run state, hook verdicts and reports hold ``ObjectId``; only ``gitorch.repo``
(the one pygit2 user) turns it into a ``pygit2.Oid`` and back. A leaf: it imports nothing of
gitorch, so the pre-receive path can use it without loading pygit2.
"""

from __future__ import annotations

from typing import NewType

ObjectId = NewType("ObjectId", str)


def object_id(value: object) -> ObjectId:
    """The id of ``value`` (a ``pygit2.Oid``, or text already holding the hex form)."""
    return ObjectId(str(value))
