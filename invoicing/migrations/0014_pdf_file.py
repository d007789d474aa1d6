from django.db import migrations, models

import invoicing.storage


class Migration(migrations.Migration):
    """The issued documents' PDFs move out of the database into the documents' store (invoicing/storage.py):
    first a column for each one's name there, beside the bytes still in the row (moved by 0015)."""

    dependencies = [
        ("invoicing", "0013_open_invoices"),
    ]

    operations = [
        migrations.AddField(
            model_name="issuedinvoice",
            name="pdf_file",
            # Nullable without a default: SQLite adds the column in place. A default would make Django rebuild
            # the table, which drops its triggers (0013's, which keep the open invoices).
            field=models.FileField(
                blank=True,
                null=True,
                editable=False,
                max_length=255,
                storage=invoicing.storage.documents_storage,
                upload_to="",
                verbose_name="PDF",
            ),
        ),
        migrations.AlterField(
            model_name="invoicesending",
            name="failure",
            field=models.CharField(
                blank=True,
                choices=[
                    ("address_refused", "address refused"),
                    ("login_refused", "the portal's mail account refused"),
                    ("message_refused", "message refused"),
                    ("unreachable", "mail server unreachable"),
                    ("timeout", "no answer in time"),
                    ("interrupted", "cut short"),
                    ("document", "PDF not as issued"),
                    ("other", "other"),
                ],
                max_length=16,
                verbose_name="failure",
            ),
        ),
    ]
