"""JSON in and out for the guard, without importing ``json`` (which imports ``re``, half of
the guard's own start-up): the C scanner and string encoder of ``_json`` that ``json``
itself uses, so the values read and the text written are ``json.loads``'s and
``json.dumps``'s (a test compares them). Where ``_json`` is missing, ``json`` does it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}
_WHITESPACE = " \t\n\r"


class _Context:
    """What ``_json.make_scanner`` reads from a ``json.JSONDecoder``: its defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__
    memo: ClassVar[dict[str, str]] = {}


def loads(text: str) -> Any:
    """``json.loads(text)``; ValueError when ``text`` is no JSON document."""
    try:
        import _json
    except ImportError:
        import json

        return json.loads(text)
    stripped = text.strip(_WHITESPACE)
    make: Any = _json.make_scanner
    try:
        value, end = make(_Context())(stripped, 0)
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    if end != len(stripped):
        raise ValueError(f"Extra data: char {end}")
    return value


def dumps(value: Any) -> str:
    """``json.dumps(value)`` for strings, numbers, booleans, None, lists and dicts."""
    try:
        from _json import encode_basestring_ascii as quote
    except ImportError:
        import json

        return json.dumps(value)
    if isinstance(value, str):
        return str(quote(value))
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quote(str(k))}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
