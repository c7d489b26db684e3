# Round moves from confirmations to schools (master data every app reads); the table stays
# `confirmations_round`, so this changes Django's state only. confirmations 0003 drops its copy.

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="confirmations", model="round").update(app_label="schools")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="schools", model="round").update(app_label="confirmations")


class Migration(migrations.Migration):
    dependencies = [
        ("confirmations", "0002_confirmation_confirmationevent_headcountsnapshot_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("schools", "0003_alter_otherschoolcount_options_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Round",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("academic_year", models.PositiveSmallIntegerField(verbose_name="academic year (B.E.)")),
                        ("term", models.PositiveSmallIntegerField(choices=[(1, "1"), (2, "2")], verbose_name="term")),
                        ("census_date", models.DateField(verbose_name="census date")),
                        ("opens_at", models.DateTimeField(verbose_name="opens at")),
                        ("closes_at", models.DateTimeField(verbose_name="closes at")),
                        (
                            "state",
                            models.CharField(
                                choices=[("planned", "Planned"), ("open", "Open"), ("closed", "Closed")],
                                db_index=True,
                                default="planned",
                                max_length=8,
                                verbose_name="state",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "verbose_name": "round",
                        "verbose_name_plural": "rounds",
                        "db_table": "confirmations_round",
                        "ordering": ["-academic_year", "-term"],
                        "constraints": [
                            models.UniqueConstraint(fields=("academic_year", "term"), name="round_year_term_unique"),
                            models.UniqueConstraint(
                                condition=models.Q(("state", "open")), fields=("state",), name="round_one_open"
                            ),
                        ],
                    },
                ),
                migrations.AlterField(
                    model_name="otherschoolentry",
                    name="round",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="other_school_entries",
                        to="schools.round",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
