"""Load the IVR's default wording (the seed's) and the seed's opening hours."""

import datetime

from django.db import migrations

# Mon, Tue, Thu 8–17; Wed 8–20; Fri 8–14 (seed); weekends closed (no row).
HOURS = {0: (8, 17), 1: (8, 17), 2: (8, 20), 3: (8, 17), 4: (8, 14)}


def load(apps, schema_editor):
    from calls.ivr.prompts import DEFAULT_PROMPTS

    IvrPrompt = apps.get_model("calls", "IvrPrompt")
    OpeningHours = apps.get_model("calls", "OpeningHours")
    for key, (hu, en) in DEFAULT_PROMPTS.items():
        IvrPrompt.objects.get_or_create(key=key, defaults={"text_hu": hu, "text_en": en})
    for weekday, (opens, closes) in HOURS.items():
        OpeningHours.objects.get_or_create(
            weekday=weekday,
            defaults={"opens": datetime.time(opens), "closes": datetime.time(closes)},
        )


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
