from django.db import migrations


class Migration(migrations.Migration):
    """The rows forget the PDFs' bytes (moved by 0015): `pdf` is the name in the documents' store."""

    dependencies = [
        ("invoicing", "0015_pdf_move"),
    ]

    operations = [
        migrations.RemoveField(model_name="issuedinvoice", name="pdf"),
        migrations.RenameField(model_name="issuedinvoice", old_name="pdf_file", new_name="pdf"),
    ]
