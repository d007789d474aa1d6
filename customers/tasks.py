"""Celery tasks of the customers app: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="customers.customer_delete", ignore_result=True)
def customer_delete(operation_id: str) -> None:
    from customers import services

    services.customer_delete_run(operation_id=operation_id)


@shared_task(name="customers.customer_create", ignore_result=True)
def customer_create(operation_id: str) -> None:
    from customers import services

    services.customer_create_run(operation_id=operation_id)


@shared_task(name="customers.customer_activate", ignore_result=True)
def customer_activate(operation_id: str) -> None:
    from customers import services

    services.customer_activate_run(operation_id=operation_id)


@shared_task(name="customers.customer_transfer", ignore_result=True)
def customer_transfer(operation_id: str) -> None:
    from customers import services

    services.potential_customer_transfer_run(operation_id=operation_id)
