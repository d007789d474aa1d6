"""Celery tasks of the subscriptions app: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="subscriptions.operation_reconcile", ignore_result=True)
def operation_reconcile(operation_id: str, attempt: int = 0) -> None:
    from subscriptions import services

    services.operation_reconcile(operation_id=operation_id, attempt=attempt)
