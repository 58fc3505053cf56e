"""Text every door refuses before it reaches the domain or the database.

- NUL (U+0000): PostgreSQL text columns cannot store it (SQLite can), so it would pass
  validation and then fail at the database as a 500 on one database and not the other.
- Lone surrogates (U+D800-U+DFFF): JSON's `\\ud800` escapes decode to them, and no database
  driver can encode them as UTF-8.
- Nesting deeper than MAX_DEPTH: a JSON value nested hundreds of levels deep would exhaust
  Python's recursion in anything that walks it later (serialisers, the database's JSON
  encoder). Nothing the product accepts needs more than a few levels.

The walk is iterative, so no input can make the guard itself recurse. Every door turns a
finding into its own clear error (400 naming the field, form re-rendered, JSON envelope).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

NUL = "\x00"
MAX_DEPTH = 20

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class BadText:
    field: str
    problem: str  # "nul", "surrogate" or "depth"

    @property
    def message(self) -> str:
        return {
            "nul": f"{self.field} must not contain NUL characters.",
            "surrogate": f"{self.field} must be valid Unicode text (it contains a lone surrogate).",
            "depth": f"{self.field} is nested too deeply ({MAX_DEPTH} levels at most).",
        }[self.problem]


def text_problem(value: str) -> str | None:
    """What is wrong with one string, if anything."""
    if NUL in value:
        return "nul"
    if _SURROGATE.search(value):
        return "surrogate"
    return None


def find_bad_text(fields: Iterable[tuple[str, Any]]) -> BadText | None:
    """The first field whose value (or any string or key inside it) is unacceptable text,
    or which is nested deeper than MAX_DEPTH."""
    for name, value in fields:
        problem = _value_problem(value)
        if problem is not None:
            return BadText(name, problem)
    return None


def _value_problem(value: Any) -> str | None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return problem
        elif isinstance(item, (dict, list, tuple)):
            if depth > MAX_DEPTH:
                return "depth"
            if isinstance(item, dict):
                for key, inner in item.items():
                    stack.append((key, depth))
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)
    return None
