"""Personal API tokens, the calls made with them and the first answers of idempotent writes (portal/core/api/;
issue 56, part 2); the token on operations and audit entries."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0031_events_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("description", models.CharField(max_length=200, verbose_name="description")),
                ("prefix", models.CharField(db_index=True, max_length=16, verbose_name="token starts with")),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("levels", models.JSONField(blank=True, default=dict, verbose_name="levels by area")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="made")),
                ("expires_at", models.DateTimeField(verbose_name="expires")),
                ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="last used")),
                ("enabled", models.BooleanField(default=True, verbose_name="enabled")),
                ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="revoked by",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner of the token",
                    ),
                ),
            ],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ApiIdempotency",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=200)),
                ("fingerprint", models.CharField(max_length=64)),
                ("status", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("answer", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                (
                    "token",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.apitoken"
                    ),
                ),
            ],
            options={
                "verbose_name": "API idempotency key",
                "verbose_name_plural": "API idempotency keys",
            },
        ),
        migrations.CreateModel(
            name="ApiCall",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="time")),
                ("method", models.CharField(max_length=8, verbose_name="method")),
                ("route", models.CharField(max_length=200, verbose_name="endpoint")),
                ("status", models.PositiveSmallIntegerField(verbose_name="answer status")),
                ("request_id", models.CharField(blank=True, max_length=64, verbose_name="request id")),
                ("operation", models.UUIDField(blank=True, null=True, verbose_name="change")),
                (
                    "token",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="calls",
                        to="core.apitoken",
                        verbose_name="API token",
                    ),
                ),
            ],
            options={
                "verbose_name": "API call",
                "verbose_name_plural": "API calls",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="auditentry",
            name="api_token",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.apitoken",
                verbose_name="API token",
            ),
        ),
        migrations.AddField(
            model_name="operation",
            name="api_token",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.apitoken",
                verbose_name="API token",
            ),
        ),
        migrations.AddIndex(
            model_name="apitoken",
            index=models.Index(fields=["user", "-created_at"], name="core_api_token_user"),
        ),
        migrations.AddConstraint(
            model_name="apiidempotency",
            constraint=models.UniqueConstraint(fields=("token", "key"), name="core_api_idempotency_key"),
        ),
        migrations.AddIndex(
            model_name="apicall",
            index=models.Index(fields=["token", "-created_at"], name="core_api_call_token"),
        ),
        migrations.AddIndex(
            model_name="apicall",
            index=models.Index(fields=["created_at"], name="core_api_call_time"),
        ),
    ]
