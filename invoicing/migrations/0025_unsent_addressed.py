"""The documents not sent yet (`invoicing.models.UnsentInvoice`) with their customer and whether a send of the
month takes them (`sendable`: an e-mail address and the PDF) or leaves them out (`unaddressed`: no address, the
recipient's it was issued to nor the customer's billing details'), kept by triggers: a row added or changed works
them out from its document and the customer's billing details; a document changed (its PDF rendered) or billing
details added, changed or removed work its rows out again; then the rows already there are worked out. The
month's issued and send pages count each kind along a partial index of its own (`invoicing_unsent_sendable`,
`invoicing_unsent_unaddressed`) instead of probing every document and its customer's billing details."""

import importlib

from django.db import migrations, models

#: customers' 0006 choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")
#: The triggers that add and remove the rows (SQLite's are set aside while it remakes the table to add columns).
_0019 = importlib.import_module("invoicing.migrations.0019_unsent_invoices")

#: `selectors.IssuedRow.email`'s rule for the document `i`: an address in its recipient or its billing details.
_ADDRESSED = """(
    COALESCE({recipient_email}, '') <> ''
    OR EXISTS (
        SELECT 1 FROM invoicing_customerbilling b WHERE b.domain_id = i.domain_id AND b.invoice_email <> ''
    )
)"""

_SQLITE_ADDRESSED = _ADDRESSED.format(recipient_email="json_extract(i.recipient, '$.invoice_email')")

#: The rows `where` selects, worked out again from their documents (SQLite has no BEFORE trigger that sets NEW).
_SQLITE_WORK_OUT = f"""
    UPDATE invoicing_unsentinvoice SET (domain_id, sendable, unaddressed) = (
        SELECT i.domain_id, i.pdf_sha256 <> '' AND {_SQLITE_ADDRESSED}, NOT {_SQLITE_ADDRESSED}
        FROM invoicing_issuedinvoice i WHERE i.id = invoicing_unsentinvoice.invoice_id
    )
    WHERE {{where}};
"""

_SQLITE = (
    f"""
    CREATE TRIGGER unsent_invoice_addressed AFTER INSERT ON invoicing_unsentinvoice BEGIN
        {_SQLITE_WORK_OUT.format(where="invoice_id = NEW.invoice_id")}
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_readdressed AFTER UPDATE OF domain_id, recipient, pdf_sha256
    ON invoicing_issuedinvoice BEGIN
        {_SQLITE_WORK_OUT.format(where="invoice_id = NEW.id")}
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_billing_added AFTER INSERT ON invoicing_customerbilling BEGIN
        {_SQLITE_WORK_OUT.format(where="domain_id = NEW.domain_id")}
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_billing_changed AFTER UPDATE OF domain_id, invoice_email
    ON invoicing_customerbilling BEGIN
        {_SQLITE_WORK_OUT.format(where="domain_id IN (OLD.domain_id, NEW.domain_id)")}
    END
    """,
    f"""
    CREATE TRIGGER unsent_invoice_billing_removed AFTER DELETE ON invoicing_customerbilling BEGIN
        {_SQLITE_WORK_OUT.format(where="domain_id = OLD.domain_id")}
    END
    """,
)
_SQLITE_REMOVE = tuple(
    f"DROP TRIGGER IF EXISTS unsent_invoice_{name}"
    for name in ("addressed", "readdressed", "billing_added", "billing_changed", "billing_removed")
)

_PG_ADDRESSED = _ADDRESSED.format(recipient_email="i.recipient ->> 'invoice_email'")

# A row added or changed is worked out before it is stored (once per row: the bench seed's bulk issue adds a
# month's rows in one statement, each with its lookups). A document changed or billing details changed touch
# their rows (once per statement, from its transition tables), which works them out again.
_POSTGRESQL = (
    f"""
    CREATE FUNCTION unsent_invoice_work_out() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        doc record;
    BEGIN
        SELECT i.domain_id, i.pdf_sha256 <> '' AS has_pdf, {_PG_ADDRESSED} AS addressed
        INTO doc FROM invoicing_issuedinvoice i WHERE i.id = NEW.invoice_id;
        IF FOUND THEN
            NEW.domain_id := doc.domain_id;
            NEW.sendable := doc.has_pdf AND doc.addressed;
            NEW.unaddressed := NOT doc.addressed;
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE FUNCTION unsent_invoice_touch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'invoicing_issuedinvoice' THEN
            UPDATE invoicing_unsentinvoice u SET failed = u.failed FROM new_rows r WHERE u.invoice_id = r.id;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE invoicing_unsentinvoice u SET failed = u.failed
            WHERE u.domain_id IN (SELECT domain_id FROM old_rows);
        ELSIF TG_OP = 'UPDATE' THEN
            UPDATE invoicing_unsentinvoice u SET failed = u.failed
            WHERE u.domain_id IN (SELECT domain_id FROM new_rows UNION SELECT domain_id FROM old_rows);
        ELSE
            UPDATE invoicing_unsentinvoice u SET failed = u.failed
            WHERE u.domain_id IN (SELECT domain_id FROM new_rows);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER unsent_invoice_addressed BEFORE INSERT OR UPDATE ON invoicing_unsentinvoice
    FOR EACH ROW EXECUTE FUNCTION unsent_invoice_work_out()
    """,
    """
    CREATE TRIGGER unsent_invoice_readdressed AFTER UPDATE ON invoicing_issuedinvoice
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_touch()
    """,
    """
    CREATE TRIGGER unsent_invoice_billing_added AFTER INSERT ON invoicing_customerbilling
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_touch()
    """,
    """
    CREATE TRIGGER unsent_invoice_billing_changed AFTER UPDATE ON invoicing_customerbilling
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_touch()
    """,
    """
    CREATE TRIGGER unsent_invoice_billing_removed AFTER DELETE ON invoicing_customerbilling
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION unsent_invoice_touch()
    """,
)
_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS unsent_invoice_addressed ON invoicing_unsentinvoice",
    "DROP TRIGGER IF EXISTS unsent_invoice_readdressed ON invoicing_issuedinvoice",
    "DROP TRIGGER IF EXISTS unsent_invoice_billing_added ON invoicing_customerbilling",
    "DROP TRIGGER IF EXISTS unsent_invoice_billing_changed ON invoicing_customerbilling",
    "DROP TRIGGER IF EXISTS unsent_invoice_billing_removed ON invoicing_customerbilling",
    "DROP FUNCTION IF EXISTS unsent_invoice_work_out()",
    "DROP FUNCTION IF EXISTS unsent_invoice_touch()",
)

#: The rows already there, worked out (on PostgreSQL by touching them: the row trigger works each out).
_FILL_SQLITE = _SQLITE_WORK_OUT.format(where="1")
_FILL_POSTGRESQL = "UPDATE invoicing_unsentinvoice SET failed = failed"


def _run(schema_editor, sqlite, postgresql) -> None:
    for sql in _0006._statements(schema_editor, sqlite, postgresql):
        schema_editor.execute(sql)


def set_aside_0019(apps, schema_editor):
    # First, as SQLite adds a column by remaking the table, which it refuses while a trigger names it.
    _run(schema_editor, _0019._SQLITE_REMOVE, ())


def put_back_0019(apps, schema_editor):
    _run(schema_editor, _0019._SQLITE, ())


def install(apps, schema_editor):
    _run(schema_editor, _SQLITE, _POSTGRESQL)
    [fill] = _0006._statements(schema_editor, (_FILL_SQLITE,), (_FILL_POSTGRESQL,))
    schema_editor.execute(fill)


def uninstall(apps, schema_editor):
    _run(schema_editor, _SQLITE_REMOVE, _POSTGRESQL_REMOVE)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0024_runs"),
    ]

    operations = [
        migrations.RunPython(set_aside_0019, put_back_0019),
        migrations.AddField(
            model_name="unsentinvoice",
            name="domain_id",
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name="unsentinvoice",
            name="sendable",
            field=models.BooleanField(db_default=False),
        ),
        migrations.AddField(
            model_name="unsentinvoice",
            name="unaddressed",
            field=models.BooleanField(db_default=False),
        ),
        migrations.RunPython(put_back_0019, set_aside_0019),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="unsentinvoice",
            index=models.Index(
                condition=models.Q(("sendable", True)),
                fields=["year", "month", "number"],
                name="invoicing_unsent_sendable",
            ),
        ),
        migrations.AddIndex(
            model_name="unsentinvoice",
            index=models.Index(
                condition=models.Q(("unaddressed", True)),
                fields=["year", "month", "number"],
                name="invoicing_unsent_unaddressed",
            ),
        ),
        migrations.AddIndex(
            model_name="unsentinvoice",
            index=models.Index(fields=["domain_id"], name="invoicing_unsent_customer"),
        ),
    ]
