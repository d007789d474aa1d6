"""The home page's "Customers" figure is a count the database keeps (customers.LiveCustomerCount, kept by
triggers): whichever way customers are written (one by one, in bulk, by SQL updates, deleted), it says how many
are still in the API, as a count of the table would."""

from __future__ import annotations

from django.utils import timezone

from customers.models import Customer, LiveCustomerCount
from customers.selectors import customer_total
from tests.customers.factories import make_customer


def _counted() -> int:
    return Customer.objects.filter(removed_at=None).count()


def test_the_kept_count_follows_every_way_customers_are_written(db, django_assert_num_queries):
    first = make_customer()
    make_customer()
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(
            domain_id=81_000_000 + i,
            tenant_id=81_000_000 + i,
            domain=f"kept{i}.example.com",
            domain_type="DOMAIN",
            company_name=f"Kept Firm {i}",
            usage_status="ACTIVE",
            synced_at=now,
            removed_at=now if i % 3 == 0 else None,
        )
        for i in range(9)
    )
    assert customer_total() == _counted() == 8
    Customer.objects.filter(domain_id__range=(81_000_000, 81_000_008)).update(
        removed_at=now
    )  # removed by the resync's SQL
    assert customer_total() == _counted() == 2
    Customer.objects.filter(domain_id=81_000_003).update(removed_at=None)  # back in the API
    Customer.objects.filter(domain_id=81_000_004).update(company_name="Renamed")  # no change to the count
    assert customer_total() == _counted() == 3
    first.delete()
    with django_assert_num_queries(1):
        total = customer_total()
    assert total == _counted() == 2


def test_without_its_row_the_figure_counts_the_customers(db, django_assert_num_queries):
    make_customer()
    make_customer(removed_at=timezone.now())
    LiveCustomerCount.objects.all().delete()
    with django_assert_num_queries(1):
        assert customer_total() == 1
