"""Each issued document's PDF moves from its row into the documents' store (the file system under var/documents,
or the S3-compatible bucket the settings name), under the name the portal writes new ones to, and keeps its
SHA-256: the bytes are checked against the stored SHA-256 before they are written and read back from the store,
checked again, before the row forgets them. In batches of `BATCH`, each its own transaction (the migration is
not atomic): a migrate cut short goes on where it stopped. A PDF whose bytes do not match its SHA-256 stops the
migration, naming the documents, and nothing of it is moved."""

from django.db import migrations, transaction

from invoicing import storage

BATCH = 200


def forwards(apps, schema_editor):
    issued = apps.get_model("invoicing", "IssuedInvoice")
    after = 0
    while True:
        with transaction.atomic():
            rows = list(
                issued.objects.filter(pk__gt=after, pdf__isnull=False, pdf_file__isnull=True)
                .exclude(pdf_sha256="")
                .order_by("pk")
                .values("pk", "number", "year", "month", "pdf", "pdf_sha256")[:BATCH]
            )
            if not rows:
                return
            damaged = [r["number"] for r in rows if storage.sha256(bytes(r["pdf"])) != r["pdf_sha256"]]
            if damaged:
                raise RuntimeError(
                    "The stored PDFs of these issued documents do not match their SHA-256, so they were not "
                    f"moved: {', '.join(map(str, damaged))}. Restore their bytes from a backup, then migrate again."
                )
            for row in rows:
                name = storage.name_for(
                    year=row["year"], month=row["month"], number=row["number"], digest=row["pdf_sha256"]
                )
                storage.put_checked(name, bytes(row["pdf"]), row["pdf_sha256"])
                issued.objects.filter(pk=row["pk"]).update(pdf_file=name, pdf=None)
            after = rows[-1]["pk"]


def backwards(apps, schema_editor):
    """Back into the rows, each read from the store and checked; the files stay in the store."""
    issued = apps.get_model("invoicing", "IssuedInvoice")
    after = 0
    while True:
        with transaction.atomic():
            rows = list(
                issued.objects.filter(pk__gt=after, pdf_file__isnull=False)
                .order_by("pk")
                .values("pk", "pdf_file", "pdf_sha256")[:BATCH]
            )
            if not rows:
                return
            for row in rows:
                data = storage.read(row["pdf_file"], row["pdf_sha256"])
                issued.objects.filter(pk=row["pk"]).update(pdf=data, pdf_file=None)
            after = rows[-1]["pk"]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("invoicing", "0014_pdf_file"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
