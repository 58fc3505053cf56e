"""Setup forms described as data: each field's label, input kind and how its text becomes
the plain value the domain function takes. Shape only (a number, an amount, a date): the
rules are domain.catalog's and domain.setup's, whose errors come back by `param` and are
shown beside the field with what was typed."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bookingapp.dashboard.views_checkout import MAX_INT, parse_money, show_money
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.setup import WEEKDAYS
from bookingapp.domain.time_bounds import out_of_range_message, within_bounds


@dataclass
class Spec:
    name: str                 # the form field, and the domain field it fills
    label: str
    kind: str = "text"        # text textarea email url int optint money optmoney minutes bool select
                              # uuid_select multi_uuid lines datetime
    choices: Callable[..., list[tuple[str, str]]] | list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    attr: str | None = None   # the model attribute when it differs from `name`
    create_only: bool = False
    required: bool = False

    def options(self, business) -> list[tuple[str, str]]:
        return self.choices(business) if callable(self.choices) else list(self.choices)


class FormErrors(Exception):
    """Several fields wrong at once: {field name: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _local_datetime(raw: str, tz: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError("Give a date and time.") from None
    if not within_bounds(value):
        # Checked in the zone it was written in, before converting it (which could overflow).
        raise ValueError(out_of_range_message("The date"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc)


def parse(specs: list[Spec], form, business) -> dict[str, Any]:
    """The submitted form as domain fields; FormErrors naming every field whose shape is wrong."""
    tz = ZoneInfo(business.timezone)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        raw = form.get(spec.name, "")
        raw = raw.strip() if isinstance(raw, str) else raw
        try:
            if spec.kind == "bool":
                values[spec.name] = spec.name in form
            elif spec.kind in ("int", "optint", "minutes"):
                if raw == "":
                    if spec.kind != "optint":
                        raise ValueError("Enter a whole number.")
                    values[spec.name] = None
                else:
                    try:
                        number = int(raw)
                    except ValueError:
                        raise ValueError("Enter a whole number.") from None
                    if abs(number) > MAX_INT or (spec.kind == "minutes" and abs(number) * 60 > MAX_INT):
                        raise ValueError("That number is too large.")
                    values[spec.name] = number * 60 if spec.kind == "minutes" else number
            elif spec.kind in ("money", "optmoney"):
                values[spec.name] = parse_money(raw, spec.name, currency=business.currency, required=spec.kind == "money")
            elif spec.kind == "uuid_select":
                values[spec.name] = uuid.UUID(raw) if raw else None
            elif spec.kind == "multi_uuid":
                values[spec.name] = [uuid.UUID(v) for v in form.getlist(spec.name) if v]
            elif spec.kind == "lines":
                values[spec.name] = [line.strip() for line in raw.splitlines() if line.strip()]
            elif spec.kind == "datetime":
                values[spec.name] = _local_datetime(raw, tz) if raw else None
            else:
                values[spec.name] = raw
        except ValidationError as error:
            errors[spec.name] = error.message
        except ValueError as error:
            errors[spec.name] = str(error) if "badly formed" not in str(error) else "Choose from the list."
    if errors:
        raise FormErrors(errors)
    return values


def display(specs: list[Spec], obj, business) -> dict[str, Any]:
    """An object's current values as the form shows them (amounts as 12.50, local times)."""
    tz = ZoneInfo(business.timezone)
    shown: dict[str, Any] = {}
    for spec in specs:
        value = getattr(obj, spec.attr or spec.name, None)
        if spec.kind in ("money", "optmoney"):
            shown[spec.name] = show_money(value, business.currency)
        elif spec.kind == "minutes":
            shown[spec.name] = "" if value is None else str(value // 60)
        elif spec.kind == "datetime":
            shown[spec.name] = value.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if value else ""
        elif spec.kind == "multi_uuid":
            shown[spec.name] = [str(item.id) for item in (value or [])]
        elif spec.kind == "lines":
            shown[spec.name] = "\n".join(value or [])
        elif spec.kind == "uuid_select":
            shown[spec.name] = str(value) if value else ""
        elif spec.kind == "bool":
            shown[spec.name] = bool(value)
        else:
            shown[spec.name] = "" if value is None else str(value)
    return shown


def typed(specs: list[Spec], form) -> dict[str, Any]:
    """What was typed, to show again after an error (nothing lost)."""
    shown: dict[str, Any] = {}
    for spec in specs:
        if spec.kind == "bool":
            shown[spec.name] = spec.name in form
        elif spec.kind == "multi_uuid":
            shown[spec.name] = form.getlist(spec.name)
        else:
            shown[spec.name] = form.get(spec.name, "")
    return shown


def field_of(param: str | None, specs: list[Spec]) -> str | None:
    """The form field a domain error's param points at ('service_ids[0]' -> 'service_ids',
    'address.city' -> 'address_city')."""
    if not param:
        return None
    names = {spec.name for spec in specs}
    for candidate in (param, param.split("[")[0], param.replace(".", "_"), param.split(".")[0]):
        if candidate in names:
            return candidate
    return None


# --------------------------------------------------------------------------- weekly hours

WINDOWS_PER_DAY = 2


def parse_week(form, prefix: str = "h") -> tuple[dict[int, list[tuple[time, time]]], dict[str, str]]:
    """Inputs h<weekday>_<n>_from / _to (HH:MM) -> {weekday: [(from, to), ...]}; a window
    left blank is no window, half of one is an error."""
    week: dict[int, list[tuple[time, time]]] = {}
    errors: dict[str, str] = {}
    for weekday in range(7):
        for n in range(WINDOWS_PER_DAY):
            start = form.get(f"{prefix}{weekday}_{n}_from", "").strip()
            end = form.get(f"{prefix}{weekday}_{n}_to", "").strip()
            if not start and not end:
                continue
            try:
                window = (time.fromisoformat(start), time.fromisoformat(end))
            except ValueError:
                errors[str(weekday)] = f"{WEEKDAYS[weekday]}: give both times as HH:MM."
                continue
            week.setdefault(weekday, []).append(window)
    return week, errors


def week_values(rows, start_attr: str, end_attr: str) -> dict[str, str]:
    """Stored weekly rows as the grid's input values."""
    shown: dict[str, str] = {}
    counts: dict[int, int] = {}
    for row in rows:
        n = counts.get(row.weekday, 0)
        if n >= WINDOWS_PER_DAY:
            continue
        counts[row.weekday] = n + 1
        shown[f"h{row.weekday}_{n}_from"] = getattr(row, start_attr).strftime("%H:%M")
        shown[f"h{row.weekday}_{n}_to"] = getattr(row, end_attr).strftime("%H:%M")
    return shown


# --------------------------------------------------------------------------- reminder cadence

CADENCE_ROWS = 3  # domain.reminders.clean_cadence allows at most three steps


def parse_cadence(form) -> tuple[list[dict], list[dict], bool]:
    """Rows step<n>_hours / step<n>_email / step<n>_sms -> (the steps for the domain, the
    rows as typed for the form, whether a row's shape is wrong). A row left wholly empty is
    no step; a step with both boxes unticked is kept, switched off."""
    steps: list[dict] = []
    rows: list[dict] = []
    wrong = False
    for n in range(CADENCE_ROWS):
        raw = form.get(f"step{n}_hours", "")
        raw = raw.strip() if isinstance(raw, str) else ""
        email, sms = f"step{n}_email" in form, f"step{n}_sms" in form
        if not raw and not email and not sms:
            continue
        row = {"hours": raw, "email": email, "sms": sms, "error": None}
        rows.append(row)
        if not raw:
            row["error"] = "Say how many hours before the appointment."
        elif not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 9:
            row["error"] = "Enter a whole number of hours."
        else:
            steps.append({"hours_before": int(raw), "email": email, "sms": sms})
        wrong = wrong or row["error"] is not None
    return steps, rows, wrong


def cadence_rows(cadence) -> list[dict]:
    """A stored cadence as the form's rows."""
    return [{"hours": str(step.get("hours_before", "")), "email": bool(step.get("email")), "sms": bool(step.get("sms")),
             "error": None} for step in (cadence or [])][:CADENCE_ROWS]
