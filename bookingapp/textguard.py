"""NUL characters in submitted text.

PostgreSQL text columns cannot store U+0000 (SQLite can), so a NUL typed or sent anywhere
would pass validation and then fail at the database as a 500, on one database and not the
other. Every door refuses it up front with a 400 naming the field instead."""
from __future__ import annotations

from typing import Any, Iterable

NUL = "\x00"


def first_field_with_nul(fields: Iterable[tuple[str, Any]]) -> str | None:
    """The name of the first field whose value (or any string inside it) contains NUL."""
    for name, value in fields:
        if _has_nul(value):
            return name
    return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False
