"""The month's runs become `portal.core.runs.Run`s: the worker's column renamed (`worker`), each run's count of
what went through renamed `done` (issued, sent), and the base's other fields added; no data lost."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0023_open_invoices_by_due_date"),
    ]

    operations = [
        migrations.RenameField("issuerun", "issued", "done"),
        migrations.RenameField("sendrun", "sent", "done"),
    ]
    for model in ("issuerun", "sendrun"):
        operations += [
            migrations.RenameField(model, "sender", "worker"),
            migrations.AlterField(
                model,
                "worker",
                models.CharField(blank=True, default="", max_length=200, verbose_name="worker"),
            ),
            migrations.AlterField(model, "done", models.PositiveIntegerField(default=0, verbose_name="done")),
            migrations.AlterField(
                model, "total", models.PositiveIntegerField(default=0, verbose_name="total")
            ),
            migrations.AlterField(model, "error", models.TextField(blank=True, verbose_name="error")),
            migrations.AlterField(
                model, "requested_at", models.DateTimeField(auto_now_add=True, verbose_name="requested")
            ),
            migrations.AlterField(
                model, "finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")
            ),
            migrations.AlterField(
                model, "stopped_at", models.DateTimeField(blank=True, null=True, verbose_name="stopped")
            ),
            migrations.AlterField(
                model, "resumed_at", models.DateTimeField(blank=True, null=True, verbose_name="resumed")
            ),
        ]
    operations += [
        migrations.AlterField(
            "sendrun", "failed", models.PositiveIntegerField(default=0, verbose_name="failed")
        ),
        migrations.AddField(
            "issuerun", "failed", models.PositiveIntegerField(default=0, verbose_name="failed")
        ),
    ]
