"""Reword the default quality criteria that nobody edited, as the December language review
asks: "Helyes azonosítás", the partner firm by its UI name, and the written-request rule said
as a Hungarian would (0005 already dropped the English glosses)."""

from django.db import migrations

# code: ((title, guidance) as 0002/0005 left them, (new title, new guidance))
REWORDED = {
    "azonositas": (
        ("Azonosítás helyesen", "Ügyféladatot csak sikeres azonosítás után adott ki."),
        ("Helyes azonosítás", "Ügyféladatot csak sikeres azonosítás után adott ki."),
    ),
    "adatvedelem": (
        ("Adatvédelem betartva", "Csak a hívó cég állományáról beszélt."),
        ("Adatvédelem betartva", "Csak a hívó partnercég állományáról beszélt."),
    ),
    "irasbeliseg": (
        (
            "Írásbeliség betartva",
            "Szerződésmódosítást nem vett fel telefonon, az írásbeli utat ajánlotta.",
        ),
        (
            "Írásbeliség betartva",
            "Szerződésmódosítást nem vett fel telefonon, tájékoztatott az írásbeli benyújtás "
            "módjáról.",
        ),
    ),
}


def reword(apps, schema_editor):
    QualityCriterion = apps.get_model("review", "QualityCriterion")
    for code, ((title, guidance), (new_title, new_guidance)) in REWORDED.items():
        QualityCriterion.objects.filter(code=code, title=title).update(title=new_title)
        QualityCriterion.objects.filter(code=code, guidance=guidance).update(guidance=new_guidance)


class Migration(migrations.Migration):
    dependencies = [("review", "0005_review_criteria_in_english")]
    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
