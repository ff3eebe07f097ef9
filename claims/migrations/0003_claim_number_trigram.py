"""Claim numbers searched as agents type, on PostgreSQL: a trigram GIN index on the compact
claim number (the search functions come from partners.0006)."""

from django.db import migrations

INDEX = "claim_number_compact_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON claims_claim "
            "USING gin (gratisz_compact(claim_number) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_initial"), ("partners", "0006_search_trigram")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
