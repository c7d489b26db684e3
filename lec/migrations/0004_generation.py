from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lec", "0003_job_lease")]

    operations = [
        migrations.CreateModel(
            name="Generation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=16)),
                ("province_id", models.IntegerField()),
                ("value", models.BigIntegerField()),
            ],
        ),
        migrations.AddConstraint(
            model_name="generation",
            constraint=models.UniqueConstraint(
                fields=("kind", "province_id"), name="lec_generation_kind_province"
            ),
        ),
    ]
