from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0010_text_limits"),
    ]

    operations = [
        # Moves recorded before categories existed become "other": their free text is kept,
        # and guessing a category from it would put words in the TPM's mouth.
        migrations.AddField(
            model_name="milestonedatechange",
            name="category",
            field=models.CharField(
                choices=[
                    ("dependency", "Dependency"),
                    ("scope", "Scope"),
                    ("staffing", "Staffing"),
                    ("vendor", "Vendor"),
                    ("incident", "Incident"),
                    ("estimate", "Estimate"),
                    ("other", "Other"),
                ],
                default="other",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="milestonedatechange",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "category__in",
                        [
                            "dependency",
                            "scope",
                            "staffing",
                            "vendor",
                            "incident",
                            "estimate",
                            "other",
                        ],
                    )
                ),
                name="date_change_category_known",
            ),
        ),
    ]
