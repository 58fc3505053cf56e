"""Checks on a request before any operation reads it.

Reading the query string and the body is declared per operation (bookingapp/api/schemas.py,
validated by bookingapp/api/operations.py); what stays here applies to every request."""
from __future__ import annotations

from flask import request

from bookingapp.api.errors import ApiError, bad_request
from bookingapp.textguard import find_bad_text


def refuse_bad_text() -> None:
    """Before every API request: unacceptable text (bookingapp/textguard.py) in the path is
    a 404 and in a query parameter a 400 naming it, before anything reaches the database."""
    if find_bad_text([("path", request.path)]):
        raise ApiError("not_found", "No API endpoint at this path.", status=404)
    found = find_bad_text(request.args.items(multi=True))
    if found is None:
        found = find_bad_text(("query string", name) for name in request.args)
    if found is not None:
        raise bad_request(found.message, found.field)
