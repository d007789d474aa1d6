"""Notices (portal/core/notices.py): one row per thing the portal tells a person by e-mail or in LINE WORKS,
written with the work it reports and delivered by the worker, at most once (issue 56)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0028_operation_held_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Notice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=64, verbose_name="kind")),
                (
                    "way",
                    models.CharField(
                        choices=[("email", "E-mail"), ("line_works", "LINE WORKS")],
                        max_length=16,
                        verbose_name="way",
                    ),
                ),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("text", models.TextField(verbose_name="text")),
                ("url", models.CharField(blank=True, max_length=500, verbose_name="link")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("waiting", "Waiting"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Not delivered"),
                            ("unknown", "Unknown"),
                        ],
                        default="waiting",
                        max_length=16,
                        verbose_name="state",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("due_at", models.DateTimeField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("error", models.TextField(blank=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "notice",
                "verbose_name_plural": "notices",
                "indexes": [
                    models.Index(
                        condition=models.Q(("state__in", ["waiting", "sending"])),
                        fields=["due_at"],
                        name="core_notice_due",
                    ),
                    models.Index(fields=["user", "-created_at"], name="core_notice_user"),
                ],
            },
        ),
    ]
