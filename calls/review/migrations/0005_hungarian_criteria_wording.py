"""Reword the default quality criteria that nobody edited: no English glosses in the Hungarian
guidance, "Helyes azonosítás", and the written-request rule said as a Hungarian would."""

from django.db import migrations

# code: ((old title, old guidance), (new title, new guidance))
REWORDED = {
    "koszones": (
        ("Köszöntés", "Bemutatkozott, köszöntötte a hívót (greeting)."),
        ("Köszöntés", "Bemutatkozott, köszöntötte a hívót."),
    ),
    "azonositas": (
        (
            "Azonosítás helyesen",
            "Ügyféladatot csak sikeres azonosítás után adott ki (identification done right).",
        ),
        ("Helyes azonosítás", "Ügyféladatot csak sikeres azonosítás után adott ki."),
    ),
    "adatvedelem": (
        (
            "Adatvédelem betartva",
            "Csak a hívó cég állományáról beszélt (data protection respected).",
        ),
        ("Adatvédelem betartva", "Csak a hívó partnercég állományáról beszélt."),
    ),
    "irasbeliseg": (
        (
            "Írásbeliség betartva",
            "Szerződésmódosítást nem vett fel telefonon, írásbeli utat adott (written-form rule).",
        ),
        (
            "Írásbeliség betartva",
            "Szerződésmódosítást nem vett fel telefonon, tájékoztatott az írásbeli benyújtás "
            "módjáról.",
        ),
    ),
    "megoldva": (
        ("Megoldva", "A hívó kérése megoldódott vagy vállalás született (resolved)."),
        ("Megoldva", "A hívó kérése megoldódott vagy vállalás született."),
    ),
}


def reword(apps, schema_editor):
    QualityCriterion = apps.get_model("review", "QualityCriterion")
    for code, ((title, guidance), (new_title, new_guidance)) in REWORDED.items():
        QualityCriterion.objects.filter(code=code, title=title).update(title=new_title)
        QualityCriterion.objects.filter(code=code, guidance=guidance).update(guidance=new_guidance)


class Migration(migrations.Migration):
    dependencies = [("review", "0004_service_level_and_request_mix")]
    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
