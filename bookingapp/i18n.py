"""Two languages on the customer side (English, German) through Flask-Babel.

Which language a customer page speaks, first match wins:
1. the visitor's own choice, from the language switch (`?lang=de` on any page, a plain
   link, no JavaScript): kept in their session cookie from then on;
2. their browser's `Accept-Language`, among the languages we speak;
3. the business's default language (Business.default_language), else English.

The dashboard and the API stay English whatever the visitor asks for. Messages the worker
renders outside any request use `flask_babel.force_locale` with the booking's language
(domain.languages.language_of).
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, g, request, session
from flask_babel import Babel, get_locale, get_translations, gettext, refresh
from flask_babel import lazy_gettext as _l

from bookingapp.config import PROJECT_ROOT
from bookingapp.domain.languages import DEFAULT_LANGUAGE, LANGUAGES
from bookingapp.domain.local_time import format_local
from bookingapp.domain.messages import MOMENT_FORMAT, StatusValue, english

SESSION_KEY = "lang"
# The owner's and integrators' side: English whatever the visitor asks for.
ENGLISH_PREFIXES = ("/dashboard", "/api")

# A booking's status as the manage page names it.
STATUS_NAMES = {
    "pending": _l("Pending"), "confirmed": _l("Confirmed"), "in_progress": _l("In progress"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "no_show": _l("No show"),
    "reserved": _l("Reserved"), "rescheduled": _l("Moved"), "held": _l("Held"), "expired": _l("Expired"),
}

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel's own callables work the locale and catalogue out again for every string
    # (three walks of `g` each); a page has fifty of them (issue 13's time page: a sixth of
    # its time). These keep the catalogue for the locale in force and ask again only when
    # that locale changes (a new request, refresh(), force_locale).
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    app.before_request(_remember_switch)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language,
                                 language_switch_url=language_switch_url, status_names=STATUS_NAMES,
                                 domain_text=domain_text)


def _translations():
    """The catalogue of the locale in force, kept beside that locale in Flask-Babel's own
    per-context namespace on `g`: reused while the same locale object is in force, worked
    out again (flask_babel.get_translations) once it is replaced or forgotten."""
    try:
        state = g._flask_babel
        locale, (kept_for, catalogue) = state.babel_locale, state.bookingapp_catalogue
        if kept_for is locale:
            return catalogue
    except (AttributeError, RuntimeError):  # nothing kept yet, or outside any app context
        pass
    catalogue = get_translations()
    try:
        state = g._flask_babel
        state.bookingapp_catalogue = (state.babel_locale, catalogue)
    except (AttributeError, RuntimeError):
        pass
    return catalogue


def _remember_switch() -> None:
    """`?lang=xx` on a customer page: the visitor's choice, kept in their session.

    Also forgets any locale worked out before this request: Flask-Babel keeps it on `g`,
    which outlives a request when an app context was already pushed (the worker, tests)."""
    refresh()
    g.i18n_business = None
    wanted = request.args.get(SESSION_KEY, "").strip().lower()
    if wanted in LANGUAGES and _customer_side():
        session[SESSION_KEY] = wanted


def _customer_side() -> bool:
    """A customer page: the booking site, the payment pages, and error pages at any
    address outside the dashboard and the API."""
    path = request.path
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in ENGLISH_PREFIXES)


def select_locale() -> str:
    if not request or not _customer_side():
        return DEFAULT_LANGUAGE
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    asked = request.accept_languages.best_match(list(LANGUAGES))
    if asked:
        return asked
    business = g.get("i18n_business")
    return getattr(business, "default_language", None) or DEFAULT_LANGUAGE


def use_business_default(business) -> None:
    """Tell the locale selector which business the page belongs to, for its default
    language; called when a customer page loads its business."""
    g.i18n_business = business


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def format_locale() -> str | None:
    """The locale dates and money are written in on this page: None for English (the
    house formats, and money in the business's own locale), the language otherwise."""
    language = current_language()
    return None if language == DEFAULT_LANGUAGE else language


def language_switch_url(code: str) -> str:
    """A link to the page the visitor is on with `lang=<code>`: a query-only relative URL,
    which the browser resolves against the address shown when it is followed. The header
    is not swapped by htmx, and the address is whatever step htmx has pushed since."""
    return "?" + urlencode({SESSION_KEY: code})


def local_value(value):
    """A domain message's raw value as this page writes it: in English as the API does;
    otherwise a moment on the business's wall clock through Babel's CLDR patterns for the
    page's locale (the zone marked when ambiguous, as everywhere else), a booking status
    by its translated name."""
    locale = format_locale()
    if locale is None:
        return english(value)
    if isinstance(value, datetime):
        return format_local(value, value.tzinfo, MOMENT_FORMAT, locale)
    if isinstance(value, StatusValue):
        name = STATUS_NAMES.get(value.code)
        return str(name) if name is not None else str(value)
    return value


def error_text(error) -> str:
    """A domain error's message in the page's language: its template (marked with N_ in
    the domain) translated, then its values put in, each written for this page (a date in
    German on a German page), so a name or time survives translation. A message nobody has
    translated comes back in English, exactly as the API gives it."""
    template = getattr(error, "template", None) or error.message
    translated = gettext(template)
    if translated == template:
        # Untranslated (or an English page): the English text, values written in English too.
        return error.message
    params = {key: local_value(value) for key, value in (getattr(error, "params", None) or {}).items()}
    try:
        return translated % params if params else translated
    except (KeyError, ValueError, TypeError):
        # A translation whose placeholders do not fit: the English text beats a 500.
        return error.message


def domain_text(text: str | None) -> str:
    """A plain message the domain made (a payment outcome, a card error), in the page's
    language when the catalogue has it; values are never formatted into these."""
    return gettext(text) if text else ""
