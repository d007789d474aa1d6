"""The Sign-ins page's order and the retention of its rows, by index: django-axes keeps sign-ins and failed tries
in two tables with no index on their time, so the page (newest first) and the Data kept page's oldest row read
every row. An index of (time, id) on each lets the page walk both newest first and stop after a page (a merge of
the two on PostgreSQL), and the housekeeping find what is due. The tables are axes', the indexes ours."""

from django.db import migrations

TABLES = ("axes_accesslog", "axes_accessfailurelog")


def _index(table: str) -> str:
    return f"accounts_{table.removeprefix('axes_')}_time"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX IF NOT EXISTS "{_index(table)}" ON "{table}" ("attempt_time", "id")',
            reverse_sql=f'DROP INDEX IF EXISTS "{_index(table)}"',
        )
        for table in TABLES
    ]
