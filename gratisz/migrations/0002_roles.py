"""Create the role groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from gratisz.roles import ROLE_PERMISSIONS, Role


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if role == Role.ADMINISTRATOR:
            group.permissions.set(Permission.objects.all())
            continue
        perms = []
        for name in names:
            app_label, codename = name.split(".")
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(perms)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(Role)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("gratisz", "0001_initial"),
        ("partners", "0001_initial"),
        ("claims", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
