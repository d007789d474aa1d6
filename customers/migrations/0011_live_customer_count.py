"""How many customers are still in the API, in one row the database keeps (`customers.models.LiveCustomerCount`):
triggers on the customers table add the customers that arrive and take away those that leave or are removed, then
the customers already cached are counted in."""

import importlib

from django.db import migrations, models

#: 0006's choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")

_SQLITE = (
    """
    CREATE TRIGGER customer_count_insert AFTER INSERT ON customers_customer WHEN NEW.removed_at IS NULL BEGIN
        UPDATE customers_livecustomercount SET live = live + 1;
    END
    """,
    """
    CREATE TRIGGER customer_count_delete AFTER DELETE ON customers_customer WHEN OLD.removed_at IS NULL BEGIN
        UPDATE customers_livecustomercount SET live = live - 1;
    END
    """,
    """
    CREATE TRIGGER customer_count_update AFTER UPDATE OF removed_at ON customers_customer
    WHEN (OLD.removed_at IS NULL) IS NOT (NEW.removed_at IS NULL)
    BEGIN
        UPDATE customers_livecustomercount SET live = live + (CASE WHEN NEW.removed_at IS NULL THEN 1 ELSE -1 END);
    END
    """,
)
_SQLITE_REMOVE = (
    "DROP TRIGGER IF EXISTS customer_count_insert",
    "DROP TRIGGER IF EXISTS customer_count_delete",
    "DROP TRIGGER IF EXISTS customer_count_update",
)

# Once per statement, from its transition tables: a statement that neither adds, removes nor brings back a
# customer still in the API (the resync's updates, mostly) leaves the row alone, and takes no lock on it.
_POSTGRESQL = (
    """
    CREATE FUNCTION customer_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        delta bigint := 0;
        n bigint;
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE customers_livecustomercount SET live = 0;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT count(*) INTO n FROM new_rows WHERE removed_at IS NULL;
            delta := delta + n;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            SELECT count(*) INTO n FROM old_rows WHERE removed_at IS NULL;
            delta := delta - n;
        END IF;
        IF delta <> 0 THEN
            UPDATE customers_livecustomercount SET live = live + delta;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER customer_count_insert AFTER INSERT ON customers_customer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_count_keep()
    """,
    """
    CREATE TRIGGER customer_count_update AFTER UPDATE ON customers_customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_count_keep()
    """,
    """
    CREATE TRIGGER customer_count_delete AFTER DELETE ON customers_customer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_count_keep()
    """,
    """
    CREATE TRIGGER customer_count_truncate AFTER TRUNCATE ON customers_customer
    FOR EACH STATEMENT EXECUTE FUNCTION customer_count_keep()
    """,
)
_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS customer_count_insert ON customers_customer",
    "DROP TRIGGER IF EXISTS customer_count_update ON customers_customer",
    "DROP TRIGGER IF EXISTS customer_count_delete ON customers_customer",
    "DROP TRIGGER IF EXISTS customer_count_truncate ON customers_customer",
    "DROP FUNCTION IF EXISTS customer_count_keep()",
)

_FILL = """
    INSERT INTO customers_livecustomercount (id, live)
    SELECT 1, count(*) FROM customers_customer WHERE removed_at IS NULL
"""


def install(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _SQLITE, _POSTGRESQL):
        schema_editor.execute(sql)
    schema_editor.execute(_FILL)


def uninstall(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _SQLITE_REMOVE, _POSTGRESQL_REMOVE):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0010_customer_live_by_sync"),
    ]

    operations = [
        migrations.CreateModel(
            name="LiveCustomerCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("live", models.BigIntegerField()),
            ],
            options={"verbose_name": "live customer count"},
        ),
        migrations.RunPython(install, uninstall),
    ]
