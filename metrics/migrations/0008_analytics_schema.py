"""The ``analytics`` schema analysts read (PostgreSQL only; nothing on SQLite).

Only the schema: its views are put in place after every ``migrate`` from
``metrics/analytics/views.sql`` (see ``metrics.analytics.install`` for why not here).
"""

from django.db import migrations


def create_schema(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SCHEMA IF NOT EXISTS analytics")


def drop_schema(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SCHEMA IF EXISTS analytics CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0007_rubric_policy"),
    ]

    operations = [
        migrations.RunPython(create_schema, drop_schema, elidable=False),
    ]
