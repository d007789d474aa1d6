"""The customers' search table also keeps each customer's sort name (`customers.models.CustomerSearch`), so a
list of the rows of the customers a search found can be laid out in name order from the narrow table alone
(`customers.selectors.page_by_customer`). The triggers of 0006 are replaced by ones that copy the sort name too,
then the customers already there get theirs."""

import importlib

from django.db import migrations, models

#: The triggers as 0006 made them: dropped here, made again on the way back.
_0006 = importlib.import_module("customers.migrations.0006_customer_search")

_SQLITE = (
    """
    CREATE TRIGGER customer_search_insert AFTER INSERT ON customers_customer BEGIN
        INSERT OR REPLACE INTO customers_customersearch (domain_id, text, sort_name, live)
        VALUES (NEW.domain_id, NEW.search_text, NEW.sort_name, NEW.removed_at IS NULL);
    END
    """,
    """
    CREATE TRIGGER customer_search_update
    AFTER UPDATE OF domain_id, search_text, sort_name, removed_at ON customers_customer
    WHEN OLD.search_text IS NOT NEW.search_text OR OLD.sort_name IS NOT NEW.sort_name
        OR (OLD.removed_at IS NULL) IS NOT (NEW.removed_at IS NULL) OR OLD.domain_id IS NOT NEW.domain_id
    BEGIN
        DELETE FROM customers_customersearch WHERE domain_id = OLD.domain_id;
        INSERT OR REPLACE INTO customers_customersearch (domain_id, text, sort_name, live)
        VALUES (NEW.domain_id, NEW.search_text, NEW.sort_name, NEW.removed_at IS NULL);
    END
    """,
    """
    CREATE TRIGGER customer_search_delete AFTER DELETE ON customers_customer BEGIN
        DELETE FROM customers_customersearch WHERE domain_id = OLD.domain_id;
    END
    """,
)

_POSTGRESQL = (
    """
    CREATE FUNCTION customer_search_copy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.domain_id <> NEW.domain_id) THEN
            DELETE FROM customers_customersearch WHERE domain_id = OLD.domain_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO customers_customersearch (domain_id, text, sort_name, live)
            VALUES (NEW.domain_id, NEW.search_text, NEW.sort_name, NEW.removed_at IS NULL)
            ON CONFLICT (domain_id) DO UPDATE
            SET text = EXCLUDED.text, sort_name = EXCLUDED.sort_name, live = EXCLUDED.live;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER customer_search_insert_delete AFTER INSERT OR DELETE ON customers_customer
    FOR EACH ROW EXECUTE FUNCTION customer_search_copy()
    """,
    """
    CREATE TRIGGER customer_search_update
    AFTER UPDATE OF domain_id, search_text, sort_name, removed_at ON customers_customer
    FOR EACH ROW WHEN (
        OLD.search_text IS DISTINCT FROM NEW.search_text
        OR OLD.sort_name IS DISTINCT FROM NEW.sort_name
        OR (OLD.removed_at IS NULL) <> (NEW.removed_at IS NULL)
        OR OLD.domain_id <> NEW.domain_id
    )
    EXECUTE FUNCTION customer_search_copy()
    """,
)

_FILL = """
    UPDATE customers_customersearch SET sort_name = (
        SELECT c.sort_name FROM customers_customer c WHERE c.domain_id = customers_customersearch.domain_id
    )
"""


def _run(schema_editor, sqlite, postgresql) -> None:
    for sql in _0006._statements(schema_editor, sqlite, postgresql):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    # First, as SQLite adds the column by remaking the table, which it refuses while a trigger names it. The
    # triggers have the same names in both versions: 0006's removal statements drop either.
    _run(schema_editor, _0006._SQLITE_REMOVE, _0006._POSTGRESQL_REMOVE)


def install(apps, schema_editor):
    _run(schema_editor, _SQLITE, _POSTGRESQL)
    schema_editor.execute(_FILL)


def reinstall_0006(apps, schema_editor):
    _run(schema_editor, _0006._SQLITE, _0006._POSTGRESQL)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_customer_search"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, reinstall_0006),
        migrations.AddField(
            model_name="customersearch",
            name="sort_name",
            field=models.CharField(default="", max_length=200),
        ),
        migrations.RunPython(install, drop_triggers),
    ]
