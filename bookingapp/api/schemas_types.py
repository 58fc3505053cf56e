"""The value types the API's schemas are built from (bookingapp/api/schemas.py); a field's limits come from the domain's constants.

Each type validates and documents itself in one place: what it refuses is what its JSON
Schema says, so a request valid per /api/v1/openapi.json is never refused for its shape.
A refusal raises PydanticCustomError with a message that follows the field's name (the
envelope says "start_at must include a time zone ...", see operations.error_from)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

# Dates and times the API accepts: the domain's one bound, shared by every door.
from bookingapp.domain.time_bounds import MAX_YEAR, MIN_YEAR
from bookingapp.textguard import NUL, find_bad_text

# The same bounds as patterns, so that the document (and a fuzzer) knows exactly what is
# accepted: the years, real month days (February to the 28th: the 29th of a leap year is
# accepted too, which a pattern cannot say simply), a time with a zone.
_YEAR = r"(19[7-9][0-9]|20[0-9]{2}|21[0-9]{2}|2200)"
_MONTH_DAY = r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
_TIME = r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
DAY_PATTERN = f"^{_YEAR}-{_MONTH_DAY}$"
INSTANT_PATTERN = f"^{_YEAR}-{_MONTH_DAY}{_TIME}$"
BOUND_PATTERN = f"^{_YEAR}-{_MONTH_DAY}({_TIME})?$"

TEXT_RULE = "Text must be valid Unicode without NUL characters."


def _refuse_bad_text(value: Any) -> Any:
    """textguard on a string or on a whole JSON value (iteratively: any depth is safe)."""
    found = find_bad_text([("", value)])
    if found is not None:
        raise PydanticCustomError("bad_text", "{problem}", {"problem": found.problem})
    return value


def text(max_length: int, *, min_length: int | None = None, pattern: str | None = None, fmt: str | None = None):
    """A string checked by textguard (no NUL, no lone surrogate), with a length limit from
    the domain's constant."""
    extra = {"format": fmt} if fmt else None
    return Annotated[str, Field(max_length=max_length, min_length=min_length, pattern=pattern, json_schema_extra=extra),
                     AfterValidator(_refuse_bad_text)]


def name_text(max_length: int):
    """A required name: not blank."""
    return text(max_length, min_length=1, pattern=r"\S")


def _object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise PydanticCustomError("object_type", "must be an object")
    return _refuse_bad_text(value)


# A free-form JSON object (custom_fields): guarded before anything walks it, so a value
# nested hundreds of levels deep is a 400 naming the field, never a RecursionError.
JsonObject = Annotated[dict[str, Any], BeforeValidator(_object)]


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("uuid_type", "must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise PydanticCustomError("uuid_parsing", "is not a valid id") from None


Id = Annotated[uuid.UUID, PlainValidator(_uuid), WithJsonSchema({"type": "string", "format": "uuid"})]


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PydanticCustomError("year_range", "must be between the years {min} and {max}",
                                  {"min": MIN_YEAR, "max": MAX_YEAR})


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 date-time with a zone (Z or an offset), returned in UTC."""
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "must be an ISO 8601 date-time string")
    text_ = value.strip()
    if NUL in text_:
        raise PydanticCustomError("bad_text", "{problem}", {"problem": "nul"})
    if text_.endswith(("Z", "z")):
        text_ = text_[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text_)
    except ValueError:
        raise PydanticCustomError("datetime_parsing", "is not an ISO 8601 date-time (e.g. 2026-04-10T14:00:00Z)") from None
    if parsed.tzinfo is None:
        raise PydanticCustomError("datetime_zone", "must include a time zone (e.g. 2026-04-10T14:00:00Z)")
    _check_year(parsed.year)
    return parsed.astimezone(timezone.utc)


Instant = Annotated[datetime, PlainValidator(parse_instant), WithJsonSchema(
    {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN,
     "description": f"ISO 8601 with a zone (Z or an offset), years {MIN_YEAR}-{MAX_YEAR}"})]


def parse_day(value: Any) -> date:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        parsed = date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_parsing", "must be a date as YYYY-MM-DD") from None
    _check_year(parsed.year)
    return parsed


Day = Annotated[date, PlainValidator(parse_day), WithJsonSchema(
    {"type": "string", "format": "date", "pattern": DAY_PATTERN,
     "description": f"YYYY-MM-DD, years {MIN_YEAR}-{MAX_YEAR}"})]


def _bound(value: Any) -> date | datetime:
    """A from/to filter: a date (a whole local day, resolved by the view in the business's
    zone) or a full date-time."""
    if isinstance(value, str) and len(value) == 10:
        return parse_day(value)
    return parse_instant(value)


Bound = Annotated[date | datetime, PlainValidator(_bound), WithJsonSchema(
    {"type": "string", "pattern": BOUND_PATTERN,
     "description": "A date (YYYY-MM-DD, a whole day in the business's time zone) or an ISO 8601 date-time "
                    f"with a zone; years {MIN_YEAR}-{MAX_YEAR}"})]


def _query_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0"):
        return False
    raise PydanticCustomError("bool_parsing", "must be true or false")


# A query-string boolean: true/false (1/0 also accepted).
QueryBool = Annotated[bool, PlainValidator(_query_bool), WithJsonSchema({"type": "boolean"})]


def _query_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) <= 20:
        return int(value)
    raise PydanticCustomError("int_parsing", "must be an integer")


def _after_range(minimum: int, maximum: int):
    def check(value: int) -> int:
        if value < minimum:
            raise PydanticCustomError("too_small", "must be at least {min}", {"min": minimum})
        if value > maximum:
            raise PydanticCustomError("too_big", "must be at most {max}", {"max": maximum})
        return value
    return check


def query_int(minimum: int, maximum: int):
    """An integer query parameter within [minimum, maximum]."""
    return Annotated[int, PlainValidator(_query_int), AfterValidator(_after_range(minimum, maximum)),
                     WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum})]


def one_of(values) -> Any:
    """A string from a fixed list (a domain constant), documented as an enum."""
    values = tuple(values)

    def check(value: Any) -> str:
        if isinstance(value, str) and value in values:
            return value
        raise PydanticCustomError("enum", "must be one of: {choices}", {"choices": ", ".join(values)})

    return Annotated[str, PlainValidator(check), WithJsonSchema({"type": "string", "enum": list(values)})]


# Output-only shapes: the serializers already format these (serializers.iso, str(uuid)).
Timestamp = Annotated[str, WithJsonSchema(
    {"type": "string", "format": "date-time", "description": "UTC, ISO 8601 with milliseconds, e.g. 2026-04-10T14:00:00.000Z"})]
UuidText = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]
DayText = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


def _whole(value: Any) -> int:
    # JSON Schema counts 5.0 as an integer, so the API does too; "5" and true are not.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise PydanticCustomError("int_type", "must be an integer")


def whole(minimum: int, maximum: int):
    """An integer in a JSON body within [minimum, maximum]."""
    return Annotated[int, PlainValidator(_whole), AfterValidator(_after_range(minimum, maximum)),
                     WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum})]
