"""The default quality criteria in both languages: each gets its English title and guidance,
and the Hungarian guidance loses the English glosses in brackets (a criterion an
administrator has edited keeps its text)."""

from django.db import migrations, models

# code → (Hungarian guidance as 0002 wrote it, Hungarian guidance, English title, English guidance)
CRITERIA = {
    "koszones": (
        "Bemutatkozott, köszöntötte a hívót (greeting).",
        "Bemutatkozott, köszöntötte a hívót.",
        "Greeting",
        "Introduced themselves and greeted the caller.",
    ),
    "azonositas": (
        "Ügyféladatot csak sikeres azonosítás után adott ki (identification done right).",
        "Ügyféladatot csak sikeres azonosítás után adott ki.",
        "Identification done right",
        "Gave out client data only after a successful identification.",
    ),
    "adatvedelem": (
        "Csak a hívó cég állományáról beszélt (data protection respected).",
        "Csak a hívó cég állományáról beszélt.",
        "Data protection respected",
        "Spoke only about the calling firm's portfolio.",
    ),
    "irasbeliseg": (
        "Szerződésmódosítást nem vett fel telefonon, írásbeli utat adott (written-form rule).",
        "Szerződésmódosítást nem vett fel telefonon, az írásbeli utat ajánlotta.",
        "Written-form rule kept",
        "Took no contract change by phone and pointed to the written channels.",
    ),
    "megoldva": (
        "A hívó kérése megoldódott vagy vállalás született (resolved).",
        "A hívó kérése megoldódott, vagy vállalás született.",
        "Resolved",
        "The caller's request was resolved or a promise was made.",
    ),
}


def add(apps, schema_editor):
    QualityCriterion = apps.get_model("review", "QualityCriterion")
    for criterion in QualityCriterion.objects.filter(code__in=CRITERIA):
        old_hu, hu, title_en, guidance_en = CRITERIA[criterion.code]
        if criterion.guidance == old_hu:
            criterion.guidance = hu
        criterion.title_en = criterion.title_en or title_en
        criterion.guidance_en = criterion.guidance_en or guidance_en
        criterion.save(update_fields=["guidance", "title_en", "guidance_en"])


class Migration(migrations.Migration):
    dependencies = [("review", "0004_service_level_and_request_mix")]

    operations = [
        migrations.AddField(
            model_name="qualitycriterion",
            name="guidance_en",
            field=models.TextField(
                blank=True, verbose_name="what the reviewer looks for, in English"
            ),
        ),
        migrations.AddField(
            model_name="qualitycriterion",
            name="title_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="criterion in English"),
        ),
        migrations.RunPython(add, migrations.RunPython.noop),
    ]
