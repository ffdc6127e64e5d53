from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0011_milestone_move_category"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="milestone",
            index=models.Index(
                condition=models.Q(("state__in", ("planned", "in_progress", "blocked"))),
                fields=["baseline_date"],
                name="milestone_open_by_baseline",
            ),
        ),
        migrations.AddIndex(
            model_name="milestone",
            index=models.Index(
                condition=models.Q(("completed_date__gt", models.F("baseline_date"))),
                fields=["completed_date"],
                name="milestone_finished_late",
            ),
        ),
    ]
