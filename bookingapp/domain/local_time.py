"""Times as the customer reads them: the business's wall clock, with the zone said
whenever the wall clock alone would not tell two times apart.

On the autumn day a zone falls back, one wall-clock hour happens twice (in London 01:00
to 01:59 is first BST, then GMT). Written bare, the wizard would show two "01:30"
buttons and the manage page "01:00-01:00". So an ambiguous local time always carries the
zone's abbreviation, or its offset where the zone has no abbreviation ("01:30 BST",
"01:30 GMT", "01:30 +03"). Every door and every message formats times through here:
the wizard, the manage page, emails and the .ics description."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

LONG = "%A %d %B %Y, %H:%M"
CLOCK = "%H:%M"


def is_ambiguous(local: datetime) -> bool:
    """Whether this wall-clock time happens twice in its zone (the hour repeated when
    the clocks go back). `local` is an aware datetime in the zone."""
    wall = local.replace(tzinfo=None)
    first = wall.replace(tzinfo=local.tzinfo, fold=0).utcoffset()
    second = wall.replace(tzinfo=local.tzinfo, fold=1).utcoffset()
    return first != second


def zone_marker(local: datetime) -> str:
    """The zone's abbreviation at that moment ("BST", "GMT", "EST"), or its UTC offset
    ("+03", "-0330") where the zone has no letters of its own."""
    name = local.tzname() or ""
    if name and not name[0] in "+-":
        return name
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}" + (f"{rest:02d}" if rest else "")


# strftime directive -> the CLDR skeleton field that says the same thing.
_SKELETON_FIELDS = (("%A", "EEEE"), ("%a", "E"), ("%B", "MMMM"), ("%b", "MMM"),
                    ("%-d", "d"), ("%d", "d"), ("%Y", "y"))


def format_dated(local: datetime, fmt: str, locale: str | None = None) -> str:
    """A local datetime in `fmt` (strftime): as written for English (locale None),
    through the locale's CLDR patterns for any other language."""
    if locale is None:
        return local.strftime(fmt)
    skeleton = "".join(field for directive, field in _SKELETON_FIELDS if directive in fmt)
    if "%A" in fmt and "%a" in fmt.replace("%A", ""):
        skeleton = skeleton.replace("E", "", 1)
    date_part = format_skeleton(skeleton, local, locale=locale) if skeleton else ""
    time_part = local.strftime("%H:%M") if "%H" in fmt else ""
    return ", ".join(part for part in (date_part, time_part) if part)


def format_local(instant: datetime, tz: str | ZoneInfo, fmt: str = CLOCK, locale: str | None = None) -> str:
    """`instant` on the business's wall clock in `fmt` (strftime; in `locale`'s own
    way when one is given), followed by the zone when that wall-clock time is ambiguous:
    "10:00"; "01:30 BST" and "01:30 GMT"."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = instant.astimezone(zone)
    text = format_dated(local, fmt, locale)
    return f"{text} {zone_marker(local)}" if is_ambiguous(local) else text


def format_span(starts_at: datetime, ends_at: datetime, tz: str | ZoneInfo, fmt: str = LONG,
                locale: str | None = None) -> str:
    """"Sunday 25 October 2026, 01:00 BST–01:00 GMT": the start in `fmt`, the end as a
    time of day, each marked when ambiguous."""
    return f"{format_local(starts_at, tz, fmt, locale)}–{format_local(ends_at, tz, CLOCK, locale)}"


def zone_city(tz: str) -> str:
    """"Europe/London" -> "London", "America/New_York" -> "New York"."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def zone_statement(tz: str, at: datetime) -> str:
    """How the pages name the zone their times are in: "London time (GMT)"."""
    local = at.astimezone(ZoneInfo(tz))
    return f"{zone_city(tz)} time ({zone_marker(local)})"
