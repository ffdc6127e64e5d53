"""Milestone.times_moved: the count of its date-change ledger entries, filled from the ledger."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def count_the_ledger(apps, schema_editor):
    Milestone = apps.get_model("programs", "Milestone")
    MilestoneDateChange = apps.get_model("programs", "MilestoneDateChange")
    moves = (
        MilestoneDateChange.objects.filter(milestone=OuterRef("pk"))
        .order_by()
        .values("milestone")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Milestone.objects.update(times_moved=Coalesce(Subquery(moves), Value(0)))


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0004_membership_reviewer_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="milestone",
            name="times_moved",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_the_ledger, migrations.RunPython.noop, elidable=True),
    ]
