"""Setup, "Embed on your website" (owner and manager): the business's own websites allowed to
show the booking pages in a frame, and the snippet to paste there.

The rule is domain.embedding's (shared with the API's PATCH /business/embedding); the headers
that enforce it are bookingapp.security_headers'. A refused list comes back (422) with what was
typed and the message under the field.
"""
from __future__ import annotations

from flask import request, url_for

from bookingapp.auth import require
from bookingapp.dashboard import all_or_nothing, bp, now_utc, render
from bookingapp.dashboard.setup_forms import Spec, display, parse, typed
from bookingapp.dashboard.views_setup import PAGES, _business, _done, _form_ctx, _place_error
from bookingapp.domain import embedding
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db

PAGES.append(("embed", "Embed on your website"))

EMBED_SPECS = [
    Spec(embedding.PARAM, "Your websites (one a line)", "lines",
         help=f"Each as https://www.example.com: the site alone, no page path; at most {embedding.MAX_ORIGINS}. "
              "Only these may show your booking pages in a frame; leave empty to switch embedding off. "
              "http:// is accepted only for localhost and 127.0.0.1, for trying it out."),
]


def _page(values: dict, *, errors=None, error=None, status: int = 200):
    business = _business()
    action = url_for("dashboard.setup_embed")
    ctx = _form_ctx("embed-form", action, EMBED_SPECS, values, errors, error=error, title="Websites allowed to embed")
    booking_url = url_for("web.choose_service", slug=business.slug, _external=True)
    script_url = url_for("static", filename="embed.js", _external=True)
    return render("dashboard/_setup_form.html", "dashboard/setup_embed.html", status=status, business=business,
                  current_page="embed", pages=PAGES, booking_url=booking_url, script_url=script_url,
                  embedding_on=embedding.embedding_is_on(business), **ctx)


@bp.route("/setup/embed", methods=["GET", "POST"])
@require("setup")
def setup_embed():
    business = _business()
    if request.method == "GET":
        return _page(display(EMBED_SPECS, business, business))
    values = typed(EMBED_SPECS, request.form)
    try:
        with all_or_nothing():
            origins = parse(EMBED_SPECS, request.form, business)[embedding.PARAM]
            embedding.set_embed_origins(db.session, business, origins, now=now_utc())
    except DomainError as error:
        form = {"errors": {}, "error": None}
        _place_error(form, error, EMBED_SPECS)
        return _page(values, errors=form["errors"], error=form["error"], status=422)
    return _done("Embedding saved." if business.embed_origins else "Embedding switched off.",
                 url_for("dashboard.setup_embed"))
