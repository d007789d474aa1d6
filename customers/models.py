"""Cache tables of the customers domain of the Partner API."""
