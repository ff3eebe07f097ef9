import gettext
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"
CATALOG = LOCALE / "hu" / "LC_MESSAGES" / "django.po"


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


@pytest.mark.parametrize("language", ["hu", "en"])
def test_the_shipped_compiled_catalog_is_its_source_compiled(language):
    """A checkout must not need `make messages` to speak Hungarian, and must not speak last
    week's Hungarian: the committed .mo holds exactly the messages of the committed .po."""
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.po").open("rb") as f:
        source = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, source)
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)._catalog
    with (folder / "django.mo").open("rb") as f:
        shipped = gettext.GNUTranslations(f)._catalog
    stale = sorted(str(k) for k in expected.keys() ^ shipped.keys())
    stale += sorted(str(k) for k in expected.keys() & shipped.keys() if expected[k] != shipped[k])
    assert stale == [], f"locale/{language}/LC_MESSAGES/django.mo is stale: run `make messages`"


def test_a_document_label_is_hungarian_from_the_shipped_catalog():
    with translation.override("hu"):
        assert translation.gettext("A – passenger car") == "A – személygépkocsi"


def test_the_process_refuses_to_start_without_the_hungarian_catalog(settings, tmp_path):
    settings.LOCALE_PATHS = [tmp_path]
    with pytest.raises(ImproperlyConfigured, match="make messages"):
        apps.get_app_config("gratisz").ready()


def test_the_process_refuses_a_catalog_that_is_not_hungarian(settings, tmp_path):
    folder = tmp_path / "hu" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.mo").write_bytes((LOCALE / "en" / "LC_MESSAGES" / "django.mo").read_bytes())
    settings.LOCALE_PATHS = [tmp_path]
    with pytest.raises(ImproperlyConfigured):
        apps.get_app_config("gratisz").ready()


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("language", ["hu", "en"])
def test_gnu_msgfmt_checks_the_catalog_without_a_warning(language, tmp_path):
    result = subprocess.run(  # noqa: S603
        [  # noqa: S607
            "msgfmt",
            "-c",
            "-o",
            str(tmp_path / "x.mo"),
            str(LOCALE / language / "LC_MESSAGES" / "django.po"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
