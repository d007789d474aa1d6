"""How many customers still in the API have no billing details, in one row the database keeps
(`invoicing.models.WithoutDetailsCount`): triggers on the customers table and on the billing details add and take
away the customers that arrive, leave, are removed, come back, get or lose details; then the customers already
cached are counted in."""

import importlib

from django.db import migrations, models

#: customers' 0006 choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")

_NO_DETAILS = "NOT EXISTS (SELECT 1 FROM invoicing_customerbilling b WHERE b.domain_id = {row}.domain_id)"
_LIVE = (
    "EXISTS (SELECT 1 FROM customers_customer c WHERE c.domain_id = {row}.domain_id AND c.removed_at IS NULL)"
)

_SQLITE = (
    f"""
    CREATE TRIGGER without_details_customer_insert AFTER INSERT ON customers_customer
    WHEN NEW.removed_at IS NULL AND {_NO_DETAILS.format(row="NEW")} BEGIN
        UPDATE invoicing_withoutdetailscount SET n = n + 1;
    END
    """,
    f"""
    CREATE TRIGGER without_details_customer_delete AFTER DELETE ON customers_customer
    WHEN OLD.removed_at IS NULL AND {_NO_DETAILS.format(row="OLD")} BEGIN
        UPDATE invoicing_withoutdetailscount SET n = n - 1;
    END
    """,
    f"""
    CREATE TRIGGER without_details_customer_update AFTER UPDATE OF removed_at ON customers_customer
    WHEN (OLD.removed_at IS NULL) IS NOT (NEW.removed_at IS NULL) AND {_NO_DETAILS.format(row="NEW")}
    BEGIN
        UPDATE invoicing_withoutdetailscount SET n = n + (CASE WHEN NEW.removed_at IS NULL THEN 1 ELSE -1 END);
    END
    """,
    f"""
    CREATE TRIGGER without_details_billing_insert AFTER INSERT ON invoicing_customerbilling
    WHEN {_LIVE.format(row="NEW")} BEGIN
        UPDATE invoicing_withoutdetailscount SET n = n - 1;
    END
    """,
    f"""
    CREATE TRIGGER without_details_billing_delete AFTER DELETE ON invoicing_customerbilling
    WHEN {_LIVE.format(row="OLD")} BEGIN
        UPDATE invoicing_withoutdetailscount SET n = n + 1;
    END
    """,
    f"""
    CREATE TRIGGER without_details_billing_update AFTER UPDATE OF domain_id ON invoicing_customerbilling
    WHEN OLD.domain_id IS NOT NEW.domain_id BEGIN
        UPDATE invoicing_withoutdetailscount
        SET n = n + (CASE WHEN {_LIVE.format(row="OLD")} THEN 1 ELSE 0 END)
                  - (CASE WHEN {_LIVE.format(row="NEW")} THEN 1 ELSE 0 END);
    END
    """,
)
_SQLITE_REMOVE = tuple(
    f"DROP TRIGGER IF EXISTS without_details_{name}"
    for name in (
        "customer_insert",
        "customer_delete",
        "customer_update",
        "billing_insert",
        "billing_delete",
        "billing_update",
    )
)

_RECOUNT = """
    UPDATE invoicing_withoutdetailscount SET n = (
        SELECT count(*) FROM customers_customer c WHERE c.removed_at IS NULL AND {no_details}
    )
""".format(no_details=_NO_DETAILS.format(row="c"))

# Once per statement, from its transition tables: a statement that changes no customer without details (the
# resync's updates, mostly; a change of a customer's details) leaves the row alone, and takes no lock on it.
_POSTGRESQL = (
    f"""
    CREATE FUNCTION without_details_customer_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        delta bigint := 0;
        rows_n bigint;
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE invoicing_withoutdetailscount SET n = 0;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT count(*) INTO rows_n FROM new_rows WHERE removed_at IS NULL AND {_NO_DETAILS.format(row="new_rows")};
            delta := delta + rows_n;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            SELECT count(*) INTO rows_n FROM old_rows WHERE removed_at IS NULL AND {_NO_DETAILS.format(row="old_rows")};
            delta := delta - rows_n;
        END IF;
        IF delta <> 0 THEN
            UPDATE invoicing_withoutdetailscount SET n = n + delta;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE FUNCTION without_details_billing_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        delta bigint := 0;
        rows_n bigint;
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            {_RECOUNT};
            RETURN NULL;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT count(*) INTO rows_n FROM new_rows WHERE {_LIVE.format(row="new_rows")};
            delta := delta - rows_n;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            SELECT count(*) INTO rows_n FROM old_rows WHERE {_LIVE.format(row="old_rows")};
            delta := delta + rows_n;
        END IF;
        IF delta <> 0 THEN
            UPDATE invoicing_withoutdetailscount SET n = n + delta;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER without_details_customer_insert AFTER INSERT ON customers_customer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION without_details_customer_keep()
    """,
    """
    CREATE TRIGGER without_details_customer_update AFTER UPDATE ON customers_customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION without_details_customer_keep()
    """,
    """
    CREATE TRIGGER without_details_customer_delete AFTER DELETE ON customers_customer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION without_details_customer_keep()
    """,
    """
    CREATE TRIGGER without_details_customer_truncate AFTER TRUNCATE ON customers_customer
    FOR EACH STATEMENT EXECUTE FUNCTION without_details_customer_keep()
    """,
    """
    CREATE TRIGGER without_details_billing_insert AFTER INSERT ON invoicing_customerbilling
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION without_details_billing_keep()
    """,
    """
    CREATE TRIGGER without_details_billing_update AFTER UPDATE ON invoicing_customerbilling
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION without_details_billing_keep()
    """,
    """
    CREATE TRIGGER without_details_billing_delete AFTER DELETE ON invoicing_customerbilling
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION without_details_billing_keep()
    """,
    """
    CREATE TRIGGER without_details_billing_truncate AFTER TRUNCATE ON invoicing_customerbilling
    FOR EACH STATEMENT EXECUTE FUNCTION without_details_billing_keep()
    """,
)
_POSTGRESQL_REMOVE = tuple(
    f"DROP TRIGGER IF EXISTS without_details_{name} ON {table}"
    for table, names in (
        (
            "customers_customer",
            ("customer_insert", "customer_update", "customer_delete", "customer_truncate"),
        ),
        (
            "invoicing_customerbilling",
            ("billing_insert", "billing_update", "billing_delete", "billing_truncate"),
        ),
    )
    for name in names
) + (
    "DROP FUNCTION IF EXISTS without_details_customer_keep()",
    "DROP FUNCTION IF EXISTS without_details_billing_keep()",
)


def install(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _SQLITE, _POSTGRESQL):
        schema_editor.execute(sql)
    schema_editor.execute("INSERT INTO invoicing_withoutdetailscount (id, n) VALUES (1, 0)")
    schema_editor.execute(_RECOUNT)


def uninstall(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _SQLITE_REMOVE, _POSTGRESQL_REMOVE):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_customer_search_trigram_index"),
        ("invoicing", "0006_issue_run_rendered"),
    ]

    operations = [
        migrations.CreateModel(
            name="WithoutDetailsCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.BigIntegerField()),
            ],
            options={"verbose_name": "customers without billing details"},
        ),
        migrations.RunPython(install, uninstall),
    ]
