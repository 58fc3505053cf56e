"""Reading request input strictly: a wrong type, a malformed date or an unknown field is a
400 that names the offending parameter, never a 500 and never silently ignored."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import request

from bookingapp.api.errors import ApiError, bad_request
from bookingapp.textguard import find_bad_text

_MISSING = object()

# Dates and times the API accepts. Far outside any booking, and kept away from the ends
# of Python's calendar, where converting a zone or adding a day overflows.
MIN_YEAR, MAX_YEAR = 1970, 2200


def _check_year(year: int, name: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise bad_request(f"{name} must be between the years {MIN_YEAR} and {MAX_YEAR}.", name)


class Body:
    """The JSON object of a request body, read field by field."""

    def __init__(self, allowed: set[str], *, required: bool = True):
        if not request.data and not required:
            self.data = {}
        else:
            if not request.data:
                raise bad_request("A JSON object body is required.", "body")
            try:
                self.data = request.get_json(force=True, silent=False)
            except Exception:
                raise bad_request("The request body is not valid JSON.", "body") from None
            if not isinstance(self.data, dict):
                raise bad_request("The request body must be a JSON object.", "body")
        unknown = sorted(set(self.data) - allowed)
        if unknown:
            raise bad_request(f"Unknown field {unknown[0]!r}.", unknown[0])

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, required: bool):
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise bad_request(f"{name} is required.", name)
            return _MISSING
        return value

    def str(self, name: str, *, required: bool = False, nullable: bool = True, max_length: int = 2000,
            default=None):
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if value is None:
            if not nullable or required:
                raise bad_request(f"{name} must be a string.", name)
            return None
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string.", name)
        if found := find_bad_text([(name, value)]):
            raise bad_request(found.message, name)
        if len(value) > max_length:
            raise bad_request(f"{name} is too long ({max_length} characters at most).", name)
        return value

    def int(self, name: str, *, required: bool = False, nullable: bool = False, minimum: int | None = 0,
            maximum: int | None = 100_000_000, default=None):
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{name} must be an integer.", name)
        if minimum is not None and value < minimum:
            raise bad_request(f"{name} must be at least {minimum}.", name)
        if maximum is not None and value > maximum:
            raise bad_request(f"{name} must be at most {maximum}.", name)
        return value

    def bool(self, name: str, *, default=None):
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise bad_request(f"{name} must be true or false.", name)
        return value

    def uuid(self, name: str, *, required: bool = False, nullable: bool = True):
        value = self._get(name, required)
        if value is _MISSING or (value is None and nullable and not required):
            return None
        return parse_uuid(value, name)

    def uuid_list(self, name: str):
        value = self._get(name, False)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            raise bad_request(f"{name} must be an array of ids.", name)
        return [parse_uuid(item, f"{name}[{index}]") for index, item in enumerate(value)]

    def str_list(self, name: str, *, max_items: int = 50):
        value = self._get(name, False)
        if value is _MISSING:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise bad_request(f"{name} must be an array of strings.", name)
        if len(value) > max_items:
            raise bad_request(f"{name} has too many items ({max_items} at most).", name)
        return value

    def datetime(self, name: str, *, required: bool = False):
        value = self._get(name, required)
        if value is _MISSING:
            return None
        return parse_instant(value, name)

    def object(self, name: str):
        value = self._get(name, False)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(f"{name} must be an object.", name)
        if found := find_bad_text([(name, value)]):
            raise bad_request(found.message, name)
        return value


def refuse_nul_in_query() -> None:
    """Before every API request: unacceptable text (bookingapp/textguard.py) in the path is
    a 404 and in a query parameter a 400 naming it, before anything reaches the database."""
    if find_bad_text([("path", request.path)]):
        raise ApiError("not_found", "No API endpoint at this path.", status=404)
    found = find_bad_text(request.args.items(multi=True))
    if found is not None:
        raise bad_request(found.message, found.field)


def parse_uuid(value, name: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a UUID string.", name)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bad_request(f"{name} is not a valid id.", name) from None


def parse_instant(value, name: str) -> datetime:
    """An ISO 8601 date-time with a zone (Z or an offset), returned in UTC."""
    if not isinstance(value, str):
        raise bad_request(f"{name} must be an ISO 8601 date-time string.", name)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"{name} is not an ISO 8601 date-time (e.g. 2026-04-10T14:00:00Z).", name) from None
    if parsed.tzinfo is None:
        raise bad_request(f"{name} must include a time zone (e.g. 2026-04-10T14:00:00Z).", name)
    _check_year(parsed.year, name)
    return parsed.astimezone(timezone.utc)


def parse_date(value, name: str) -> date:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        parsed = date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{name} must be a date as YYYY-MM-DD.", name) from None
    _check_year(parsed.year, name)
    return parsed


def query_str(name: str, *, choices: tuple[str, ...] | None = None, default=None):
    value = request.args.get(name)
    if value is None:
        return default
    if choices is not None and value not in choices:
        raise bad_request(f"{name} must be one of: {', '.join(choices)}.", name)
    return value


def query_int(name: str, *, default=None, minimum: int | None = None, maximum: int | None = None):
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        if not raw.strip().lstrip("-").isdigit():
            raise ValueError
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer.", name) from None
    if minimum is not None and value < minimum:
        raise bad_request(f"{name} must be at least {minimum}.", name)
    if maximum is not None and value > maximum:
        raise bad_request(f"{name} must be at most {maximum}.", name)
    return value


def query_bool(name: str, *, default=None):
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise bad_request(f"{name} must be true or false.", name)


def query_uuid(name: str, *, required: bool = False):
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise bad_request(f"{name} is required.", name)
        return None
    return parse_uuid(raw, name)


def query_bound(name: str, tz: ZoneInfo, *, end: bool) -> datetime | None:
    """A from/to filter: a full date-time, or a date read as that whole local day in the
    business's time zone (from = its start, to = the end of that day)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if len(raw) == 10:
        day = parse_date(raw, name)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)
    return parse_instant(raw, name)
