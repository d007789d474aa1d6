"""What each issued invoice still asks, in a table of its own (`invoicing.models.OpenInvoice`): one row per
invoice that asks something, kept by triggers on the issued documents (an invoice adds its row, a credit note
takes off its original's, a deleted document takes its row away) and on the payments; then the invoices
already issued are filled in from their payments and credit notes. The home page's overdue invoices read it
along its due-date index instead of summing every issued invoice's payments and credit notes."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

#: customers' 0006 choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")

_CREDIT = "'credit_note'"

_SQLITE = (
    f"""
    CREATE TRIGGER open_invoice_issued AFTER INSERT ON invoicing_issuedinvoice
    WHEN NEW.kind <> {_CREDIT} AND NEW.total > 0 BEGIN
        INSERT INTO invoicing_openinvoice (invoice_id, number, due_date, owed, paid)
        VALUES (NEW.id, NEW.number, NEW.due_date, NEW.total, 0);
    END
    """,
    f"""
    CREATE TRIGGER open_invoice_credited AFTER INSERT ON invoicing_issuedinvoice
    WHEN NEW.kind = {_CREDIT} AND NEW.original_id IS NOT NULL BEGIN
        UPDATE invoicing_openinvoice SET owed = owed + NEW.total WHERE invoice_id = NEW.original_id;
        DELETE FROM invoicing_openinvoice WHERE invoice_id = NEW.original_id AND owed <= 0;
    END
    """,
    """
    CREATE TRIGGER open_invoice_removed AFTER DELETE ON invoicing_issuedinvoice BEGIN
        DELETE FROM invoicing_openinvoice WHERE invoice_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER open_invoice_paid AFTER INSERT ON invoicing_invoicepayment BEGIN
        UPDATE invoicing_openinvoice SET owed = owed - NEW.amount, paid = paid + NEW.amount
        WHERE invoice_id = NEW.invoice_id;
        DELETE FROM invoicing_openinvoice WHERE invoice_id = NEW.invoice_id AND owed <= 0;
    END
    """,
)
_SQLITE_REMOVE = tuple(
    f"DROP TRIGGER IF EXISTS open_invoice_{name}" for name in ("issued", "credited", "removed", "paid")
)

# Once per statement, from its transition tables: a bulk insert of a month's invoices (the bench seed's) is one
# insert of their rows, not one trigger call per invoice.
_POSTGRESQL = (
    f"""
    CREATE FUNCTION open_invoice_issued_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM invoicing_openinvoice o USING old_rows r WHERE o.invoice_id = r.id;
            RETURN NULL;
        END IF;
        INSERT INTO invoicing_openinvoice (invoice_id, number, due_date, owed, paid)
        SELECT id, number, due_date, total, 0 FROM new_rows WHERE kind <> {_CREDIT} AND total > 0;
        UPDATE invoicing_openinvoice o SET owed = o.owed + c.credit
        FROM (
            SELECT original_id, sum(total) AS credit FROM new_rows
            WHERE kind = {_CREDIT} AND original_id IS NOT NULL GROUP BY original_id
        ) c
        WHERE o.invoice_id = c.original_id;
        DELETE FROM invoicing_openinvoice o USING new_rows r
        WHERE r.kind = {_CREDIT} AND o.invoice_id = r.original_id AND o.owed <= 0;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION open_invoice_paid_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE invoicing_openinvoice o SET owed = o.owed - p.amount, paid = o.paid + p.amount
        FROM (SELECT invoice_id, sum(amount) AS amount FROM new_rows GROUP BY invoice_id) p
        WHERE o.invoice_id = p.invoice_id;
        DELETE FROM invoicing_openinvoice o USING new_rows r WHERE o.invoice_id = r.invoice_id AND o.owed <= 0;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER open_invoice_issued AFTER INSERT ON invoicing_issuedinvoice
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION open_invoice_issued_keep()
    """,
    """
    CREATE TRIGGER open_invoice_removed AFTER DELETE ON invoicing_issuedinvoice
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION open_invoice_issued_keep()
    """,
    """
    CREATE TRIGGER open_invoice_paid AFTER INSERT ON invoicing_invoicepayment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION open_invoice_paid_keep()
    """,
)
_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS open_invoice_issued ON invoicing_issuedinvoice",
    "DROP TRIGGER IF EXISTS open_invoice_removed ON invoicing_issuedinvoice",
    "DROP TRIGGER IF EXISTS open_invoice_paid ON invoicing_invoicepayment",
    "DROP FUNCTION IF EXISTS open_invoice_issued_keep()",
    "DROP FUNCTION IF EXISTS open_invoice_paid_keep()",
)

#: The invoices issued before: each one's total less its payments and its credit notes, where above 0.
_FILL = f"""
    INSERT INTO invoicing_openinvoice (invoice_id, number, due_date, owed, paid)
    SELECT id, number, due_date, total - paid - credited, paid FROM (
        SELECT i.id, i.number, i.due_date, i.total,
            COALESCE((SELECT sum(p.amount) FROM invoicing_invoicepayment p WHERE p.invoice_id = i.id), 0) AS paid,
            COALESCE((SELECT -sum(c.total) FROM invoicing_issuedinvoice c
                      WHERE c.original_id = i.id AND c.kind = {_CREDIT}), 0) AS credited
        FROM invoicing_issuedinvoice i WHERE i.kind <> {_CREDIT}
    ) issued
    WHERE total - paid - credited > 0
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
        ("invoicing", "0012_run_liveness"),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenInvoice",
            fields=[
                (
                    "invoice",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="open",
                        serialize=False,
                        to="invoicing.issuedinvoice",
                    ),
                ),
                ("number", models.PositiveBigIntegerField()),
                ("due_date", models.DateField()),
                ("owed", models.BigIntegerField()),
                ("paid", models.BigIntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["due_date", "number"], name="invoicing_open_due")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
