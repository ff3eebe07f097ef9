"""One Hungarian word for one thing (the terminology of shared/domain/hungarian-text.md §4).

Reads the Hungarian catalog, every template (the PDFs and e-mails hold Hungarian text of their
own) and the IVR's default prompts, and fails on a retired term, naming the one to use."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from calls.ivr.prompts import DEFAULT_PROMPTS

ROOT = Path(__file__).resolve().parents[2]

# (retired pattern, what to write instead). Patterns are case-sensitive unless they say (?i).
RETIRED = [
    (r"(?i)kárelőzmény", "kártörténeti igazolás / kártörténet (the kgfb act's term)"),
    (r"(?i)\bfeladott\b|feladási arány", "elhagyott hívás (a call the caller hung up on)"),
    (r"(?i)adminisztrátor", "rendszergazda"),
    (r"Direkt azonosító|azonosítókód", "Direkt kód"),
    (r"GRID kód", "GRID-kód (or GRID)"),
    (r"(?i)(?<!kár)tartalék", "kártartalék"),
    (r"(?i)\bterméke?\b", "módozat"),
    (r"(?i)telefonáló", "hívó"),
    (r"(?i)cégvezető", "a partnercég vezetője (cégvezető is a role of company law)"),
    (r"információs szolgáltatás", "telefonos információs szolgálat"),
    (r"Garancia Biztosító|Groupama Garancia", "Groupama Biztosító (the current name)"),
    (r"Tisztelt Vezető", "Tisztelt Partnerünk!"),
    (r"(?i)próbálkozás", "kísérlet"),
    (r"(?i)\bszerep\b", "szerepkör"),
    (r"(?i)(?<!gép)(?<!gép-)\bjármű(?!év)", "gépjármű"),
    (r"(?i)híváselőzmény", "hívástörténet"),
    (r"(?i)nyitvatartás|ügyfélfogadási idő", "munkaidő"),
    (r"(?i)\briport", "kimutatás"),
    (r"(?i)alkuszreferens", "referens"),
    (r"\bekkor\b", "one sentence with the date in it (…%(date)s óta, …ideje)"),
    (r"Üresen:|[;.] üresen:", "Üresen hagyva: …"),
    (r"óta:", "%(date)s óta"),
    (r"(?i)határidő nélkül", "határozatlan ideig"),
    (r"Dokumentum hitelesítése", "a dokumentum eredetiségének ellenőrzése"),
    (r"Kiállítás kelte", "Számla kelte / Kiállítás dátuma"),
    (r"Díjszámla másolat", "Díjszámla-másolat"),
    (r"\(GFB\)|\bGFB károsult", "kgfb"),
    (r"(?i)\bbelépésem\b|\ba belépése\b", "felhasználói fiók"),
    (r"(?i)kódja? visszaélés", "a kóddal való visszaélés"),
    (r"(?i)időbeni teljesítés", "határidőre teljesítés"),
]
# "Kedves Partnerünk!" stays in the IVR (the seed's greeting), not in writing.
RETIRED_IN_WRITING = [(r"Kedves Partnerünk", "Tisztelt Partnerünk!")]


def _catalog_texts():
    with (ROOT / "locale" / "hu" / "LC_MESSAGES" / "django.po").open("rb") as f:
        catalog = read_po(f, locale="hu")
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        for string in strings:
            yield f"catalog: {msgid!r}", string


def _template_texts():
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in {".html", ".txt"}:
            yield f"template: {path.relative_to(ROOT)}", path.read_text(encoding="utf-8")


def _ivr_texts():
    for key, (hu, _en) in DEFAULT_PROMPTS.items():
        yield f"IVR prompt: {key}", hu


def _hits(texts, retired):
    return [
        f"{where}: {re.search(pattern, text).group(0)!r} -> {use}"
        for where, text in texts
        for pattern, use in retired
        if re.search(pattern, text)
    ]


@pytest.mark.parametrize(
    "source",
    [_catalog_texts, _template_texts, _ivr_texts],
    ids=["catalog", "templates", "ivr"],
)
def test_no_retired_term_is_left(source):
    assert _hits(source(), RETIRED) == []


@pytest.mark.parametrize("source", [_catalog_texts, _template_texts], ids=["catalog", "templates"])
def test_written_messages_greet_partners_formally(source):
    assert _hits(source(), RETIRED_IN_WRITING) == []


def test_the_check_catches_a_retired_term():
    texts = [("sample", "Kérje meg egy adminisztrátort; zárolva ekkor óta: 2026-12-06")]
    assert len(_hits(texts, RETIRED)) == 3
