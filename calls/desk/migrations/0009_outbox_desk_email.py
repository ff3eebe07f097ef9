"""The desk's e-mails move into the one outbox (``outbox.Email``); a desk e-mail becomes the
call's link to its e-mail, with the text, the tries and the state copied over."""

import django.db.models.deletion
from django.db import migrations, models


def to_outbox(apps, schema_editor):
    DeskEmail = apps.get_model("desk", "DeskEmail")
    Email = apps.get_model("outbox", "Email")
    for desk_email in DeskEmail.objects.all():
        desk_email.email = Email.objects.create(
            template="desk/email",
            to=desk_email.to,
            subject=desk_email.subject,
            body=desk_email.body,
            language="hu",
            state="sent" if desk_email.sent_at else "queued",
            created_at=desk_email.created_at,
            attempts=desk_email.attempts,
            tried_at=desk_email.tried_at,
            sent_at=desk_email.sent_at,
            last_error=desk_email.last_error,
        )
        desk_email.save(update_fields=["email"])


def from_outbox(apps, schema_editor):
    DeskEmail = apps.get_model("desk", "DeskEmail")
    for desk_email in DeskEmail.objects.select_related("email"):
        email = desk_email.email
        desk_email.to, desk_email.subject, desk_email.body = email.to, email.subject, email.body
        desk_email.created_at, desk_email.sent_at = email.created_at, email.sent_at
        desk_email.attempts, desk_email.tried_at = email.attempts, email.tried_at
        desk_email.last_error = email.last_error[:255]
        desk_email.save()


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0008_promise_assignee"),
        ("outbox", "0001_outbox_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="deskemail",
            name="email",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="desk_email",
                to="outbox.email",
                verbose_name="e-mail",
            ),
        ),
        migrations.AlterField(
            model_name="deskemail",
            name="created_at",
            field=models.DateTimeField(null=True, verbose_name="created at"),
        ),
        migrations.RunPython(to_outbox, from_outbox),
        migrations.AlterField(
            model_name="deskemail",
            name="email",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="desk_email",
                to="outbox.email",
                verbose_name="e-mail",
            ),
        ),
        migrations.RemoveIndex(model_name="deskemail", name="desk_email_unsent"),
        migrations.RemoveField(model_name="deskemail", name="attempts"),
        migrations.RemoveField(model_name="deskemail", name="body"),
        migrations.RemoveField(model_name="deskemail", name="created_at"),
        migrations.RemoveField(model_name="deskemail", name="last_error"),
        migrations.RemoveField(model_name="deskemail", name="sent_at"),
        migrations.RemoveField(model_name="deskemail", name="subject"),
        migrations.RemoveField(model_name="deskemail", name="to"),
        migrations.RemoveField(model_name="deskemail", name="tried_at"),
        migrations.AlterModelOptions(
            name="deskemail",
            options={
                "ordering": ["handling", "pk"],
                "verbose_name": "desk e-mail",
                "verbose_name_plural": "desk e-mails",
            },
        ),
    ]
