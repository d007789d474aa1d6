"""Cache tables of the subscriptions domain of the Partner API."""
