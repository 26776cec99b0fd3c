"""The promised targets Roadie starts with (docs/sla.md). Later edits go through the API."""

import datetime

from django.db import migrations

CALENDARS = [
    {
        "slug": "24x7",
        "name": "7×24",
        "time_zone": "Asia/Shanghai",
        "always_open": True,
        "use_chinese_calendar": False,
    },
    {
        "slug": "business-cn",
        "name": "工作日 09:00–18:00 (Business hours, China)",
        "time_zone": "Asia/Shanghai",
        "always_open": False,
        "start_time": datetime.time(9),
        "end_time": datetime.time(18),
        "weekdays": [0, 1, 2, 3, 4],
        "use_chinese_calendar": True,
    },
]

# tier, severity, response minutes, resolution minutes, response calendar, resolution calendar
POLICIES = [
    ("standard", "urgent", 30, 60, "24x7", "24x7"),
    ("standard", "important", 120, 24 * 60, "business-cn", "business-cn"),
    ("standard", "general", 120, 45 * 60, "business-cn", "business-cn"),
    ("premium", "urgent", 30, 60, "24x7", "24x7"),
    ("premium", "important", 30, 8 * 60, "24x7", "24x7"),
    ("premium", "general", 120, 45 * 60, "business-cn", "business-cn"),
]


def create_defaults(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    Policy = apps.get_model("sla", "Policy")
    Tier = apps.get_model("customers", "Tier")
    calendars = {}
    for spec in CALENDARS:
        values = dict(spec)
        slug = values.pop("slug")
        calendars[slug], _ = Calendar.objects.get_or_create(slug=slug, defaults=values)
    for tier_slug, severity, response, resolution, response_cal, resolution_cal in POLICIES:
        tier = Tier.objects.filter(slug=tier_slug).first()
        if tier is None:
            continue
        Policy.objects.get_or_create(
            tier=tier,
            severity=severity,
            defaults={
                "response_minutes": response,
                "resolution_minutes": resolution,
                "response_calendar": calendars[response_cal],
                "resolution_calendar": calendars[resolution_cal],
                "warning_percent": 75,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial"), ("customers", "0002_default_tiers")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
