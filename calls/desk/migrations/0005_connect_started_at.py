from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0004_call_connection"),
    ]

    operations = [
        migrations.AddField(
            model_name="callhandling",
            name="connect_started_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="connection request started at"
            ),
        ),
    ]
