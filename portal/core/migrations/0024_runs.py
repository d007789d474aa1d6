"""Operation, SyncRun and Batch become `portal.core.runs.Run`s: their fields renamed to the base's (no data lost,
their indexes following the renamed columns), the base's other fields added, and a change's percentage (only
ever 10, 30 or 100) replaced by its one item done or failed."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def operations_counted(apps, schema_editor):
    """A finished change's one item: done once applied (or replaced by a later change), failed once refused."""
    Operation = apps.get_model("core", "Operation")
    Operation.objects.filter(status__in=["succeeded", "superseded"]).update(done=1)
    Operation.objects.filter(status="failed").update(failed=1)


def batches_counted(apps, schema_editor):
    """A sent batch's ticked rows (`total`) and, once it ended, how many went through and how many failed."""
    Batch = apps.get_model("core", "Batch")
    for batch in Batch.objects.exclude(state="checked").iterator():
        ticked = batch.rows.filter(ticked=True)
        done = ticked.filter(
            models.Q(operation__status__in=["succeeded", "superseded"])
            | models.Q(operation=None, outcome__in=["applied", "unchanged"])
        ).count()
        failed = ticked.filter(
            models.Q(operation__status="failed") | models.Q(operation=None, outcome="refused")
        ).count()
        Batch.objects.filter(pk=batch.pk).update(total=ticked.count(), done=done, failed=failed)


def _index_renamed(model: str, index: models.Index) -> migrations.SeparateDatabaseAndState:
    """An index whose column was just renamed: the database's index follows its column by itself (PostgreSQL,
    SQLite), so only the migration state learns the new field name."""
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.RemoveIndex(model_name=model, name=index.name),
            migrations.AddIndex(model_name=model, index=index),
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0023_copy_change_own"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # --- Operation ---
        migrations.RenameField("operation", "created_at", "requested_at"),
        migrations.AlterField(
            "operation",
            "requested_at",
            models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="requested"),
        ),
        _index_renamed(
            "operation",
            models.Index(
                condition=models.Q(("status__in", ["unknown", "failed"])),
                fields=["status", "requested_at"],
                name="core_operation_unknown_failed",
            ),
        ),
        migrations.RenameField("operation", "sender", "worker"),
        migrations.AlterField(
            "operation",
            "worker",
            models.CharField(blank=True, default="", max_length=200, verbose_name="worker"),
        ),
        migrations.AlterField(
            "operation",
            "requested_by",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="requested by",
            ),
        ),
        migrations.AlterField(
            "operation",
            "finished_at",
            models.DateTimeField(blank=True, null=True, verbose_name="finished"),
        ),
        migrations.RemoveField("operation", "progress"),
        migrations.AddField(
            "operation", "total", models.PositiveIntegerField(default=1, verbose_name="total")
        ),
        migrations.AddField("operation", "done", models.PositiveIntegerField(default=0, verbose_name="done")),
        migrations.AddField(
            "operation", "failed", models.PositiveIntegerField(default=0, verbose_name="failed")
        ),
        migrations.AddField(
            "operation", "stopped_at", models.DateTimeField(blank=True, null=True, verbose_name="stopped")
        ),
        migrations.AddField(
            "operation", "resumed_at", models.DateTimeField(blank=True, null=True, verbose_name="resumed")
        ),
        migrations.AlterModelOptions(
            "operation",
            options={
                "ordering": ["-requested_at"],
                "verbose_name": "operation",
                "verbose_name_plural": "operations",
            },
        ),
        migrations.RunPython(operations_counted, migrations.RunPython.noop, elidable=True),
        # --- SyncRun ---
        migrations.RenameField("syncrun", "started_at", "requested_at"),
        _index_renamed(
            "syncrun",
            models.Index(fields=["kind", "scope", "requested_at"], name="core_syncrun_kind_scope_start"),
        ),
        _index_renamed(
            "syncrun",
            models.Index(
                condition=models.Q(("kind", "partner")), fields=["requested_at"], name="core_syncrun_partner"
            ),
        ),
        migrations.RenameField("syncrun", "triggered_by", "requested_by"),
        migrations.AlterField(
            "syncrun",
            "requested_by",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="requested by",
            ),
        ),
        migrations.AlterField(
            "syncrun", "total", models.PositiveIntegerField(default=0, verbose_name="total")
        ),
        migrations.AlterField("syncrun", "done", models.PositiveIntegerField(default=0, verbose_name="done")),
        migrations.AddField(
            "syncrun", "failed", models.PositiveIntegerField(default=0, verbose_name="failed")
        ),
        migrations.AddField("syncrun", "error", models.TextField(blank=True, verbose_name="error")),
        migrations.AddField(
            "syncrun",
            "worker",
            models.CharField(blank=True, default="", max_length=200, verbose_name="worker"),
        ),
        migrations.AddField(
            "syncrun", "stopped_at", models.DateTimeField(blank=True, null=True, verbose_name="stopped")
        ),
        migrations.AddField(
            "syncrun", "resumed_at", models.DateTimeField(blank=True, null=True, verbose_name="resumed")
        ),
        migrations.AlterModelOptions(
            "syncrun",
            options={
                "ordering": ["-requested_at", "-id"],
                "verbose_name": "sync run",
                "verbose_name_plural": "sync runs",
            },
        ),
        # --- Batch ---
        migrations.RenameField("batch", "created_at", "requested_at"),
        migrations.AlterField(
            "batch", "requested_at", models.DateTimeField(auto_now_add=True, verbose_name="requested")
        ),
        migrations.RenameField("batch", "created_by", "requested_by"),
        migrations.AlterField(
            "batch",
            "requested_by",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="requested by",
            ),
        ),
        migrations.AlterField(
            "batch", "finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")
        ),
        migrations.AddField("batch", "total", models.PositiveIntegerField(default=0, verbose_name="total")),
        migrations.AddField("batch", "done", models.PositiveIntegerField(default=0, verbose_name="done")),
        migrations.AddField("batch", "failed", models.PositiveIntegerField(default=0, verbose_name="failed")),
        migrations.AddField("batch", "error", models.TextField(blank=True, verbose_name="error")),
        migrations.AddField(
            "batch",
            "worker",
            models.CharField(blank=True, default="", max_length=200, verbose_name="worker"),
        ),
        migrations.AddField(
            "batch", "stopped_at", models.DateTimeField(blank=True, null=True, verbose_name="stopped")
        ),
        migrations.AddField(
            "batch", "resumed_at", models.DateTimeField(blank=True, null=True, verbose_name="resumed")
        ),
        migrations.AlterModelOptions(
            "batch",
            options={
                "ordering": ["-requested_at"],
                "verbose_name": "bulk change",
                "verbose_name_plural": "bulk changes",
            },
        ),
        migrations.RunPython(batches_counted, migrations.RunPython.noop, elidable=True),
    ]
