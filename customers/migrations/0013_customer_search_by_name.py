"""On PostgreSQL, the search table in name order with its text beside each entry (`CustomerSearch`:
`(sort_name, domain_id) INCLUDE (text, live)`), so that a search for a common word reads the customers it finds
in the lists' order from this index alone and stops after a page (`customers.selectors.page_by_customer`),
rather than reading every customer the word finds to sort them. On SQLite nothing changes: the search scans the
narrow table (its non-key columns are PostgreSQL's; not declared on the model for that reason, as the trigram
index of 0012)."""

from django.db import migrations

INDEX = "customers_search_by_name"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customersearch (sort_name, domain_id) INCLUDE (text, live)"
    )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_customer_search_trigram_index"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
