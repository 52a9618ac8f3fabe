# Counters for the messages recorded before monthly counters existed, so the quota of the
# current month starts from what was already used.

from datetime import UTC

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import TruncMonth


def count_existing_usage(apps, schema_editor):
    UsageEvent = apps.get_model("usage", "UsageEvent")
    UsageMonth = apps.get_model("usage", "UsageMonth")
    rows = (
        UsageEvent.objects.annotate(month=TruncMonth("created_at", tzinfo=UTC))
        .values("workspace_id", "month")
        .annotate(n=Count("id"))
    )
    for row in rows:
        UsageMonth.objects.update_or_create(
            workspace_id=row["workspace_id"], month=row["month"].date(), defaults={"used": row["n"]}
        )


class Migration(migrations.Migration):

    dependencies = [
        ('usage', '0002_quota'),
    ]

    operations = [
        migrations.RunPython(count_existing_usage, migrations.RunPython.noop),
    ]
