"""On PostgreSQL the daily option usage is partitioned by month of its date (portal/core/partitions.py), so a
month past its retention leaves by dropping its partition; on SQLite nothing changes. The rows, their ids and the
table's constraints and indexes are kept."""

from django.db import migrations

from portal.core.partitions import PartitionByMonth


class Migration(migrations.Migration):
    dependencies = [
        ("options", "0004_usage_by_day_and_monthly_summary"),
    ]

    operations = [
        PartitionByMonth("optionusage", "used_date"),
    ]
