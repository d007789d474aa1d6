"""The home page's "Customers without billing details" is counted from a row the database keeps
(invoicing.WithoutDetailsCount, kept by triggers on the customers and on their billing details): whichever way
either is written (one by one, in bulk, by SQL updates, deleted), it says what a count of them would."""

from __future__ import annotations

from django.utils import timezone

from customers.models import Customer
from invoicing.models import CustomerBilling, WithoutDetailsCount
from invoicing.selectors import customers_without_details, customers_without_details_count
from tests.customers.factories import make_customer


def _counted() -> int:
    return customers_without_details().count()


def _kept() -> int:
    return WithoutDetailsCount.objects.values_list("n", flat=True).get()


def test_the_kept_count_follows_customers_and_their_billing_details(db, django_assert_num_queries):
    WithoutDetailsCount.objects.update_or_create(pk=1, defaults={"n": 0})  # as migrated (a flush may drop it)
    first, second = make_customer(), make_customer()
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(
            domain_id=82_000_000 + i,
            tenant_id=82_000_000 + i,
            domain=f"details{i}.example.com",
            domain_type="DOMAIN",
            company_name=f"Details Firm {i}",
            usage_status="ACTIVE",
            synced_at=now,
            removed_at=now if i % 3 == 0 else None,
        )
        for i in range(9)
    )
    assert _kept() == customers_without_details_count() == _counted() == 8
    CustomerBilling.objects.create(domain_id=first.domain_id, bill_to_name="First")  # details added
    CustomerBilling.objects.create(domain_id=82_000_000, bill_to_name="Removed")  # of a removed customer
    CustomerBilling.objects.create(domain_id=99_999_999, bill_to_name="Not cached yet")
    assert _kept() == customers_without_details_count() == _counted() == 7
    Customer.objects.filter(domain_id__range=(82_000_000, 82_000_008)).update(removed_at=now)  # resync's SQL
    assert _kept() == customers_without_details_count() == _counted() == 1
    Customer.objects.filter(domain_id__in=[82_000_000, 82_000_004]).update(removed_at=None)  # back in the API
    Customer.objects.filter(domain_id=82_000_004).update(company_name="Renamed")  # no change to the count
    assert _kept() == customers_without_details_count() == _counted() == 2  # 82_000_000 has details
    CustomerBilling.objects.filter(domain_id=first.domain_id).delete()  # details taken away
    second.delete()
    assert _kept() == customers_without_details_count() == _counted() == 2
    with django_assert_num_queries(1):
        total = customers_without_details_count()
    assert total == _counted()


def test_without_its_row_the_section_counts_the_customers(db, django_assert_num_queries):
    make_customer()
    make_customer(removed_at=timezone.now())
    CustomerBilling.objects.create(domain_id=make_customer().domain_id, bill_to_name="Billed")
    WithoutDetailsCount.objects.all().delete()
    with django_assert_num_queries(1):
        assert customers_without_details_count() == 1
