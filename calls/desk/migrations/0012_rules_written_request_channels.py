"""Written-request guidance: channels from settings, a GFB keeper change explained as a new
contract, and orders of printed forms pointed to their own channel (issue 15, item 8)."""

from django.db import migrations

SEEDED = {
    "fax": "+36 1 467 3500",
    "email": "ugyfelszolgalat@groupama.example.hu",
    "postal_address": "Groupama Biztosító Zrt., 1380 Budapest, Pf. 1149",
}
OWNER_CHANGE = (
    "Kötelező gépjármű-felelősségbiztosításnál (GFB) az üzembentartó vagy a tulajdonos változása "
    "nem szerződésmódosítás: a régi szerződés a változás napjával megszűnik, és az új "
    "üzembentartónak új szerződést kell kötnie, a saját bonus-malus besorolásával. A változást a "
    "régi szerződésre 15 napon belül be kell jelenteni. Cascónál a változásbejelentő "
    "nyomtatványt a szerződő írja alá."
)
PRINTED_FORMS = (
    "Nyomtatványt (ajánlati és kárbejelentő nyomtatványt) a nyomtatványrendelési címen lehet "
    "rendelni, nem az írásbeli kérelmek csatornáin. Adja meg a nyomtatványok nevét, darabszámát "
    "és a szállítási címet."
)


def change(apps, schema_editor):
    Type = apps.get_model("desk", "WrittenRequestType")
    # The seeded channels follow the settings from now on (a type edited since keeps its own).
    for field, value in SEEDED.items():
        Type.objects.filter(**{field: value}).update(**{field: ""})
    Type.objects.filter(code="owner-change").update(instructions=OWNER_CHANGE)
    Type.objects.get_or_create(
        code="printed-forms",
        defaults={
            "title": "Nyomtatványrendelés",
            "form_name": "Nincs nyomtatvány: e-mailben kérje",
            "instructions": PRINTED_FORMS,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("desk", "0011_desk_claim_report_form_key")]
    operations = [migrations.RunPython(change, migrations.RunPython.noop)]
