"""The issued documents not sent yet, in a table of their own (`invoicing.models.UnsentInvoice`), kept by
triggers on the issued documents (a document adds its row, a deleted one takes it away) and on the attempts to
send them (one under way or sent takes the row away; one that failed, with none of the invoice's under way or
sent, puts it back as failed); then the documents issued before are filled in from their attempts. The month's
issued page counts and filters what is left to send along it, and pages the month's invoices along their month
index (`invoicing_issued_month`)."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

#: customers' 0006 choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")

_BUSY = "('sending', 'sent')"

_SQLITE = (
    """
    CREATE TRIGGER unsent_invoice_issued AFTER INSERT ON invoicing_issuedinvoice BEGIN
        INSERT INTO invoicing_unsentinvoice (invoice_id, year, month, number, failed)
        VALUES (NEW.id, NEW.year, NEW.month, NEW.number, 0);
    END
    """,
    """
    CREATE TRIGGER unsent_invoice_removed AFTER DELETE ON invoicing_issuedinvoice BEGIN
        DELETE FROM invoicing_unsentinvoice WHERE invoice_id = OLD.id;
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_attempted AFTER INSERT ON invoicing_invoicesending
    WHEN NEW.outcome IN {_BUSY} BEGIN
        DELETE FROM invoicing_unsentinvoice WHERE invoice_id = NEW.invoice_id;
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_went AFTER UPDATE OF outcome ON invoicing_invoicesending
    WHEN NEW.outcome IN {_BUSY} BEGIN
        DELETE FROM invoicing_unsentinvoice WHERE invoice_id = NEW.invoice_id;
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_failed AFTER INSERT ON invoicing_invoicesending
    WHEN NEW.outcome NOT IN {_BUSY} BEGIN
        INSERT OR REPLACE INTO invoicing_unsentinvoice (invoice_id, year, month, number, failed)
        SELECT i.id, i.year, i.month, i.number, 1 FROM invoicing_issuedinvoice i
        WHERE i.id = NEW.invoice_id AND NOT EXISTS (
            SELECT 1 FROM invoicing_invoicesending s WHERE s.invoice_id = NEW.invoice_id AND s.outcome IN {_BUSY}
        );
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_failed_later AFTER UPDATE OF outcome ON invoicing_invoicesending
    WHEN NEW.outcome NOT IN {_BUSY} BEGIN
        INSERT OR REPLACE INTO invoicing_unsentinvoice (invoice_id, year, month, number, failed)
        SELECT i.id, i.year, i.month, i.number, 1 FROM invoicing_issuedinvoice i
        WHERE i.id = NEW.invoice_id AND NOT EXISTS (
            SELECT 1 FROM invoicing_invoicesending s WHERE s.invoice_id = NEW.invoice_id AND s.outcome IN {_BUSY}
        );
    END
    """,
)
_SQLITE_REMOVE = tuple(
    f"DROP TRIGGER IF EXISTS unsent_invoice_{name}"
    for name in ("issued", "removed", "attempted", "went", "failed", "failed_later")
)

# Once per statement, from its transition tables: a bulk insert of a month's invoices or of their attempts (the
# bench seed's) is one statement on this table, not one trigger call per row.
_POSTGRESQL = (
    """
    CREATE FUNCTION unsent_invoice_issued_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM invoicing_unsentinvoice u USING old_rows r WHERE u.invoice_id = r.id;
            RETURN NULL;
        END IF;
        INSERT INTO invoicing_unsentinvoice (invoice_id, year, month, number, failed)
        SELECT id, year, month, number, false FROM new_rows;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE FUNCTION unsent_invoice_attempt_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM invoicing_unsentinvoice u USING new_rows r
        WHERE u.invoice_id = r.invoice_id AND r.outcome IN {_BUSY};
        INSERT INTO invoicing_unsentinvoice (invoice_id, year, month, number, failed)
        SELECT i.id, i.year, i.month, i.number, true FROM invoicing_issuedinvoice i
        WHERE i.id IN (SELECT invoice_id FROM new_rows WHERE outcome NOT IN {_BUSY})
        AND NOT EXISTS (
            SELECT 1 FROM invoicing_invoicesending s WHERE s.invoice_id = i.id AND s.outcome IN {_BUSY}
        )
        ON CONFLICT (invoice_id) DO UPDATE SET failed = true;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER unsent_invoice_issued AFTER INSERT ON invoicing_issuedinvoice
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_issued_keep()
    """,
    """
    CREATE TRIGGER unsent_invoice_removed AFTER DELETE ON invoicing_issuedinvoice
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_issued_keep()
    """,
    """
    CREATE TRIGGER unsent_invoice_attempted AFTER INSERT ON invoicing_invoicesending
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_attempt_keep()
    """,
    """
    CREATE TRIGGER unsent_invoice_went AFTER UPDATE ON invoicing_invoicesending
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_attempt_keep()
    """,
)
_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS unsent_invoice_issued ON invoicing_issuedinvoice",
    "DROP TRIGGER IF EXISTS unsent_invoice_removed ON invoicing_issuedinvoice",
    "DROP TRIGGER IF EXISTS unsent_invoice_attempted ON invoicing_invoicesending",
    "DROP TRIGGER IF EXISTS unsent_invoice_went ON invoicing_invoicesending",
    "DROP FUNCTION IF EXISTS unsent_invoice_issued_keep()",
    "DROP FUNCTION IF EXISTS unsent_invoice_attempt_keep()",
)

#: The documents issued before: each one with no attempt under way or sent, failed when it has an attempt.
_FILL = f"""
    INSERT INTO invoicing_unsentinvoice (invoice_id, year, month, number, failed)
    SELECT i.id, i.year, i.month, i.number,
        EXISTS (SELECT 1 FROM invoicing_invoicesending s WHERE s.invoice_id = i.id)
    FROM invoicing_issuedinvoice i
    WHERE NOT EXISTS (
        SELECT 1 FROM invoicing_invoicesending s WHERE s.invoice_id = i.id AND s.outcome IN {_BUSY}
    )
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
        ("invoicing", "0018_invoices_being_prepared"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="issuedinvoice",
            index=models.Index(fields=["year", "month", "number"], name="invoicing_issued_month"),
        ),
        migrations.CreateModel(
            name="UnsentInvoice",
            fields=[
                (
                    "invoice",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="unsent",
                        serialize=False,
                        to="invoicing.issuedinvoice",
                    ),
                ),
                ("year", models.PositiveSmallIntegerField()),
                ("month", models.PositiveSmallIntegerField()),
                ("number", models.PositiveBigIntegerField()),
                ("failed", models.BooleanField(default=False)),
            ],
            options={
                "indexes": [models.Index(fields=["year", "month", "number"], name="invoicing_unsent_month")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
