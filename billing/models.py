"""Cache tables of the billing domain of the Partner API."""
