import uuid

from django.db import migrations, models


def first_revision(apps, schema_editor):
    apps.get_model("sla", "Revision").objects.update_or_create(
        pk=1, defaults={"token": uuid.uuid4().hex}
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_default_policies")]

    operations = [
        migrations.CreateModel(
            name="Revision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
            options={"verbose_name": "SLA settings revision"},
        ),
        migrations.RunPython(first_revision, migrations.RunPython.noop),
    ]
