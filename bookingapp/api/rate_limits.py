"""What the API tells a client about its rate limits: the headers every response carries
and the message of a 429. The OpenAPI document and the error envelope read them from here,
so the description and the behaviour cannot drift apart."""
from __future__ import annotations

# Header name -> description, as documented on every operation's responses.
RATE_LIMIT_HEADERS: dict[str, str] = {
    "X-RateLimit-Limit": "Requests allowed in the current (shortest) window",
    "X-RateLimit-Remaining": "Requests left in that window",
    "X-RateLimit-Reset": "Unix time at which the window resets (the monthly quota: the 1st, 00:00 UTC)",
    "X-RateLimit-Used": "Requests counted in that window",
}


def exceeded_message(error) -> str:
    """The message of a 429 for Flask-Limiter's RateLimitExceeded."""
    return f"Rate limit exceeded ({error.description}). Retry after the time in X-RateLimit-Reset."
