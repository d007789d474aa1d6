"""Wiping the sandbox's state (``python -m sandbox reset``)."""

from __future__ import annotations

from django.db import transaction

from sandbox import models
from sandbox.seeding.messaging import ensure_directory


def reset() -> None:
    """Delete all domain state, faults, the log, the messages posted and the clock offset; keep the registered app
    and its key. The messaging directory (bots, users, talk rooms, Webhook URLs) is back to its seed."""
    with transaction.atomic():
        for model in (
            models.SettlementItem,
            models.InvoiceDetail,
            models.Invoice,
            models.UsagePeriod,
            models.OptionProductOrder,
            models.OptionProduct,
            models.SubscriptionReservation,
            models.SubscriptionPreOrder,
            models.Subscription,
            models.UpgradeDomain,
            models.Customer,
            models.PotentialCustomer,
            models.Fault,
            models.RequestLog,
            models.SentMessage,
            models.WebhookRoom,
            models.TalkChannel,
            models.WorksUser,
            models.Bot,
        ):
            model.objects.all().delete()
        models.SandboxState.objects.update_or_create(
            pk=1, defaults={"clock_offset_days": 0, "applied_through": None, "seed": None}
        )
        ensure_directory()
