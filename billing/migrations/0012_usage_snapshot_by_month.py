"""On PostgreSQL the customers' daily usage snapshots are partitioned by month of their date
(portal/core/partitions.py), so a month past its retention leaves by dropping its partition; on SQLite nothing
changes. The rows, their ids and the table's constraints and indexes (the partial ones too) are kept."""

from django.db import migrations

from portal.core.partitions import PartitionByMonth


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_subtotal_under_what_it_sums"),
    ]

    operations = [
        PartitionByMonth("usagesnapshot", "used_date"),
    ]
