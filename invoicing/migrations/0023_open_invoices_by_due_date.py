"""How many open invoices fall due on each day (`invoicing.models.OpenInvoiceDue`), kept by triggers on the open
invoices (`OpenInvoice`, itself kept by 0013's triggers): a row added counts in on its due date, a row removed
counts out; then the open invoices already there are counted in. The home page's overdue invoices are counted
from it instead of reading an index entry per open invoice due before today."""

import importlib

from django.db import migrations, models

#: customers' 0006 choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")

_SQLITE = (
    """
    CREATE TRIGGER open_invoice_due_added AFTER INSERT ON invoicing_openinvoice BEGIN
        INSERT OR IGNORE INTO invoicing_openinvoicedue (due_date, n) VALUES (NEW.due_date, 0);
        UPDATE invoicing_openinvoicedue SET n = n + 1 WHERE due_date = NEW.due_date;
    END
    """,
    """
    CREATE TRIGGER open_invoice_due_removed AFTER DELETE ON invoicing_openinvoice BEGIN
        UPDATE invoicing_openinvoicedue SET n = n - 1 WHERE due_date = OLD.due_date;
    END
    """,
)
_SQLITE_REMOVE = tuple(f"DROP TRIGGER IF EXISTS open_invoice_due_{name}" for name in ("added", "removed"))

# Once per statement, from its transition tables: a month's invoices issued at once (one due date) are one upsert
# of one row. A TRUNCATE of the open invoices empties the counts with them.
_POSTGRESQL = (
    """
    CREATE FUNCTION open_invoice_due_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM invoicing_openinvoicedue;
        ELSIF TG_OP = 'INSERT' THEN
            INSERT INTO invoicing_openinvoicedue (due_date, n)
            SELECT due_date, count(*) FROM new_rows GROUP BY due_date
            ON CONFLICT (due_date) DO UPDATE SET n = invoicing_openinvoicedue.n + EXCLUDED.n;
        ELSE
            UPDATE invoicing_openinvoicedue d SET n = d.n - o.n
            FROM (SELECT due_date, count(*) AS n FROM old_rows GROUP BY due_date) o
            WHERE d.due_date = o.due_date;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER open_invoice_due_added AFTER INSERT ON invoicing_openinvoice
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION open_invoice_due_keep()
    """,
    """
    CREATE TRIGGER open_invoice_due_removed AFTER DELETE ON invoicing_openinvoice
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION open_invoice_due_keep()
    """,
    """
    CREATE TRIGGER open_invoice_due_emptied AFTER TRUNCATE ON invoicing_openinvoice
    FOR EACH STATEMENT EXECUTE FUNCTION open_invoice_due_keep()
    """,
)
_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS open_invoice_due_added ON invoicing_openinvoice",
    "DROP TRIGGER IF EXISTS open_invoice_due_removed ON invoicing_openinvoice",
    "DROP TRIGGER IF EXISTS open_invoice_due_emptied ON invoicing_openinvoice",
    "DROP FUNCTION IF EXISTS open_invoice_due_keep()",
)

#: The open invoices already there, counted by due date.
_FILL = """
    INSERT INTO invoicing_openinvoicedue (due_date, n)
    SELECT due_date, count(*) FROM invoicing_openinvoice GROUP BY due_date
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
        ("invoicing", "0022_draft_month_totals"),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenInvoiceDue",
            fields=[
                ("due_date", models.DateField(primary_key=True, serialize=False)),
                ("n", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
