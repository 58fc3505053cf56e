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
