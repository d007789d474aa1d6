"""On PostgreSQL, a trigram index (pg_trgm, GIN) of the customers' search text (`CustomerSearch.text`), so that a
search (`text LIKE '%word%'`, `customers.selectors.customers_found`) reads the customers whose text holds the
word's trigrams rather than every customer's text. On SQLite nothing changes: the search scans the narrow table.

pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create it, no superuser
needed. The extension is created only where it is missing and left in place on the way back (another use of the
database may need it)."""

from django.db import migrations

INDEX = "customers_search_text_trgm"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customersearch USING gin (text gin_trgm_ops)"
    )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_live_customer_count"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
