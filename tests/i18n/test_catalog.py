"""The German catalogue is complete and the committed .mo is the compiled .po: every string
the customer side marks for translation (extracted now with babel.cfg, as the README's
commands do) has a German text, and the .mo says exactly what the .po says."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bookingapp.config import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "translations" / "de" / "LC_MESSAGES"


def _read(reader, path: Path):
    with path.open("rb") as fh:
        return reader(fh)


def _messages(catalog) -> dict:
    """id -> text; a plural's id and text are tuples (read_po and read_mo differ in kind)."""
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {key(message.id): key(message.string) for message in catalog if message.id}


def test_every_marked_string_has_a_german_translation(tmp_path: Path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "_ln:1,2", "--no-location", "-o", str(pot), "."],
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    wanted = set(_messages(_read(read_po, pot)))
    german = _messages(_read(read_po, CATALOG / "messages.po"))
    missing = sorted(str(key) for key in wanted if not all(german.get(key) or [""]))
    assert missing == []


def test_the_committed_mo_is_the_compiled_po():
    po = _messages(_read(read_po, CATALOG / "messages.po"))
    mo = _messages(_read(read_mo, CATALOG / "messages.mo"))
    assert mo == po


def test_templates_follow_a_language_forced_mid_request_and_back(app):
    """Templates keep the catalogue of the locale in force between strings (bookingapp/i18n.py);
    a language forced part-way through a request (as an email in the booking's language is
    rendered) must be honoured, and the page's own language must come back after it."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        app.preprocess_request()
        page = '{{ _("Choose a location") }}'
        assert render_template_string(page) == "Choose a location"
        with force_locale("de"):
            assert render_template_string(page) == "Standort wählen"
        assert render_template_string(page) == "Choose a location"
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        app.preprocess_request()
        assert render_template_string(page) == "Standort wählen"
