"""What the API tells a client about its rate limits: the headers every response carries
and the message of a 429. The OpenAPI document and the error envelope read them from here,
so the description and the behaviour cannot drift apart.

A key draws on several windows at once: the per-key limits of API_RATE_LIMITS (for example
100 per minute and 1000 per hour) and the calendar-month quota (API_MONTHLY_QUOTA). The plain
`X-RateLimit-*` headers describe the window closest to running out; every window also has its
own headers, so a client sees the hourly limit and the quota coming before they cut it off."""
from __future__ import annotations

from dataclasses import dataclass

# The windows a configured limit can have, by the `limits` library's granularity names; a
# window's own headers carry its suffix (X-RateLimit-Remaining-Hour). Only the windows that
# are configured are sent, but all are documented, so any configuration stays described.
WINDOW_SUFFIXES: dict[str, str] = {
    "second": "Second", "minute": "Minute", "hour": "Hour", "day": "Day", "month": "Month", "year": "Year",
}

# Header name -> description, as documented on every operation's responses.
RATE_LIMIT_HEADERS: dict[str, str] = {
    "X-RateLimit-Limit": "Requests allowed in the window closest to running out (the one with the fewest requests "
                         "remaining; of those, the one that resets last): a per-key limit or the monthly quota",
    "X-RateLimit-Remaining": "Requests left in that window",
    "X-RateLimit-Reset": "Unix time at which that window resets (the monthly quota: the 1st of next month, 00:00 UTC)",
    "X-RateLimit-Used": "Requests counted in that window",
}
for _suffix in WINDOW_SUFFIXES.values():
    _window = _suffix.lower()
    RATE_LIMIT_HEADERS.update({
        f"X-RateLimit-Limit-{_suffix}": f"Requests allowed per {_window} (sent when a per-{_window} limit is configured)",
        f"X-RateLimit-Remaining-{_suffix}": f"Requests left in the current {_window} window",
        f"X-RateLimit-Reset-{_suffix}": f"Unix time at which the current {_window} window resets",
    })
RATE_LIMIT_HEADERS.update({
    "X-Quota-Limit": "Requests allowed per calendar month (UTC) for this API key (sent when a monthly quota is set)",
    "X-Quota-Remaining": "Requests left in this calendar month's quota",
    "X-Quota-Reset": "Unix time at which the quota starts afresh: the 1st of next month, 00:00 UTC",
    "Retry-After": "Only on a 429: seconds until the window that refused the request resets",
})

# The API description's paragraph on limits (markdown), for the OpenAPI document's info.
DESCRIPTION = (
    "**Rate limits** per key, one allowance shared by every operation: the per-key windows of "
    "API_RATE_LIMITS (100/minute and 1,000/hour by default) and a monthly quota that restarts at 00:00 UTC on "
    "the 1st. Every response shows each window: `X-RateLimit-Limit-Minute`, `X-RateLimit-Remaining-Minute`, "
    "`X-RateLimit-Reset-Minute` (likewise `-Hour`, and `-Second`/`-Day` when configured) and the quota's "
    "`X-Quota-Limit`, `X-Quota-Remaining`, `X-Quota-Reset`. `X-RateLimit-Limit`, `-Remaining`, `-Reset` and "
    "`-Used` describe the window closest to running out (fewest requests remaining; of equals, the one that "
    "resets last). Past a limit: 429 `rate_limit_exceeded`, naming the window, with `Retry-After` (seconds); "
    "`Retry-After` is sent on no other response."
)


@dataclass(frozen=True)
class Window:
    """One limit as it stands for this request's key, after this request was counted."""

    amount: int
    remaining: int
    reset_at: int  # unix seconds, rounded up
    granularity: str  # "minute", "hour", ... or "quota" for the calendar-month quota
    multiples: int = 1
    reset_exact: float | None = None  # the storage's own (fractional) reset time

    @property
    def is_quota(self) -> bool:
        return self.granularity == "quota"

    @property
    def used(self) -> int:
        return max(self.amount - self.remaining, 0)


def closest_to_running_out(windows: list[Window]) -> Window | None:
    """The window with the fewest requests remaining; of equals, the one that resets last
    (when two are exhausted, the later reset is when the client may really try again)."""
    if not windows:
        return None
    return min(windows, key=lambda window: (window.remaining, -window.reset_at))


def describe(window: Window) -> str:
    """A window in words: "60 requests per minute", "1000 requests per 5 minutes",
    "the monthly quota of 5000 requests"."""
    noun = "request" if window.amount == 1 else "requests"
    if window.is_quota:
        return f"the monthly quota of {window.amount} {noun}"
    if window.multiples == 1:
        return f"{window.amount} {noun} per {window.granularity}"
    return f"{window.amount} {noun} per {window.multiples} {window.granularity}s"


def exceeded_message(error) -> str:
    """The message of a 429 for Flask-Limiter's RateLimitExceeded: it names the window that
    holds the client back (the one Retry-After counts down), in words."""
    from bookingapp.api.auth import blocking_window, next_month_start, retry_after_seconds

    window = blocking_window(error)
    if window is None:  # the limits could not be read back (storage trouble): say what refused
        return f"Rate limit exceeded ({error.description}). Retry after the time in Retry-After."
    if window.is_quota:
        return (f"Rate limit exceeded: {describe(window)} is used up; it starts afresh on "
                f"{next_month_start():%Y-%m-%d} 00:00 UTC.")
    seconds = retry_after_seconds(window)
    return (f"Rate limit exceeded: {describe(window)}. "
            f"Try again in {seconds} second{'s' if seconds != 1 else ''} (see Retry-After).")
