"""Cache tables of the options domain of the Partner API."""
