"""The customers' search text in a narrow table the database keeps (`customers.models.CustomerSearch`): triggers
copy `search_text` and the removal from every insert, update and delete of a customer, then the customers
already cached are copied in."""

import django.db.models.deletion
from django.db import NotSupportedError, migrations, models

_SQLITE = (
    """
    CREATE TRIGGER customer_search_insert AFTER INSERT ON customers_customer BEGIN
        INSERT OR REPLACE INTO customers_customersearch (domain_id, text, live)
        VALUES (NEW.domain_id, NEW.search_text, NEW.removed_at IS NULL);
    END
    """,
    """
    CREATE TRIGGER customer_search_update AFTER UPDATE OF domain_id, search_text, removed_at ON customers_customer
    WHEN OLD.search_text IS NOT NEW.search_text OR (OLD.removed_at IS NULL) IS NOT (NEW.removed_at IS NULL)
        OR OLD.domain_id IS NOT NEW.domain_id
    BEGIN
        DELETE FROM customers_customersearch WHERE domain_id = OLD.domain_id;
        INSERT OR REPLACE INTO customers_customersearch (domain_id, text, live)
        VALUES (NEW.domain_id, NEW.search_text, NEW.removed_at IS NULL);
    END
    """,
    """
    CREATE TRIGGER customer_search_delete AFTER DELETE ON customers_customer BEGIN
        DELETE FROM customers_customersearch WHERE domain_id = OLD.domain_id;
    END
    """,
)
_SQLITE_REMOVE = (
    "DROP TRIGGER IF EXISTS customer_search_insert",
    "DROP TRIGGER IF EXISTS customer_search_update",
    "DROP TRIGGER IF EXISTS customer_search_delete",
)

_POSTGRESQL = (
    """
    CREATE FUNCTION customer_search_copy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.domain_id <> NEW.domain_id) THEN
            DELETE FROM customers_customersearch WHERE domain_id = OLD.domain_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO customers_customersearch (domain_id, text, live)
            VALUES (NEW.domain_id, NEW.search_text, NEW.removed_at IS NULL)
            ON CONFLICT (domain_id) DO UPDATE SET text = EXCLUDED.text, live = EXCLUDED.live;
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
    CREATE TRIGGER customer_search_update AFTER UPDATE OF domain_id, search_text, removed_at ON customers_customer
    FOR EACH ROW WHEN (
        OLD.search_text IS DISTINCT FROM NEW.search_text
        OR (OLD.removed_at IS NULL) <> (NEW.removed_at IS NULL)
        OR OLD.domain_id <> NEW.domain_id
    )
    EXECUTE FUNCTION customer_search_copy()
    """,
)
_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS customer_search_insert_delete ON customers_customer",
    "DROP TRIGGER IF EXISTS customer_search_update ON customers_customer",
    "DROP FUNCTION IF EXISTS customer_search_copy()",
)

_FILL = """
    INSERT INTO customers_customersearch (domain_id, text, live)
    SELECT domain_id, search_text, removed_at IS NULL FROM customers_customer
"""


def _statements(schema_editor, sqlite, postgresql):
    """The statements for this database. The portal runs on SQLite (the embedded default) and PostgreSQL only:
    on another database the upgrade stops here, rather than leave a search table that nothing fills."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return sqlite
    if vendor == "postgresql":
        return postgresql
    raise NotSupportedError(
        f"The portal runs on SQLite or PostgreSQL, not {schema_editor.connection.display_name}: "
        "the customers' search table is kept by triggers written for those two (customers/migrations/0006)."
    )


def install(apps, schema_editor):
    for sql in _statements(schema_editor, _SQLITE, _POSTGRESQL):
        schema_editor.execute(sql)
    schema_editor.execute(_FILL)


def uninstall(apps, schema_editor):
    for sql in _statements(schema_editor, _SQLITE_REMOVE, _POSTGRESQL_REMOVE):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_worklist_derived_columns"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerSearch",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        db_column="domain_id",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="customers.customer",
                    ),
                ),
                ("text", models.TextField()),
                ("live", models.BooleanField()),
            ],
            options={
                "verbose_name": "customer search text",
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
