from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "hu" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_hungarian_translation():
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="hu")
    untranslated = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
