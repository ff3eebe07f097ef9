"""Search as agents type, on PostgreSQL: the unaccent and pg_trgm extensions, the two search
functions (partners.search) and a trigram GIN index on each search key. SQLite gets the same
functions from Python on each connection, and needs no index for a firm's portfolio."""

from django.db import migrations

from partners.search import PG_FUNCTIONS, PG_INDEXES


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PG_FUNCTIONS)
    for name, table, expression in PG_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in PG_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("partners", "0005_rules_keeper_and_registration_number")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
