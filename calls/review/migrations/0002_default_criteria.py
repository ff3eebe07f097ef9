"""The default quality criteria (data: Hungarian titles, editable in the admin)."""

from django.db import migrations

CRITERIA = [
    ("koszones", "Köszöntés", "Bemutatkozott, köszöntötte a hívót (greeting)."),
    (
        "azonositas",
        "Azonosítás helyesen",
        "Ügyféladatot csak sikeres azonosítás után adott ki (identification done right).",
    ),
    (
        "adatvedelem",
        "Adatvédelem betartva",
        "Csak a hívó cég állományáról beszélt (data protection respected).",
    ),
    (
        "irasbeliseg",
        "Írásbeliség betartva",
        "Szerződésmódosítást nem vett fel telefonon, írásbeli utat adott (written-form rule).",
    ),
    ("megoldva", "Megoldva", "A hívó kérése megoldódott vagy vállalás született (resolved)."),
]


def add(apps, schema_editor):
    QualityCriterion = apps.get_model("review", "QualityCriterion")
    for i, (code, title, guidance) in enumerate(CRITERIA):
        QualityCriterion.objects.get_or_create(
            code=code,
            defaults={"title": title, "guidance": guidance, "max_points": 5, "position": i},
        )


def remove(apps, schema_editor):
    apps.get_model("review", "QualityCriterion").objects.filter(
        code__in=[c[0] for c in CRITERIA]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
