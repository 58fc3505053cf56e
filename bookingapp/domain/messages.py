"""The marker for customer-facing domain messages.

The domain speaks English (the API returns its messages as they are), and it has no Flask
to translate with. `N_("...")` returns its text unchanged; it only tells `pybabel extract`
(keyword N_ in babel.cfg) that the web door may show this text to a customer, which
translates it there with Flask-Babel (bookingapp.i18n.error_text / domain_text). A message
with values is a template: `ValidationError(N_("%(code)s has expired."), params={...})`,
so the door translates the template first and puts the values in after.
"""
from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 (gettext_noop's customary name)
    return message
