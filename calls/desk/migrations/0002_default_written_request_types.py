"""Default written-request guidance (editable content; Hungarian, the trade's language)."""

from django.db import migrations

POST = "Groupama Biztosító Zrt., 1380 Budapest, Pf. 1149"
DEFAULTS = [
    ("address-change", "Címváltozás bejelentése", "Változásbejelentő nyomtatvány (Adatmódosítás)"),
    ("payment-method", "Díjfizetési mód vagy gyakoriság módosítása", "Díjfizetési módváltoztatási kérelem"),
    ("owner-change", "Üzembentartó vagy tulajdonos változása", "Változásbejelentő nyomtatvány (Gépjármű)"),
    ("cancellation", "Szerződés felmondása", "Felmondó nyilatkozat"),
    ("policyholder-data", "Szerződő adatainak javítása", "Változásbejelentő nyomtatvány (Adatmódosítás)"),
]


def add(apps, schema_editor):
    Type = apps.get_model("desk", "WrittenRequestType")
    for code, title, form in DEFAULTS:
        Type.objects.get_or_create(
            code=code,
            defaults={
                "title": title,
                "form_name": form,
                "fax": "+36 1 467 3500",
                "email": "ugyfelszolgalat@groupama.example.hu",
                "postal_address": POST,
                "instructions": (
                    "A nyomtatványt a szerződő írja alá; cégnél cégszerű aláírás szükséges. "
                    "A kérelem beérkezését követő 15 napon belül írásban válaszolunk."
                ),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
