from django.db import migrations

TIERS = [
    ("standard", "Standard", "2 business-hour response; urgent outages answered 7×24."),
    ("premium", "Premium", "7×24 for urgent and important tickets."),
]


def create_tiers(apps, schema_editor):
    Tier = apps.get_model("customers", "Tier")
    for slug, name, description in TIERS:
        Tier.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create_tiers, migrations.RunPython.noop)]
