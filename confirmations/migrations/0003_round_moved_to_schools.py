# The other half of schools 0004: confirmations' foreign keys now point at schools.Round (the same table),
# and confirmations forgets its own Round. State only; no table or constraint changes.

import django.db.models.deletion
from django.db import migrations, models


def _fk(related_name, on_delete=django.db.models.deletion.PROTECT, **extra):
    return models.ForeignKey(on_delete=on_delete, related_name=related_name, to="schools.round", **extra)


class Migration(migrations.Migration):
    dependencies = [
        ("confirmations", "0002_confirmation_confirmationevent_headcountsnapshot_and_more"),
        ("schools", "0004_round"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="confirmation", name="round", field=_fk("confirmations")),
                migrations.AlterField(model_name="confirmationevent", name="round", field=_fk("events")),
                migrations.AlterField(model_name="unlockrequest", name="round", field=_fk("unlock_requests")),
                migrations.AlterField(
                    model_name="notification",
                    name="round",
                    field=_fk("+", on_delete=django.db.models.deletion.CASCADE, null=True, blank=True),
                ),
                migrations.DeleteModel(name="Round"),
            ],
            database_operations=[],
        ),
    ]
